package org.vfio4j.sim.core;

import static org.vfio4j.uapi.VfioUapi.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.vfio4j.Errno;
import org.vfio4j.KernelProfile;
import org.vfio4j.uapi.VfioStructs.vfio_group_status;

/**
 * A VFIO group: the state behind {@code /dev/vfio/<id>} ({@code drivers/vfio/group.c}). At most
 * one open file at a time ({@link #opened}); that file stays alive while device fds of the group
 * are open (they hold a reference to it). {@link #containerUsers} counts the group's own
 * attachment plus one per open device fd.
 */
public final class Group {
    private final int id;
    private final boolean viable;
    /** Made when a message first needs it: a test rarely meets a non-viable group's error. */
    private Supplier<String> nonViableReason;
    final boolean noiommu;
    public final List<VfioDevice> devices = new ArrayList<>();
    /** The open group file, or null. */
    GroupFile opened;
    Container container;
    int containerUsers;

    private final KernelServices kernel;

    /**
     * The group with IOMMU group id {@code id}.
     *
     * @param viable          whether every function of the IOMMU group allows viability
     * @param nonViableReason which functions do not, and why (for messages); asked at most once, when first needed
     * @param noiommu         whether it is a no-IOMMU group ({@code /dev/vfio/noiommu-<id>})
     */
    public Group(int id, boolean viable, Supplier<String> nonViableReason, boolean noiommu, KernelServices kernel) {
        this.id = id;
        this.viable = viable;
        this.nonViableReason = nonViableReason;
        this.noiommu = noiommu;
        this.kernel = kernel;
    }

    public int id() {
        return id;
    }

    /** The container the group is attached to, or null. */
    public Container container() {
        return container;
    }

    /** The group's open file, or null. */
    public GroupFile opened() {
        return opened;
    }

    /** The group's own attachment to its container plus one per open device fd of the group. */
    public int containerUsers() {
        return containerUsers;
    }

    public String nodeName() {
        return (noiommu ? "noiommu-" : "") + id();
    }

    public KernelProfile profile() {
        return kernel.profile();
    }

    boolean viable() {
        return viable;
    }

    @Override
    public String toString() {
        return "group " + nodeName();
    }

    /** {@code vfio_group_fops_open}. */
    public void open(GroupFile file) throws KernelError {
        if (noiommu && !kernel.facts().capSysRawio()) {
            throw KernelError.of(Errno.EPERM, "no-IOMMU group " + nodeName() + " can only be opened with CAP_SYS_RAWIO (vfio_group_fops_open)");
        }
        if (opened != null) {
            throw KernelError.of(Errno.EBUSY, "group " + nodeName() + " is already open" + (opened.fdClosed()
                    ? " (its fd was closed, but device fds of the group still hold it)" : "") + "; a group has one open file at a"
                    + " time (vfio_group_fops_open)");
        }
        opened = file;
    }

    /** {@code vfio_group_fops_release}: runs when the group file's last reference goes. */
    void release() {
        if (container != null) {
            detach();
        }
        opened = null;
    }

    private void detach() {
        Container c = container;
        container = null;
        containerUsers = 0;
        c.detachGroup(this);
    }

    /** {@code vfio_group_fops_unl_ioctl}. */
    public int ioctl(long request, UserArg arg, SyscallContext call, GroupFile file) throws KernelError {
        if (request == VFIO_GROUP_GET_STATUS) {
            return getStatus(arg, call);
        } else if (request == VFIO_GROUP_SET_CONTAINER) {
            return setContainer(arg, call);
        } else if (request == VFIO_GROUP_UNSET_CONTAINER) {
            return unsetContainer();
        } else if (request == VFIO_GROUP_GET_DEVICE_FD) {
            return getDeviceFd(arg, call, file);
        }
        throw KernelError.of(Errno.ENOTTY, "group fds have no ioctl 0x" + Long.toHexString(request) + " (vfio_group_fops_unl_ioctl)");
    }

