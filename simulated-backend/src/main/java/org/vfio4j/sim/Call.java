package org.vfio4j.sim;

import org.vfio4j.sim.core.Syscall;

/**
 * The operations a {@link Fault} can be timed by or make fail. Each one counts every call of that
 * kind that reaches the simulated kernel, on any file or device, valid or not; an injected failure
 * happens before the kernel changes anything, where the real kernel can also fail (copying the
 * argument in, allocating), so the state is as if the call had not been made. {@link #PIN_PAGE}
 * counts pages, not calls.
 */
public enum Call {
    /** {@code open("/dev/vfio/vfio")}: a new container ({@code vfio_fops_open}). */
    OPEN_CONTAINER(Syscall.OPEN_CONTAINER),
    /** {@code open("/dev/vfio/<group>")} ({@code vfio_group_fops_open}; EBUSY when another process has it). */
    OPEN_GROUP(Syscall.OPEN_GROUP),
    /** VFIO_GROUP_SET_CONTAINER. */
    SET_CONTAINER(Syscall.SET_CONTAINER),
    /** VFIO_SET_IOMMU. */
    SET_IOMMU(Syscall.SET_IOMMU),
    /** VFIO_GROUP_GET_DEVICE_FD (ENODEV when the device is being unbound: {@code vfio_device_get_from_name}). */
    GET_DEVICE_FD(Syscall.GET_DEVICE_FD),
    /** VFIO_IOMMU_MAP_DMA, failing before any page is pinned. */
    MAP_DMA(Syscall.MAP_DMA),
    /** VFIO_IOMMU_UNMAP_DMA, failing before any mapping is removed. */
    UNMAP_DMA(Syscall.UNMAP_DMA),
    /**
     * One page pinned by VFIO_IOMMU_MAP_DMA ({@code vfio_pin_pages_remote}); a mapping of n pages
     * counts n. A failure midway fails the MAP_DMA, and the kernel unwinds what it pinned
     * ({@code vfio_dma_do_map} calls {@code vfio_remove_dma}): no mapping, no page charged.
     */
    PIN_PAGE(Syscall.PIN_PAGE),
    /** VFIO_DEVICE_SET_IRQS, failing before any trigger changes. */
    SET_IRQS(Syscall.SET_IRQS),
    /** VFIO_DEVICE_RESET. */
    RESET(Syscall.RESET),
    /** VFIO_DEVICE_PCI_HOT_RESET. */
    HOT_RESET(Syscall.HOT_RESET),
    /** VFIO_DEVICE_IOEVENTFD. */
    IOEVENTFD(Syscall.IOEVENTFD),
    /** pread or read of a device fd (any region). */
    REGION_READ(Syscall.REGION_READ),
    /** pwrite or write of a device fd (any region). */
    REGION_WRITE(Syscall.REGION_WRITE),
    /** mmap of a device fd or a dma-buf. */
    MMAP(Syscall.MMAP),
    /** A load or store through a mapping ({@code VfioKernel.load}/{@code store}); a failure is the SIGBUS the kernel backend reports as EIO. */
    MAPPED_ACCESS(Syscall.MAPPED_ACCESS),
    /** eventfd(2). */
    EVENTFD(Syscall.EVENTFD);

    private final Syscall syscall;

    Call(Syscall syscall) {
        this.syscall = syscall;
    }

    /** The kind of call the kernel's parts name when they ask the fault plan. */
    Syscall syscall() {
        return syscall;
    }

    /** What the constant matches, for messages: {@code "VFIO_IOMMU_MAP_DMA"}, {@code "device pread"}. */
    String description() {
        return syscall.description();
    }
}
