package org.vfio4j.sim.core;

/**
 * The kinds of call a fault can be timed by or make fail, as the parts of the simulated kernel
 * name them when they ask the {@link FaultGate}: one constant per constant of the public {@code
 * org.vfio4j.sim.Call}, which maps onto these (the core cannot see the public surface above it).
 */
public enum Syscall {
    /** {@code open("/dev/vfio/vfio")}. */
    OPEN_CONTAINER("open of /dev/vfio/vfio"),
    /** {@code open("/dev/vfio/<group>")}. */
    OPEN_GROUP("open of a group node"),
    /** VFIO_GROUP_SET_CONTAINER. */
    SET_CONTAINER("VFIO_GROUP_SET_CONTAINER"),
    /** VFIO_SET_IOMMU. */
    SET_IOMMU("VFIO_SET_IOMMU"),
    /** VFIO_GROUP_GET_DEVICE_FD. */
    GET_DEVICE_FD("VFIO_GROUP_GET_DEVICE_FD"),
    /** VFIO_IOMMU_MAP_DMA. */
    MAP_DMA("VFIO_IOMMU_MAP_DMA"),
    /** VFIO_IOMMU_UNMAP_DMA. */
    UNMAP_DMA("VFIO_IOMMU_UNMAP_DMA"),
    /** One page pinned by VFIO_IOMMU_MAP_DMA. */
    PIN_PAGE("page pin of VFIO_IOMMU_MAP_DMA"),
    /** VFIO_DEVICE_SET_IRQS. */
    SET_IRQS("VFIO_DEVICE_SET_IRQS"),
    /** VFIO_DEVICE_RESET. */
    RESET("VFIO_DEVICE_RESET"),
    /** VFIO_DEVICE_PCI_HOT_RESET. */
    HOT_RESET("VFIO_DEVICE_PCI_HOT_RESET"),
    /** VFIO_DEVICE_IOEVENTFD. */
    IOEVENTFD("VFIO_DEVICE_IOEVENTFD"),
    /** pread or read of a device fd. */
    REGION_READ("device pread"),
    /** pwrite or write of a device fd. */
    REGION_WRITE("device pwrite"),
    /** mmap of a device fd or a dma-buf. */
    MMAP("mmap"),
    /** A load or store through a mapping. */
    MAPPED_ACCESS("load or store through a mapping"),
    /** eventfd(2). */
    EVENTFD("eventfd");

    private final String description;

    Syscall(String description) {
        this.description = description;
    }

    /** What the constant matches, for messages: {@code "VFIO_IOMMU_MAP_DMA"}, {@code "device pread"}. */
    public String description() {
        return description;
    }
}
