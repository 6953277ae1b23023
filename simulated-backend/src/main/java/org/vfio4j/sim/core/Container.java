package org.vfio4j.sim.core;

import static org.vfio4j.uapi.VfioUapi.*;

import java.util.ArrayList;
import java.util.List;
import org.vfio4j.Errno;

/**
 * A VFIO container, one per open of {@code /dev/vfio/vfio} ({@code drivers/vfio/container.c}): its
 * attached groups and the IOMMU backend chosen with VFIO_SET_IOMMU. It lives while its fd or any
 * attached group holds it; detaching the last group drops the backend and every DMA mapping.
 */
public final class Container {
    public final int id;
    private final KernelServices kernel;
    private final List<Group> groups = new ArrayList<>();
    private boolean noiommu;
    /** The backend, or null before VFIO_SET_IOMMU. */
    private IommuDriver iommu;

    public Container(int id, KernelServices kernel) {
        this.id = id;
        this.kernel = kernel;
    }

    List<Group> groups() {
        return groups;
    }

    public boolean hasIommu() {
        return iommu != null;
    }

    /** The driver VFIO_SET_IOMMU chose, or null before it. */
    public IommuDriver iommu() {
        return iommu;
    }

    @Override
    public String toString() {
        return "container " + id;
    }

    /** {@code vfio_fops_unl_ioctl}. */
    public int ioctl(long request, UserArg arg, SyscallContext call) throws KernelError {
        if (request == VFIO_GET_API_VERSION) {
            return VFIO_API_VERSION;
        }
        if (request == VFIO_CHECK_EXTENSION) {
            call.describe(() -> extensionName(arg.value));
            return checkExtension(arg.value);
        }
        if (request == VFIO_SET_IOMMU) {
            call.describe(() -> extensionName(arg.value));
            kernel.faults().enter(Syscall.SET_IOMMU);
            setIommu(arg.value);
            return 0;
        }
        if (iommu == null) {
            throw KernelError.of(Errno.EINVAL, "container " + id + " has no IOMMU yet: only GET_API_VERSION, CHECK_EXTENSION"
                    + " and SET_IOMMU work before VFIO_SET_IOMMU (vfio_fops_unl_ioctl)");
        }
        return iommu.ioctl(request, arg, call);
    }

    /** Drivers registered with the VFIO core, in list order: type1 (loaded last, listed first), then vfio-noiommu if enabled. */
    private boolean noiommuDriverLoaded() {
        return kernel.facts().noIommu();
    }

    private int noiommuCheckExtension(long arg) {
        return kernel.noIommuDriver().checkExtension(arg);
    }

    /** {@code vfio_container_ioctl_check_extension}. */
    int checkExtension(long arg) {
        if (iommu != null) {
            return iommu.checkExtension(arg);
        }
        // no backend yet: poll the drivers this container may use, first positive answer wins
        boolean filter = !groups.isEmpty();
        if (!filter || !noiommu) {
            for (IommuDriverOps driver : kernel.iommuDrivers()) {
                int r = driver.checkExtension(arg);
                if (r > 0) {
                    return r;
                }
            }
        }
        if (noiommuDriverLoaded() && (!filter || noiommu)) {
            return noiommuCheckExtension(arg);
        }
        return 0;
    }

