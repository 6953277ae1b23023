package org.vfio4j.sim.core;

import org.vfio4j.uapi.VfioIoctls;

/**
 * The IOMMU backend a container uses once VFIO_SET_IOMMU chose it: the role of the kernel's {@code
 * struct vfio_iommu_driver_ops} (its open is each driver's factory; release, ioctl, attach_group
 * and detach_group are here). Implemented by type1 ({@code vfio_iommu_type1.c}) and no-IOMMU
 * ({@code vfio_noiommu_ops} in {@code container.c}) in the iommu package; sPAPR TCE joins as the
 * third. Not sealed: a sealed interface names its implementations, which would make the core
 * depend on the drivers; the kernel's core does not know its drivers either, they register
 * ({@link IommuDriverOps}).
 */
public interface IommuDriver {
    /** What the trace and messages call it: "type1", "type1v2", "no-IOMMU". */
    String name();

    /**
     * Whose ioctl names a request on a container with this driver takes: request numbers alias
     * between drivers (VFIO_BASE + 17 is DIRTY_PAGES on type1, SPAPR_REGISTER_MEMORY on sPAPR).
     */
    default VfioIoctls.FileKind fileKind() {
        return VfioIoctls.FileKind.CONTAINER;
    }

    /** VFIO_CHECK_EXTENSION on a container that has this driver. */
    int checkExtension(long arg);

    /** The container's ioctls other than the core's three (GET_API_VERSION, CHECK_EXTENSION, SET_IOMMU). */
    int ioctl(long request, UserArg arg, SyscallContext call) throws KernelError;

    /** A group joins the container ({@code attach_group}). */
    void attachGroup(int group) throws KernelError;

    /** A group leaves the container ({@code detach_group}). */
    void detachGroup(int group);

    /** The container drops the driver: its last group left ({@code release}). */
    void release();
}
