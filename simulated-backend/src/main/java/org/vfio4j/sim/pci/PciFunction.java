package org.vfio4j.sim.pci;

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
import org.vfio4j.sim.core.Group;
import org.vfio4j.sim.core.InfoCapChain;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.Syscall;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.TraceText;
import org.vfio4j.sim.core.UserArg;
import org.vfio4j.sim.core.VfioDevice;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.BarRange;
import org.vfio4j.sim.device.DeviceRegion;
import org.vfio4j.sim.device.Display;
import org.vfio4j.sim.eeh.PeFunction;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.Scalar;

/**
 * A function bound to vfio-pci, as the simulated kernel serves it through device fds ({@code
 * drivers/vfio/pci/vfio_pci_core.c}): enable on first open and disable on last close ({@code
 * vfio_pci_core_enable}/{@code _disable}), the ioctl dispatch of {@code vfio_pci_core_ioctl}, the
 * device, region and IRQ info ioctls, function reset, and mmap with its fault path ({@code
 * vfio_pci_core_mmap}, {@code vfio_pci_mmap_fault}). The rest has its own class: region read/write
 * and ioeventfds ({@link PciRegionIo}), hot reset ({@link PciHotReset}), device features and the VF
 * token ({@link PciDeviceFeatures}), interrupts ({@link PciIrqs}), config-space virtualization
 * ({@link VirtualConfig}), and a model's display ({@link MbochsDisplay}). The hardware behind it is
 * a {@link PciHardware}.
 *
 * <p>About 520 lines: what {@code vfio_pci_core.c} keeps itself (open and close, the ioctl
 * dispatch, the info ioctls, reset, mmap and its fault path); the rest is in the classes above.
 */
public final class PciFunction implements VfioDevice {
    static final int NUM_FIXED_REGIONS = VFIO_PCI_NUM_REGIONS;
    /** The region offset inside a device fd offset: the region index sits above bit 40 ({@code VFIO_PCI_OFFSET_SHIFT}). */
    static final long OFFSET_MASK = (1L << 40) - 1;

    final FunctionSpec spec;
    final Group group;
    public final PciHardware hw;
    private final KernelServices kernel;
    final PciHost host;
    public final PciIrqs irqs;
    int openCount;
    VirtualConfig vconfig;
    private boolean resetWorks;
    private byte[] savedState;
    /** The model's own regions after the fixed ones, and their memory (null where a handler serves them). */
    final List<DeviceRegion> regions;
    final List<MemorySegment> regionMemory = new ArrayList<>();
    private final PciRegionIo io;
    private final PciHotReset hotReset;
    final PciDeviceFeatures features;
    private final MbochsDisplay display;

    /** vfio-pci probes the function {@code spec} of {@code group}, whose hardware is {@code hw}. */
    public PciFunction(FunctionSpec spec, Group group, PciHardware hw, KernelServices kernel, PciHost host) {
        this.spec = spec;
        this.host = host;
        this.group = group;
        this.hw = hw;
        this.kernel = kernel;
        this.regions = hw.model.regions();
        this.irqs = new PciIrqs(this, kernel);
        for (DeviceRegion r : regions) {
            regionMemory.add(r.handler().isPresent() ? null
                    : host.deviceMemory().allocate(Math.max(PciHardware.PAGE, (r.size() + 4095) & -4096L), 4096));
        }
        this.io = new PciRegionIo(this, kernel);
        this.hotReset = new PciHotReset(this, kernel);
        this.features = new PciDeviceFeatures(this, kernel);
        this.display = new MbochsDisplay(kernel);
        hw.pe = host.eeh().probe(group.id(), eehView()).orElse(null); // eeh_probe_device: the PHB put it in its group's PE
    }

