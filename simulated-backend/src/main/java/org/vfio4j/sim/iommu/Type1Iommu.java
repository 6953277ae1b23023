package org.vfio4j.sim.iommu;

import static org.vfio4j.uapi.VfioStructs.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vfio4j.Errno;
import org.vfio4j.IovaRange;
import org.vfio4j.KernelProfile;
import org.vfio4j.sim.core.FaultGate;
import org.vfio4j.sim.core.HostFacts;
import org.vfio4j.sim.core.InfoCapChain;
import org.vfio4j.sim.core.IommuDriver;
import org.vfio4j.sim.core.IommuDriverOps;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.ProcessMemory;
import org.vfio4j.sim.core.Syscall;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.TraceText;
import org.vfio4j.sim.core.UserArg;
import org.vfio4j.uapi.VfioIoctls;

/**
 * The type1 IOMMU backend of one container ({@code drivers/vfio/vfio_iommu_type1.c}): the DMA
 * mappings in an {@link IovaTree}, the mapping-slot counter {@code dma_avail}, pinning with
 * locked-memory accounting, and the ioctls VFIO_IOMMU_GET_INFO, MAP_DMA, UNMAP_DMA and (Linux 6.1)
 * DIRTY_PAGES with the kernel's check order, errno and written-back bytes; the dirty bitmaps
 * themselves are {@link DirtyBitmaps}.
 *
 * <p>About 700 lines, against the kernel's 3,000-line {@code vfio_iommu_type1.c}: GET_INFO, MAP_DMA,
 * UNMAP_DMA and DIRTY_PAGES with their check orders belong together; the interval tree is {@link
 * IovaTree}.
 */
public final class Type1Iommu implements IommuDriver, DmaTranslator {

    /**
     * One DMA mapping ({@code struct vfio_dma}). Kept small, as a container holds up to 65 535 of
     * them: the pinned memory is the registered segment the mapping's {@code vaddr} lies in (shared
     * by every mapping of that memory, no slice of its own), and the pages charged to
     * RLIMIT_MEMLOCK are all of the mapping's or none, a flag.
     */
    public static final class Dma {
        final long iova;
        final long size;
        long vaddr;
        /** The registered memory holding [vaddr, +size) at {@code vaddr - backing.address()}; null when it is gone. */
        MemorySegment backing;
        /** The remote range holding [vaddr, +size) when the memory is reached by messages (then {@code backing} is null). */
        ProcessMemory.RemoteRange remote;
        final boolean read;
        final boolean write;
        /** Whether pinning charged the mapping's pages to the locked-memory account. */
        final boolean charged;
        boolean vaddrValid = true;

        Dma(long iova, long size, long vaddr, boolean read, boolean write, MemorySegment backing, boolean charged) {
            this.iova = iova;
            this.size = size;
            this.vaddr = vaddr;
            this.read = read;
            this.write = write;
            this.backing = backing;
            this.charged = charged;
        }

        /** The first IOVA of the mapping. */
        public long iova() {
            return iova;
        }

        /** The mapping's size in bytes. */
        public long size() {
            return size;
        }

        /** Whether the device may read through the mapping ({@code VFIO_DMA_MAP_FLAG_READ}). */
        public boolean read() {
            return read;
        }

        /** Whether the device may write through the mapping ({@code VFIO_DMA_MAP_FLAG_WRITE}). */
        public boolean write() {
            return write;
        }

        /** The pinned user memory behind the mapping, {@code size} bytes; null when it is gone. */
        public MemorySegment memory() {
            return backing == null ? null : backing.asSlice(backingOffset(), size);
        }

        /** Where the mapping's memory starts in {@link #backing}. */
        long backingOffset() {
            return vaddr - backing.address();
        }

        /** The pages charged to RLIMIT_MEMLOCK for the mapping ({@code vfio_lock_acct}). */
        long chargedPages() {
            return charged ? size / HostFacts.PAGE_SIZE : 0;
        }
    }

    private final boolean v2;
    private final boolean nesting;
    private final HostFacts host;
    private final KernelProfile profile;
    private final ProcessMemory memory;
    private final FaultGate faults;
    private final IovaTree<Dma> mappings = new IovaTree<>();
    /**
     * Before 5.12 the kernel's own {@code dma_list} rb-tree, shape and all, decides the order in
     * which UNMAP_DMA meets mappings ({@link KernelProfile#unmapsInAddressOrder}); null from then on.
     */
    private final KernelRbTree kernelTree;
    private final List<Integer> groups = new ArrayList<>();
    private int dmaAvail;
    private final long pgsizeBitmap;
    private final long pgsize;
    private final DirtyBitmaps dirty;

    private Type1Iommu(long extension, HostFacts host, ProcessMemory memory, FaultGate faults) {
        this.faults = faults;
        this.v2 = extension != VFIO_TYPE1_IOMMU;
        this.nesting = extension == VFIO_TYPE1_NESTING_IOMMU;
        this.host = host;
        this.profile = host.profile();
        this.kernelTree = profile.unmapsInAddressOrder() ? null : new KernelRbTree();
        this.memory = memory;
        this.dmaAvail = host.dmaEntryLimit();
        // vfio_update_pgsize_bitmap: sizes below PAGE_SIZE collapse into PAGE_SIZE
        long bitmap = host.iovaPageSizes();
        if ((bitmap & (HostFacts.PAGE_SIZE - 1)) != 0) {
            bitmap = (bitmap & -HostFacts.PAGE_SIZE) | HostFacts.PAGE_SIZE;
        }
        this.pgsizeBitmap = bitmap;
        this.pgsize = Long.lowestOneBit(bitmap);
        this.dirty = new DirtyBitmaps(memory);
    }

