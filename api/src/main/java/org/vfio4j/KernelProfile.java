package org.vfio4j;

/**
 * A Linux kernel's VFIO behaviour where versions differ: which one the simulator reproduces, and
 * which one a conformance target (a real kernel included) is expected to show. The constants are
 * in release order; each rule where kernels differ is a method below, saying in which release the
 * behaviour arrived and where the kernel implements it. Everything else is common to all.
 *
 * <p>LINUX_5_10, LINUX_6_1 and LINUX_6_12 are verified against the real kernels (Debian's
 * 5.10.218, 6.1.192 and 6.12.95) in the real-kernel lane; LINUX_5_7 is the era of the uapi the
 * project is written against, and follows the source.
 */
public enum KernelProfile {
    /** Linux 5.7, the era of the VFIO uapi vfio4j is written against (from the source). */
    LINUX_5_7,

    /** Linux 5.10 LTS (Debian bullseye): dirty-page tracking, but the group and unmap rules of 5.7. */
    LINUX_5_10,

    /** Linux 6.1 LTS (Debian bookworm), the simulator's default. */
    LINUX_6_1,

    /**
     * Linux 6.12 LTS (Debian trixie, bookworm-backports): the VFIO core reworked for iommufd (the
     * legacy container still serves {@code /dev/vfio/vfio} on Debian's configuration), zero-filled
     * info structs, dynamic MSI-X.
     */
    LINUX_6_12;

