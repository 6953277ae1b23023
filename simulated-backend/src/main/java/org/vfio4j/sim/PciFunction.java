package org.vfio4j.sim;

import static org.vfio4j.PciRegisters.*;
import static org.vfio4j.uapi.VfioStructs.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.vfio4j.Errno;
import org.vfio4j.KernelProfile;
import org.vfio4j.PciAddress;
import org.vfio4j.RegionCapability;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.BarRange;
import org.vfio4j.sim.device.DeviceRegion;
import org.vfio4j.sim.device.Display;
import org.vfio4j.spi.Scalar;

/**
 * A function bound to vfio-pci, as the simulated kernel serves it through device fds
 * ({@code drivers/vfio/pci/vfio_pci_core.c}, {@code vfio_pci_rdwr.c}): device, region and IRQ info
 * with capability chains, region access and mmap, config-space virtualization ({@link
 * VirtualConfig}), reset and hot reset, ioeventfds, VF tokens and the device features of the
 * profile's kernel. The hardware behind it is a {@link PciHardware}.
 */
final class PciFunction {
    static final int NUM_FIXED_REGIONS = VFIO_PCI_NUM_REGIONS;
    static final int IOEVENTFD_MAX = 1000;
    private static final long OFFSET_MASK = (1L << 40) - 1;

    final HostDevice spec;
    final Group group;
    final PciHardware hw;
    private final SimulatedKernel kernel;
    final PciIrqs irqs;
    int openCount;
    VirtualConfig vconfig;
    private boolean resetWorks;
    private byte[] savedState;
    private final List<IoEventFd> ioeventfds = new ArrayList<>();
    private final List<DeviceRegion> regions;
    private final List<MemorySegment> regionMemory = new ArrayList<>();
    /** SR-IOV PF: the VF token (a random UUID at probe) and how many of its VFs are open through vfio-pci. */
    private UUID vfToken;
    private int vfTokenUsers;

    /** One VFIO_DEVICE_IOEVENTFD entry ({@code struct vfio_pci_ioeventfd}). */
    private record IoEventFd(int bar, long pos, long data, int count, EventFdFile eventfd, Runnable trigger) {}

    PciFunction(HostDevice spec, Group group, PciHardware hw, SimulatedKernel kernel) {
        this.spec = spec;
        this.group = group;
        this.hw = hw;
        this.kernel = kernel;
        this.regions = hw.model.regions();
        this.irqs = new PciIrqs(this, kernel);
        for (DeviceRegion r : regions) {
            regionMemory.add(r.handler().isPresent() ? null
                    : kernel.deviceMemory().allocate(Math.max(PciHardware.PAGE, (r.size() + 4095) & -4096L), 4096));
        }
        if (spec.isPhysicalFunction()) {
            vfToken = UUID.randomUUID();
        }
    }

    PciAddress address() {
        return spec.address();
    }

    @Override
    public String toString() {
        return "device " + spec.address();
    }

    private KernelProfile profile() {
        return group.profile();
    }

    int numRegions() {
        return NUM_FIXED_REGIONS + regions.size();
    }

    // ---- open / close (vfio_pci_core_enable / vfio_pci_core_disable) -------------------------

    /** First open enables the device, tries a function reset, saves its state and builds the virtual config. */
    void open() {
        if (openCount++ == 0) {
            int cmd = hw.u16(COMMAND);
            for (Bar b : hw.bars) {
                if (b != null) {
                    cmd |= b.kind() == BarKind.IO ? COMMAND_IO : COMMAND_MEMORY;
                }
            }
            hw.put(COMMAND, 2, cmd);
            hw.powerState = PciHardware.PCI_D0;
            resetWorks = spec.resettable() || hw.functionResettable() || aloneOnResettableBus();
            if (resetWorks) {
                hw.reset();
            }
            savedState = hw.save();
            vconfig = new VirtualConfig(hw, profile(), resetHooks(), irqs);
            physicalFunction().ifPresent(pf -> pf.vfTokenUsers++);
        }
    }

    /** Last close: ioeventfds go, the device is reset if it can be and its saved state restored. */
    void close() {
        if (--openCount == 0) {
            irqs.teardown();
            for (IoEventFd e : ioeventfds) {
                e.eventfd().virqfds.remove(e.trigger());
            }
            ioeventfds.clear();
            dmabufs.clear();
            vconfig = null;
            if (resetWorks) {
                hw.reset();
            }
            hw.restore(savedState);
            hw.put(COMMAND, 2, hw.u16(COMMAND) & ~COMMAND_MASTER); // bus master off
            physicalFunction().ifPresent(pf -> pf.vfTokenUsers--);
        }
    }

    private VirtualConfig.FunctionReset resetHooks() {
        return new VirtualConfig.FunctionReset() {
            @Override
            public void flr() {
                hw.reset();
            }

            @Override
            public void powerState(int state) {
                int pm = hw.capability(CAP_ID_PM);
                boolean softReset = pm >= 0 && (hw.u16(pm + PM_CTRL) & PM_CTRL_NO_SOFT_RESET) == 0;
                if (hw.powerState == PciHardware.PCI_D3HOT && state == PciHardware.PCI_D0 && softReset) {
                    hw.reset(); // D3hot -> D0 without No_Soft_Reset: the function comes back reset
                }
                hw.powerState = state;
                if (pm >= 0) {
                    hw.put(pm + PM_CTRL, 2, hw.u16(pm + PM_CTRL) & ~PM_CTRL_STATE_MASK | state);
                }
            }
        };
    }

    /** The PF of this VF when the PF is itself driven by vfio-pci. */
    private Optional<PciFunction> physicalFunction() {
        return spec.physicalFunction().flatMap(kernel::vfioFunction);
    }

    /** {@code pci_parent_bus_reset}: a non-root bus with this function alone on it. */
    private boolean aloneOnResettableBus() {
        return spec.address().bus() != 0 && busMates().size() == 1;
    }

    /** Every function of the host on this function's segment and bus ({@code vfio_pci_for_each_slot_or_bus}). */
    private List<HostDevice> busMates() {
        List<HostDevice> out = new ArrayList<>();
        for (HostGroup g : kernel.host().groups()) {
            for (HostDevice d : g.devices()) {
                if (d.address().segment() == spec.address().segment() && d.address().bus() == spec.address().bus()) {
                    out.add(d);
                }
            }
        }
        return out;
    }

    // ---- ioctls ---------------------------------------------------------------------------------

