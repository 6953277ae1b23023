package org.vfio4j.sim.core;

import java.util.function.Supplier;

/**
 * What a handler reports about the call it serves, for the trace: its decoded arguments, as a
 * supplier so that nothing is formatted when the trace is off.
 */
public final class SyscallContext {
    /**
     * The context of a call the trace does not record: it keeps nothing, so a handler's description
     * is dropped where it is made (and, inlined, never even allocated). Shared by every such call.
     */
    public static final SyscallContext UNRECORDED = new SyscallContext(false);

    private final boolean recorded;
    private Supplier<String> arguments;

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
        }
    }

    public void describe(Supplier<String> decoded) {
        if (recorded) {
            this.arguments = decoded;
        }
    }

    public String arguments() {
        return arguments == null ? "" : arguments.get();
    }
}
