package org.vfio4j;

import org.vfio4j.uapi.VfioUapi;

/**
 * The region indexes of a vfio-pci device ({@code VFIO_PCI_*_REGION_INDEX}): six BARs, the
 * expansion ROM, config space and the legacy VGA ranges. Indexes from {@link #COUNT} on are
 * device-specific regions, described by their type capability. Pass them to {@link
 * VfioDevice#region(int)} and {@link VfioDevice#regionInfo(int)}.
 */
public final class RegionIndex {
    private RegionIndex() {}

    /** BAR 0. */
    public static final int BAR0 = VfioUapi.VFIO_PCI_BAR0_REGION_INDEX;
    /** BAR 1. */
    public static final int BAR1 = VfioUapi.VFIO_PCI_BAR1_REGION_INDEX;
    /** BAR 2. */
    public static final int BAR2 = VfioUapi.VFIO_PCI_BAR2_REGION_INDEX;
    /** BAR 3. */
    public static final int BAR3 = VfioUapi.VFIO_PCI_BAR3_REGION_INDEX;
    /** BAR 4. */
    public static final int BAR4 = VfioUapi.VFIO_PCI_BAR4_REGION_INDEX;
    /** BAR 5. */
    public static final int BAR5 = VfioUapi.VFIO_PCI_BAR5_REGION_INDEX;
    /** The expansion ROM (read-only). */
    public static final int ROM = VfioUapi.VFIO_PCI_ROM_REGION_INDEX;
    /** Config space, as vfio-pci virtualizes it (see {@link PciConfig}). */
    public static final int CONFIG = VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX;
    /** The legacy VGA ranges of a VGA-class device, at their ISA addresses. */
    public static final int VGA = VfioUapi.VFIO_PCI_VGA_REGION_INDEX;
    /** The number of fixed regions; device-specific regions follow. */
    public static final int COUNT = VfioUapi.VFIO_PCI_NUM_REGIONS;

    /** The index of BAR {@code n} (0-5). */
    public static int bar(int n) {
        if (n < 0 || n > 5) {
            throw new IllegalArgumentException("a PCI function has BARs 0 to 5, not " + n);
        }
        return BAR0 + n;
    }

    /** A name for messages: {@code "BAR0"}, {@code "ROM"}, {@code "CONFIG"}, {@code "VGA"}, {@code "region 9"}. */
    public static String name(int index) {
        return switch (index) {
            case BAR0, BAR1, BAR2, BAR3, BAR4, BAR5 -> "BAR" + index;
            case ROM -> "ROM";
            case CONFIG -> "CONFIG";
            case VGA -> "VGA";
            default -> "region " + index;
        };
    }
}
