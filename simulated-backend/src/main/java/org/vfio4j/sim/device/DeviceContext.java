package org.vfio4j.sim.device;

import java.lang.foreign.MemorySegment;
import org.vfio4j.PciAddress;

/**
 * What the simulated machine gives an emulated function: DMA through the IOMMU of the container its
 * group is attached to, and its own BAR memory. Handed to {@link PciDeviceModel#attach} once per
 * booted kernel.
 */
public interface DeviceContext {
    /** Where the function sits. */
    PciAddress address();

    /**
     * Reads {@code dst.byteSize()} bytes at {@code iova} from process memory, translated by the IOMMU.
     * Unmapped IOVAs, or no container with an IOMMU, fault.
     */
    void dmaRead(long iova, MemorySegment dst) throws DmaFaultException;

    /** Writes {@code src} at {@code iova}; also faults on mappings without WRITE permission. */
    void dmaWrite(long iova, MemorySegment src) throws DmaFaultException;

    /**
     * The bytes behind BAR {@code index} (its memory ranges are windows of it; trapped ranges are
     * left to the handler). The same memory userspace reaches by pread/pwrite and mmap.
     */
    MemorySegment barMemory(int index);

    /**
     * Drives the function's INTx line, level-triggered: the interrupt status bit follows it; while
     * it is asserted and VFIO delivers INTx unmasked, the kernel masks the line and signals the
     * eventfd once; the user acknowledges the device (which deasserts) and unmasks.
     */
    void setIntx(boolean asserted);

    /**
     * Sends MSI or MSI-X message {@code vector}, whichever the host enabled: signalled on that
     * vector's eventfd, or, while the vector is masked, remembered in its pending bit and delivered
     * when it is unmasked. Without MSI or MSI-X enabled the message goes nowhere.
     */
    void signalMsi(int vector);

    /** Reads the function's own config registers (the hardware values, e.g. whether MSI is enabled). */
    int readConfig(int offset, int size);
}