    /** {@code vfio_iommu_type1_check_extension}; {@code iommu} is null before SET_IOMMU. */
    private static int checkExtension(Type1Iommu iommu, long arg, HostFacts host) {
        if (arg == VFIO_TYPE1_IOMMU || arg == VFIO_TYPE1v2_IOMMU || arg == VFIO_TYPE1_NESTING_IOMMU) {
            return 1;
        }
        if (arg == VFIO_UNMAP_ALL && host.profile().hasUnmapAllAndVaddr()) {
            return 1;
        }
        if (arg == VFIO_UPDATE_VADDR && host.profile().hasUnmapAllAndVaddr()) {
            return iommu == null ? 0 : 1; // asks the container's own IOMMU state (verified on 6.1)
        }
        if (arg == VFIO_DMA_CC_IOMMU) {
            return iommu == null ? 0 : host.enforceCacheCoherency() ? 1 : 0;
        }
        return 0;
    }

    /** {@code vfio_iommu_type1_open}: only the three type1 flavours open. */
    private static Type1Iommu open(long arg, HostFacts host, ProcessMemory memory, FaultGate faults) throws KernelError {
        if (arg != VFIO_TYPE1_IOMMU && arg != VFIO_TYPE1v2_IOMMU && arg != VFIO_TYPE1_NESTING_IOMMU) {
            throw KernelError.of(Errno.EINVAL, "type1 answers CHECK_EXTENSION(" + arg + ") but opens only types 1, 3 and 6"
                    + " (vfio_iommu_type1_open)");
        }
        return new Type1Iommu(arg, host, memory, faults);
    }

    /**
     * Type1 as registered with the VFIO core: its CHECK_EXTENSION for a container without a driver
     * and its {@code open}, over the kernel's host facts, process memory and fault plan.
     */
    public static IommuDriverOps driver(KernelServices kernel) {
        return new IommuDriverOps() {
            @Override
            public int checkExtension(long arg) {
                return Type1Iommu.checkExtension(null, arg, kernel.facts());
            }

            @Override
            public IommuDriver open(long arg) throws KernelError {
                return Type1Iommu.open(arg, kernel.facts(), kernel.memory(), kernel.faults());
            }
        };
    }

    @Override
    public String name() {
        return v2 ? "type1v2" : "type1";
    }

    @Override
    public int checkExtension(long arg) {
        return checkExtension(this, arg, host);
    }

    @Override
    public VfioIoctls.FileKind fileKind() {
        return VfioIoctls.FileKind.TYPE1_CONTAINER;
    }

    /** {@code vfio_iommu_type1_attach_group}. */
    @Override
    public void attachGroup(int group) throws KernelError {
        if (groups.contains(group)) {
            throw KernelError.of(Errno.EINVAL, "group " + group + " is already attached to this IOMMU (vfio_iommu_type1_attach_group)");
        }
        if (nesting && !host.nestingSupported()) {
            // 5.13+ asks iommu_enable_nesting (EINVAL without the op); before, the Intel IOMMU answered
            // DOMAIN_ATTR_NESTING with ENODEV when it has no nested mode (verified on 5.10)
            boolean enableNesting = host.profile().hasIommuEnableNesting();
            throw KernelError.of(enableNesting ? Errno.EINVAL : Errno.ENODEV, "VFIO_TYPE1_NESTING_IOMMU needs nested translation,"
                    + " which this IOMMU does not offer (" + (enableNesting ? "iommu_enable_nesting"
                    : "iommu_domain_set_attr(DOMAIN_ATTR_NESTING)") + " in vfio_iommu_type1_attach_group)");
        }
        if (!host.interruptRemapping()) {
            throw KernelError.of(Errno.EPERM, "the IOMMU of group " + group + " cannot remap interrupts and"
                    + " allow_unsafe_interrupts is off (vfio_iommu_type1_attach_group)");
        }
        groups.add(group);
    }

    /** {@code vfio_iommu_type1_detach_group}: the last group's detach unmaps and unpins everything. */
    @Override
    public void detachGroup(int group) {
        groups.remove(Integer.valueOf(group));
        if (groups.isEmpty()) {
            release();
        }
    }

    /** {@code vfio_iommu_type1_release}: unmaps and unpins everything. */
    @Override
    public void release() {
        for (int n = mappings.first(); n != -1; n = mappings.next(n)) {
            unpin(mappings.value(n));
        }
        mappings.clear();
        if (kernelTree != null) {
            kernelTree.clear();
        }
        dmaAvail = host.dmaEntryLimit();
    }

    /** The mapping containing {@code iova}, or null: what the IOMMU translates a device access with. */
    Dma mappingAt(long iova) {
        int n = mappings.containing(iova);
        return n == -1 ? null : mappings.value(n);
    }

