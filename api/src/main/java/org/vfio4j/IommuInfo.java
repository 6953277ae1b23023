package org.vfio4j;

import java.util.List;
import java.util.Optional;

/**
 * What VFIO_IOMMU_GET_INFO says of a type1 container: the IOVA page-size bitmap and the decoded
 * capability chain.
 *
 * @param flags        the raw {@code flags} (VFIO_IOMMU_INFO_PGSIZES, VFIO_IOMMU_INFO_CAPS)
 * @param pageSizes    {@code iova_pgsizes}: the supported IOMMU page sizes as a bitmap
 * @param capabilities the chain, in kernel order
 */
public record IommuInfo(int flags, long pageSizes, List<IommuCapability> capabilities) {
    /** Keeps an unmodifiable copy of {@code capabilities}. */
    public IommuInfo {
        capabilities = List.copyOf(capabilities);
    }

    /** The smallest IOMMU page: the alignment unit of iova, vaddr and size in MAP/UNMAP. */
    public long minPageSize() {
        return Long.lowestOneBit(pageSizes);
    }

    /** The usable IOVA ranges, if the kernel reported them. */
    public Optional<List<IovaRange>> iovaRanges() {
        return capabilities.stream().filter(c -> c instanceof IommuCapability.IovaRanges)
                .map(c -> ((IommuCapability.IovaRanges) c).ranges()).findFirst();
    }

    /** Mappings the container can still make, if the kernel reported it (Linux 5.10+). */
    public Optional<Integer> dmaAvailable() {
        return capabilities.stream().filter(c -> c instanceof IommuCapability.DmaAvailable)
                .map(c -> ((IommuCapability.DmaAvailable) c).available()).findFirst();
    }
}
