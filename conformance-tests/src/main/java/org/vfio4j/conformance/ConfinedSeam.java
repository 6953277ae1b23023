package org.vfio4j.conformance;

import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_PCI_HOT_RESET;
import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_RESET;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_INJECT_ERR;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_OP;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_RESET_FUNDAMENTAL;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_RESET_HOT;
import static org.vfio4j.uapi.VfioUapi.VFIO_GROUP_GET_DEVICE_FD;
import static org.vfio4j.uapi.VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.VfioKernel;

/**
 * A target's seam, confined to what the target names and allows (docs/safety.md): it opens only
 * {@code /dev/vfio/vfio} and the nodes of the named groups, asks for no device but the named ones,
 * and refuses, without reaching the kernel, the {@link DestructiveOperation}s the target does not
 * allow: VFIO_DEVICE_RESET and VFIO_DEVICE_PCI_HOT_RESET on a device, an EEH PE reset or
 * INJECT_ERR, and a config write that turns bus mastering on. Everything else passes unchanged.
 * Each refusal is an {@link OperationRefused}, also told to the {@link RunGuard.Watch} of the
 * property that booted the seam.
 */
final class ConfinedSeam extends ForwardingSeam {
    /** The command register's offset in config space, and its bus-master bit ({@code <linux/pci_regs.h>}: PCI_COMMAND, PCI_COMMAND_MASTER). */
    private static final int PCI_COMMAND = 0x04;
    private static final int PCI_COMMAND_MASTER = 0x4;
    /** A device fd's offset is the region index shifted by 40 ({@code VFIO_PCI_OFFSET_SHIFT} in vfio_pci_priv.h). */
    private static final int OFFSET_SHIFT = 40;
    private static final String CONTAINER_NODE = "/dev/vfio/vfio";

    private final ConformanceTarget target;
    private final RunGuard.Watch watch;
    private final Set<String> nodes = new LinkedHashSet<>();
    /** Numbers GET_DEVICE_FD returned that no handle has adopted yet. */
    private final Set<Integer> deviceNumbers = ConcurrentHashMap.newKeySet();
    /** This seam's handles of group fds and of device fds. */
    private final Set<Fd> groups = Collections.newSetFromMap(new ConcurrentHashMap<>());
    private final Set<Fd> devices = Collections.newSetFromMap(new ConcurrentHashMap<>());

    /** {@code kernel} confined to {@code target}; refusals are told to {@code watch} (null: to nobody). */
    ConfinedSeam(ConformanceTarget target, VfioKernel kernel, RunGuard.Watch watch) {
        super(kernel);
        this.target = target;
        this.watch = watch;
        nodes.add(CONTAINER_NODE);
        for (int g : namedGroups()) {
            nodes.add("/dev/vfio/" + g);
            nodes.add("/dev/vfio/noiommu-" + g);
        }
        if (watch != null) {
            watch.booted(this);
        }
    }

    private Set<Integer> namedGroups() {
        Set<Integer> groups = new LinkedHashSet<>();
        target.devices().forEach(d -> groups.add(d.group()));
        target.nonViableGroup().ifPresent(groups::add);
        return groups;
    }

    private RuntimeException refuse(String what, DestructiveOperation missing, String why) {
        OperationRefused e = new OperationRefused(what, missing, why);
        if (watch != null) {
            watch.refused(e);
        }
        return e;
    }

    private void require(DestructiveOperation operation, String call, Object on) {
        if (!target.allows(operation)) {
            throw refuse(call + " on " + on, operation, null);
        }
    }

    @Override
    public Fd open(String path, int flags) throws VfioException {
        if (!nodes.contains(path)) {
            throw refuse("open " + path, null, "the target names only /dev/vfio/vfio and groups " + namedGroups()
                    + "; a conformance run opens nothing else");
        }
        Fd fd = super.open(path, flags);
        if (!path.equals(CONTAINER_NODE)) {
            groups.add(fd);
        }
        return fd;
    }

    @Override
    public void close(Fd fd) throws VfioException {
        devices.remove(fd);
        groups.remove(fd);
        super.close(fd);
    }

    @Override
    public Fd adopt(int number, String description) throws VfioException {
        Fd fd = super.adopt(number, description);
        if (deviceNumbers.remove(number)) {
            devices.add(fd);
        }
        return fd;
    }

