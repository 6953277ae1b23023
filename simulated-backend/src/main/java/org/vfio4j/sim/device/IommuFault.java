package org.vfio4j.sim.device;

import org.vfio4j.PciAddress;

/**
 * A DMA the simulated IOMMU refused: the device at {@code device} tried to read or write
 * {@code length} bytes at {@code iova}, and no mapping of its container allowed it.
 *
 * @param reason which rule: no mapping, a read-only mapping written, no container or no IOMMU
 */
public record IommuFault(PciAddress device, long iova, long length, boolean write, String reason) {}
