package org.vfio4j;

import org.vfio4j.spi.VfioKernel;

/**
 * Something {@link Vfio#open(VfioBackend)} can run on: the real kernel ({@code
 * KernelBackend.system()}) or a simulated host ({@code SimulatedHost}).
 */
public interface VfioBackend {

    /** A short name for messages: {@code "kernel"}, {@code "simulated x86 type1 host"}. */
    String name();

    /** Starts a fresh system-call seam on this backend (a new simulated kernel, or libc). */
    VfioKernel boot() throws VfioException;

    /**
     * Fails, saying why in sentences a user can act on, when this backend cannot serve VFIO here
     * (the kernel backend: no {@code /dev/vfio/vfio}, no permission, no native access, not Linux).
     * A simulated host is always usable.
     */
    default void checkUsable() throws VfioException {}
}