    @Override
    public int ioctl(Fd fd, long request, MemorySegment arg) throws VfioException {
        if (request == VFIO_GROUP_GET_DEVICE_FD && groups.contains(fd)) {
            String name = deviceName(arg);
            if (target.devices().stream().noneMatch(d -> name.startsWith(d.name()))) {
                throw refuse("VFIO_GROUP_GET_DEVICE_FD \"" + name + "\" on " + fd, null,
                        "the target names only devices " + target.devices().stream().map(TargetDevice::name).toList());
            }
            int n = super.ioctl(fd, request, arg);
            deviceNumbers.add(n);
            return n;
        }
        checkDestructive(fd, request, eehOp(arg));
        return super.ioctl(fd, request, arg);
    }

    @Override
    public int ioctl(Fd fd, long request, long value) throws VfioException {
        // a pointer passed by value cannot be read here: an EEH op then needs both permissions its ops can need
        checkDestructive(fd, request, request == VFIO_EEH_PE_OP ? Optional.of(-1) : Optional.empty());
        return super.ioctl(fd, request, value);
    }

    /** Refuses a reset on a device fd, or an EEH PE op ({@code op}; -1: unknown) that resets or injects, when not allowed. */
    private void checkDestructive(Fd fd, long request, Optional<Integer> op) {
        if ((request == VFIO_DEVICE_RESET || request == VFIO_DEVICE_PCI_HOT_RESET) && devices.contains(fd)) {
            require(DestructiveOperation.RESET, request == VFIO_DEVICE_RESET ? "VFIO_DEVICE_RESET" : "VFIO_DEVICE_PCI_HOT_RESET", fd);
        }
        if (request == VFIO_EEH_PE_OP && op.isPresent()) {
            int o = op.get();
            if (o == VFIO_EEH_PE_INJECT_ERR || o == -1) {
                require(DestructiveOperation.EEH_INJECTION, "VFIO_EEH_PE_OP " + (o == -1 ? "(an op passed by value)" : "INJECT_ERR"), fd);
            }
            if (o == VFIO_EEH_PE_RESET_HOT || o == VFIO_EEH_PE_RESET_FUNDAMENTAL || o == -1) {
                require(DestructiveOperation.RESET, "VFIO_EEH_PE_OP " + (o == VFIO_EEH_PE_RESET_HOT ? "RESET_HOT"
                        : o == VFIO_EEH_PE_RESET_FUNDAMENTAL ? "RESET_FUNDAMENTAL" : "(an op passed by value)"), fd);
            }
        }
    }

    /** The op of a {@code struct vfio_eeh_pe_op} (argsz, flags, op), or empty when {@code arg} is too short to hold it. */
    private static Optional<Integer> eehOp(MemorySegment arg) {
        return arg != null && arg.byteSize() >= 12 ? Optional.of(arg.get(ValueLayout.JAVA_INT_UNALIGNED, 8)) : Optional.empty();
    }

    /** The NUL-terminated name GET_DEVICE_FD is given (the whole segment when it has no NUL). */
    private static String deviceName(MemorySegment arg) {
        if (arg == null) {
            return "";
        }
        byte[] bytes = arg.toArray(ValueLayout.JAVA_BYTE);
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    @Override
    public long pwrite(Fd fd, MemorySegment src, long offset) throws VfioException {
        if (devices.contains(fd) && !target.allows(DestructiveOperation.DEVICE_DMA) && turnsBusMasteringOn(fd, src, offset)) {
            throw refuse("a config write turning on bus mastering (PCI_COMMAND_MASTER) on " + fd, DestructiveOperation.DEVICE_DMA, null);
        }
        return super.pwrite(fd, src, offset);
    }

    /** Whether a write of {@code src} at {@code offset} of a device fd sets PCI_COMMAND_MASTER where the command register has it clear. */
    private boolean turnsBusMasteringOn(Fd fd, MemorySegment src, long offset) throws VfioException {
        long config = (long) VFIO_PCI_CONFIG_REGION_INDEX << OFFSET_SHIFT;
        long at = offset - config;
        if (at < 0 || at > PCI_COMMAND || at + src.byteSize() <= PCI_COMMAND) {
            return false;
        }
        if ((src.get(ValueLayout.JAVA_BYTE, PCI_COMMAND - at) & PCI_COMMAND_MASTER) == 0) {
            return false;
        }
        MemorySegment now = MemorySegment.ofArray(new byte[1]);
        pread(fd, now, config + PCI_COMMAND);
        return (now.get(ValueLayout.JAVA_BYTE, 0) & PCI_COMMAND_MASTER) == 0;
    }

    /** Closes every descriptor and mapping of the seam: the kernel releases the devices (and restores them) as at process exit. */
    @Override
    public void close() {
        kernel.close();
        if (watch != null) {
            watch.closed(this);
        }
    }

    @Override
    public String toString() {
        return kernel.name() + " seam confined to " + target.name() + " (" + target.devices() + ")";
    }
}
