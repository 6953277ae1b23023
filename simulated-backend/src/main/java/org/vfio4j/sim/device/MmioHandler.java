package org.vfio4j.sim.device;

/**
 * Registers of a trapped range: every access the simulated kernel performs on them arrives here as
 * one naturally aligned access: pread/pwrite as 1, 2 or 4 bytes (and 8 on kernels that make them,
 * {@code KernelProfile.hasEightByteIoAccess}), the way {@code vfio_pci_core_do_io_rw} splits user
 * accesses; a load or store through a mapping in its own width (1, 2, 4 or 8); and an ioeventfd's
 * write in its own size, as {@code vfio_pci_ioeventfd_do_write} issues it. What a device does with
 * a width it does not take is its own business (QEMU's models: {@code QemuMemoryOps} in fixtures).
 * Offsets are relative to the start of the BAR or region, values are little-endian.
 */
public interface MmioHandler {
    /** A read of {@code size} bytes at {@code offset}; only the low {@code size * 8} bits are used. */
    long read(long offset, int size);

    /** A write of the low {@code size * 8} bits of {@code value} at {@code offset}. */
    void write(long offset, int size, long value);

    /** Registers that read as zero and ignore writes. */
    static MmioHandler zeros() {
        return new MmioHandler() {
            @Override
            public long read(long offset, int size) {
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {}
        };
    }
}
