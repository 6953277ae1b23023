package org.vfio4j;

import java.util.Optional;

/**
 * What VFIO_IOMMU_SPAPR_TCE_GET_INFO says of an sPAPR container ({@code tce_iommu_ioctl}): the
 * platform's default 32-bit DMA window and, when the container is v2 and the platform can make
 * more windows, the limits of dynamic DMA windows.
 *
 * @param flags            the raw {@code flags} (VFIO_IOMMU_SPAPR_INFO_DDW)
 * @param dma32WindowStart {@code dma32_window_start}: the bus address of the 32-bit window
 * @param dma32WindowSize  {@code dma32_window_size}: its size in bytes
 * @param ddw              the {@code ddw} block, present iff {@code flags} has VFIO_IOMMU_SPAPR_INFO_DDW
 */
public record SpaprTceInfo(int flags, long dma32WindowStart, long dma32WindowSize, Optional<DdwInfo> ddw) {

    /**
     * The dynamic DMA window limits ({@code struct vfio_iommu_spapr_tce_ddw_info}), what {@link
     * VfioContainer#createWindow} may ask for.
     *
     * @param pageSizes         {@code pgsizes}: the IOMMU page sizes a window may use, as a bitmap
     * @param maxDynamicWindows {@code max_dynamic_windows_supported}: how many windows a container
     *                          may hold at once, the default 32-bit one included
     * @param levels            {@code levels}: the most TCE table levels a window may ask for
     */
    public record DdwInfo(long pageSizes, int maxDynamicWindows, int levels) {}
}
