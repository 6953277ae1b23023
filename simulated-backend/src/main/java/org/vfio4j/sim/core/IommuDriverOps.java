package org.vfio4j.sim.core;

/**
 * An IOMMU driver registered with the VFIO core ({@code vfio_register_iommu_driver}): the part of
 * {@code struct vfio_iommu_driver_ops} the core uses before a container has a driver ({@code open},
 * and {@code ioctl(NULL, VFIO_CHECK_EXTENSION)}). The instance {@link #open} returns serves the
 * container from then on.
 */
public interface IommuDriverOps {
    /** VFIO_CHECK_EXTENSION asked of the driver for a container that has no driver yet. */
    int checkExtension(long arg);

    /** A new instance of the driver for a container ({@code open}), for the extension {@code arg}. */
    IommuDriver open(long arg) throws KernelError;
}
