package org.vfio4j;

import java.lang.foreign.MemorySegment;

/**
 * A successful VFIO_IOMMU_SPAPR_REGISTER_MEMORY (sPAPR v2): {@code memory} is pinned and charged
 * to the process's locked memory, and MAP_DMA may now point TCEs into it. Undo it with {@link
 * VfioContainer#unregisterMemory(RegisteredMemory)}, which the kernel refuses ({@code EBUSY})
 * while TCEs still point into it, and which must name exactly this range ({@code ENOENT} otherwise).
 *
 * @param vaddr  the process address passed to the kernel
 * @param size   bytes registered ({@code memory.byteSize()})
 * @param memory the registered memory; keep it alive while registered
 */
public record RegisteredMemory(long vaddr, long size, MemorySegment memory) {}
