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
}
