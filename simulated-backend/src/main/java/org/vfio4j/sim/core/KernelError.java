package org.vfio4j.sim.core;

import org.vfio4j.Errno;

/**
 * A simulated kernel function returned {@code -errno}: the errno and the rule that was broken,
 * one sentence naming the object and the kernel function the rule comes from. Thrown inside the
 * simulator and turned into a {@code VfioException} at the system-call boundary.
 */
public final class KernelError extends Exception {
    private static final long serialVersionUID = 1L;

    public final Errno errno;

    KernelError(Errno errno, String rule) {
        super(rule, null, false, false);
        this.errno = errno;
    }

    public static KernelError of(Errno errno, String rule) {
        return new KernelError(errno, rule);
    }
}
