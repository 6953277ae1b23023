package org.vfio4j.kernel;

import org.vfio4j.VfioBackend;
import org.vfio4j.VfioException;
import org.vfio4j.spi.VfioKernel;

/** This machine's kernel as a {@link VfioBackend}, found by {@code Vfio.kernel()} through {@link java.util.ServiceLoader}. */
public final class SystemBackend implements VfioBackend {
    /** For {@link java.util.ServiceLoader}. */
    public SystemBackend() {}

    @Override
    public String name() {
        return "kernel";
    }

    /** {@link KernelBackend#availability()}: fails with every sentence it has, and the errno of the first problem. */
    @Override
    public void checkUsable() throws VfioException {
        KernelBackend.requireAvailable();
    }

    @Override
    public VfioKernel boot() {
        return KernelBackend.open();
    }
}
