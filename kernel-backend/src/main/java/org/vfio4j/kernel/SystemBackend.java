package org.vfio4j.kernel;

import org.vfio4j.VfioBackend;
import org.vfio4j.spi.VfioKernel;

/** This machine's kernel as a {@link VfioBackend}, found by {@code Vfio.kernel()} through {@link java.util.ServiceLoader}. */
public final class SystemBackend implements VfioBackend {
    /** For {@link java.util.ServiceLoader}. */
    public SystemBackend() {}

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public VfioKernel boot() {
        return KernelBackend.open();
    }
}