    private int getStatus(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_group_status.SIZE, "struct vfio_group_status");
        if (Integer.compareUnsigned(argsz, vfio_group_status.SIZE) < 0) {
            call.describe(() -> "{argsz=" + argsz + "}");
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below sizeof(struct vfio_group_status) = 8 (vfio_group_ioctl_get_status)");
        }
        int flags = 0;
        if (container != null) {
            flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
        }
        // 6.1: VIABLE whenever a container is set (DMA ownership was claimed at SET_CONTAINER)
        if (viable() || (container != null && kernel.profile().claimsGroupOwnershipAtSetContainer())) {
            flags |= VFIO_GROUP_FLAGS_VIABLE;
        }
        arg.checkWritable(0, vfio_group_status.SIZE, "struct vfio_group_status");
        arg.putU32(vfio_group_status.flags, flags);
        String names = flags == 0 ? "0" : ((flags & 1) != 0 ? "VIABLE" : "") + ((flags & 3) == 3 ? "|" : "")
                + ((flags & 2) != 0 ? "CONTAINER_SET" : "");
        call.describe(() -> "{argsz=" + argsz + "} -> {flags=" + names + "}");
        return 0;
    }

    private int setContainer(UserArg arg, SyscallContext call) throws KernelError {
        arg.checkReadable(0, 4, "the container fd (an s32)");
        int fd = arg.u32(0);
        call.describe(() -> "{container fd " + fd + "}");
        kernel.faults().enter(Syscall.SET_CONTAINER);
        boolean v61 = kernel.profile().claimsGroupOwnershipAtSetContainer();
        if (!v61 && fd < 0) {
            throw KernelError.of(Errno.EINVAL, "container fd " + fd + " is negative (vfio_group_set_container)");
        }
        OpenFile target = kernel.fileOf(fd);
        if (v61 && target == null) {
            throw KernelError.of(Errno.EBADF, "fd " + fd + " is not open (fdget in vfio_group_ioctl_set_container)");
        }
        if (container != null) {
            throw KernelError.of(Errno.EINVAL, "group " + nodeName() + " is already attached to " + container
                    + "; unset it first (vfio_group_set_container)");
        }
        if (!v61 && noiommu && !kernel.facts().capSysRawio()) {
            throw KernelError.of(Errno.EPERM, "no-IOMMU group " + nodeName() + " needs CAP_SYS_RAWIO (vfio_group_set_container)");
        }
        if (target == null) {
            throw KernelError.of(Errno.EBADF, "fd " + fd + " is not open (vfio_group_set_container)");
        }
        if (!(target instanceof ContainerFile cf)) {
            // EINVAL up to 6.1 (verified in the real-kernel lane); EBADFD from 6.2, where
            // vfio_group_ioctl_set_container tries a container, then an iommufd (verified on 6.12)
            throw KernelError.of(kernel.profile().setContainerWithAnotherFdIsEbadfd() ? Errno.EBADFD : Errno.EINVAL, "fd " + fd + " is a " + target.kind()
                    + ", not a VFIO container (/dev/vfio/vfio) (" + (v61 ? "vfio_group_ioctl_set_container" : "vfio_group_set_container") + ")");
        }
        if (v61 && !noiommu && !viable()) {
            // EPERM: another owner already uses the group's DMA (verified on 6.1 in the lane)
            throw KernelError.of(Errno.EPERM, "group " + nodeName() + " is not viable: " + nonViableReason()
                    + "; VFIO cannot claim DMA ownership while a kernel driver uses it (iommu_group_claim_dma_owner in"
                    + " vfio_container_attach_group)");
        }
        cf.container().attachGroup(this);
        container = cf.container();
        containerUsers = 1;
        return 0;
    }

    String nonViableReason() {
        Supplier<String> reason = nonViableReason;
        if (!(reason instanceof Made)) {
            reason = new Made(reason.get());
            nonViableReason = reason;
        }
        return reason.get();
    }

    /** The reason once made. */
    private record Made(String text) implements Supplier<String> {
        @Override
        public String get() {
            return text;
        }
    }

    private int unsetContainer() throws KernelError {
        if (container == null) {
            throw KernelError.of(Errno.EINVAL, "group " + nodeName() + " is not attached to a container (vfio_group_ioctl_unset_container)");
        }
        if (containerUsers != 1) {
            throw KernelError.of(Errno.EBUSY, "group " + nodeName() + " has " + (containerUsers - 1) + " open device fd(s); close them"
                    + " before VFIO_GROUP_UNSET_CONTAINER (vfio_group_ioctl_unset_container)");
        }
        detach();
        return 0;
    }

    private static final Pattern UUID_TEXT = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private int getDeviceFd(UserArg arg, SyscallContext call, GroupFile file) throws KernelError {
        String name = readName(arg);
        call.describe(() -> "\"" + name + "\"");
        kernel.faults().enter(Syscall.GET_DEVICE_FD);
        boolean v61 = kernel.profile().claimsGroupOwnershipAtSetContainer();
        if (!v61) {
            if (container == null || !container.hasIommu() || !viable()) {
                throw KernelError.of(Errno.EINVAL, notReady());
            }
            if (noiommu && !kernel.facts().capSysRawio()) {
                throw KernelError.of(Errno.EPERM, "no-IOMMU devices need CAP_SYS_RAWIO (vfio_group_get_device_fd)");
            }
        }
        VfioDevice device = lookup(name);
        if (v61) {
            if (container == null || !container.hasIommu()) {
                throw KernelError.of(Errno.EINVAL, notReady());
            }
            if (noiommu && !kernel.facts().capSysRawio()) {
                throw KernelError.of(Errno.EPERM, "no-IOMMU devices need CAP_SYS_RAWIO (vfio_group_use_container)");
            }
        }
        return kernel.openDevice(device, file);
    }

    private String notReady() {
        String why = container == null ? "group " + nodeName() + " is not attached to a container"
                : !container.hasIommu() ? container + " has no IOMMU set (VFIO_SET_IOMMU)"
                : "group " + nodeName() + " is not viable: " + nonViableReason();
        return why + "; devices can only be opened from a group in a container with an IOMMU ("
                + (kernel.profile().claimsGroupOwnershipAtSetContainer() ? "vfio_group_use_container" : "vfio_group_get_device_fd") + ")";
    }

    /** {@code strndup_user(arg, PAGE_SIZE)}. */
    private static String readName(UserArg arg) throws KernelError {
        long limit = Math.min(arg.reach(), 4096);
        for (long i = 0; i < limit; i++) {
            if (arg.u8(i) == 0) {
                byte[] b = new byte[(int) i];
                for (int j = 0; j < i; j++) {
                    b[j] = arg.u8(j);
                }
                return new String(b, StandardCharsets.ISO_8859_1);
            }
        }
        if (arg.reach() >= 4096) {
            throw KernelError.of(Errno.EINVAL, "the device name has no NUL within 4096 bytes (strndup_user)");
        }
        throw KernelError.of(Errno.EFAULT, "the device name runs off the end of the argument memory before a NUL (strndup_user)");
    }

    /**
     * {@code vfio_device_get_from_name} with vfio-pci's match: the name starts with the PCI name,
     * optionally followed by a space and {@code vf_token=<uuid>} options.
     */
    private VfioDevice lookup(String name) throws KernelError {
        for (VfioDevice d : devices) {
            String pci = d.address().toString();
            if (!name.startsWith(pci)) {
                continue;
            }
            String rest = name.substring(pci.length());
            if (d.unregistered() && (rest.isEmpty() || rest.charAt(0) == ' ')) {
                // vfio_unregister_group_dev dropped the registration reference and, the last device fd
                // closed, took the device off the group's list: no name matches any more. While an fd is
                // open its reference keeps the device findable (vfio_device_try_get succeeds), so another
                // GET_DEVICE_FD still works then, on a device that answers all ones.
                throw KernelError.of(Errno.ENODEV, d + " was surprise-removed and its last device fd is closed: vfio-pci"
                        + " finished unregistering it, so the group no longer has it (vfio_device_get_from_name)");
            }
            if (rest.isEmpty()) {
                d.matchToken(Optional.empty());
                return d;
            }
            if (rest.charAt(0) != ' ') {
                continue; // "0000:01:00.0x" is simply no match (vfio_pci_core_match)
            }
            Optional<UUID> token = Optional.empty();
            for (String option : rest.trim().split(" +")) {
                if (option.isEmpty()) {
                    continue;
                }
                if (!option.startsWith("vf_token=") || token.isPresent()) {
                    throw KernelError.of(Errno.EINVAL, "device option \"" + option + "\" is unknown or repeated; the only option"
                            + " is vf_token=<uuid>, once (vfio_pci_core_match)");
                }
                if (!UUID_TEXT.matcher(option.substring(9)).matches()) {
                    throw KernelError.of(Errno.EINVAL, "\"" + option.substring(9) + "\" is not a UUID (uuid_parse in vfio_pci_core_match)");
                }
                token = Optional.of(UUID.fromString(option.substring(9)));
            }
            d.matchToken(token);
            return d;
        }
        throw KernelError.of(Errno.ENODEV, "group " + nodeName() + " has no VFIO device named \"" + name + "\"; its vfio-pci devices: "
                + devices.stream().map(d -> d.address().toString()).toList() + " (vfio_device_get_from_name)");
    }
}
