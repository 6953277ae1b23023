package org.vfio4j;

import java.lang.foreign.MemorySegment;

/**
 * A successful VFIO_IOMMU_MAP_DMA: the device sees {@code memory} at {@code [iova, iova + size)}.
 *
 * @param iova   the I/O virtual address
 * @param size   bytes mapped ({@code memory.byteSize()})
 * @param vaddr  the process address passed to the kernel
 * @param read   whether the device may read
 * @param write  whether the device may write
 * @param memory the mapped memory; keep it alive while mapped
 */
public record DmaMapping(long iova, long size, long vaddr, boolean read, boolean write, MemorySegment memory) {}