    int ioctl(long request, UserArg arg, SyscallContext call) throws KernelError {
        if (request == VFIO_DEVICE_GET_INFO) {
            return getInfo(arg, call);
        } else if (request == VFIO_DEVICE_GET_REGION_INFO) {
            return getRegionInfo(arg, call);
        } else if (request == VFIO_DEVICE_GET_IRQ_INFO) {
            return getIrqInfo(arg, call);
        } else if (request == VFIO_DEVICE_RESET) {
            return reset(call);
        } else if (request == VFIO_DEVICE_GET_PCI_HOT_RESET_INFO) {
            return hotResetInfo(arg, call);
        } else if (request == VFIO_DEVICE_PCI_HOT_RESET) {
            return hotReset(arg, call);
        } else if (request == VFIO_DEVICE_IOEVENTFD) {
            return ioeventfd(arg, call);
        } else if (request == VFIO_DEVICE_FEATURE) {
            return feature(arg, call);
        } else if (request == VFIO_DEVICE_QUERY_GFX_PLANE || request == VFIO_DEVICE_GET_GFX_DMABUF) {
            Optional<Display> display = hw.model.display();
            if (display.isEmpty()) {
                throw KernelError.of(Errno.ENOTTY, this + " has no display: QUERY_GFX_PLANE and GET_GFX_DMABUF belong to mediated"
                        + " display drivers (vfio_pci_core_ioctl falls through to -ENOTTY)");
            }
            return request == VFIO_DEVICE_QUERY_GFX_PLANE ? queryGfxPlane(display.get(), arg, call) : gfxDmabuf(display.get(), arg, call);
        } else if (request == VFIO_DEVICE_SET_IRQS) {
            return irqs.setIrqs(arg, call);
        }
        throw KernelError.of(Errno.ENOTTY, "device fds have no ioctl 0x" + Long.toHexString(request) + " (vfio_pci_core_ioctl)");
    }