    /** {@code vfio_ioctl_set_iommu}. */
    private void setIommu(long arg) throws KernelError {
        if (groups.isEmpty()) {
            throw KernelError.of(Errno.EINVAL, "container " + id + " has no group: attach one with VFIO_GROUP_SET_CONTAINER before"
                    + " VFIO_SET_IOMMU (vfio_ioctl_set_iommu)");
        }
        if (iommu != null) {
            throw KernelError.of(Errno.EINVAL, "container " + id + " already has the " + iommuName() + " IOMMU; there is no unset,"
                    + " detach every group to reset it (vfio_ioctl_set_iommu)");
        }
        KernelError last = null;
        for (IommuDriverOps driver : noiommu ? List.<IommuDriverOps>of() : kernel.iommuDrivers()) {
            if (driver.checkExtension(arg) <= 0) {
                continue; // this driver does not offer the extension: ask the next one
            }
            IommuDriver d = null;
            try {
                d = driver.open(arg);
                for (Group g : groups) {
                    d.attachGroup(g.id());
                }
                iommu = d;
                return;
            } catch (KernelError e) {
                if (d != null) {
                    d.release(); // the groups attached so far are detached with the instance
                }
                last = e;
            }
        }
        if (noiommu && noiommuCheckExtension(arg) > 0) {
            if (!kernel.facts().capSysRawio()) {
                last = KernelError.of(Errno.EPERM, "the no-IOMMU backend needs CAP_SYS_RAWIO (vfio_noiommu_open)");
            } else {
                iommu = kernel.noIommuDriver().open(arg);
                return;
            }
        }
        if (last != null) {
            throw last;
        }
        throw KernelError.of(Errno.ENODEV, "no IOMMU driver of container " + id + " offers " + extensionName(arg)
                + (noiommu ? " to no-IOMMU groups" : "") + " (vfio_ioctl_set_iommu)");
    }

    /**
     * {@code vfio_container_attach_group}: the group's SET_CONTAINER. The caller checked that the
     * group is not attached and, for 6.1, claimed DMA ownership (viability).
     */
    void attachGroup(Group g) throws KernelError {
        if (g.noiommu && !kernel.facts().capSysRawio()) {
            throw KernelError.of(Errno.EPERM, "no-IOMMU group " + g.nodeName() + " needs CAP_SYS_RAWIO (vfio_container_attach_group)");
        }
        if (!groups.isEmpty() && noiommu != g.noiommu) {
            throw KernelError.of(Errno.EPERM, "container " + id + " holds " + (noiommu ? "no-IOMMU" : "IOMMU") + " groups and group "
                    + g.nodeName() + " is of the other kind; they cannot mix (vfio_container_attach_group)");
        }
        if (iommu != null) {
            iommu.attachGroup(g.id());
        }
        noiommu = g.noiommu;
        groups.add(0, g); // list_add: newest first
    }

    /** {@code vfio_group_detach_container}: the last group's detach releases the backend. */
    void detachGroup(Group g) {
        if (iommu != null) {
            iommu.detachGroup(g.id());
        }
        groups.remove(g);
        if (groups.isEmpty() && iommu != null) {
            iommu.release();
            iommu = null;
        }
    }

    String iommuName() {
        return iommu == null ? "no" : iommu.name();
    }

    static String extensionName(long arg) {
        return switch ((int) arg) {
            case VFIO_TYPE1_IOMMU -> "VFIO_TYPE1_IOMMU";
            case VFIO_SPAPR_TCE_IOMMU -> "VFIO_SPAPR_TCE_IOMMU";
            case VFIO_TYPE1v2_IOMMU -> "VFIO_TYPE1v2_IOMMU";
            case VFIO_DMA_CC_IOMMU -> "VFIO_DMA_CC_IOMMU";
            case VFIO_EEH -> "VFIO_EEH";
            case VFIO_TYPE1_NESTING_IOMMU -> "VFIO_TYPE1_NESTING_IOMMU";
            case VFIO_SPAPR_TCE_v2_IOMMU -> "VFIO_SPAPR_TCE_v2_IOMMU";
            case VFIO_NOIOMMU_IOMMU -> "VFIO_NOIOMMU_IOMMU";
            case VFIO_UNMAP_ALL -> "VFIO_UNMAP_ALL";
            case VFIO_UPDATE_VADDR -> "VFIO_UPDATE_VADDR";
            default -> "extension " + arg;
        } + (arg != (int) arg ? " (" + arg + ")" : "");
    }
}
