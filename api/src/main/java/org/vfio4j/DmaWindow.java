package org.vfio4j;

/**
 * A DMA window made by VFIO_IOMMU_SPAPR_TCE_CREATE (sPAPR v2): a range of bus addresses backed by
 * a TCE table, into which MAP_DMA puts entries. The platform chooses {@code start}
 * ({@code start_addr} written back); the rest is what was asked for.
 *
 * @param start     the window's first bus address
 * @param size      its size in bytes
 * @param pageShift log2 of its IOMMU page size: the alignment of iova, vaddr and size in MAP_DMA
 * @param levels    the levels of its TCE table
 */
public record DmaWindow(long start, long size, int pageShift, int levels) {

    /** The IOMMU page size, {@code 1 << pageShift}. */
    public long pageSize() {
        return 1L << pageShift;
    }
}