    /** A device access through the mapping containing {@code iova} ({@code iommu_iova_to_phys} and the mapping's prot). */
    @Override
    public Translation translate(long iova, boolean write) {
        Dma d = mappingAt(iova);
        if (d == null) {
            return new Refused(String.format("no mapping covers IOVA 0x%x", iova));
        }
        if (write ? !d.write : !d.read) {
            return new Refused(String.format("the mapping [0x%x, +0x%x) is not %s by the device (no VFIO_DMA_MAP_FLAG_%s)", d.iova,
                    d.size, write ? "writable" : "readable", write ? "WRITE" : "READ"));
        }
        long offset = iova - d.iova;
        if (d.remote != null) {
            return d.remote.live() ? new Remote(d.remote.memory(), d.vaddr - d.remote.address() + offset, d.size - offset)
                    : new Target(null, offset, d.size - offset, "mapping", d.iova, d.size);
        }
        // the shared registered segment, not a slice: no allocation per access beyond the Target
        return new Target(d.backing, d.backing == null ? offset : d.backingOffset() + offset, d.size - offset, "mapping", d.iova, d.size);
    }

    boolean isV2() {
        return v2;
    }

    /** The ioctls of a container with this IOMMU ({@code vfio_iommu_type1_ioctl}). */
    @Override
    public int ioctl(long request, UserArg arg, SyscallContext call) throws KernelError {
        if (request == VFIO_CHECK_EXTENSION) {
            return checkExtension(this, arg.value, host);
        } else if (request == VFIO_IOMMU_GET_INFO) {
            return getInfo(arg, call);
        } else if (request == VFIO_IOMMU_MAP_DMA) {
            return mapDma(arg, call);
        } else if (request == VFIO_IOMMU_UNMAP_DMA) {
            return unmapDma(arg, call);
        } else if (request == VFIO_IOMMU_DIRTY_PAGES && profile.hasDirtyPageTracking()) { // since Linux 5.8
            return dirtyPages(arg, call);
        }
        throw KernelError.of(Errno.ENOTTY, "the type1 IOMMU has no ioctl 0x" + Long.toHexString(request) + " (vfio_iommu_type1_ioctl)");
    }

    // ---- VFIO_IOMMU_GET_INFO ----

