package org.vfio4j;

import static org.vfio4j.Structs.U32;
import static org.vfio4j.Structs.U64;
import static org.vfio4j.uapi.VfioStructs.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.VfioKernel;

/**
 * An open VFIO device (a device fd from VFIO_GROUP_GET_DEVICE_FD): its info, regions, and
 * config space. Each open device counts as a user of its group's container until closed.
 */
public final class VfioDevice extends FdHandle {

    private final String name;
    /** GET_REGION_INFO of the fixed regions, asked once each: where they lie in the fd does not change while it is open. */
    private final AtomicReferenceArray<RegionInfo> fixedRegions = new AtomicReferenceArray<>(RegionIndex.COUNT);
    /** {@link #config()}, made on first use. */
    private volatile PciConfig config;

    VfioDevice(VfioKernel kernel, String name, Fd fd) {
        super(kernel, fd);
        this.name = name;
    }

    /** The name it was opened with. */
    public String name() {
        return name;
    }

    /** VFIO_DEVICE_GET_INFO; a {@code num_regions} or {@code num_irqs} above 2^31-1 is {@link Errno#EPROTO}. */
    public DeviceInfo info() throws VfioException {
        Reply reply = new Reply("VFIO_DEVICE_GET_INFO", name);
        MemorySegment info = Structs.withArgsz(vfio_device_info.SIZE);
        kernel.ioctl(fd, VFIO_DEVICE_GET_INFO, info);
        return new DeviceInfo(info.get(U32, vfio_device_info.flags), reply.count("num_regions", info.get(U32, vfio_device_info.num_regions)),
                reply.count("num_irqs", info.get(U32, vfio_device_info.num_irqs)));
    }

    /**
     * VFIO_DEVICE_GET_REGION_INFO for {@code index}, with its capability chain: asked once with the
     * bare struct, again with the argsz the kernel asked for when the chain did not fit.
     *
     * <p>A reply that breaks the ABI is {@link Errno#EPROTO}: an argsz above 1 MiB, a second reply
     * that asks for still more room, CAPS without a chain, a malformed chain, or a version-1
     * capability shorter than its fields (a SPARSE_MMAP whose {@code nr_areas} its bytes do not
     * hold). Such a capability is not kept as {@link RegionCapability.Unknown}: without its
     * SPARSE_MMAP, a region would be mapped whole.
     */
    public RegionInfo regionInfo(int index) throws VfioException {
        Reply reply = new Reply("VFIO_DEVICE_GET_REGION_INFO", name + " " + RegionIndex.name(index));
        MemorySegment r = askRegionInfo(index, vfio_region_info.SIZE);
        long needed = Integer.toUnsignedLong(r.get(U32, vfio_region_info.argsz));
        if (hasCaps(r) && needed > vfio_region_info.SIZE) {
            r = askRegionInfo(index, reply.roomFor("argsz", needed));
            if (hasCaps(r)) {
                reply.fitsSecondCall(needed, Integer.toUnsignedLong(r.get(U32, vfio_region_info.argsz)));
            }
        }
        int flags = r.get(U32, vfio_region_info.flags);
        List<RegionCapability> caps = new ArrayList<>();
        if (hasCaps(r)) {
            int capOffset = r.get(U32, vfio_region_info.cap_offset);
            if (capOffset == 0) {
                throw reply.malformed("flags has VFIO_REGION_INFO_FLAG_CAPS but cap_offset is 0, and argsz asks for no more than the "
                        + r.byteSize() + " bytes sent; a chain that fits is written after the struct");
            }
            for (CapabilityChain.Entry e : CapabilityChain.walk(reply, r, capOffset, vfio_region_info.SIZE)) {
                checkRegionCapability(reply, e);
                byte[] bytes = e.bytes().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                caps.add(RegionCapability.decode(e.id(), e.version(), java.util.Arrays.copyOfRange(bytes, vfio_info_cap_header.SIZE, bytes.length)));
            }
        }
        return new RegionInfo(index, flags, r.get(U64, vfio_region_info.size), r.get(U64, vfio_region_info.offset), caps);
    }

