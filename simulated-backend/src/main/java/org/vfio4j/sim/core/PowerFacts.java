package org.vfio4j.sim.core;

/**
 * A POWER host's PHB as the simulated kernel's parts see it: a copy of the public {@code
 * PowerPlatform}, which the core cannot see.
 *
 * @param dma32WindowStart  the default 32-bit DMA window's bus address ({@code tce32_start})
 * @param dma32WindowSize   its size in bytes ({@code tce32_size})
 * @param ddwPageSizes      the IOMMU page sizes a created window may use ({@code pgsizes})
 * @param maxDynamicWindows the windows a PE may have at once
 * @param levels            the most TCE table levels
 * @param secondWindowStart the bus address of window slot 1
 * @param eehEnabled        {@code eeh_enabled()}
 * @param eehFreezes        whether errors freeze PEs (a hardware PHB) or never do (QEMU's PHB4, where INJECT_ERR is EIO)
 */
public record PowerFacts(long dma32WindowStart, long dma32WindowSize, long ddwPageSizes, int maxDynamicWindows, int levels,
                         long secondWindowStart, boolean eehEnabled, boolean eehFreezes) {}
