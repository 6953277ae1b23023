package org.vfio4j.sim.core;

import java.util.function.Supplier;

/**
 * What a handler reports about the call it serves, for the trace: its decoded arguments, as a
 * supplier so that nothing is formatted when the trace is off.
 */
public final class SyscallContext {
    private Supplier<String> arguments;

    public void arguments(String decoded) {
        this.arguments = () -> decoded;
    }

    public void describe(Supplier<String> decoded) {
        this.arguments = decoded;
    }

    public String arguments() {
        return arguments == null ? "" : arguments.get();
    }
}
