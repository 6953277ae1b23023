package org.vfio4j.sim;

/** What a handler reports about the call it serves, for the trace: its decoded arguments. */
final class SyscallContext {
    private String arguments = "";

    void arguments(String decoded) {
        this.arguments = decoded;
    }

    String arguments() {
        return arguments;
    }
}