    private MemorySegment askRegionInfo(int index, long argsz) throws VfioException {
        MemorySegment r = Structs.withArgsz(argsz);
        r.set(U32, vfio_region_info.index, index);
        kernel.ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, r);
        return r;
    }

    private static boolean hasCaps(MemorySegment regionInfo) {
        return (regionInfo.get(U32, vfio_region_info.flags) & VFIO_REGION_INFO_FLAG_CAPS) != 0;
    }

    /**
     * A version-1 capability of a known id must hold the fields {@link RegionCapability#decode}
     * reads, and a SPARSE_MMAP the {@code nr_areas} it counts; other versions and ids are kept as
     * they come.
     */
    private static void checkRegionCapability(Reply reply, CapabilityChain.Entry e) throws VfioException {
        if (e.version() != 1) {
            return;
        }
        switch (e.id()) {
            case VFIO_REGION_INFO_CAP_SPARSE_MMAP -> CapabilityChain.count(reply, e, "SPARSE_MMAP", "nr_areas",
                    vfio_region_info_cap_sparse_mmap.nr_areas, vfio_region_info_cap_sparse_mmap.areas,
                    vfio_region_sparse_mmap_area.SIZE);
            case VFIO_REGION_INFO_CAP_TYPE -> CapabilityChain.requireSize(reply, e, "TYPE", vfio_region_info_cap_type.SIZE);
            case VFIO_REGION_INFO_CAP_NVLINK2_SSATGT -> CapabilityChain.requireSize(reply, e, "NVLINK2_SSATGT",
                    vfio_region_info_cap_nvlink2_ssatgt.SIZE);
            // link_speed is read, the u32 of padding after it is not
            case VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD -> CapabilityChain.requireSize(reply, e, "NVLINK2_LNKSPD",
                    vfio_region_info_cap_nvlink2_lnkspd.link_speed + Integer.BYTES);
            default -> { }
        }
    }

    /** VFIO_DEVICE_GET_IRQ_INFO for {@code index}; a {@code count} above 2^31-1 is {@link Errno#EPROTO}. */
    public IrqInfo irqInfo(int index) throws VfioException {
        MemorySegment r = Structs.withArgsz(vfio_irq_info.SIZE);
        r.set(U32, vfio_irq_info.index, index);
        kernel.ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, r);
        return new IrqInfo(index, r.get(U32, vfio_irq_info.flags),
                new Reply("VFIO_DEVICE_GET_IRQ_INFO", name + " " + IrqIndex.name(index)).count("count", r.get(U32, vfio_irq_info.count)));
    }

    /** Region {@code index} as a {@link Region}: mapped where it may be, pread/pwrite elsewhere. Close it to unmap. */
    public Region region(int index) throws VfioException {
        return new Region(kernel, this, regionInfo(index));
    }

    /**
     * The config space, by width, and its capability lists. Its accesses go where the kernel says
     * the config region lies: the first access to a device asks VFIO_DEVICE_GET_REGION_INFO once
     * (the trace shows it), as a driver that does not assume vfio-pci's layout does.
     */
    public PciConfig config() throws VfioException {
        PciConfig known = config;
        if (known == null) { // immutable and built from the cached region info: one per device is enough
            known = new PciConfig(this, fixedRegionInfo(VFIO_PCI_CONFIG_REGION_INDEX));
            config = known;
        }
        return known;
    }

    /** {@link #regionInfo} of fixed region {@code index}, asked of the kernel the first time only. */
    private RegionInfo fixedRegionInfo(int index) throws VfioException {
        RegionInfo known = fixedRegions.get(index);
        if (known == null) {
            known = regionInfo(index);
            fixedRegions.set(index, known);
        }
        return known;
    }

    /** VFIO_DEVICE_RESET: a function reset (only when {@link DeviceInfo#canReset()}; EINVAL otherwise). */
    public void reset() throws VfioException {
        kernel.ioctl(fd, VFIO_DEVICE_RESET, 0L);
    }

    /**
     * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: asks with the bare header, learns the count from ENOSPC,
     * and asks again with room for every device. ENODEV: no slot or bus reset for this device.
     * A count that needs an argsz above 1 MiB, or a second reply that counts more devices than its
     * argsz holds (without ENOSPC, which the kernel returns then), is {@link Errno#EPROTO}.
     */
    public HotResetInfo hotResetInfo() throws VfioException {
        Reply reply = new Reply("VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", name);
        MemorySegment h = Structs.withArgsz(vfio_pci_hot_reset_info.SIZE);
        long count;
        try {
            kernel.ioctl(fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, h);
            count = Integer.toUnsignedLong(h.get(U32, vfio_pci_hot_reset_info.count));
        } catch (VfioException e) {
            if (e.errno() != Errno.ENOSPC) {
                throw e;
            }
            count = Integer.toUnsignedLong(h.get(U32, vfio_pci_hot_reset_info.count));
        }
        long argsz = reply.roomFor("count " + count, vfio_pci_hot_reset_info.devices + (long) vfio_pci_dependent_device.SIZE * count);
        MemorySegment full = Structs.withArgsz(argsz);
        kernel.ioctl(fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, full);
        long written = Integer.toUnsignedLong(full.get(U32, vfio_pci_hot_reset_info.count));
        if (written > count) {
            throw reply.malformed("count " + written + " on the second call, but its argsz " + argsz + " has room for " + count
                    + "; a reply that does not fit is ENOSPC");
        }
        List<HotResetInfo.Device> devices = new ArrayList<>();
        for (int i = 0; i < written; i++) {
            long at = vfio_pci_hot_reset_info.devices + (long) vfio_pci_dependent_device.SIZE * i;
            int seg = Short.toUnsignedInt(full.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, at + vfio_pci_dependent_device.segment));
            int bus = Byte.toUnsignedInt(full.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at + vfio_pci_dependent_device.bus));
            int devfn = Byte.toUnsignedInt(full.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at + vfio_pci_dependent_device.devfn));
            devices.add(new HotResetInfo.Device(full.get(U32, at + vfio_pci_dependent_device.group_id),
                    new PciAddress(seg, bus, devfn >> 3, devfn & 7)));
        }
        return new HotResetInfo(devices);
    }

    /** VFIO_DEVICE_PCI_HOT_RESET, proving ownership with {@code groups} (every affected device's group). */
    public void hotReset(List<VfioGroup> groups) throws VfioException {
        required(groups, "the list of groups");
        try (HeldArguments args = new HeldArguments(kernel, "VFIO_DEVICE_PCI_HOT_RESET")) {
            MemorySegment a = Structs.withArgsz(vfio_pci_hot_reset.group_fds + (long) Integer.BYTES * groups.size());
            a.set(U32, vfio_pci_hot_reset.count, groups.size());
            for (int i = 0; i < groups.size(); i++) {
                a.set(U32, vfio_pci_hot_reset.group_fds + (long) Integer.BYTES * i, args.hold(groups.get(i), false, "group " + i));
            }
            kernel.ioctl(fd, VFIO_DEVICE_PCI_HOT_RESET, a);
        }
    }

    /**
     * VFIO_DEVICE_FEATURE with PROBE: whether the device supports {@code feature} for a GET (or SET
     * when {@code set}). True on success; false when the kernel says ENOTTY (no such feature) or
     * EINVAL (not that direction).
     */
    public boolean probeFeature(int feature, boolean set) throws VfioException {
        MemorySegment a = Structs.withArgsz(vfio_device_feature.SIZE);
        a.set(U32, vfio_device_feature.flags, feature | VFIO_DEVICE_FEATURE_PROBE | (set ? VFIO_DEVICE_FEATURE_SET : VFIO_DEVICE_FEATURE_GET));
        try {
            kernel.ioctl(fd, VFIO_DEVICE_FEATURE, a);
            return true;
        } catch (VfioException e) {
            if (e.errno() == Errno.ENOTTY || e.errno() == Errno.EINVAL) {
                return false;
            }
            throw e;
        }
    }

    /** Sets an SR-IOV PF's VF token (VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, SET); ENOTTY on anything but a PF. */
    public void setVfToken(java.util.UUID token) throws VfioException {
        required(token, "the VF token");
        // the payload (data[]) is the UUID's 16 bytes in network order
        MemorySegment a = Structs.withArgsz(vfio_device_feature.data + 2L * Long.BYTES);
        a.set(U32, vfio_device_feature.flags, VFIO_DEVICE_FEATURE_PCI_VF_TOKEN | VFIO_DEVICE_FEATURE_SET);
        a.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), vfio_device_feature.data,
                token.getMostSignificantBits());
        a.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), vfio_device_feature.data + Long.BYTES,
                token.getLeastSignificantBits());
        kernel.ioctl(fd, VFIO_DEVICE_FEATURE, a);
    }

    /**
     * VFIO_DEVICE_IOEVENTFD: from now on each signal of {@code notifier} makes the kernel write the
     * low {@code size} bytes (1, 2, 4 or 8) of {@code data} at {@code offset} of BAR {@code bar}.
     */
    public IoEventFd ioeventfd(int bar, long offset, long data, int size, EventNotifier notifier) throws VfioException {
        if (bar < 0 || bar >= RegionIndex.COUNT) {
            throw new VfioException(Errno.EINVAL, "VFIO_DEVICE_IOEVENTFD", name, "region index " + bar + " is not a fixed region"
                    + " (0-8); the kernel takes the BAR from the offset's top bits");
        }
        Region.checkRegionRange(offset, Math.max(0, size), "VFIO_DEVICE_IOEVENTFD", name);
        long at;
        try (HeldArguments args = new HeldArguments(kernel, "VFIO_DEVICE_IOEVENTFD")) {
            int eventfd = args.hold(notifier, false, "an eventfd");
            at = fixedRegionInfo(bar).offset() + offset;
            kernel.ioctl(fd, VFIO_DEVICE_IOEVENTFD, IoEventFd.arg(at, data, size, eventfd));
        }
        return new IoEventFd(kernel, this, at, data, size);
    }

    /** Reads {@code dst.byteSize()} bytes of config space at {@code offset} (pread on the config region). */
    public long readConfig(long offset, MemorySegment dst) throws VfioException {
        return config().read(offset, dst);
    }

    /** Writes config space at {@code offset}; the kernel keeps only what it lets userspace change. */
    public long writeConfig(long offset, MemorySegment src) throws VfioException {
        return config().write(offset, src);
    }

    /**
     * One little-endian dword of config space ({@link PciConfig#read32} with a {@code long}
     * offset); {@link ShortTransferException} if the kernel moved fewer than 4 bytes. Each thread
     * reads into a buffer of its own, so several threads may call it at once, and no call allocates.
     */
    public int readConfigDword(long offset) throws VfioException {
        return (int) config().readScalar(offset, 4);
    }

    /**
     * VFIO_DEVICE_QUERY_GFX_PLANE with PROBE: whether the device's display exports planes the way
     * {@code export} says (VFIO_GFX_PLANE_TYPE_DMABUF or _REGION). EINVAL means no; a device without
     * a display (any vfio-pci device) fails ENOTTY.
     */
    public boolean probeGfxPlane(int export) throws VfioException {
        MemorySegment p = Structs.withArgsz(vfio_device_gfx_plane_info.SIZE);
        p.set(U32, vfio_device_gfx_plane_info.flags, VFIO_GFX_PLANE_TYPE_PROBE | export);
        try {
            kernel.ioctl(fd, VFIO_DEVICE_QUERY_GFX_PLANE, p);
            return true;
        } catch (VfioException e) {
            if (e.errno() == Errno.EINVAL) {
                return false;
            }
            throw e;
        }
    }

    /** VFIO_DEVICE_QUERY_GFX_PLANE for plane type {@code drmPlaneType} (1 primary, 2 cursor) exported as {@code export}. */
    public GfxPlane queryGfxPlane(int export, int drmPlaneType) throws VfioException {
        MemorySegment p = Structs.withArgsz(vfio_device_gfx_plane_info.SIZE);
        p.set(U32, vfio_device_gfx_plane_info.flags, export);
        p.set(U32, vfio_device_gfx_plane_info.drm_plane_type, drmPlaneType);
        kernel.ioctl(fd, VFIO_DEVICE_QUERY_GFX_PLANE, p);
        return new GfxPlane(drmPlaneType, p.get(U32, vfio_device_gfx_plane_info.drm_format), p.get(U64, vfio_device_gfx_plane_info.drm_format_mod),
                p.get(U32, vfio_device_gfx_plane_info.width), p.get(U32, vfio_device_gfx_plane_info.height),
                p.get(U32, vfio_device_gfx_plane_info.stride), p.get(U32, vfio_device_gfx_plane_info.size),
                p.get(U32, vfio_device_gfx_plane_info.x_pos), p.get(U32, vfio_device_gfx_plane_info.y_pos),
                p.get(U32, vfio_device_gfx_plane_info.x_hot), p.get(U32, vfio_device_gfx_plane_info.y_hot),
                p.get(U32, vfio_device_gfx_plane_info.region_index)); // dmabuf_id shares the union
    }

    /** VFIO_DEVICE_GET_GFX_DMABUF: the dma-buf of a plane {@link #queryGfxPlane} returned the id of. */
    public DmaBuf gfxDmabuf(int id) throws VfioException {
        MemorySegment a = Structs.buffer(4);
        a.set(U32, 0, id);
        int n = new Reply("VFIO_DEVICE_GET_GFX_DMABUF", name).descriptor(kernel.ioctl(fd, VFIO_DEVICE_GET_GFX_DMABUF, a));
        return new DmaBuf(kernel, kernel.adopt(n, "dma-buf " + id));
    }

    // ---- interrupts (VFIO_DEVICE_SET_IRQS) ----

    private int setIrqs(int flags, int index, int start, int count, MemorySegment data) throws VfioException {
        MemorySegment a = Structs.withArgsz(vfio_irq_set.data + (data == null ? 0 : data.byteSize()));
        a.set(U32, vfio_irq_set.flags, flags);
        a.set(U32, vfio_irq_set.index, index);
        a.set(U32, vfio_irq_set.start, start);
        a.set(U32, vfio_irq_set.count, count);
        if (data != null) {
            MemorySegment.copy(data, 0, a, vfio_irq_set.data, data.byteSize());
        }
        return kernel.ioctl(fd, VFIO_DEVICE_SET_IRQS, a);
    }

    /**
     * Binds eventfds to vectors {@code start ..} of IRQ index {@code index} (a null entry leaves
     * that vector without one), enabling the index if it is not yet (INTx, MSI and MSI-X exclude
     * each other). Returns 0, or, when the platform could not allocate that many MSI/MSI-X vectors,
     * the positive number it could (nothing is enabled then): the kernel asks the platform for
     * {@code start + notifiers.size()} vectors ({@code vfio_pci_set_msi_trigger}), so that number
     * is below it. Any other result (negative, or not below it) is {@link Errno#EPROTO}.
     */
    public int setIrqEventfds(int index, int start, List<EventNotifier> notifiers) throws VfioException {
        required(notifiers, "the list of notifiers");
        int granted;
        try (HeldArguments args = new HeldArguments(kernel, "VFIO_DEVICE_SET_IRQS")) {
            MemorySegment fds = Structs.buffer(4L * notifiers.size());
            for (int i = 0; i < notifiers.size(); i++) {
                fds.set(U32, 4L * i, args.hold(notifiers.get(i), true, "the eventfd of vector " + (start + i)));
            }
            granted = setIrqs(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, index, start, notifiers.size(), fds);
        }
        // vfio_msi_enable: the platform granted 1 to nvec-1 of the nvec = start + count vectors asked, so nothing was enabled
        long asked = Integer.toUnsignedLong(start) + notifiers.size();
        if (granted < 0 || granted >= Math.max(1, asked)) {
            throw new Reply("VFIO_DEVICE_SET_IRQS", name + " " + IrqIndex.name(index)).malformed("the result " + granted + " for start "
                    + Integer.toUnsignedString(start) + " and " + notifiers.size() + " eventfds is neither 0 nor a number of vectors below the "
                    + asked + " asked for");
        }
        return granted;
    }

    /** {@link #setIrqEventfds} from vector 0; throws if the platform granted fewer vectors. */
    public void enableIrq(int index, List<EventNotifier> notifiers) throws VfioException {
        int r = setIrqEventfds(index, 0, notifiers);
        if (r > 0) {
            throw new VfioException(Errno.ENOSPC, "VFIO_DEVICE_SET_IRQS", "index " + index,
                    "the platform can allocate only " + r + " of the " + notifiers.size() + " vectors asked for; nothing was enabled");
        }
    }

    /** Disables IRQ index {@code index} (DATA_NONE | TRIGGER, count 0); for ERR and REQ, releases the eventfd. */
    public void disableIrq(int index) throws VfioException {
        setIrqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 0, null);
    }

    /** Loop-back: signals the eventfds of vectors [start, start+count) as if the device had interrupted (DATA_NONE, count > 0). */
    public void triggerIrq(int index, int start, int count) throws VfioException {
        setIrqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, index, start, count, null);
    }

    /** Loop-back with DATA_BOOL: signals vector {@code start + i} where {@code which[i]}. */
    public void triggerIrq(int index, int start, boolean[] which) throws VfioException {
        required(which, "the vector selection");
        MemorySegment b = Structs.buffer(which.length);
        for (int i = 0; i < which.length; i++) {
            b.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (which[i] ? 1 : 0));
        }
        setIrqs(VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, index, start, which.length, b);
    }

    /** Masks INTx (only INTx can be masked through VFIO; ENOTTY elsewhere). */
    public void maskIntx() throws VfioException {
        setIrqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, null);
    }

    /** Unmasks INTx: if the device still asserts it, the eventfd is signalled again and INTx stays masked. */
    public void unmaskIntx() throws VfioException {
        setIrqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, null);
    }

    /** From now on a signal of {@code notifier} unmasks INTx in the kernel (an unmask irqfd); null removes it. */
    public void unmaskIntxOn(EventNotifier notifier) throws VfioException {
        try (HeldArguments args = new HeldArguments(kernel, "VFIO_DEVICE_SET_IRQS")) {
            MemorySegment fdArg = Structs.buffer(4);
            fdArg.set(U32, 0, args.hold(notifier, true, "the unmask eventfd"));
            setIrqs(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, fdArg);
        }
    }

    /** Closes the device fd: one user less for the group's container. */
    @Override
    public void close() throws VfioException {
        super.close();
    }
}