    /** The function as EEH resets it: the hardware under vfio-pci, which vfio-pci is not told about. */
    private PeFunction eehView() {
        return new PeFunction() {
            @Override
            public PciAddress address() {
                return spec.address();
            }

            @Override
            public void resetAsserted(boolean fundamental) {
                hw.busReset();
            }

            @Override
            public void resetDeasserted() {
                hw.eehRestore(enabled());
            }
        };
    }

    /** How many device fds of the function are open. */
    public int openCount() {
        return openCount;
    }

    /** Whether the function is enabled: a device fd opened it and the last one has not closed yet ({@code vfio_pci_core_enable}). */
    public boolean enabled() {
        return vconfig != null;
    }

    @Override
    public Group group() {
        return group;
    }

    /** Removed, and the last device fd closed: vfio-pci finished unregistering it. */
    @Override
    public boolean unregistered() {
        return hw.removed && openCount == 0;
    }

    @Override
    public PciAddress address() {
        return spec.address();
    }

    @Override
    public String toString() {
        return "device " + spec.address();
    }

    KernelProfile profile() {
        return group.profile();
    }

    int numRegions() {
        return NUM_FIXED_REGIONS + regions.size();
    }

    // ---- open / close (vfio_pci_core_enable / vfio_pci_core_disable) -------------------------

    /** First open enables the device, tries a function reset, saves its state, builds the virtual config and tells EEH. */
    @Override
    public void open() {
        if (openCount++ == 0) {
            int cmd = hw.u16(COMMAND);
            for (Bar b : hw.bars) {
                if (b != null) {
                    cmd |= b.kind() == BarKind.IO ? COMMAND_IO : COMMAND_MEMORY;
                }
            }
            hw.put(COMMAND, 2, cmd);
            hw.powerState = PciHardware.PCI_D0;
            resetWorks = spec.resettable() || hw.functionResettable() || hotReset.aloneOnResettableBus();
            if (resetWorks) {
                hw.reset();
            }
            savedState = hw.save();
            vconfig = new VirtualConfig(hw, profile(), resetHooks(), irqs);
            host.eeh().deviceOpened(address()); // vfio_pci_core_finish_enable: eeh_dev_open
            physicalFunction().ifPresent(pf -> pf.features.vfUsersChanged(1));
        }
    }

