package org.vfio4j.sim;

import java.util.function.Supplier;

/**
 * What a handler reports about the call it serves, for the trace: its decoded arguments, as a
 * supplier so that nothing is formatted when the trace is off.
 */
final class SyscallContext {
    private Supplier<String> arguments;

    void arguments(String decoded) {
        this.arguments = () -> decoded;
    }

    void describe(Supplier<String> decoded) {
        this.arguments = decoded;
    }

    String arguments() {
        return arguments == null ? "" : arguments.get();
    }
}
