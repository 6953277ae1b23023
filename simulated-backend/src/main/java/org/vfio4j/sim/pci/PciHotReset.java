package org.vfio4j.sim.pci;

import static org.vfio4j.uapi.VfioStructs.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vfio4j.Errno;
import org.vfio4j.sim.core.Group;
import org.vfio4j.sim.core.GroupFile;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.OpenFile;
import org.vfio4j.sim.core.Syscall;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.UserArg;

/**
 * The hot (slot or secondary bus) reset of a vfio-pci function ({@code
 * drivers/vfio/pci/vfio_pci_core.c}: {@code vfio_pci_ioctl_get_pci_hot_reset_info}, {@code
 * vfio_pci_ioctl_pci_hot_reset}, {@code vfio_pci_dev_set_hot_reset}, {@code
 * vfio_pci_for_each_slot_or_bus}): which functions share the bus, and the rule that the caller
 * must own every one of them through vfio-pci and pass their group fds.
 */
final class PciHotReset {
    private final PciFunction function;
    private final FunctionSpec spec;
    private final KernelServices kernel;

    PciHotReset(PciFunction function, KernelServices kernel) {
        this.function = function;
        this.spec = function.spec;
        this.kernel = kernel;
    }

    /** {@code pci_parent_bus_reset}: a non-root bus with this function alone on it. */
    boolean aloneOnResettableBus() {
        return spec.address().bus() != 0 && busMates().size() == 1;
    }

    /** Every function of the host on this function's segment and bus ({@code vfio_pci_for_each_slot_or_bus}). */
    private List<PciHost.BusFunction> busMates() {
        return function.host.functionsOnBus(spec.address());
    }

    /** Whether a slot or bus reset exists for this function ({@code pci_probe_reset_slot/bus}): not on the root bus. */
    private boolean busResettable() {
        return spec.address().bus() != 0;
    }

