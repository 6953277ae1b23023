package org.vfio4j;

/**
 * A Linux kernel's VFIO behaviour where versions differ: which one the simulator reproduces, and
 * which one a conformance target (a real kernel included) is expected to show. Each difference is
 * listed on its constant; everything else is common to both.
 */
public enum KernelProfile {
    /**
     * Linux 6.1, the current LTS kernel and the simulator's default.
     * <ul>
     * <li>VFIO_GROUP_SET_CONTAINER claims DMA ownership of the group: a non-viable group fails
     *     with {@code EPERM} there ({@code iommu_group_claim_dma_owner}, verified on 6.1); GET_STATUS reports VIABLE
     *     whenever a container is set.</li>
     * <li>SET_CONTAINER with a negative or closed fd: {@code EBADF} (fdget); with an fd that is not
     *     a container: {@code EINVAL}, as in 5.7 (verified on 6.1; {@code EBADFD} is 6.2+, with iommufd).</li>
     * <li>GET_DEVICE_FD looks the name up first ({@code ENODEV} even without a container), then
     *     requires a container with an IOMMU ({@code EINVAL}).</li>
     * <li>Type1 CHECK_EXTENSION also answers VFIO_UNMAP_ALL and VFIO_UPDATE_VADDR; MAP accepts
     *     the VADDR flag and UNMAP the ALL, VADDR and GET_DIRTY_BITMAP flags.</li>
     * <li>Type1 GET_INFO chain: MIGRATION, DMA_AVAIL, IOVA_RANGE capabilities.</li>
     * <li>v1 UNMAP walks mappings in address order: a mapping straddling {@code iova} stops the walk
     *     before anything is removed.</li>
     * <li>DEVICE_GET_INFO writes {@code cap_offset} when argsz allows it.</li>
     * <li>Config space: the PM capability's PME bits are virtual and read 0; DVSEC extended
     *     capabilities are shown; BAR access is EIO while the function is in D3hot.</li>
     * <li>DEVICE_FEATURE also offers the low-power features (3-5, SET only).</li>
     * </ul>
     */
    LINUX_6_1,

    /**
     * Linux 5.7, the era of the VFIO uapi vfio4j is written against.
     * <ul>
     * <li>Viability is not checked at SET_CONTAINER but at GET_DEVICE_FD ({@code EINVAL}).</li>
     * <li>SET_CONTAINER: negative fd {@code EINVAL}, closed fd {@code EBADF}, not a container {@code EINVAL}.</li>
     * <li>GET_DEVICE_FD checks attachment, IOMMU and viability ({@code EINVAL}) before the name.</li>
     * <li>Type1: no VFIO_UNMAP_ALL / UPDATE_VADDR; MAP and UNMAP accept no new flags.</li>
     * <li>Type1 GET_INFO chain: IOVA_RANGE only.</li>
     * <li>v1 UNMAP with a straddled start is implementation-defined in the kernel; the simulator
     *     removes the mappings that start inside the range (never the straddling one).</li>
     * <li>DEVICE_GET_INFO is 16 bytes; {@code cap_offset} is never written.</li>
     * <li>Config space: PMCSR passes through (except the power state); DVSEC is hidden; BAR access
     *     is EIO only with memory decode off (the 5.7.y backport).</li>
     * <li>DEVICE_FEATURE offers the VF token only.</li>
     * </ul>
     */
    LINUX_5_7;

    /** Whether this kernel is Linux 6.1 or later, i.e. has the 6.1 behaviour listed on {@link #LINUX_6_1}. */
    public boolean isAtLeast61() {
        return this == LINUX_6_1;
    }
}
