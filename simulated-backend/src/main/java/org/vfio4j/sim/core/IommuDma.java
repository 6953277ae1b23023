package org.vfio4j.sim.core;

import java.lang.foreign.MemorySegment;
import org.vfio4j.sim.device.DmaFaultException;

/**
 * A device's DMA as it reaches host memory: through the IOMMU of the container its group is in.
 * vfio-pci hands device models this path; the IOMMU side implements it.
 */
public interface IommuDma {
    /**
     * Copies {@code buf} to ({@code write}) or from host memory at {@code iova}.
     *
     * @throws DmaFaultException at the first byte the IOMMU refuses; the bytes before it were copied
     */
    void transfer(long iova, MemorySegment buf, boolean write) throws DmaFaultException;
}