    /** Last close: EEH releases the function, ioeventfds go, the device is reset if it can be and its saved state restored. */
    @Override
    public void close() {
        if (--openCount == 0) {
            host.eeh().deviceReleased(address()); // vfio_pci_core_close_device: eeh_dev_release, then vfio_pci_core_disable
            irqs.teardown();
            io.removeIoeventfds();
            display.close();
            vconfig = null;
            if (resetWorks) {
                hw.reset();
            }
            hw.restore(savedState);
            hw.put(COMMAND, 2, hw.u16(COMMAND) & ~COMMAND_MASTER); // bus master off
            physicalFunction().ifPresent(pf -> pf.features.vfUsersChanged(-1));
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
    Optional<PciFunction> physicalFunction() {
        return spec.physicalFunction().flatMap(host::vfioFunction);
    }

    // ---- ioctls ---------------------------------------------------------------------------------

    /** {@code vfio_pci_core_ioctl}: each VFIO_DEVICE_* request to the code that serves it; others are ENOTTY. */
    @Override
    public int ioctl(long request, UserArg arg, SyscallContext call) throws KernelError {
        if (request == VFIO_DEVICE_GET_INFO) {
            return getInfo(arg, call);
        } else if (request == VFIO_DEVICE_GET_REGION_INFO) {
            return getRegionInfo(arg, call);
        } else if (request == VFIO_DEVICE_GET_IRQ_INFO) {
            return getIrqInfo(arg, call);
        } else if (request == VFIO_DEVICE_RESET) {
            return reset(call);
        } else if (request == VFIO_DEVICE_GET_PCI_HOT_RESET_INFO) {
            return hotReset.hotResetInfo(arg, call);
        } else if (request == VFIO_DEVICE_PCI_HOT_RESET) {
            return hotReset.hotReset(arg, call);
        } else if (request == VFIO_DEVICE_IOEVENTFD) {
            return io.ioeventfd(arg, call);
        } else if (request == VFIO_DEVICE_FEATURE) {
            return features.feature(arg, call);
        } else if (request == VFIO_DEVICE_QUERY_GFX_PLANE || request == VFIO_DEVICE_GET_GFX_DMABUF) {
            Optional<Display> model = hw.model.display();
            if (model.isEmpty()) {
                throw KernelError.of(Errno.ENOTTY, this + " has no display: QUERY_GFX_PLANE and GET_GFX_DMABUF belong to mediated"
                        + " display drivers (vfio_pci_core_ioctl falls through to -ENOTTY)");
            }
            return request == VFIO_DEVICE_QUERY_GFX_PLANE ? display.queryGfxPlane(model.get(), arg, call)
                    : display.gfxDmabuf(model.get(), arg, call);
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
        // 5.10 and 6.1 copy min(argsz, sizeof) bytes of a zeroed struct: cap_offset (0 without caps) too;
        // 6.6 added a u32 of padding after cap_offset, which 6.12 copies as well ("vfio: align capability structures")
        int size = profile().copiesWholeInfoStructs() ? vfio_device_info.SIZE + Integer.BYTES : vfio_device_info.SIZE;
        int copyBack = profile().hasDeviceInfoCapOffset() ? (int) Math.min(Integer.toUnsignedLong(argsz), size) : minsz;
        int flags = VFIO_DEVICE_FLAGS_PCI | (resetWorks ? VFIO_DEVICE_FLAGS_RESET : 0);
        arg.checkWritable(0, copyBack, "struct vfio_device_info");
        MemorySegment o = MemorySegment.ofArray(new byte[size]);
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
    long romRegionSize() {
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
        List<RegionCapability> caps = new ArrayList<>(); // the chain vfio_pci_ioctl_get_region_info builds, in order
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
        InfoCapChain chain = new InfoCapChain(profile().copiesWholeInfoStructs());
        for (RegionCapability c : caps) {
            chain.add(c.id(), c.version(), c.body());
        }
        int written = flags | (chain.isEmpty() ? 0 : VFIO_REGION_INFO_FLAG_CAPS);
        InfoCapChain.Placement placed = chain.place(arg, argsz, vfio_region_info.SIZE, "the region capability chain");
        if (!chain.isEmpty()) {
            if (!placed.written()) {
                arg.putU32(vfio_region_info.argsz, placed.argsz()); // argsz grows to what the chain needs; cap_offset 0
            }
            arg.putU32(vfio_region_info.cap_offset, placed.capOffset());
        }
        // without capabilities cap_offset goes back as the caller sent it (verified on 6.1)
        arg.putU32(vfio_region_info.flags, written);
        arg.putU64(vfio_region_info.size, size);
        arg.putU64(vfio_region_info.offset, offset);
        // with a chain, what came back: the grown argsz and cap_offset 0, or the chain at offset 32
        String shown = caps.isEmpty() ? "" : placed.written() ? ", cap_offset=32, caps=" + caps : ", cap_offset=0";
        call.describe(() -> "{argsz=" + argsz + ", index=" + TraceText.regionName(index) + "} -> {"
                + (caps.isEmpty() || placed.written() ? "" : "argsz=" + placed.argsz() + ", ") + "flags="
                + TraceText.regionInfoFlags(written) + ", size=0x" + Long.toHexString(size) + ", offset=0x" + Long.toHexString(offset)
                + shown + "}");
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
        // 6.5+: MSI-X can grow while enabled on this host's interrupt domain (has_dyn_msix: a function with MSI-X),
        // so no NORESIZE there
        boolean resizable = index == VFIO_PCI_MSIX_IRQ_INDEX && profile().hasDynamicMsix() && hw.capability(CAP_ID_MSIX) >= 0;
        int flags = VFIO_IRQ_INFO_EVENTFD | (index == VFIO_PCI_INTX_IRQ_INDEX
                ? VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED : resizable ? 0 : VFIO_IRQ_INFO_NORESIZE);
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
        kernel.faults().enter(Syscall.RESET);
        if (hw.removed) {
            // the FLR is sent, but the function never answers again: pci_dev_wait gives up (pci_try_reset_function)
            throw KernelError.of(Errno.ENOTTY, this + " was surprise-removed: after the reset its config space reads all ones,"
                    + " so the PCI core gives up waiting for it (pci_dev_wait in pci_try_reset_function)");
        }
        hw.powerState = 0;
        hw.reset();
        return 0;
    }


    // ---- delegates for the rest of the simulator -------------------------------------------------

    /** {@code vfio_pci_rw} for a read: see {@link PciRegionIo#read}. */
    @Override
    public long read(MemorySegment dst, long offset) throws KernelError {
        return io.read(dst, offset);
    }

    /** {@code vfio_pci_rw} for a write: see {@link PciRegionIo#write}. */
    @Override
    public long write(MemorySegment src, long offset) throws KernelError {
        return io.write(src, offset);
    }

    /** The live ioeventfds, one line each, for {@code SimulatedKernel.resources()}. */
    public List<String> ioeventfdLines() {
        return io.ioeventfdLines();
    }

    /** {@code vfio_pci_validate_vf_token}, at GET_DEVICE_FD time: see {@link PciDeviceFeatures#validateVfToken}. */
    @Override
    public void matchToken(Optional<UUID> token) throws KernelError {
        features.validateVfToken(token);
    }

    // ---- accesses through a mapping (the CPU's loads and stores; vfio_pci_mmap_fault) ----------

    /**
     * A load or store of {@code size} bytes (1, 2, 4 or 8) at {@code pos} of region {@code index},
     * made by the CPU through a mapping: the device sees one access of that width at that offset,
     * as a trapped mapping would deliver it, with none of pread/pwrite's splitting. A BAR whose
     * memory decode is off (or that is in D3hot) no longer backs its mappings: the kernel's fault
     * handler refuses the page and the process gets SIGBUS, reported here as EIO.
     */
    @Override
    public long mappedAccess(int index, long pos, int size, boolean write, long value) throws KernelError {
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
    @Override
    public boolean isTrapped(int index, long pos) {
        return index <= VFIO_PCI_BAR5_REGION_INDEX && hw.bars[index] != null && pos < hw.bars[index].size()
                && hw.rangeAt(index, pos) instanceof BarRange.Trapped;
    }

    public static long memoryAccess(MemorySegment m, long pos, int size, boolean write, long value) {
        if (write) {
            Scalar.put(m, pos, size, value);
            return 0;
        }
        return Scalar.get(m, pos, size);
    }

    // ---- mmap (vfio_pci_core_mmap) --------------------------------------------------------------

    /** The memory a shared mapping of {@code length} bytes at {@code offset} reaches, or the kernel's refusal. */
    @Override
    public MemorySegment mmap(long offset, long length, int flags) throws KernelError {
        long index = offset >>> 40;
        long pos = offset & OFFSET_MASK;
        if (index >= numRegions()) {
            throw KernelError.of(Errno.EINVAL, "offset 0x" + Long.toHexString(offset) + " selects region " + index + ", not below "
                    + numRegions() + " (vfio_pci_core_mmap)");
        }
        if ((flags & LinuxAbi.MAP_SHARED) == 0) {
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
        MemorySegment m = hw.barMemory(bar).asSlice(pos, length);
        boolean registers = b.ranges().stream().anyMatch(r -> r instanceof BarRange.Trapped && r.offset() < pos + length && r.end() > pos);
        return registers ? m.asReadOnly() : m; // a Java mapping cannot trap: writes to registers must take pwrite
    }
}