    private int getInfo(UserArg arg, SyscallContext call) throws KernelError {
        int minsz = vfio_iommu_type1_info.iova_pgsizes + Long.BYTES; // offsetofend(iova_pgsizes)
        // offsetofend(cap_offset): written only when argsz allows, for old callers
        int capsz = vfio_iommu_type1_info.cap_offset + Integer.BYTES;
        int argsz = arg.copyIn(minsz, "struct vfio_iommu_type1_info");
        call.describe(() -> "{argsz=" + argsz + "}");
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below the 16 bytes of struct vfio_iommu_type1_info up to"
                    + " iova_pgsizes (vfio_iommu_type1_get_info)");
        }
        // 6.6+ ("vfio: align capability structures"): min(argsz, sizeof) bytes of a zeroed struct, padding included
        boolean whole = profile.copiesWholeInfoStructs();
        int copyBack = whole ? (int) Math.min(Integer.toUnsignedLong(argsz), vfio_iommu_type1_info.SIZE)
                : Integer.compareUnsigned(argsz, capsz) >= 0 ? capsz : minsz;
        InfoCapChain caps = capabilities();
        int flags = VFIO_IOMMU_INFO_PGSIZES | (caps.isEmpty() ? 0 : VFIO_IOMMU_INFO_CAPS);
        InfoCapChain.Placement placed = caps.place(arg, argsz, vfio_iommu_type1_info.SIZE, "the capability chain");
        arg.checkWritable(0, copyBack, "struct vfio_iommu_type1_info");
        byte[] info = new byte[vfio_iommu_type1_info.SIZE];
        ByteBuffer b = ByteBuffer.wrap(info).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(vfio_iommu_type1_info.argsz, placed.argsz());
        b.putInt(vfio_iommu_type1_info.flags, flags);
        b.putLong(vfio_iommu_type1_info.iova_pgsizes, pgsizeBitmap);
        b.putInt(vfio_iommu_type1_info.cap_offset, placed.capOffset());
        arg.putBytes(0, java.util.Arrays.copyOf(info, copyBack));
        String outFlags = caps.isEmpty() ? "PGSIZES" : "PGSIZES|CAPS";
        call.describe(() -> "{argsz=" + argsz + "} -> {argsz=" + placed.argsz() + ", flags=" + outFlags
                + ", iova_pgsizes=0x" + Long.toHexString(pgsizeBitmap) + ", cap_offset=" + placed.capOffset() + "}");
        return 0;
    }

    /** The capabilities {@code vfio_iommu_type1_get_info} adds: MIGRATION, DMA_AVAIL (5.8, 5.10), IOVA_RANGE. */
    private InfoCapChain capabilities() {
        InfoCapChain caps = new InfoCapChain(profile.copiesWholeInfoStructs());
        if (profile.hasDirtyPageTracking()) {
            // vfio_iommu_migration_build_caps: smallest page size, DIRTY_BITMAP_SIZE_MAX bytes
            caps.add(VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1, vfio_iommu_type1_info_cap_migration.SIZE)
                    .putInt(vfio_iommu_type1_info_cap_migration.flags, 0)
                    .putLong(vfio_iommu_type1_info_cap_migration.pgsize_bitmap, pgsize)
                    .putLong(vfio_iommu_type1_info_cap_migration.max_dirty_bitmap_size, DirtyBitmaps.SIZE_MAX);
            // vfio_iommu_dma_avail_build_caps
            caps.add(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1, vfio_iommu_type1_info_dma_avail.SIZE)
                    .putInt(vfio_iommu_type1_info_dma_avail.avail, dmaAvail);
        }
        List<IovaRange> ranges = host.iovaRanges();
        if (!ranges.isEmpty()) { // vfio_iommu_iova_build_caps: no cap for an empty list
            int first = vfio_iommu_type1_info_cap_iova_range.iova_ranges;
            ByteBuffer b = caps.add(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1, first + vfio_iova_range.SIZE * ranges.size());
            b.putInt(vfio_iommu_type1_info_cap_iova_range.nr_iovas, ranges.size());
            for (int i = 0; i < ranges.size(); i++) {
                int at = first + vfio_iova_range.SIZE * i;
                b.putLong(at + vfio_iova_range.start, ranges.get(i).start()).putLong(at + vfio_iova_range.end, ranges.get(i).end());
            }
        }
        return caps;
    }

    // ---- VFIO_IOMMU_MAP_DMA ----

    private int mapDma(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_iommu_type1_dma_map.SIZE, "struct vfio_iommu_type1_dma_map");
        int flags = arg.u32(vfio_iommu_type1_dma_map.flags);
        long vaddr = arg.u64(vfio_iommu_type1_dma_map.vaddr);
        long iova = arg.u64(vfio_iommu_type1_dma_map.iova);
        long size = arg.u64(vfio_iommu_type1_dma_map.size);
        call.describe(() -> String.format("{argsz=%d, flags=%s, vaddr=0x%x, iova=0x%x, size=0x%x}", argsz, TraceText.dmaMapFlags(flags),
                vaddr, iova, size));
        faults.enter(Syscall.MAP_DMA);
        int known = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE | (profile.hasUnmapAllAndVaddr() ? VFIO_DMA_MAP_FLAG_VADDR : 0);
        if (Integer.compareUnsigned(argsz, vfio_iommu_type1_dma_map.SIZE) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below sizeof(struct vfio_iommu_type1_dma_map) = 32 (vfio_iommu_type1_map_dma)");
        }
        if ((flags & ~known) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("flags 0x%x has bits other than READ, WRITE%s (vfio_iommu_type1_map_dma)",
                    flags, profile.hasUnmapAllAndVaddr() ? ", VADDR" : ""));
        }
        boolean read = (flags & VFIO_DMA_MAP_FLAG_READ) != 0;
        boolean write = (flags & VFIO_DMA_MAP_FLAG_WRITE) != 0;
        boolean setVaddr = (flags & VFIO_DMA_MAP_FLAG_VADDR) != 0;
        if ((read || write) == setVaddr) {
            throw KernelError.of(Errno.EINVAL, setVaddr
                    ? "VADDR updates a mapping's address and takes neither READ nor WRITE (vfio_dma_do_map)"
                    : "a mapping must let the device READ, WRITE or both; flags has neither (vfio_dma_do_map)");
        }
        if (size == 0) {
            throw KernelError.of(Errno.EINVAL, "size is 0 (vfio_dma_do_map)");
        }
        if (((size | iova | vaddr) & (pgsize - 1)) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("iova 0x%x, vaddr 0x%x and size 0x%x must all be multiples of the"
                    + " smallest IOMMU page size 0x%x (vfio_dma_do_map)", iova, vaddr, size, pgsize));
        }
        if (Long.compareUnsigned(iova + size - 1, iova) < 0 || Long.compareUnsigned(vaddr + size - 1, vaddr) < 0) {
            throw KernelError.of(Errno.EINVAL, String.format("[iova 0x%x, +0x%x) or [vaddr 0x%x, +0x%x) wraps past 2^64"
                    + " (vfio_dma_do_map)", iova, size, vaddr, size));
        }
        long last = iova + size - 1;
        int overlap = mappings.locateFirstOverlapping(iova, last); // one descent, reused by insertLocated
        if (setVaddr) {
            return updateVaddr(overlap, iova, size, vaddr);
        }
        if (overlap != -1) {
            Dma d = mappings.value(overlap);
            throw KernelError.of(Errno.EEXIST, String.format("IOVA [0x%x, 0x%x] overlaps the existing mapping [0x%x, 0x%x]"
                    + " (vfio_find_dma in vfio_dma_do_map)", iova, last, d.iova, d.iova + d.size - 1));
        }
        if (dmaAvail == 0) {
            throw KernelError.of(Errno.ENOSPC, "all " + host.dmaEntryLimit() + " mapping slots of this container are in use"
                    + " (dma_entry_limit; vfio_dma_do_map)");
        }
        if (!iovaValid(iova, last)) {
            throw KernelError.of(Errno.EINVAL, String.format("IOVA [0x%x, 0x%x] is not inside one usable IOVA range %s"
                    + " (vfio_iommu_iova_dma_valid)", iova, last, host.iovaRanges()));
        }
        if (kernelTree != null && last == -1L) {
            // only a host whose IOVA ranges reach the top gets here; no x86 IOMMU does
            throw KernelError.of(Errno.EINVAL, "the simulator does not model a mapping that ends at the top of the 64-bit IOVA"
                    + " space on kernels before 5.12: their vfio_link_dma and vfio_find_dma compute its end as 0");
        }
        ProcessMemory.DeviceMapping device = memory.deviceMapping(vaddr, size);
        // memory reached by messages (simulator only: a vfio-user server's in-band guest RAM) has no pages to pin
        ProcessMemory.RemoteRange remote = device == null ? memory.remote(vaddr, size) : null;
        MemorySegment pinned = device != null ? pinDeviceMemory(device, vaddr, write) : remote != null ? null : pin(vaddr, size, write);
        // vfio_pin_pages_remote: pages of a VM_PFNMAP vma are no struct pages (is_invalid_reserved_pfn), never charged
        boolean charged = !memory.capIpcLock() && device == null && remote == null;
        memory.charge(charged ? size / HostFacts.PAGE_SIZE : 0);
        dmaAvail--;
        Dma dma = new Dma(iova, size, vaddr, read, write, pinned, charged);
        dma.remote = remote;
        mappings.insertLocated(iova, last, dma);
        if (kernelTree != null) {
            kernelTree.insert(iova, size); // vfio_link_dma
        }
        return 0;
    }

    /** Linux 6.1 MAP with VADDR: gives an invalidated mapping its new process address. */
    private int updateVaddr(int overlap, long iova, long size, long vaddr) throws KernelError {
        if (overlap == -1) {
            throw KernelError.of(Errno.ENOENT, String.format("no mapping overlaps IOVA 0x%x to update its vaddr (vfio_dma_do_map)", iova));
        }
        Dma d = mappings.value(overlap);
        if (d.vaddrValid || d.iova != iova || d.size != size) {
            throw KernelError.of(Errno.EINVAL, "a VADDR update must name exactly one mapping whose vaddr was invalidated"
                    + " with VFIO_DMA_UNMAP_FLAG_VADDR (vfio_dma_do_map)");
        }
        MemorySegment m = memory.registration(vaddr, size);
        d.vaddr = vaddr;
        d.backing = m != null && m.byteSize() - (vaddr - m.address()) >= size ? m : null;
        d.remote = d.backing == null ? memory.remote(vaddr, size) : null;
        d.vaddrValid = true;
        return 0;
    }

    private boolean iovaValid(long first, long last) {
        for (IovaRange r : host.iovaRanges()) {
            if (r.contains(first, last)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code vfio_pin_pages_remote}: page by page, a page the process has not mapped faults
     * (EFAULT), so does WRITE to read-only memory, and the page that would pass RLIMIT_MEMLOCK
     * fails with ENOMEM; whichever comes first wins, and nothing stays pinned. Returns the whole
     * registered segment the memory lies in.
     */
    private MemorySegment pin(long vaddr, long size, boolean write) throws KernelError {
        MemorySegment m = memory.registration(vaddr, size);
        long pages = size / HostFacts.PAGE_SIZE;
        boolean readOnly = m != null && write && m.isReadOnly();
        long reach = m == null ? 0 : Math.min(size, m.byteSize() - (vaddr - m.address())); // bytes mapped from vaddr on
        long faultAt = readOnly ? 0 : reach / HostFacts.PAGE_SIZE; // first page that faults
        long allowance = memory.allowance();
        long realFailure = faultAt < pages && faultAt <= allowance ? faultAt : Math.min(allowance, pages); // page index, or pages
        injectPinFailures(Math.min(pages, realFailure + 1), pages);
        if (faultAt < pages && faultAt <= allowance) {
            long at = vaddr + faultAt * HostFacts.PAGE_SIZE;
            throw KernelError.of(Errno.EFAULT, readOnly
                    ? String.format("vaddr 0x%x is read-only memory but the mapping asks for WRITE (vaddr_get_pfns)", at)
                    : String.format("vaddr 0x%x is not memory of this process (never passed through userAddress, or freed)"
                            + " (vaddr_get_pfns)", at));
        }
        if (allowance < pages) {
            throw KernelError.of(Errno.ENOMEM, String.format("pinning %d pages would pass RLIMIT_MEMLOCK: %d of %d pages are"
                    + " locked already (vfio_pin_pages_remote)", pages, memory.lockedPages(), memory.limitPages()));
        }
        return m;
    }

    /**
     * {@code vaddr_get_pfns} on a VM_PFNMAP vma (an mmap of a device region, such as another
     * device's BAR for peer-to-peer DMA): pin_user_pages fails there, and the kernel takes the pfn
     * from the page tables instead ({@code follow_fault_pfn}), faulting the page in first; a WRITE
     * mapping needs a vma mapped with PROT_WRITE (EFAULT otherwise).
     */
    private MemorySegment pinDeviceMemory(ProcessMemory.DeviceMapping device, long vaddr, boolean write) throws KernelError {
        if (write && !device.writable()) {
            throw KernelError.of(Errno.EFAULT, String.format("vaddr 0x%x is an mmap of device memory without PROT_WRITE but the"
                    + " mapping asks for WRITE (follow_fault_pfn in vaddr_get_pfns)", vaddr));
        }
        return device.segment();
    }

    /**
     * Counts the pages pinning tries, one by one, against injected {@link Syscall#PIN_PAGE} faults: a
     * page that fails ends the MAP_DMA with that errno, and as {@code vfio_dma_do_map} then removes
     * the half-built mapping ({@code vfio_remove_dma}), nothing stays pinned or charged.
     */
    private void injectPinFailures(long attempted, long pages) throws KernelError {
        if (!faults.watches(Syscall.PIN_PAGE)) {
            return;
        }
        for (long page = 0; page < attempted; page++) {
            Optional<FaultGate.Injected> f = faults.failure(Syscall.PIN_PAGE);
            if (f.isPresent()) {
                throw KernelError.of(f.get().errno(), String.format("injected fault: %s: page %d of the %d pages of this mapping could"
                        + " not be pinned (vfio_pin_pages_remote); vfio_dma_do_map unwound the %d pinned before it: no mapping, no"
                        + " page charged", f.get(), page + 1, pages, page));
            }
        }
    }

    private void unpin(Dma d) {
        memory.uncharge(d.chargedPages());
        dmaAvail++;
    }

    // ---- VFIO_IOMMU_UNMAP_DMA ----

    private int unmapDma(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_iommu_type1_dma_unmap.SIZE, "struct vfio_iommu_type1_dma_unmap");
        int flags = arg.u32(vfio_iommu_type1_dma_unmap.flags);
        long iova = arg.u64(vfio_iommu_type1_dma_unmap.iova);
        long requested = arg.u64(vfio_iommu_type1_dma_unmap.size);
        call.describe(() -> String.format("{argsz=%d, flags=%s, iova=0x%x, size=0x%x}", argsz, TraceText.dmaUnmapFlags(flags), iova, requested));
        faults.enter(Syscall.UNMAP_DMA);
        long size = requested;
        int known = (profile.hasDirtyPageTracking() ? VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP : 0)
                | (profile.hasUnmapAllAndVaddr() ? VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR : 0);
        if (Integer.compareUnsigned(argsz, vfio_iommu_type1_dma_unmap.SIZE) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below sizeof(struct vfio_iommu_type1_dma_unmap) = 24"
                    + " (vfio_iommu_type1_unmap_dma)");
        }
        if ((flags & ~known) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("flags 0x%x: %s (vfio_iommu_type1_unmap_dma)", flags,
                    profile.hasUnmapAllAndVaddr() ? "only GET_DIRTY_BITMAP, ALL and VADDR are defined"
                            : profile.hasDirtyPageTracking() ? "only GET_DIRTY_BITMAP is defined" : "this kernel defines no unmap flags"));
        }
        boolean all = (flags & VFIO_DMA_UNMAP_FLAG_ALL) != 0;
        boolean invalidate = (flags & VFIO_DMA_UNMAP_FLAG_VADDR) != 0;
        DirtyBitmaps.UserBitmap bitmap = (flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) == 0 ? null
                : unmapBitmap(arg, argsz, all || invalidate, requested);
        if ((iova & (pgsize - 1)) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("iova 0x%x is not a multiple of the smallest IOMMU page size 0x%x"
                    + " (vfio_dma_do_unmap)", iova, pgsize));
        }
        if (all) {
            if (iova != 0 || size != 0) {
                throw KernelError.of(Errno.EINVAL, "UNMAP_FLAG_ALL requires iova and size to be 0 (vfio_dma_do_unmap)");
            }
            size = -1L;
        } else if (size == 0 || (size & (pgsize - 1)) != 0 || Long.compareUnsigned(iova + size - 1, iova) < 0) {
            throw KernelError.of(Errno.EINVAL, size == 0 ? "size is 0 (vfio_dma_do_unmap)"
                    : String.format("size 0x%x is not a multiple of 0x%x or [0x%x, +0x%x) wraps (vfio_dma_do_unmap)", size, pgsize, iova, size));
        }
        if (bitmap != null && (!dirty.tracking() || bitmap.pgsize() != pgsize)) {
            throw KernelError.of(Errno.EINVAL, !dirty.tracking()
                    ? "GET_DIRTY_BITMAP needs dirty-page tracking started with VFIO_IOMMU_DIRTY_PAGES, which is off (vfio_dma_do_unmap)"
                    : String.format("the bitmap's page size 0x%x is not the IOMMU's smallest page size 0x%x (vfio_dma_do_unmap)",
                            bitmap.pgsize(), pgsize));
        }
        long last = all ? -1L : iova + size - 1;
        int exact = invalidate || all ? -1 : mappings.locate(iova);
        if (exact != -1 && mappings.end(exact) == last) {
            // the common case: exactly one whole mapping; v1 and v2 agree, nothing else can overlap
            Dma d = mappings.value(exact);
            if (bitmap != null) {
                dirty.copyOut(bitmap, iova, d);
            }
            unpin(d);
            mappings.removeLocated();
            if (kernelTree != null) {
                kernelTree.erase(iova);
            }
            return writeUnmapped(arg, call, argsz, flags, iova, requested, d.size);
        }
        if (v2 && !all) {
            requireWholeMappings(iova, last, "type1v2 cannot split mappings", "vfio_dma_do_unmap");
        }
        long unmapped = invalidate ? invalidateVaddrs(iova, last) : removeRange(iova, last, all, bitmap);
        return writeUnmapped(arg, call, argsz, flags, iova, requested, unmapped);
    }

    /**
     * {@code vfio_iommu_type1_unmap_dma} with GET_DIRTY_BITMAP: not with ALL or VADDR, a {@code
     * struct vfio_bitmap} after the 24 fixed bytes (argsz covers it, else EINVAL; unreadable is
     * EFAULT), then {@link DirtyBitmaps#verify} for the unmap's size. Tracking and the page size
     * are checked later, in {@code vfio_dma_do_unmap}.
     */
    private static DirtyBitmaps.UserBitmap unmapBitmap(UserArg arg, int argsz, boolean allOrVaddr, long size) throws KernelError {
        if (allOrVaddr) {
            throw KernelError.of(Errno.EINVAL, "GET_DIRTY_BITMAP cannot be combined with ALL or VADDR (vfio_iommu_type1_unmap_dma)");
        }
        int minsz = vfio_iommu_type1_dma_unmap.data + vfio_bitmap.SIZE;
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + Integer.toUnsignedString(argsz) + " leaves no room for the struct vfio_bitmap"
                    + " of GET_DIRTY_BITMAP: it must be at least " + minsz + " (vfio_iommu_type1_unmap_dma)");
        }
        DirtyBitmaps.UserBitmap b = readBitmap(arg, vfio_iommu_type1_dma_unmap.data);
        DirtyBitmaps.verify(b, size, "vfio_iommu_type1_unmap_dma");
        return b;
    }

    private static DirtyBitmaps.UserBitmap readBitmap(UserArg arg, int at) throws KernelError {
        arg.checkReadable(at, vfio_bitmap.SIZE, "struct vfio_bitmap");
        return new DirtyBitmaps.UserBitmap(arg.u64(at + vfio_bitmap.pgsize), arg.u64(at + vfio_bitmap.size), arg.u64(at + vfio_bitmap.data));
    }

    // ---- VFIO_IOMMU_DIRTY_PAGES ----

    /**
     * {@code vfio_iommu_type1_dirty_pages}: type1v2 only (EACCES), then argsz and exactly one known
     * flag (EINVAL); START and STOP always succeed; GET_BITMAP reads its range after the 8 fixed
     * bytes and checks it in the kernel's order.
     */
    private int dirtyPages(UserArg arg, SyscallContext call) throws KernelError {
        if (!v2) {
            throw KernelError.of(Errno.EACCES, "dirty-page tracking is only for type1v2 containers; this one is type1"
                    + " (vfio_iommu_type1_dirty_pages)");
        }
        int minsz = vfio_iommu_type1_dirty_bitmap.data; // offsetofend(flags)
        int argsz = arg.copyIn(minsz, "struct vfio_iommu_type1_dirty_bitmap");
        int flags = arg.u32(vfio_iommu_type1_dirty_bitmap.flags);
        call.describe(() -> String.format("{argsz=%d, flags=%s}", argsz, TraceText.dirtyPagesFlags(flags)));
        int known = VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP | VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
        if (Integer.compareUnsigned(argsz, minsz) < 0 || (flags & ~known) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("argsz %s must be at least 8 and flags 0x%x may hold only START, STOP"
                    + " and GET_BITMAP (vfio_iommu_type1_dirty_pages)", Integer.toUnsignedString(argsz), flags));
        }
        if (Integer.bitCount(flags) != 1) {
            throw KernelError.of(Errno.EINVAL, String.format("flags 0x%x must be exactly one of START, STOP and GET_BITMAP"
                    + " (vfio_iommu_type1_dirty_pages)", flags));
        }
        if (flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_START) {
            dirty.start(); // vfio_dma_bitmap_alloc_all: a bitmap per mapping, all clear; ENOMEM is not modelled
        } else if (flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
            dirty.stop();
        } else {
            getBitmap(arg, argsz, minsz);
        }
        return 0;
    }

    /** GET_BITMAP: the checks of {@code vfio_iommu_type1_dirty_pages}, then {@code vfio_iova_dirty_bitmap}. */
    private void getBitmap(UserArg arg, int argsz, int minsz) throws KernelError {
        long dataSize = Integer.toUnsignedLong(argsz) - minsz;
        if (dataSize < vfio_iommu_type1_dirty_bitmap_get.SIZE) {
            throw KernelError.of(Errno.EINVAL, "argsz " + Integer.toUnsignedString(argsz) + " leaves no room for the "
                    + vfio_iommu_type1_dirty_bitmap_get.SIZE + "-byte struct vfio_iommu_type1_dirty_bitmap_get after flags"
                    + " (vfio_iommu_type1_dirty_pages)");
        }
        arg.checkReadable(minsz, vfio_iommu_type1_dirty_bitmap_get.SIZE, "struct vfio_iommu_type1_dirty_bitmap_get");
        long iova = arg.u64(minsz + vfio_iommu_type1_dirty_bitmap_get.iova);
        long size = arg.u64(minsz + vfio_iommu_type1_dirty_bitmap_get.size);
        DirtyBitmaps.UserBitmap b = readBitmap(arg, minsz + vfio_iommu_type1_dirty_bitmap_get.bitmap);
        if (Long.compareUnsigned(iova + size, iova) < 0) {
            throw KernelError.of(Errno.EINVAL, String.format("[iova 0x%x, +0x%x) wraps past 2^64 (vfio_iommu_type1_dirty_pages)", iova, size));
        }
        DirtyBitmaps.verify(b, size, "vfio_iommu_type1_dirty_pages");
        if (b.pgsize() != pgsize) {
            throw KernelError.of(Errno.EINVAL, String.format("the bitmap's page size 0x%x is not the IOMMU's smallest page size 0x%x"
                    + " (vfio_iommu_type1_dirty_pages)", b.pgsize(), pgsize));
        }
        if ((iova & (pgsize - 1)) != 0 || size == 0 || (size & (pgsize - 1)) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("iova 0x%x and size 0x%x must be non-zero multiples of the page size 0x%x"
                    + " (vfio_iommu_type1_dirty_pages)", iova, size, pgsize));
        }
        if (!dirty.tracking()) {
            throw KernelError.of(Errno.EINVAL, "GET_BITMAP needs dirty-page tracking started with START, which is off"
                    + " (vfio_iommu_type1_dirty_pages)");
        }
        long last = iova + size - 1;
        requireWholeMappings(iova, last, "GET_BITMAP must cover whole mappings", "vfio_iova_dirty_bitmap");
        for (int n = mappings.firstOverlapping(iova, last); n != -1 && Long.compareUnsigned(mappings.start(n), last) <= 0;
                n = mappings.next(n)) {
            dirty.copyOut(b, iova, mappings.value(n));
        }
    }

    /** On success only: the fixed 24 bytes go back with {@code size} set to what was unmapped. */
    private static int writeUnmapped(UserArg arg, SyscallContext call, int argsz, int flags, long iova, long requested,
                                     long unmapped) throws KernelError {
        arg.checkWritable(0, vfio_iommu_type1_dma_unmap.SIZE, "struct vfio_iommu_type1_dma_unmap");
        arg.putU64(vfio_iommu_type1_dma_unmap.size, unmapped);
        call.describe(() -> String.format("{argsz=%d, flags=%s, iova=0x%x, size=0x%x} -> {size=0x%x}", argsz, TraceText.dmaUnmapFlags(flags),
                iova, requested, unmapped));
        return 0;
    }

    /**
     * Removes mappings in address order from the first one overlapping the range (5.12+; before,
     * {@link #removeInTreeOrder}). v1: a first mapping that starts before {@code iova} stops the
     * walk; later ones are removed whole even past the range's end. With
     * a dirty bitmap, each mapping's bits go out before it is removed; a fault ends the walk with
     * EFAULT, and the mappings removed before it stay removed ({@code vfio_dma_do_unmap}).
     */
    private long removeRange(long iova, long last, boolean all, DirtyBitmaps.UserBitmap bitmap) throws KernelError {
        if (kernelTree != null) {
            return removeInTreeOrder(iova, last, bitmap);
        }
        long unmapped = 0;
        int n = mappings.firstOverlapping(iova, last);
        while (n != -1 && Long.compareUnsigned(mappings.start(n), last) <= 0) {
            long start = mappings.start(n);
            long end = mappings.end(n);
            if (!v2 && !all && Long.compareUnsigned(iova, start) > 0) {
                break;
            }
            Dma d = mappings.value(n);
            if (bitmap != null) {
                dirty.copyOut(bitmap, iova, d);
            }
            unmapped += d.size;
            unpin(d);
            mappings.remove(start); // moves other intervals: the next one is found again by address
            // the next mapping can only matter if this one ends before the range does
            n = Long.compareUnsigned(end, last) < 0 ? mappings.ceiling(end + 1) : -1;
        }
        return unmapped;
    }

    /**
     * The check {@code vfio_dma_do_unmap} (type1v2) and {@code vfio_iova_dirty_bitmap} both make:
     * [iova, last] cuts no mapping in two, neither at its start nor at its end (EINVAL).
     */
    private void requireWholeMappings(long iova, long last, String rule, String function) throws KernelError {
        int first = mappings.containing(iova);
        if (first != -1 && mappings.start(first) != iova) {
            throw KernelError.of(Errno.EINVAL, String.format("%s: the range starts at 0x%x inside the mapping [0x%x, 0x%x] (%s)", rule,
                    iova, mappings.start(first), mappings.end(first), function));
        }
        int end = mappings.containing(last);
        if (end != -1 && mappings.end(end) != last) {
            throw KernelError.of(Errno.EINVAL, String.format("%s: the range ends at 0x%x inside the mapping [0x%x, 0x%x] (%s)", rule,
                    last, mappings.start(end), mappings.end(end), function));
        }
    }

    /**
     * Before 5.12 ({@code vfio_dma_do_unmap}): {@code vfio_find_dma} again and again, each time the
     * first overlapping mapping on the rb-tree's path from its root; on a v1 container the walk
     * stops at one that starts before {@code iova}. So the order, which mappings a v1 unmap
     * removes, and the bits a dirty bitmap ends with follow the tree's shape (verified on 5.10).
     */
    private long removeInTreeOrder(long iova, long last, DirtyBitmaps.UserBitmap bitmap) throws KernelError {
        long unmapped = 0;
        long size = last - iova + 1;
        for (long start = kernelTree.findFirst(iova, size); start != KernelRbTree.NONE; start = kernelTree.findFirst(iova, size)) {
            if (!v2 && Long.compareUnsigned(iova, start) > 0) {
                break;
            }
            Dma d = mappings.value(mappings.locate(start));
            if (bitmap != null) {
                dirty.copyOut(bitmap, iova, d);
            }
            unmapped += d.size;
            unpin(d);
            mappings.remove(start);
            kernelTree.erase(start);
        }
        return unmapped;
    }

    /** UNMAP with VADDR: marks vaddrs invalid; a mapping already invalid undoes this call's marks (EINVAL). */
    private long invalidateVaddrs(long iova, long last) throws KernelError {
        List<Dma> marked = new ArrayList<>();
        long total = 0;
        for (int n = mappings.firstOverlapping(iova, last); n != -1 && Long.compareUnsigned(mappings.start(n), last) <= 0; n = mappings.next(n)) {
            Dma d = mappings.value(n);
            if (!v2 && Long.compareUnsigned(iova, d.iova) > 0) {
                break;
            }
            if (!d.vaddrValid) {
                marked.forEach(m -> m.vaddrValid = true);
                throw KernelError.of(Errno.EINVAL, String.format("the vaddr of mapping [0x%x, 0x%x] is already invalid (vfio_dma_do_unmap)",
                        d.iova, d.iova + d.size - 1));
            }
            d.vaddrValid = false;
            marked.add(d);
            total += d.size;
        }
        return total;
    }

    // ---- inspection for the simulator's control API ----

    /** The live mappings in IOVA order. */
    public List<Dma> mappings() {
        List<Dma> out = new ArrayList<>(mappings.size());
        for (int n = mappings.first(); n != -1; n = mappings.next(n)) {
            out.add(mappings.value(n));
        }
        return out;
    }

    public int mappingCount() {
        return mappings.size();
    }

    public int dmaAvail() {
        return dmaAvail;
    }
}
