package org.vfio4j.sim.core;

import java.util.function.Supplier;

/**
 * What a handler reports about the call it serves, for the trace: its decoded arguments, as a
 * supplier so that nothing is formatted when the trace is off. A supplier given through {@link
 * #describeCopied} holds only values copied out of the call's arguments, so the trace may run it
 * after the call returned, when the caller may have freed or reused its memory; one given through
 * {@link #describe} may read that memory and is run when the call returns.
 */
public final class SyscallContext {
    /**
     * The context of a call the trace does not record: it keeps nothing, so a handler's description
     * is dropped where it is made (and, inlined, never even allocated). Shared by every such call.
     */
    public static final SyscallContext UNRECORDED = new SyscallContext(false);

    private final boolean recorded;
    private Supplier<String> arguments;
    private boolean copied;

    /** The context of a call the trace records. */
    public SyscallContext() {
        this(true);
    }

    private SyscallContext(boolean recorded) {
        this.recorded = recorded;
    }

    public void arguments(String decoded) {
        if (recorded) {
            this.arguments = () -> decoded;
            this.copied = true; // a string is a copy
        }
    }

    public void describe(Supplier<String> decoded) {
        if (recorded) {
            this.arguments = decoded;
            this.copied = false;
        }
    }

    /** Like {@link #describe}, for a supplier that reads no caller memory: only values copied when the call ran. */
    public void describeCopied(Supplier<String> decoded) {
        if (recorded) {
            this.arguments = decoded;
            this.copied = true;
        }
    }

    /** Whether {@link #arguments()} may be asked after the call returned: it reads nothing the caller owns. */
    public boolean copied() {
        return arguments == null || copied;
    }

    /** Whether the trace records this call: a handler may skip copying what only a description would show. */
    public boolean recorded() {
        return recorded;
    }

    public String arguments() {
        return arguments == null ? "" : arguments.get();
    }
}