    /** {@code vfio_pci_ioctl_get_pci_hot_reset_info}. */
    int hotResetInfo(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_pci_hot_reset_info.SIZE, "struct vfio_pci_hot_reset_info");
        call.describe(() -> "{argsz=" + argsz + "}");
        if (Integer.compareUnsigned(argsz, vfio_pci_hot_reset_info.SIZE) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below the 12-byte header of struct vfio_pci_hot_reset_info"
                    + " (vfio_pci_ioctl_get_pci_hot_reset_info)");
        }
        if (!busResettable()) {
            throw KernelError.of(Errno.ENODEV, function + " sits on the root bus: there is no slot or secondary bus reset for it"
                    + " (pci_probe_reset_bus in vfio_pci_ioctl_get_pci_hot_reset_info)");
        }
        List<PciHost.BusFunction> affected = busMates();
        arg.checkWritable(0, vfio_pci_hot_reset_info.SIZE, "struct vfio_pci_hot_reset_info");
        arg.putU32(vfio_pci_hot_reset_info.flags, 0);
        int listSize = vfio_pci_dependent_device.SIZE * affected.size();
        if (Integer.toUnsignedLong(argsz) < vfio_pci_hot_reset_info.devices + (long) listSize) {
            arg.putU32(vfio_pci_hot_reset_info.count, affected.size());
            throw KernelError.of(Errno.ENOSPC, "a hot reset of bus " + String.format("%02x", spec.address().bus()) + " affects "
                    + affected.size() + " device(s): argsz must be at least " + (vfio_pci_hot_reset_info.devices + listSize)
                    + "; count says how many (vfio_pci_ioctl_get_pci_hot_reset_info)");
        }
        arg.checkWritable(vfio_pci_hot_reset_info.devices, listSize, "the hot-reset device list");
        int at = vfio_pci_hot_reset_info.devices;
        for (PciHost.BusFunction d : affected) {
            arg.putU32(at + vfio_pci_dependent_device.group_id, d.group());
            arg.putU16(at + vfio_pci_dependent_device.segment, (short) d.address().segment());
            arg.putBytes(at + vfio_pci_dependent_device.bus, new byte[] {(byte) d.address().bus(), // devfn follows bus
                    (byte) (d.address().device() << 3 | d.address().function())});
            at += vfio_pci_dependent_device.SIZE;
        }
        arg.putU32(vfio_pci_hot_reset_info.count, affected.size());
        call.describe(() -> "{argsz=" + argsz + "} -> {count=" + affected.size() + ", devices="
                + affected.stream().map(d -> d.address().toString()).toList() + "}");
        return 0;
    }

    /** {@code vfio_pci_ioctl_pci_hot_reset} and {@code vfio_pci_dev_set_hot_reset} (6.1 order). */
    int hotReset(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_pci_hot_reset.SIZE, "struct vfio_pci_hot_reset");
        int flags = arg.u32(vfio_pci_hot_reset.flags);
        int count = arg.u32(vfio_pci_hot_reset.count);
        call.describe(() -> "{argsz=" + argsz + ", flags=0x" + Integer.toHexString(flags) + ", count=" + Integer.toUnsignedString(count) + "}");
        kernel.faults().enter(Syscall.HOT_RESET);
        if (Integer.compareUnsigned(argsz, vfio_pci_hot_reset.SIZE) < 0 || flags != 0) {
            throw KernelError.of(Errno.EINVAL, (flags != 0 ? "flags 0x" + Integer.toHexString(flags) + " must be 0"
                    : "argsz " + argsz + " is below the 12-byte header") + " (vfio_pci_ioctl_pci_hot_reset)");
        }
        if (count == 0 && kernel.profile().hotResetWantsGroups()) {
            throw KernelError.of(Errno.EINVAL, "an empty group list is for devices opened through their cdev; a device opened"
                    + " through its group names the groups (vfio_pci_ioctl_pci_hot_reset)");
        }
        if (!busResettable()) {
            throw KernelError.of(Errno.ENODEV, function + " sits on the root bus: no slot or bus reset exists (vfio_pci_ioctl_pci_hot_reset)");
        }
        List<PciHost.BusFunction> affected = busMates();
        if (count == 0 || Integer.toUnsignedLong(count) > affected.size()) {
            throw KernelError.of(Errno.EINVAL, "count " + Integer.toUnsignedString(count) + " must be between 1 and the "
                    + affected.size() + " device(s) the reset affects (vfio_pci_ioctl_pci_hot_reset)");
        }
        arg.checkReadable(vfio_pci_hot_reset.group_fds, (long) Integer.BYTES * count, "the group fds");
        List<Group> groups = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int fd = arg.u32(vfio_pci_hot_reset.group_fds + (long) Integer.BYTES * i);
            OpenFile f = kernel.fileOf(fd);
            if (f == null) {
                throw KernelError.of(Errno.EBADF, "group fd " + fd + " (entry " + i + ") is not open (fget in vfio_pci_ioctl_pci_hot_reset)");
            }
            if (!(f instanceof GroupFile g)) {
                throw KernelError.of(Errno.EINVAL, "fd " + fd + " (entry " + i + ") is a " + f.kind() + ", not a VFIO group"
                        + " (vfio_file_is_group in vfio_pci_ioctl_pci_hot_reset)");
            }
            groups.add(g.group);
        }
        for (PciHost.BusFunction d : affected) {
            Optional<PciFunction> f = d.vfio() ? function.host.vfioFunction(d.address()) : Optional.empty();
            if (f.isEmpty()) {
                throw KernelError.of(Errno.EINVAL, d.address() + " on the same bus is driven by "
                        + d.driver().orElse("no driver") + ", not vfio-pci: the reset cannot cover it (vfio_pci_dev_set_resettable)");
            }
            if (groups.stream().noneMatch(g -> g == f.get().group)) {
                throw KernelError.of(Errno.EINVAL, "the reset affects " + d.address() + " in IOMMU group " + f.get().group.id()
                        + ", whose group fd was not passed (vfio_dev_in_groups)");
            }
        }
        for (PciHost.BusFunction d : affected) {
            function.host.vfioFunction(d.address()).ifPresent(f -> f.hw.reset());
        }
        return 0;
    }
}
