package org.vfio4j.sim.iommu;

import static org.vfio4j.uapi.VfioUapi.VFIO_NOIOMMU_IOMMU;

import org.vfio4j.Errno;
import org.vfio4j.sim.core.HostFacts;
import org.vfio4j.sim.core.IommuDriver;
import org.vfio4j.sim.core.IommuDriverOps;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.UserArg;

/**
 * The no-IOMMU backend of unsafe no-IOMMU mode ({@code vfio_noiommu_ops} in {@code container.c}):
 * no state, no DMA mapping API, nothing to do when groups come and go.
 */
public final class NoIommuDriver implements IommuDriver {
    /** The one instance: the backend has no state. */
    private static final NoIommuDriver INSTANCE = new NoIommuDriver();

    private NoIommuDriver() {}

    /**
     * The no-IOMMU driver as registered with the VFIO core, only in no-IOMMU mode: {@code
     * vfio_noiommu_ioctl}'s CHECK_EXTENSION, and an {@code open} that hands out the one instance.
     */
    public static IommuDriverOps driver(HostFacts host) {
        return new IommuDriverOps() {
            @Override
            public int checkExtension(long arg) {
                return host.noIommu() && arg == VFIO_NOIOMMU_IOMMU ? 1 : 0;
            }

            @Override
            public IommuDriver open(long arg) {
                return INSTANCE;
            }
        };
    }

    @Override
    public String name() {
        return "no-IOMMU";
    }

    @Override
    public int checkExtension(long arg) {
        return arg == VFIO_NOIOMMU_IOMMU ? 1 : 0; // the driver is in use, so it is registered
    }

    @Override
    public int ioctl(long request, UserArg arg, SyscallContext call) throws KernelError {
        throw KernelError.of(Errno.ENOTTY, "the no-IOMMU backend has no ioctls: no DMA mapping without an IOMMU (vfio_noiommu_ioctl)");
    }

    @Override
    public void attachGroup(int group) {
        // vfio_noiommu_attach_group: nothing to set up
    }

    @Override
    public void detachGroup(int group) {
        // vfio_noiommu_detach_group: nothing to tear down
    }

    @Override
    public void release() {
        // vfio_noiommu_release: no state
    }

    @Override
    public String toString() {
        return "vfio-noiommu";
    }
}