    /** {@code vfio_pci_ioctl_get_info}. */
    private int getInfo(UserArg arg, SyscallContext call) throws KernelError {
        int minsz = vfio_device_info.num_irqs + Integer.BYTES; // offsetofend(num_irqs)
        int argsz = arg.copyIn(minsz, "struct vfio_device_info");
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            call.describe(() -> "{argsz=" + argsz + "}");
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below the 16 bytes of struct vfio_device_info up to num_irqs"
                    + " (vfio_pci_ioctl_get_info)");
        }
        // 6.1 copies min(argsz, sizeof) bytes of a zeroed struct: cap_offset (0 without caps) too
        int copyBack = profile().isAtLeast61() ? (int) Math.min(Integer.toUnsignedLong(argsz), vfio_device_info.SIZE) : minsz;
        int flags = VFIO_DEVICE_FLAGS_PCI | (resetWorks ? VFIO_DEVICE_FLAGS_RESET : 0);
        arg.checkWritable(0, copyBack, "struct vfio_device_info");
        MemorySegment o = MemorySegment.ofArray(new byte[vfio_device_info.SIZE]);
        o.set(ValueLayout.JAVA_INT_UNALIGNED, vfio_device_info.argsz, argsz);
        o.set(ValueLayout.JAVA_INT_UNALIGNED, vfio_device_info.flags, flags);
        o.set(ValueLayout.JAVA_INT_UNALIGNED, vfio_device_info.num_regions, numRegions());
        o.set(ValueLayout.JAVA_INT_UNALIGNED, vfio_device_info.num_irqs, VFIO_PCI_NUM_IRQS);
        arg.putBytes(0, o.asSlice(0, copyBack).toArray(ValueLayout.JAVA_BYTE));
        call.describe(() -> "{argsz=" + argsz + "} -> {flags=" + (resetWorks ? "PCI|RESET" : "PCI") + ", num_regions="
                + numRegions() + ", num_irqs=" + VFIO_PCI_NUM_IRQS + "}");
        return 0;
    }

    /** Whether vfio-pci can mmap this BAR ({@code vfio_pci_probe_mmaps}): a memory BAR of a page or more, or page aligned. */
    private boolean barMmappable(int index) {
        Bar b = hw.bars[index];
        if (b == null || !b.kind().isMemory()) {
            return false;
        }
        return b.size() >= PciHardware.PAGE || (hw.barAddress[index] & (PciHardware.PAGE - 1)) == 0;
    }

    /** The size the ROM region reports: the BAR size if {@code pci_map_rom} finds an image (0x55aa), else 0. */
    private long romRegionSize() {
        return hw.rom.filter(r -> r.image().length >= 2 && (r.image()[0] & 0xff) == 0x55 && (r.image()[1] & 0xff) == 0xaa)
                .map(r -> r.size()).orElse(0L);
    }

    /** {@code vfio_pci_ioctl_get_region_info}: fixed 32 bytes, then the capability chain if argsz allows. */
    private int getRegionInfo(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_region_info.SIZE, "struct vfio_region_info");
        int index = arg.u32(vfio_region_info.index);
        call.describe(() -> "{argsz=" + argsz + ", index=" + TraceText.regionName(Integer.toUnsignedLong(index)) + "}");
        if (Integer.compareUnsigned(argsz, vfio_region_info.SIZE) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below sizeof(struct vfio_region_info) = 32"
                    + " (vfio_pci_ioctl_get_region_info)");
        }
        long size;
        int flags;
        List<RegionCapability> caps = new ArrayList<>();
        if (index >= VFIO_PCI_BAR0_REGION_INDEX && index <= VFIO_PCI_BAR5_REGION_INDEX) {
            Bar b = hw.bars[index];
            size = b == null ? 0 : b.size();
            flags = size == 0 ? 0 : VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
            if (barMmappable(index)) {
                flags |= VFIO_REGION_INFO_FLAG_MMAP;
                if (index == hw.msixBar) {
                    caps.add(new RegionCapability.MsixMappable());
                }
            }
        } else if (index == VFIO_PCI_ROM_REGION_INDEX) {
            size = romRegionSize();
            flags = size == 0 ? 0 : VFIO_REGION_INFO_FLAG_READ;
        } else if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
            size = hw.cfgSize;
            flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        } else if (index == VFIO_PCI_VGA_REGION_INDEX) {
            if (!hw.vga) {
                throw KernelError.of(Errno.EINVAL, this + " is not a VGA device (class 0x0300xx): no VGA region"
                        + " (vfio_pci_ioctl_get_region_info)");
            }
            size = 0xc0000;
            flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        } else if (Integer.compareUnsigned(index, numRegions()) < 0) {
            DeviceRegion r = regions.get(index - NUM_FIXED_REGIONS);
            size = r.size();
            flags = VFIO_REGION_INFO_FLAG_READ | (r.writable() ? VFIO_REGION_INFO_FLAG_WRITE : 0)
                    | (r.mmappable() ? VFIO_REGION_INFO_FLAG_MMAP : 0);
            caps.add(new RegionCapability.Type(r.type(), r.subtype()));
            caps.addAll(r.capabilities());
        } else {
            throw KernelError.of(Errno.EINVAL, "region index " + Integer.toUnsignedString(index) + " is not below num_regions "
                    + numRegions() + " (vfio_pci_ioctl_get_region_info)");
        }
        arg.checkWritable(0, vfio_region_info.SIZE, "struct vfio_region_info");
        long offset = (long) index << 40;
        int capsSize = 0;
        for (RegionCapability c : caps) {
            capsSize += vfio_info_cap_header.SIZE + c.body().length;
        }
        int needed = vfio_region_info.SIZE + capsSize;
        int written = flags;
        boolean chainFits = Integer.compareUnsigned(argsz, needed) >= 0;
        if (capsSize > 0) {
            written |= VFIO_REGION_INFO_FLAG_CAPS;
            if (!chainFits) {
                arg.putU32(vfio_region_info.argsz, needed); // argsz grows to what the chain needs; cap_offset 0
                arg.putU32(vfio_region_info.cap_offset, 0);
            } else {
                int chainAt = vfio_region_info.SIZE; // the chain follows the struct
                arg.checkWritable(chainAt, capsSize, "the region capability chain");
                int at = chainAt;
                for (int i = 0; i < caps.size(); i++) {
                    RegionCapability c = caps.get(i);
                    byte[] body = c.body();
                    int next = i + 1 < caps.size() ? at + vfio_info_cap_header.SIZE + body.length : 0;
                    arg.putU16(at + vfio_info_cap_header.id, (short) c.id());
                    arg.putU16(at + vfio_info_cap_header.version, (short) c.version());
                    arg.putU32(at + vfio_info_cap_header.next, next);
                    arg.putBytes(at + vfio_info_cap_header.SIZE, body);
                    at += vfio_info_cap_header.SIZE + body.length;
                }
                arg.putU32(vfio_region_info.cap_offset, chainAt);
            }
        }
        // without capabilities cap_offset goes back as the caller sent it (verified on 6.1)
        arg.putU32(vfio_region_info.flags, written);
        arg.putU64(vfio_region_info.size, size);
        arg.putU64(vfio_region_info.offset, offset);
        int shownFlags = written;
        // with a chain, what came back: the grown argsz and cap_offset 0, or the chain at offset 32
        String chain = caps.isEmpty() ? "" : chainFits ? ", cap_offset=32, caps=" + caps : ", cap_offset=0";
        call.describe(() -> "{argsz=" + argsz + ", index=" + TraceText.regionName(index) + "} -> {"
                + (caps.isEmpty() || chainFits ? "" : "argsz=" + needed + ", ") + "flags="
                + TraceText.regionInfoFlags(shownFlags) + ", size=0x" + Long.toHexString(size) + ", offset=0x" + Long.toHexString(offset)
                + chain + "}");
        return 0;
    }

    /** {@code vfio_pci_ioctl_get_irq_info} with {@code vfio_pci_get_irq_count}: counts from the hardware registers. */
    private int getIrqInfo(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_irq_info.SIZE, "struct vfio_irq_info");
        int index = arg.u32(vfio_irq_info.index);
        call.describe(() -> "{argsz=" + argsz + ", index=" + TraceText.irqIndex(Integer.toUnsignedLong(index)) + "}");
        if (Integer.compareUnsigned(argsz, vfio_irq_info.SIZE) < 0 || Integer.compareUnsigned(index, VFIO_PCI_NUM_IRQS) >= 0) {
            throw KernelError.of(Errno.EINVAL, Integer.compareUnsigned(argsz, vfio_irq_info.SIZE) < 0
                    ? "argsz " + argsz + " is below sizeof(struct vfio_irq_info) = 16 (vfio_pci_ioctl_get_irq_info)"
                    : "IRQ index " + Integer.toUnsignedString(index) + " is not below " + VFIO_PCI_NUM_IRQS + " (vfio_pci_ioctl_get_irq_info)");
        }
        if (index == VFIO_PCI_ERR_IRQ_INDEX && !hw.isPcie()) {
            throw KernelError.of(Errno.EINVAL, "the ERR IRQ index exists only on PCI Express functions; " + this
                    + " has no PCI Express capability (vfio_pci_ioctl_get_irq_info)");
        }
        int flags = VFIO_IRQ_INFO_EVENTFD | (index == VFIO_PCI_INTX_IRQ_INDEX
                ? VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED : VFIO_IRQ_INFO_NORESIZE);
        int count = irqCount(index);
        arg.checkWritable(0, vfio_irq_info.SIZE, "struct vfio_irq_info");
        arg.putU32(vfio_irq_info.flags, flags);
        arg.putU32(vfio_irq_info.count, count);
        call.describe(() -> "{argsz=" + argsz + ", index=" + TraceText.irqIndex(index) + "} -> {flags=" + TraceText.irqInfoFlags(flags)
                + ", count=" + count + "}");
        return 0;
    }

    int irqCount(int index) {
        return switch (index) {
            case VFIO_PCI_INTX_IRQ_INDEX -> spec.isVirtualFunction() || hw.u8(INTERRUPT_PIN) == 0 ? 0 : 1;
            case VFIO_PCI_MSI_IRQ_INDEX -> {
                int msi = hw.capability(CAP_ID_MSI);
                yield msi < 0 ? 0 : 1 << ((hw.u16(msi + MSI_FLAGS) & MSI_FLAGS_QMASK) >> 1);
            }
            case VFIO_PCI_MSIX_IRQ_INDEX -> {
                int msix = hw.capability(CAP_ID_MSIX);
                yield msix < 0 ? 0 : (hw.u16(msix + MSIX_FLAGS) & MSIX_FLAGS_QSIZE) + 1;
            }
            case VFIO_PCI_ERR_IRQ_INDEX -> hw.isPcie() ? 1 : 0;
            default -> 1;
        };
    }

    /** {@code vfio_pci_ioctl_reset}. */
    private int reset(SyscallContext call) throws KernelError {
        if (!resetWorks) {
            throw KernelError.of(Errno.EINVAL, this + " has no function reset: no FLR (PCIe or AF capability), no PM reset"
                    + " (PM capability with No_Soft_Reset clear) and not alone on a non-root bus, so VFIO_DEVICE_FLAGS_RESET is"
                    + " clear (vfio_pci_ioctl_reset)");
        }
        call.describe(() -> "reset " + spec.address());
        kernel.faultPlan().enter(Call.RESET);
        if (hw.removed) {
            // the FLR is sent, but the function never answers again: pci_dev_wait gives up (pci_try_reset_function)
            throw KernelError.of(Errno.ENOTTY, this + " was surprise-removed: after the reset its config space reads all ones,"
                    + " so the PCI core gives up waiting for it (pci_dev_wait in pci_try_reset_function)");
        }
        hw.powerState = 0;
        hw.reset();
        return 0;
    }

    // ---- hot reset ------------------------------------------------------------------------------

    /** Whether a slot or bus reset exists for this function ({@code pci_probe_reset_slot/bus}): not on the root bus. */
    private boolean busResettable() {
        return spec.address().bus() != 0;
    }

    /** {@code vfio_pci_ioctl_get_pci_hot_reset_info}. */
    private int hotResetInfo(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_pci_hot_reset_info.SIZE, "struct vfio_pci_hot_reset_info");
        call.describe(() -> "{argsz=" + argsz + "}");
        if (Integer.compareUnsigned(argsz, vfio_pci_hot_reset_info.SIZE) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below the 12-byte header of struct vfio_pci_hot_reset_info"
                    + " (vfio_pci_ioctl_get_pci_hot_reset_info)");
        }
        if (!busResettable()) {
            throw KernelError.of(Errno.ENODEV, this + " sits on the root bus: there is no slot or secondary bus reset for it"
                    + " (pci_probe_reset_bus in vfio_pci_ioctl_get_pci_hot_reset_info)");
        }
        List<HostDevice> affected = busMates();
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
        for (HostDevice d : affected) {
            arg.putU32(at + vfio_pci_dependent_device.group_id, kernel.groupIdOf(d.address()));
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
    private int hotReset(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_pci_hot_reset.SIZE, "struct vfio_pci_hot_reset");
        int flags = arg.u32(vfio_pci_hot_reset.flags);
        int count = arg.u32(vfio_pci_hot_reset.count);
        call.describe(() -> "{argsz=" + argsz + ", flags=0x" + Integer.toHexString(flags) + ", count=" + Integer.toUnsignedString(count) + "}");
        kernel.faultPlan().enter(Call.HOT_RESET);
        if (Integer.compareUnsigned(argsz, vfio_pci_hot_reset.SIZE) < 0 || flags != 0) {
            throw KernelError.of(Errno.EINVAL, (flags != 0 ? "flags 0x" + Integer.toHexString(flags) + " must be 0"
                    : "argsz " + argsz + " is below the 12-byte header") + " (vfio_pci_ioctl_pci_hot_reset)");
        }
        if (!busResettable()) {
            throw KernelError.of(Errno.ENODEV, this + " sits on the root bus: no slot or bus reset exists (vfio_pci_ioctl_pci_hot_reset)");
        }
        List<HostDevice> affected = busMates();
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
        for (HostDevice d : affected) {
            Optional<PciFunction> f = d.isVfioDevice() ? kernel.vfioFunction(d.address()) : Optional.empty();
            if (f.isEmpty()) {
                throw KernelError.of(Errno.EINVAL, d.address() + " on the same bus is driven by "
                        + d.driver().orElse("no driver") + ", not vfio-pci: the reset cannot cover it (vfio_pci_dev_set_resettable)");
            }
            if (groups.stream().noneMatch(g -> g == f.get().group)) {
                throw KernelError.of(Errno.EINVAL, "the reset affects " + d.address() + " in IOMMU group " + f.get().group.id()
                        + ", whose group fd was not passed (vfio_dev_in_groups)");
            }
        }
        for (HostDevice d : affected) {
            kernel.vfioFunction(d.address()).ifPresent(f -> f.hw.reset());
        }
        return 0;
    }

    // ---- VF token and device features -----------------------------------------------------------

    /** {@code vfio_pci_validate_vf_token}, at GET_DEVICE_FD time. */
    void validateVfToken(Optional<UUID> token) throws KernelError {
        if (spec.isVirtualFunction()) {
            Optional<PciFunction> pf = physicalFunction();
            if (pf.isEmpty()) {
                if (token.isPresent()) {
                    throw KernelError.of(Errno.EINVAL, "a VF token was given for " + spec.address() + ", whose PF "
                            + spec.physicalFunction().get() + " is not bound to vfio-pci (vfio_pci_validate_vf_token)");
                }
                return;
            }
            if (token.isEmpty()) {
                throw KernelError.of(Errno.EACCES, spec.address() + " is a VF of " + pf.get().address() + ", which vfio-pci drives:"
                        + " a vf_token=<uuid> matching the PF's token is required (vfio_pci_validate_vf_token)");
            }
            if (!token.get().equals(pf.get().vfToken)) {
                throw KernelError.of(Errno.EACCES, "the VF token does not match the one set on PF " + pf.get().address()
                        + " (vfio_pci_validate_vf_token)");
            }
        } else if (vfToken != null) {
            if (vfTokenUsers > 0) {
                if (token.isEmpty() || !token.get().equals(vfToken)) {
                    throw KernelError.of(Errno.EACCES, spec.address() + " is a PF with " + vfTokenUsers + " VF(s) open: the current"
                            + " VF token must be given " + (token.isEmpty() ? "(none was)" : "(a different one was)")
                            + " (vfio_pci_validate_vf_token)");
                }
            } else if (token.isPresent()) {
                vfToken = token.get(); // a PF without VF users: the token given sets it
            }
        } else if (token.isPresent()) {
            throw KernelError.of(Errno.EINVAL, "a VF token was given for " + spec.address() + ", which is neither an SR-IOV PF nor a VF"
                    + " (vfio_pci_validate_vf_token)");
        }
    }

    /** {@code vfio_ioctl_device_feature} (6.1) or the 5.7 FEATURE branch of {@code vfio_pci_ioctl}. */
    private int feature(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_device_feature.SIZE, "struct vfio_device_feature");
        int flags = arg.u32(vfio_device_feature.flags);
        int index = flags & VFIO_DEVICE_FEATURE_MASK;
        boolean get = (flags & VFIO_DEVICE_FEATURE_GET) != 0;
        boolean set = (flags & VFIO_DEVICE_FEATURE_SET) != 0;
        boolean probe = (flags & VFIO_DEVICE_FEATURE_PROBE) != 0;
        call.describe(() -> "{argsz=" + argsz + ", flags=0x" + Integer.toHexString(flags) + "}");
        if (Integer.compareUnsigned(argsz, vfio_device_feature.SIZE) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below the 8-byte header of struct vfio_device_feature"
                    + " (vfio_ioctl_device_feature)");
        }
        if ((flags & ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE)) != 0) {
            throw KernelError.of(Errno.EINVAL, "flags 0x" + Integer.toHexString(flags) + " has bits other than the feature index,"
                    + " GET, SET and PROBE (vfio_ioctl_device_feature)");
        }
        if (!probe && get && set) {
            throw KernelError.of(Errno.EINVAL, "GET and SET together need PROBE (vfio_ioctl_device_feature)");
        }
        long dataSize = Integer.toUnsignedLong(argsz) - vfio_device_feature.data;
        boolean v61 = profile().isAtLeast61();
        if (v61 && (index == 3 || index == 4 || index == 5)) {
            // the low-power features of 6.0+ vfio-pci: SET only, no payload except ENTRY_WITH_WAKEUP's eventfd
            int payload = index == 4 ? vfio_device_low_power_entry_with_wakeup.SIZE : 0;
            int result = checkFeature(flags, dataSize, payload, "low-power feature " + index);
            if (result == 1 && index == 4) {
                int at = vfio_device_feature.data;
                arg.checkReadable(at, payload, "struct vfio_device_low_power_entry_with_wakeup");
                int efd = arg.u32(at + vfio_device_low_power_entry_with_wakeup.wakeup_eventfd);
                if (arg.u32(at + vfio_device_low_power_entry_with_wakeup.reserved) != 0) {
                    throw KernelError.of(Errno.EINVAL, "reserved must be 0 (vfio_pci_core_pm_entry_with_wakeup)");
                }
                OpenFile f = kernel.fileOf(efd);
                if (f == null) {
                    throw KernelError.of(Errno.EBADF, "wakeup eventfd " + efd + " is not open (eventfd_ctx_fdget)");
                }
                if (!(f instanceof EventFdFile)) {
                    throw KernelError.of(Errno.EINVAL, "fd " + efd + " is a " + f.kind() + ", not an eventfd (eventfd_ctx_fdget)");
                }
            }
            return 0;
        }
        if (index != VFIO_DEVICE_FEATURE_PCI_VF_TOKEN) {
            throw KernelError.of(Errno.ENOTTY, "device feature " + index + " is not offered by vfio-pci on " + this
                    + (v61 ? " (vfio_pci_core_ioctl_feature; 1-2 migration need a migration driver)" : " (vfio_pci_ioctl)"));
        }
        if (vfToken == null) {
            throw KernelError.of(Errno.ENOTTY, "PCI_VF_TOKEN applies to SR-IOV PFs; " + this + " has no SR-IOV capability"
                    + " (vfio_pci_core_feature_token)");
        }
        if (checkFeature(flags, dataSize, 16, "PCI_VF_TOKEN") == 0) {
            return 0;
        }
        arg.checkReadable(vfio_device_feature.data, 16, "the VF token UUID");
        long hi = Long.reverseBytes(arg.u64(vfio_device_feature.data));
        long lo = Long.reverseBytes(arg.u64(vfio_device_feature.data + Long.BYTES));
        vfToken = new UUID(hi, lo);
        return 0;
    }

    /** {@code vfio_check_feature} for SET-only features: 0 answers a PROBE, 1 means go on. */
    private static int checkFeature(int flags, long dataSize, long minsz, String what) throws KernelError {
        if ((flags & VFIO_DEVICE_FEATURE_GET) != 0) {
            throw KernelError.of(Errno.EINVAL, what + " cannot be read back: only SET (and PROBE) are supported (vfio_check_feature)");
        }
        if ((flags & VFIO_DEVICE_FEATURE_PROBE) != 0) {
            return 0;
        }
        if ((flags & VFIO_DEVICE_FEATURE_SET) == 0) {
            throw KernelError.of(Errno.EINVAL, "without PROBE one of GET or SET must be requested (vfio_check_feature)");
        }
        if (dataSize < minsz) {
            throw KernelError.of(Errno.EINVAL, what + " needs " + minsz + " bytes of data after the header, argsz gives "
                    + dataSize + " (vfio_check_feature)");
        }
        return 1;
    }

    // ---- display (mediated display drivers; mbochs's rules) ----------------------------------------

    /** dma-buf ids handed out, one per distinct plane layout ({@code mbochs_dmabuf_find}/{@code _alloc}). */
    private final List<Display.Plane> dmabufs = new ArrayList<>();

    private int dmabufId(Display.Plane p) {
        for (int i = 0; i < dmabufs.size(); i++) {
            Display.Plane q = dmabufs.get(i);
            if (q.drmFormat() == p.drmFormat() && q.width() == p.width() && q.height() == p.height() && q.stride() == p.stride()
                    && q.pixels().address() == p.pixels().address()) {
                return i;
            }
        }
        dmabufs.add(p);
        return dmabufs.size() - 1;
    }

    /** {@code mbochs_query_gfx_plane}: PROBE answers for the one export type; a disabled plane is zeros. */
    private int queryGfxPlane(Display display, UserArg arg, SyscallContext call) throws KernelError {
        int minsz = vfio_device_gfx_plane_info.dmabuf_id + Integer.BYTES; // offsetofend(struct vfio_device_gfx_plane_info, dmabuf_id)
        int argsz = arg.copyIn(minsz, "struct vfio_device_gfx_plane_info");
        int flags = arg.u32(vfio_device_gfx_plane_info.flags);
        int type = arg.u32(vfio_device_gfx_plane_info.drm_plane_type);
        call.describe(() -> "{argsz=" + argsz + ", flags=0x" + Integer.toHexString(flags) + ", drm_plane_type=" + type + "}");
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below the 60 bytes up to dmabuf_id");
        }
        int export = display.export() == Display.Export.DMABUF ? VFIO_GFX_PLANE_TYPE_DMABUF : VFIO_GFX_PLANE_TYPE_REGION;
        String exportName = display.export() == Display.Export.DMABUF ? "DMABUF" : "REGION";
        if ((flags & VFIO_GFX_PLANE_TYPE_PROBE) != 0) {
            if (flags == (VFIO_GFX_PLANE_TYPE_PROBE | export)) {
                return 0;
            }
            throw KernelError.of(Errno.EINVAL, "PROBE answers 0 only for PROBE|" + exportName + ": this display exports planes as "
                    + exportName + " (mbochs_query_gfx_plane)");
        }
        if (flags != export) {
            throw KernelError.of(Errno.EINVAL, "flags must be exactly " + exportName + " (0x" + Integer.toHexString(export)
                    + ") for a query (mbochs_query_gfx_plane)");
        }
        arg.checkWritable(0, minsz, "struct vfio_device_gfx_plane_info");
        Optional<Display.Plane> plane = display.plane(type);
        arg.putU64(vfio_device_gfx_plane_info.drm_format_mod, plane.map(Display.Plane::drmFormatModifier).orElse(0L));
        arg.putU32(vfio_device_gfx_plane_info.x_pos, plane.map(Display.Plane::xPos).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.y_pos, plane.map(Display.Plane::yPos).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.x_hot, plane.map(Display.Plane::xHot).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.y_hot, plane.map(Display.Plane::yHot).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.drm_format, plane.map(Display.Plane::drmFormat).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.width, plane.map(Display.Plane::width).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.height, plane.map(Display.Plane::height).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.stride, plane.map(Display.Plane::stride).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.size, (int) plane.map(Display.Plane::size).orElse(0L).longValue());
        int id = plane.isEmpty() ? 0 : display.export() == Display.Export.DMABUF ? dmabufId(plane.get()) : plane.get().regionIndex();
        arg.putU32(vfio_device_gfx_plane_info.dmabuf_id, id); // region_index when the plane is in a region: they share a union
        call.describe(() -> "{flags=" + exportName + ", drm_plane_type=" + type + "} -> " + plane.map(p -> p.width() + "x" + p.height()
                + " format 0x" + Integer.toHexString(p.drmFormat()) + ", id " + id).orElse("plane disabled"));
        return 0;
    }

    /** {@code mbochs_get_gfx_dmabuf}: a new dma-buf fd for an id a query returned. */
    private int gfxDmabuf(Display display, UserArg arg, SyscallContext call) throws KernelError {
        arg.checkReadable(0, 4, "the dmabuf_id (u32)");
        int id = arg.u32(0);
        call.describe(() -> "{dmabuf_id=" + Integer.toUnsignedString(id) + "}");
        if (display.export() != Display.Export.DMABUF) {
            throw KernelError.of(Errno.ENOTTY, "this display exports planes in a region, not as dma-bufs");
        }
        if (id < 0 || id >= dmabufs.size()) {
            throw KernelError.of(Errno.ENOENT, "no dma-buf has id " + Integer.toUnsignedString(id) + "; ids come from"
                    + " VFIO_DEVICE_QUERY_GFX_PLANE (mbochs_get_gfx_dmabuf)");
        }
        return kernel.installDmaBuf(new DmaBufFile(dmabufs.get(id).pixels(), id));
    }

    // ---- ioeventfd ------------------------------------------------------------------------------

    /** {@code vfio_pci_ioctl_ioeventfd} and {@code vfio_pci_ioeventfd}. */
    private int ioeventfd(UserArg arg, SyscallContext call) throws KernelError {
        int minsz = vfio_device_ioeventfd.fd + Integer.BYTES; // offsetofend(fd)
        int argsz = arg.copyIn(minsz, "struct vfio_device_ioeventfd");
        int flags = arg.u32(vfio_device_ioeventfd.flags);
        long offset = arg.u64(vfio_device_ioeventfd.offset);
        long data = arg.u64(vfio_device_ioeventfd.data);
        int fd = arg.u32(vfio_device_ioeventfd.fd);
        call.describe(() -> String.format("{argsz=%d, flags=%s, offset=%s, data=0x%x, fd=%d}", argsz, TraceText.ioeventfdFlags(flags),
                TraceText.regionOffset(offset), data, fd));
        kernel.faultPlan().enter(Call.IOEVENTFD);
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below offsetofend(struct vfio_device_ioeventfd, fd) = 28"
                    + " (vfio_pci_ioctl_ioeventfd)");
        }
        if ((flags & ~VFIO_DEVICE_IOEVENTFD_SIZE_MASK) != 0) {
            throw KernelError.of(Errno.EINVAL, "flags 0x" + Integer.toHexString(flags) + " has bits beyond the size mask 0xf"
                    + " (vfio_pci_ioctl_ioeventfd)");
        }
        int count = flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
        if (Integer.bitCount(count) != 1 || fd < -1) {
            throw KernelError.of(Errno.EINVAL, (fd < -1 ? "fd " + fd + " is neither an eventfd nor -1 (to remove)"
                    : "size flags 0x" + Integer.toHexString(count) + " must be exactly one of 1, 2, 4, 8 bytes") + " (vfio_pci_ioctl_ioeventfd)");
        }
        long index = offset >>> 40;
        long pos = offset & OFFSET_MASK;
        if (index > VFIO_PCI_BAR5_REGION_INDEX) {
            throw KernelError.of(Errno.EINVAL, "ioeventfds live in BARs 0-5; offset 0x" + Long.toHexString(offset) + " selects region "
                    + index + " (vfio_pci_ioeventfd)");
        }
        int bar = (int) index;
        long len = hw.bars[bar] == null ? 0 : hw.bars[bar].size();
        if (pos + count > len) {
            throw KernelError.of(Errno.EINVAL, String.format("a %d-byte write at 0x%x does not fit BAR%d (0x%x bytes) (vfio_pci_ioeventfd)",
                    count, pos, bar, len));
        }
        if (bar == hw.msixBar && !(pos + count <= hw.msixOffset || pos >= hw.msixOffset + hw.msixSize)) {
            throw KernelError.of(Errno.EINVAL, String.format("[0x%x, 0x%x) overlaps the MSI-X table [0x%x, 0x%x) of BAR%d: interrupts"
                    + " are set up with SET_IRQS (vfio_pci_ioeventfd)", pos, pos + count, hw.msixOffset, hw.msixOffset + hw.msixSize, bar));
        }
        for (IoEventFd e : ioeventfds) {
            if (e.bar() == bar && e.pos() == pos && e.data() == data && e.count() == count) {
                if (fd == -1) {
                    e.eventfd().virqfds.remove(e.trigger());
                    ioeventfds.remove(e);
                    return 0;
                }
                throw KernelError.of(Errno.EEXIST, String.format("an ioeventfd already writes 0x%x (%d bytes) at BAR%d+0x%x;"
                        + " remove it with fd -1 first (vfio_pci_ioeventfd)", data, count, bar, pos));
            }
        }
        if (fd < 0) {
            throw KernelError.of(Errno.ENODEV, String.format("no ioeventfd writes 0x%x (%d bytes) at BAR%d+0x%x, so there is"
                    + " nothing to remove (vfio_pci_ioeventfd)", data, count, bar, pos));
        }
        if (ioeventfds.size() >= IOEVENTFD_MAX) {
            throw KernelError.of(Errno.ENOSPC, "a device has at most " + IOEVENTFD_MAX + " ioeventfds (VFIO_PCI_IOEVENTFD_MAX)");
        }
        OpenFile f = kernel.fileOf(fd);
        if (f == null) {
            throw KernelError.of(Errno.EBADF, "fd " + fd + " is not open (fdget in vfio_virqfd_enable)");
        }
        if (!(f instanceof EventFdFile efd)) {
            throw KernelError.of(Errno.EINVAL, "fd " + fd + " is a " + f.kind() + ", not an eventfd (eventfd_ctx_fileget in"
                    + " vfio_virqfd_enable)");
        }
        boolean mem = hw.bars[bar].kind().isMemory();
        Runnable trigger = () -> {
            if (!mem || vconfig == null || vconfig.memoryEnabled()) { // writes to MEM BARs are skipped while decode is off
                ioWrite(bar, pos, count, data);
            }
        };
        IoEventFd entry = new IoEventFd(bar, pos, data, count, efd, trigger);
        ioeventfds.add(entry);
        efd.attachVirqfd(trigger);
        return 0;
    }

    /** The live ioeventfds, one line each, for {@link SimulatedKernel#resources()}. */
    List<String> ioeventfdLines() {
        List<String> out = new ArrayList<>();
        for (IoEventFd e : ioeventfds) {
            out.add(String.format("%s BAR%d+0x%x: %d-byte write of 0x%x <- %s", address(), e.bar(), e.pos(), e.count(), e.data(),
                    kernel.describeEventFd(e.eventfd())));
        }
        return out;
    }

    /** {@code vfio_pci_ioeventfd_do_write}: one access of the entry's size, 8 bytes included ({@code iowrite64} on x86-64). */
    private void ioWrite(int bar, long pos, int count, long data) {
        hw.mmioWrite(bar, pos, count, data);
    }

    // ---- region access (vfio_pci_rw) --------------------------------------------------------------

    long read(MemorySegment dst, long offset) throws KernelError {
        return access(dst, offset, false);
    }

    long write(MemorySegment src, long offset) throws KernelError {
        return access(src, offset, true);
    }

    private long access(MemorySegment buf, long offset, boolean write) throws KernelError {
        long count = buf.byteSize();
        if (count == 0) {
            return 0;
        }
        long index = offset >>> 40;
        long pos = offset & OFFSET_MASK;
        if (index >= numRegions()) {
            throw KernelError.of(Errno.EINVAL, "offset 0x" + Long.toHexString(offset) + " selects region " + index + ", not below "
                    + numRegions() + " (vfio_pci_rw)");
        }
        if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
            return configAccess(buf, pos, write);
        }
        if (index <= VFIO_PCI_BAR5_REGION_INDEX) {
            return barAccess(buf, (int) index, pos, write);
        }
        if (index == VFIO_PCI_ROM_REGION_INDEX) {
            return romRead(buf, pos, write);
        }
        if (index == VFIO_PCI_VGA_REGION_INDEX) {
            return vgaAccess(buf, pos, write);
        }
        return regionAccess(buf, (int) index - NUM_FIXED_REGIONS, pos, write);
    }

    private long configAccess(MemorySegment buf, long pos, boolean write) throws KernelError {
        long count = buf.byteSize();
        if (pos + count > hw.cfgSize || pos >= hw.cfgSize) {
            throw KernelError.of(Errno.EFAULT, String.format("config access [0x%x, 0x%x) passes the end of the %d-byte config"
                    + " space (vfio_config_do_rw)", pos, pos + count, hw.cfgSize));
        }
        int at = (int) pos;
        int n = (int) count;
        if (vconfig.single(at, n)) { // the common case: one aligned access, no buffer
            if (write) {
                int v = switch (n) {
                    case 1 -> buf.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
                    case 2 -> buf.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xffff;
                    default -> buf.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
                };
                vconfig.writeSingle(at, n, v);
            } else {
                int v = vconfig.readSingle(at, n);
                switch (n) {
                    case 1 -> buf.set(ValueLayout.JAVA_BYTE, 0, (byte) v);
                    case 2 -> buf.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) v);
                    default -> buf.set(ValueLayout.JAVA_INT_UNALIGNED, 0, v);
                }
            }
            return count;
        }
        byte[] bytes = new byte[n];
        if (write) {
            MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, bytes, 0, bytes.length);
            vconfig.write((int) pos, bytes);
        } else {
            vconfig.read((int) pos, bytes);
            MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, bytes.length);
        }
        return count;
    }

    /** {@code vfio_pci_bar_rw}: clipped at the BAR end; MSI-X table bytes read 0xff and drop writes. */
    private long barAccess(MemorySegment buf, int bar, long pos, boolean write) throws KernelError {
        Bar b = hw.bars[bar];
        if (b == null || hw.barAddress[bar] == 0) {
            throw KernelError.of(Errno.EINVAL, "BAR" + bar + " of " + this + " is not implemented (vfio_pci_bar_rw)");
        }
        if (pos >= b.size()) {
            throw KernelError.of(Errno.EINVAL, String.format("offset 0x%x is past the end of BAR%d (0x%x bytes) (vfio_pci_bar_rw)",
                    pos, bar, b.size()));
        }
        long count = Math.min(buf.byteSize(), b.size() - pos);
        if (b.kind().isMemory() && !vconfig.memoryEnabled()) {
            throw KernelError.of(Errno.EIO, "memory decode is off" + (hw.powerState >= 3 ? " (the function is in D3hot)"
                    : " (PCI_COMMAND_MEMORY is clear in the virtual command register)") + ": BAR" + bar + " cannot be accessed"
                    + " (__vfio_pci_memory_enabled in vfio_pci_core_do_io_rw)");
        }
        long xStart = bar == hw.msixBar ? hw.msixOffset : 0;
        long xEnd = bar == hw.msixBar ? hw.msixOffset + hw.msixSize : 0;
        doIoRw(buf, count, pos, xStart, xEnd, write, (at, size) -> hw.mmioRead(bar, at, size), (at, size, v) -> hw.mmioWrite(bar, at, size, v));
        return count;
    }

    private interface Reader {
        long read(long at, int size);
    }

    private interface Writer {
        void write(long at, int size, long value);
    }

    /** {@code vfio_pci_core_do_io_rw}: naturally aligned 4/2/1-byte accesses; the excluded range reads 0xff, drops writes. */
    private static void doIoRw(MemorySegment buf, long count, long pos, long xStart, long xEnd, boolean write, Reader r, Writer w) {
        long done = 0;
        while (done < count) {
            long at = pos + done;
            long left = count - done;
            int size = left >= 4 && at % 4 == 0 ? 4 : left >= 2 && at % 2 == 0 ? 2 : 1;
            if (at < xEnd && at + size > xStart && xEnd > xStart) {
                size = 1; // byte-wise inside the excluded range, as the kernel fills it
                if (!write) {
                    buf.set(ValueLayout.JAVA_BYTE, done, (byte) 0xff);
                }
            } else if (write) {
                w.write(at, size, Scalar.get(buf, done, size));
            } else {
                Scalar.put(buf, done, size, r.read(at, size));
            }
            done += size;
        }
    }

    private long romRead(MemorySegment buf, long pos, boolean write) throws KernelError {
        if (write) {
            throw KernelError.of(Errno.EINVAL, "the ROM region is read-only (vfio_pci_rw)");
        }
        if (hw.rom.isEmpty()) {
            throw KernelError.of(Errno.EINVAL, this + " has no expansion ROM (vfio_pci_bar_rw)");
        }
        long size = hw.rom.get().size();
        if (romRegionSize() == 0) {
            throw KernelError.of(Errno.ENOMEM, "the ROM of " + this + " holds no image with the 0x55aa signature, so pci_map_rom"
                    + " cannot map it (vfio_pci_bar_rw)");
        }
        if (pos >= size) {
            throw KernelError.of(Errno.EINVAL, String.format("offset 0x%x is past the 0x%x-byte ROM BAR (vfio_pci_bar_rw)", pos, size));
        }
        byte[] image = hw.rom.get().image();
        long count = Math.min(buf.byteSize(), size - pos);
        for (long i = 0; i < count; i++) {
            long at = pos + i;
            buf.set(ValueLayout.JAVA_BYTE, i, at < image.length && !hw.removed ? image[(int) at] : (byte) 0xff);
        }
        return count;
    }

    /** {@code vfio_pci_vga_rw}: three legacy windows at their own addresses, clipped to the window. */
    private long vgaAccess(MemorySegment buf, long pos, boolean write) throws KernelError {
        if (!hw.vga) {
            throw KernelError.of(Errno.EINVAL, this + " is not a VGA device (vfio_pci_vga_rw)");
        }
        long end;
        if (pos >= 0xa0000 && pos <= 0xbffff) {
            end = 0xc0000;
        } else if (pos >= 0x3b0 && pos <= 0x3bb) {
            end = 0x3bc;
        } else if (pos >= 0x3c0 && pos <= 0x3df) {
            end = 0x3e0;
        } else {
            throw KernelError.of(Errno.EINVAL, String.format("VGA offset 0x%x is outside 0xa0000-0xbffff, 0x3b0-0x3bb and"
                    + " 0x3c0-0x3df (vfio_pci_vga_rw)", pos));
        }
        long count = Math.min(buf.byteSize(), end - pos);
        var vga = hw.model.vga();
        doIoRw(buf, count, pos, 0, 0, write, vga::read, vga::write);
        return count;
    }

    private long regionAccess(MemorySegment buf, int n, long pos, boolean write) throws KernelError {
        DeviceRegion r = regions.get(n);
        if (write && !r.writable()) {
            throw KernelError.of(Errno.EINVAL, "region " + (n + NUM_FIXED_REGIONS) + " (type 0x" + Integer.toHexString(r.type())
                    + ", subtype " + r.subtype() + ") is read-only (its rw op refuses writes)");
        }
        if (pos >= r.size()) {
            throw KernelError.of(Errno.EINVAL, String.format("offset 0x%x is past the end of region %d (0x%x bytes)", pos,
                    n + NUM_FIXED_REGIONS, r.size()));
        }
        long count = Math.min(buf.byteSize(), r.size() - pos);
        if (r.handler().isPresent()) {
            var h = r.handler().get();
            doIoRw(buf, count, pos, 0, 0, write, h::read, h::write);
        } else if (write) {
            MemorySegment.copy(buf, 0, regionMemory.get(n), pos, count);
        } else {
            MemorySegment.copy(regionMemory.get(n), pos, buf, 0, count);
        }
        return count;
    }

    // ---- accesses through a mapping (the CPU's loads and stores; vfio_pci_mmap_fault) ----------

    /**
     * A load or store of {@code size} bytes (1, 2, 4 or 8) at {@code pos} of region {@code index},
     * made by the CPU through a mapping: the device sees one access of that width at that offset,
     * as a trapped mapping would deliver it, with none of pread/pwrite's splitting. A BAR whose
     * memory decode is off (or that is in D3hot) no longer backs its mappings: the kernel's fault
     * handler refuses the page and the process gets SIGBUS, reported here as EIO.
     */
    long mappedAccess(int index, long pos, int size, boolean write, long value) throws KernelError {
        if (index >= NUM_FIXED_REGIONS) {
            MemorySegment m = regionMemory.get(index - NUM_FIXED_REGIONS);
            return memoryAccess(m, pos, size, write, value);
        }
        Bar b = hw.bars[index];
        if (!vconfig.memoryEnabled()) {
            throw KernelError.of(Errno.EIO, "SIGBUS: memory decode is off" + (hw.powerState >= 3 ? " (the function is in D3hot)"
                    : " (PCI_COMMAND_MEMORY is clear in the virtual command register)") + ", so the mapping of BAR" + index
                    + " has no backing page (vfio_pci_mmap_fault)");
        }
        if (pos + size > b.size()) { // the tail of a page past a small BAR: nothing decodes it
            return write ? 0 : -1L >>> (64 - 8 * size);
        }
        if (write) {
            hw.mmioWrite(index, pos, size, value);
            return 0;
        }
        long v = hw.mmioRead(index, pos, size);
        return size == 8 ? v : v & (-1L >>> (64 - 8 * size));
    }

    /** Whether {@code pos} of region {@code index} is a model's registers, not plain memory. */
    boolean isTrapped(int index, long pos) {
        return index <= VFIO_PCI_BAR5_REGION_INDEX && hw.bars[index] != null && pos < hw.bars[index].size()
                && hw.rangeAt(index, pos) instanceof BarRange.Trapped;
    }

    static long memoryAccess(MemorySegment m, long pos, int size, boolean write, long value) {
        if (write) {
            Scalar.put(m, pos, size, value);
            return 0;
        }
        return Scalar.get(m, pos, size);
    }

    // ---- mmap (vfio_pci_core_mmap) --------------------------------------------------------------

    /** The memory a shared mapping of {@code length} bytes at {@code offset} reaches, or the kernel's refusal. */
    MemorySegment mmap(long offset, long length, int flags) throws KernelError {
        long index = offset >>> 40;
        long pos = offset & OFFSET_MASK;
        if (index >= numRegions()) {
            throw KernelError.of(Errno.EINVAL, "offset 0x" + Long.toHexString(offset) + " selects region " + index + ", not below "
                    + numRegions() + " (vfio_pci_core_mmap)");
        }
        if ((flags & org.vfio4j.spi.LinuxAbi.MAP_SHARED) == 0) {
            throw KernelError.of(Errno.EINVAL, "device regions can only be mapped MAP_SHARED (vfio_pci_core_mmap)");
        }
        if (index >= NUM_FIXED_REGIONS) {
            DeviceRegion r = regions.get((int) index - NUM_FIXED_REGIONS);
            if (!r.mmappable()) {
                throw KernelError.of(Errno.EINVAL, "region " + index + " has no MMAP flag (vfio_pci_core_mmap)");
            }
            if (pos + length > ((r.size() + 4095) & -4096L)) {
                throw KernelError.of(Errno.EINVAL, String.format("[0x%x, 0x%x) passes the end of region %d (vfio_pci_core_mmap)",
                        pos, pos + length, index));
            }
            return regionMemory.get((int) index - NUM_FIXED_REGIONS).asSlice(pos, length);
        }
        if (index >= VFIO_PCI_ROM_REGION_INDEX) {
            throw KernelError.of(Errno.EINVAL, "the " + (index == VFIO_PCI_ROM_REGION_INDEX ? "ROM" : index == VFIO_PCI_CONFIG_REGION_INDEX
                    ? "config" : "VGA") + " region cannot be mmapped, only read (vfio_pci_core_mmap)");
        }
        int bar = (int) index;
        if (!barMmappable(bar)) {
            throw KernelError.of(Errno.EINVAL, "BAR" + bar + " of " + this + " is not mmap-capable (" + (hw.bars[bar] == null
                    ? "not implemented" : !hw.bars[bar].kind().isMemory() ? "an I/O BAR" : "smaller than a page and not page aligned")
                    + ") (vfio_pci_core_mmap)");
        }
        Bar b = hw.bars[bar];
        long physLen = (b.size() + PciHardware.PAGE - 1) & -PciHardware.PAGE;
        if (pos + length > physLen) {
            throw KernelError.of(Errno.EINVAL, String.format("[0x%x, 0x%x) passes the end of BAR%d (0x%x bytes, page aligned)"
                    + " (vfio_pci_core_mmap)", pos, pos + length, bar, physLen));
        }
        MemorySegment m = hw.barMemory[bar].asSlice(pos, length);
        boolean registers = b.ranges().stream().anyMatch(r -> r instanceof BarRange.Trapped && r.offset() < pos + length && r.end() > pos);
        return registers ? m.asReadOnly() : m; // a Java mapping cannot trap: writes to registers must take pwrite
    }
}