    /**
     * The profile of a running kernel from its release string ({@code uname -r}, the JVM's {@code
     * os.version}): the latest profile at or below its version, e.g. {@code "6.12.95+deb12-amd64"}
     * is LINUX_6_12, {@code "6.6.0"} LINUX_6_1, {@code "5.15.0"} LINUX_5_10; an unreadable string
     * is the default, LINUX_6_1.
     *
     * @param release the kernel's release string
     * @return the profile whose rules the kernel is expected to follow
     */
    public static KernelProfile ofRelease(String release) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release == null ? "" : release);
        if (!m.find()) {
            return LINUX_6_1;
        }
        int v = Integer.parseInt(m.group(1)) * 1000 + Integer.parseInt(m.group(2));
        return v >= 6012 ? LINUX_6_12 : v >= 6001 ? LINUX_6_1 : v >= 5010 ? LINUX_5_10 : LINUX_5_7;
    }

    /** Whether this kernel is {@code other} or a later release. */
    public boolean atLeast(KernelProfile other) {
        return compareTo(other) >= 0;
    }

    /** Whether this kernel is Linux 6.1 or later. */
    public boolean isAtLeast61() {
        return atLeast(LINUX_6_1);
    }

    // ---- groups and containers -------------------------------------------------------------

    /**
     * VFIO_GROUP_SET_CONTAINER claims DMA ownership of the group ({@code
     * iommu_group_claim_dma_owner}, 5.19): a non-viable group fails there with EPERM, GET_STATUS
     * reports VIABLE whenever a container is set, a negative or closed fd is EBADF ({@code fdget}),
     * and GET_DEVICE_FD looks the name up first (ENODEV) before it wants a container (EINVAL).
     * Before: a negative fd is EINVAL, and GET_DEVICE_FD checks container, IOMMU and viability
     * (EINVAL) before the name.
     */
    public boolean claimsGroupOwnershipAtSetContainer() {
        return atLeast(LINUX_6_1);
    }

    /**
     * VFIO_GROUP_SET_CONTAINER with an open fd that is no container is EBADFD ({@code
     * vfio_group_ioctl_set_container} tries a container, then an iommufd; 6.2); EINVAL before.
     */
    public boolean setContainerWithAnotherFdIsEbadfd() {
        return atLeast(LINUX_6_12);
    }

    // ---- type1 -----------------------------------------------------------------------------

    /**
     * VFIO_IOMMU_DIRTY_PAGES, UNMAP_DMA's GET_DIRTY_BITMAP flag and GET_INFO's MIGRATION and
     * DMA_AVAIL capabilities (5.8, 5.10); before, GET_INFO's chain holds IOVA_RANGE only.
     */
    public boolean hasDirtyPageTracking() {
        return atLeast(LINUX_5_10);
    }

    /** VFIO_UNMAP_ALL and VFIO_UPDATE_VADDR: the extensions, and MAP's VADDR and UNMAP's ALL and VADDR flags (5.12). */
    public boolean hasUnmapAllAndVaddr() {
        return atLeast(LINUX_6_1);
    }

    /**
     * SET_IOMMU(VFIO_TYPE1_NESTING_IOMMU) on an IOMMU without nested translation: attaching the
     * group asks {@code iommu_enable_nesting}, EINVAL (5.13); before, {@code
     * iommu_domain_set_attr(DOMAIN_ATTR_NESTING)}, which the Intel IOMMU answers ENODEV.
     */
    public boolean hasIommuEnableNesting() {
        return atLeast(LINUX_6_1);
    }

    /**
     * UNMAP_DMA walks the overlapping mappings in address order ({@code vfio_find_dma_first_node},
     * 5.12); before, {@code vfio_dma_do_unmap} repeats {@code vfio_find_dma}, which returns the
     * first overlapping node on the rb-tree's root-to-leaf path, so the order (and, on a v1
     * container, where the walk stops) follows the tree's shape.
     */
    public boolean unmapsInAddressOrder() {
        return atLeast(LINUX_6_1);
    }

    /**
     * VFIO_IOMMU_GET_INFO and VFIO_DEVICE_GET_INFO copy {@code min(argsz, sizeof)} bytes of a
     * zeroed struct, padding included, and every capability of an info chain is rounded up to 8
     * bytes ({@code vfio_info_cap_add}; "vfio: align capability structures", 6.6); before, the
     * fixed fields, {@code cap_offset} only when argsz holds it, and capabilities packed.
     */
    public boolean copiesWholeInfoStructs() {
        return atLeast(LINUX_6_12);
    }

    // ---- vfio-pci --------------------------------------------------------------------------

    /** VFIO_DEVICE_GET_INFO writes {@code cap_offset} when argsz holds it (5.8); before, 16 bytes only. */
    public boolean hasDeviceInfoCapOffset() {
        return atLeast(LINUX_5_10);
    }

    /**
     * Config space: the PM capability's PME bits are virtual and read 0, DVSEC extended
     * capabilities are shown, BAR access is EIO while the function is in D3hot (5.19-6.0); before,
     * PMCSR passes through but for the power state, DVSEC is hidden, and only memory decode gates
     * BAR access.
     */
    public boolean virtualizesPowerManagement() {
        return atLeast(LINUX_6_1);
    }

    /** VFIO_DEVICE_FEATURE also offers the low-power features 3-5, SET only (6.0); before, the VF token only. */
    public boolean hasLowPowerFeatures() {
        return atLeast(LINUX_6_1);
    }

    /** VFIO_DEVICE_IOEVENTFD takes 8-byte writes ({@code iowrite64}, 6.1 on x86); EINVAL before. */
    public boolean hasEightByteIoeventfd() {
        return atLeast(LINUX_6_1);
    }

    /**
     * pread/pwrite of a BAR make 8-byte accesses ({@code ioread64}/{@code iowrite64}) where 8
     * aligned bytes are left ({@code vfio_pci_core_do_io_rw}; verified on 6.12, absent from 6.1);
     * before, accesses of at most 4 bytes.
     */
    public boolean hasEightByteIoAccess() {
        return atLeast(LINUX_6_12);
    }

    /**
     * An irqfd consumes each signal of its eventfd ({@code virqfd_wakeup} reads the counter,
     * 6.0): an ioeventfd's or unmask eventfd's counter reads 0 after the kernel acted on it; before,
     * the count stays.
     */
    public boolean virqfdConsumesSignals() {
        return atLeast(LINUX_6_1);
    }

    /**
     * Dynamic MSI-X (6.5): GET_IRQ_INFO leaves NORESIZE off the MSI-X index when the platform can
     * allocate vectors after enabling, SET_IRQS grows enabled MSI-X ({@code vfio_msi_set_block}),
     * and a loop-back trigger past the enabled vectors skips them instead of failing ({@code
     * vfio_pci_set_msi_trigger}).
     */
    public boolean hasDynamicMsix() {
        return atLeast(LINUX_6_12);
    }

    /**
     * VFIO_DEVICE_PCI_HOT_RESET with an empty group list is EINVAL for a device opened through its
     * group ({@code vfio_pci_ioctl_pci_hot_reset}: the empty list is for cdev-opened devices, 6.5);
     * before, it goes on to the bus checks (ENODEV without a reset).
     */
    public boolean hotResetWantsGroups() {
        return atLeast(LINUX_6_12);
    }

    /**
     * SET_IRQS on ERR or REQ with an eventfd below -1 is EINVAL ({@code
     * vfio_pci_set_ctx_trigger_single} in the 6.12 stable series); before, it is ignored (0).
     */
    public boolean refusesBadErrReqEventfd() {
        return atLeast(LINUX_6_12);
    }
}
