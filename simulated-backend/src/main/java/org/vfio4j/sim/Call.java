package org.vfio4j.sim;

/**
 * The operations a {@link Fault} can be timed by or make fail. Each one counts every call of that
 * kind that reaches the simulated kernel, on any file or device, valid or not; an injected failure
 * happens before the kernel changes anything, where the real kernel can also fail (copying the
 * argument in, allocating), so the state is as if the call had not been made. {@link #PIN_PAGE}
 * counts pages, not calls.
 */
public enum Call {
    /** {@code open("/dev/vfio/vfio")}: a new container ({@code vfio_fops_open}). */
    OPEN_CONTAINER("open of /dev/vfio/vfio"),
    /** {@code open("/dev/vfio/<group>")} ({@code vfio_group_fops_open}; EBUSY when another process has it). */
    OPEN_GROUP("open of a group node"),
    /** VFIO_GROUP_SET_CONTAINER. */
    SET_CONTAINER("VFIO_GROUP_SET_CONTAINER"),
    /** VFIO_SET_IOMMU. */
    SET_IOMMU("VFIO_SET_IOMMU"),
    /** VFIO_GROUP_GET_DEVICE_FD (ENODEV when the device is being unbound: {@code vfio_device_get_from_name}). */
    GET_DEVICE_FD("VFIO_GROUP_GET_DEVICE_FD"),
    /** VFIO_IOMMU_MAP_DMA, failing before any page is pinned. */
    MAP_DMA("VFIO_IOMMU_MAP_DMA"),
    /** VFIO_IOMMU_UNMAP_DMA, failing before any mapping is removed. */
    UNMAP_DMA("VFIO_IOMMU_UNMAP_DMA"),
    /**
     * One page pinned by VFIO_IOMMU_MAP_DMA ({@code vfio_pin_pages_remote}); a mapping of n pages
     * counts n. A failure midway fails the MAP_DMA, and the kernel unwinds what it pinned
     * ({@code vfio_dma_do_map} calls {@code vfio_remove_dma}): no mapping, no page charged.
     */
    PIN_PAGE("page pin of VFIO_IOMMU_MAP_DMA"),
    /** VFIO_DEVICE_SET_IRQS, failing before any trigger changes. */
    SET_IRQS("VFIO_DEVICE_SET_IRQS"),
    /** VFIO_DEVICE_RESET. */
    RESET("VFIO_DEVICE_RESET"),
    /** VFIO_DEVICE_PCI_HOT_RESET. */
    HOT_RESET("VFIO_DEVICE_PCI_HOT_RESET"),
    /** VFIO_DEVICE_IOEVENTFD. */
    IOEVENTFD("VFIO_DEVICE_IOEVENTFD"),
    /** pread or read of a device fd (any region). */
    REGION_READ("device pread"),
    /** pwrite or write of a device fd (any region). */
    REGION_WRITE("device pwrite"),
    /** mmap of a device fd or a dma-buf. */
    MMAP("mmap"),
    /** A load or store through a mapping ({@code VfioKernel.load}/{@code store}); a failure is the SIGBUS the kernel backend reports as EIO. */
    MAPPED_ACCESS("load or store through a mapping"),
    /** eventfd(2). */
    EVENTFD("eventfd");

    private final String description;

    Call(String description) {
        this.description = description;
    }

    /** What the constant matches, for messages: {@code "VFIO_IOMMU_MAP_DMA"}, {@code "device pread"}. */
    String description() {
        return description;
    }
}
