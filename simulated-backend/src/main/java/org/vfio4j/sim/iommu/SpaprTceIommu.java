package org.vfio4j.sim.iommu;

import static org.vfio4j.uapi.VfioStructs.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.vfio4j.Errno;
import org.vfio4j.sim.core.FaultGate;
import org.vfio4j.sim.core.HostFacts;
import org.vfio4j.sim.core.IommuDriver;
import org.vfio4j.sim.core.IommuDriverOps;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.PowerFacts;
import org.vfio4j.sim.core.ProcessMemory;
import org.vfio4j.sim.core.Syscall;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.TraceText;
import org.vfio4j.sim.core.UserArg;
import org.vfio4j.sim.eeh.Eeh;
import org.vfio4j.uapi.VfioIoctls;

/**
 * The sPAPR TCE IOMMU backend of one container, v1 ({@code VFIO_SPAPR_TCE_IOMMU}) or v2 ({@code
 * VFIO_SPAPR_TCE_v2_IOMMU}), as Linux 6.12's {@code drivers/vfio/vfio_iommu_spapr_tce.c} runs on a
 * powernv PHB3/PHB4 ({@code pnv_pci_ioda2_*}): up to two DMA windows ({@link TceTable}), the
 * lazily created default 32-bit window, the v1 ENABLE charge, the process's preregistered memory
 * for v2 ({@link PreregisteredMemory}), and the ioctls GET_INFO, ENABLE/DISABLE (v1),
 * REGISTER/UNREGISTER_MEMORY and TCE_CREATE/REMOVE (v2), MAP/UNMAP_DMA and EEH_PE_OP with the
 * kernel's check order and errno.
 *
 * <p>Ownership by process: every ioctl but CHECK_EXTENSION compares the caller's mm with the one
 * the container recorded on its first ENABLE, REGISTER_MEMORY, TCE_CREATE or TCE_REMOVE, and a
 * different process gets EPERM ({@code tce_iommu_mm_set}, {@code tce_iommu_ioctl}). The simulator
 * has one process, so that check never fails here; what stays observable is whether an mm was
 * recorded at all (UNREGISTER_MEMORY before it is EPERM).
 *
 * <p>Two kernel bugs are modelled as 6.12 behaves, as no contract sends them to a real kernel: a
 * MAP_DMA that starts in a window and runs past its end succeeds ({@link #mapDma}), and
 * UNREGISTER_MEMORY of memory still mapped succeeds and leaks the registration ({@link
 * #unregisterMemory}).
 */
public final class SpaprTceIommu implements IommuDriver, DmaTranslator {
    /** {@code IOMMU_TABLE_GROUP_MAX_TABLES}: the window slots of a container. */
    private static final int MAX_TABLES = 2;
    /** {@code IOMMU_PAGE_SHIFT_4K}: the default window's IOMMU page. */
    private static final int DEFAULT_PAGE_SHIFT = 12;
    private static final long PAGE_SIZE = HostFacts.PAGE_SIZE;
    private static final int PAGE_SHIFT = Long.numberOfTrailingZeros(PAGE_SIZE);

    private final boolean v2;
    private final PowerFacts phb;
    private final ProcessMemory memory;
    private final PreregisteredMemory prereg;
    private final FaultGate faults;
    private final Eeh eeh;
    /** The attached groups (PEs), newest first ({@code group_list}, {@code list_add}). */
    private final List<Integer> groups = new ArrayList<>();
    /** The regions this container registered, newest first ({@code prereg_list}). */
    private final List<PreregisteredMemory.Region> registered = new ArrayList<>();
    private final TceTable[] tables = new TceTable[MAX_TABLES];
    private boolean enabled;
    private boolean defaultWindowPending;
    private boolean mmRecorded;
    /** What v1's ENABLE charged ({@code locked_pages}). */
    private long enableCharge;

    private SpaprTceIommu(boolean v2, PowerFacts phb, ProcessMemory memory, PreregisteredMemory prereg, FaultGate faults, Eeh eeh) {
        this.v2 = v2;
        this.phb = phb;
        this.memory = memory;
        this.prereg = prereg;
        this.faults = faults;
        this.eeh = eeh;
    }

    /**
     * The sPAPR TCE driver as registered with the VFIO core on a POWER host: its CHECK_EXTENSION
     * for a container without a driver and its {@code open} ({@code tce_iommu_open}: types 2 and 7
     * only, else EINVAL). The containers it opens share the process's preregistered memory.
     */
    public static IommuDriverOps driver(KernelServices kernel, Eeh eeh) {
        PreregisteredMemory prereg = new PreregisteredMemory(kernel.memory());
        return new IommuDriverOps() {
            @Override
            public int checkExtension(long arg) {
                return SpaprTceIommu.checkExtension(arg, eeh);
            }

            @Override
            public IommuDriver open(long arg) throws KernelError {
                if (arg != VFIO_SPAPR_TCE_IOMMU && arg != VFIO_SPAPR_TCE_v2_IOMMU) {
                    throw KernelError.of(Errno.EINVAL, "the sPAPR TCE IOMMU opens only types 2 (v1) and 7 (v2), not " + arg
                            + " (tce_iommu_open)");
                }
                return new SpaprTceIommu(arg == VFIO_SPAPR_TCE_v2_IOMMU, kernel.facts().power(), kernel.memory(), prereg,
                        kernel.faults(), eeh);
            }
        };
    }

    /** {@code tce_iommu_ioctl(VFIO_CHECK_EXTENSION)}: both sPAPR types, and EEH when it is enabled. */
    private static int checkExtension(long arg, Eeh eeh) {
        if (arg == VFIO_SPAPR_TCE_IOMMU || arg == VFIO_SPAPR_TCE_v2_IOMMU) {
            return 1;
        }
        return arg == VFIO_EEH && eeh != null && eeh.enabled() ? 1 : 0;
    }

    @Override
    public String name() {
        return v2 ? "sPAPR TCE v2" : "sPAPR TCE";
    }

    @Override
    public VfioIoctls.FileKind fileKind() {
        return VfioIoctls.FileKind.SPAPR_CONTAINER;
    }

    @Override
    public int checkExtension(long arg) {
        return checkExtension(arg, eeh);
    }

    // ---- groups ----

    /**
     * {@code tce_iommu_attach_group}: a v1 container takes one group (EBUSY for a second: v1 does
     * not share its tables among PEs), the same group twice is EBUSY, and the first group of a
     * container without windows leaves the default window pending. The windows the container has
     * are programmed into the new PE ({@code tce_iommu_take_ownership}).
     */
    @Override
    public void attachGroup(int group) throws KernelError {
        if (v2 && phb.maxDynamicWindows() == 0) {
            throw KernelError.of(Errno.EINVAL, "v2 needs dynamic DMA windows, which this PHB does not offer (tce_iommu_attach_group)");
        }
        if (!v2 && !groups.isEmpty()) {
            throw KernelError.of(Errno.EBUSY, "a v1 sPAPR container takes one group: it holds group " + groups.get(0)
                    + " and does not share its TCE tables with group " + group + " (tce_iommu_attach_group)");
        }
        if (groups.contains(group)) {
            throw KernelError.of(Errno.EBUSY, "group " + group + " is already attached to this container (tce_iommu_attach_group)");
        }
        if (groups.isEmpty() && tables[0] == null) {
            defaultWindowPending = true;
        }
        groups.add(0, group);
    }

    /**
     * {@code tce_iommu_detach_group}: the PE leaves, and {@code tce_iommu_release_ownership}
     * clears every TCE of every window of the container, whether or not other groups stay (the
     * windows themselves stay until {@link #release}).
     */
    @Override
    public void detachGroup(int group) {
        if (groups.remove(Integer.valueOf(group))) {
            for (TceTable t : tables) {
                if (t != null) {
                    unuse(t.clearAll());
                }
            }
        }
    }

    /**
     * {@code tce_iommu_release}: detaches what is still attached, frees the windows (un-charging
     * their tables), lets go of this container's registrations ({@code mm_iommu_put}; one still
     * mapped by another container stays registered and charged, as the kernel's WARN leaves it),
     * and undoes v1's ENABLE charge.
     */
    @Override
    public void release() {
        while (!groups.isEmpty()) {
            detachGroup(groups.get(0));
        }
        for (int i = 0; i < MAX_TABLES; i++) {
            if (tables[i] != null) {
                freeTable(tables[i]);
            }
        }
        for (PreregisteredMemory.Region r : registered) {
            prereg.put(r);
        }
        registered.clear();
        disable();
    }

    // ---- ioctls ----

    /** The ioctls of a container with this IOMMU ({@code tce_iommu_ioctl}). */
    @Override
    public int ioctl(long request, UserArg arg, SyscallContext call) throws KernelError {
        if (request == VFIO_IOMMU_SPAPR_TCE_GET_INFO) {
            return getInfo(arg, call);
        } else if (request == VFIO_IOMMU_MAP_DMA) {
            return mapDma(arg, call);
        } else if (request == VFIO_IOMMU_UNMAP_DMA) {
            return unmapDma(arg, call);
        } else if (request == VFIO_EEH_PE_OP) {
            return eehPeOp(arg, call);
        } else if (!v2 && request == VFIO_IOMMU_ENABLE) {
            return enable();
        } else if (!v2 && request == VFIO_IOMMU_DISABLE) {
            disable();
            return 0;
        } else if (v2 && request == VFIO_IOMMU_SPAPR_REGISTER_MEMORY) {
            return registerMemory(arg, call);
        } else if (v2 && request == VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY) {
            return unregisterMemory(arg, call);
        } else if (v2 && request == VFIO_IOMMU_SPAPR_TCE_CREATE) {
            return createWindow(arg, call);
        } else if (v2 && request == VFIO_IOMMU_SPAPR_TCE_REMOVE) {
            return removeWindow(arg, call);
        }
        String name = VfioIoctls.name(VfioIoctls.FileKind.SPAPR_CONTAINER, request);
        boolean otherVersion = request == VFIO_IOMMU_ENABLE || request == VFIO_IOMMU_DISABLE
                || request == VFIO_IOMMU_SPAPR_REGISTER_MEMORY || request == VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY
                || request == VFIO_IOMMU_SPAPR_TCE_CREATE || request == VFIO_IOMMU_SPAPR_TCE_REMOVE;
        throw KernelError.of(Errno.ENOTTY, otherVersion
                ? name + " belongs to the sPAPR TCE " + (v2 ? "v1" : "v2") + " IOMMU; this container has " + name() + " (tce_iommu_ioctl)"
                : "the sPAPR TCE IOMMU has no ioctl " + name + " (tce_iommu_ioctl)");
    }

    /**
     * VFIO_IOMMU_SPAPR_TCE_GET_INFO: ENXIO without a group, EINVAL for argsz below the 16 bytes up
     * to {@code dma32_window_size}; writes those 16 bytes, or all 32 (the {@code ddw} part, zero on
     * v1) when argsz allows. v2 on a PHB with dynamic windows sets the DDW flag.
     */
    private int getInfo(UserArg arg, SyscallContext call) throws KernelError {
        if (groups.isEmpty()) {
            throw KernelError.of(Errno.ENXIO, "the container has no group, so no PHB to describe (tce_iommu_ioctl GET_INFO)");
        }
        int minsz = vfio_iommu_spapr_tce_info.dma32_window_size + Integer.BYTES;
        int argsz = arg.copyIn(minsz, "struct vfio_iommu_spapr_tce_info");
        call.describe(() -> "{argsz=" + Integer.toUnsignedString(argsz) + "}");
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + Integer.toUnsignedString(argsz) + " is below the " + minsz + " bytes of struct"
                    + " vfio_iommu_spapr_tce_info up to dma32_window_size (tce_iommu_ioctl GET_INFO)");
        }
        boolean ddw = v2 && phb.maxDynamicWindows() > 0;
        int flags = ddw ? VFIO_IOMMU_SPAPR_INFO_DDW : 0;
        int copy = Integer.compareUnsigned(argsz, vfio_iommu_spapr_tce_info.SIZE) >= 0 ? vfio_iommu_spapr_tce_info.SIZE : minsz;
        arg.checkWritable(0, copy, "struct vfio_iommu_spapr_tce_info");
        ByteBuffer b = ByteBuffer.allocate(vfio_iommu_spapr_tce_info.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(vfio_iommu_spapr_tce_info.argsz, argsz);
        b.putInt(vfio_iommu_spapr_tce_info.flags, flags);
        b.putInt(vfio_iommu_spapr_tce_info.dma32_window_start, (int) phb.dma32WindowStart()); // __u32 tce32_start
        b.putInt(vfio_iommu_spapr_tce_info.dma32_window_size, (int) phb.dma32WindowSize()); // __u32 tce32_size
        if (ddw) {
            int at = vfio_iommu_spapr_tce_info.ddw;
            b.putLong(at + vfio_iommu_spapr_tce_ddw_info.pgsizes, phb.ddwPageSizes());
            b.putInt(at + vfio_iommu_spapr_tce_ddw_info.max_dynamic_windows_supported, phb.maxDynamicWindows());
            b.putInt(at + vfio_iommu_spapr_tce_ddw_info.levels, phb.levels());
        }
        arg.putBytes(0, Arrays.copyOf(b.array(), copy));
        call.describe(() -> String.format("{argsz=%s} -> {flags=%s, dma32_window_start=0x%x, dma32_window_size=0x%x%s}",
                Integer.toUnsignedString(argsz), ddw ? "DDW" : "0", phb.dma32WindowStart(), phb.dma32WindowSize(),
                copy < vfio_iommu_spapr_tce_info.SIZE ? "" : String.format(", ddw={pgsizes=0x%x, max_dynamic_windows_supported=%d,"
                        + " levels=%d}", ddw ? phb.ddwPageSizes() : 0, ddw ? phb.maxDynamicWindows() : 0, ddw ? phb.levels() : 0)));
        return 0;
    }

    /**
     * v1's VFIO_IOMMU_ENABLE ({@code tce_iommu_enable}): EBUSY when enabled, ENODEV without a
     * group, EPERM for a PHB without a 32-bit window; then charges the whole 32-bit window
     * ({@code tce32_size / PAGE_SIZE} pages) against RLIMIT_MEMLOCK (ENOMEM), a worst case for
     * everything the container may map.
     */
    private int enable() throws KernelError {
        if (enabled) {
            throw KernelError.of(Errno.EBUSY, "the container is already enabled (tce_iommu_enable)");
        }
        if (groups.isEmpty()) {
            throw KernelError.of(Errno.ENODEV, "the container has no group whose window could be charged (tce_iommu_enable)");
        }
        if (phb.dma32WindowSize() == 0) {
            throw KernelError.of(Errno.EPERM, "the PHB has no 32-bit DMA window (tce32_size 0; tce_iommu_enable)");
        }
        mmRecorded = true;
        long pages = phb.dma32WindowSize() >>> PAGE_SHIFT;
        if (memory.allowance() < pages) {
            throw KernelError.of(Errno.ENOMEM, String.format("enabling charges the whole 0x%x-byte 32-bit window, %d pages, which"
                    + " would pass RLIMIT_MEMLOCK: %d of %d pages are locked already (account_locked_vm in tce_iommu_enable)",
                    phb.dma32WindowSize(), pages, memory.lockedPages(), memory.limitPages()));
        }
        memory.charge(pages);
        enableCharge = pages;
        enabled = true;
        return 0;
    }

    /** v1's VFIO_IOMMU_DISABLE ({@code tce_iommu_disable}): un-charges ENABLE's pages; the TCEs stay. Always succeeds. */
    private void disable() {
        if (!v2 && enabled) {
            enabled = false;
            memory.uncharge(enableCharge);
            enableCharge = 0;
        }
    }

    /** MAP_DMA and UNMAP_DMA need an enabled container: v1 by ENABLE, v2 by its first REGISTER ({@code tce_iommu_ioctl}). */
    private void requireEnabled(String verb, String request) throws KernelError {
        if (!enabled) {
            throw KernelError.of(Errno.EPERM, v2 ? "nothing is registered: a v2 container " + verb + " only after"
                    + " VFIO_IOMMU_SPAPR_REGISTER_MEMORY (tce_iommu_ioctl " + request + ")"
                    : "the v1 container is not enabled: VFIO_IOMMU_ENABLE first (tce_iommu_ioctl " + request + ")");
        }
    }

    /**
     * VFIO_IOMMU_MAP_DMA: EPERM before v1's ENABLE or v2's first REGISTER_MEMORY; argsz and flags
     * (READ and WRITE only) EINVAL; the pending default window is created; ENXIO for an IOVA in no
     * window; {@code size} and {@code vaddr} must be multiples of the window's IOMMU page (EINVAL);
     * READ or WRITE is needed (EINVAL); a misaligned IOVA returns 1, not an error ({@code
     * iommu_tce_put_param_check} joins its checks with {@code ||}). Then one TCE per IOMMU page
     * ({@code tce_iommu_build}, {@code tce_iommu_build_v2}); a TCE already set is replaced; a size
     * of 0 maps nothing and returns 0.
     *
     * <p>Kernel bug, modelled ({@code iommu_tce_check_ioba} in {@code arch/powerpc/kernel/iommu.c}):
     * only the first page is checked against the window, so a request that starts in the window
     * and runs past its end writes its TCEs past the table and returns 0 on powernv9 (powernv10
     * oopses). The device never reaches those TCEs; UNMAP_DMA over the same range clears them.
     */
    private int mapDma(UserArg arg, SyscallContext call) throws KernelError {
        requireEnabled("maps", "MAP_DMA");
        int argsz = arg.copyIn(vfio_iommu_type1_dma_map.SIZE, "struct vfio_iommu_type1_dma_map");
        int flags = arg.u32(vfio_iommu_type1_dma_map.flags);
        long vaddr = arg.u64(vfio_iommu_type1_dma_map.vaddr);
        long iova = arg.u64(vfio_iommu_type1_dma_map.iova);
        long size = arg.u64(vfio_iommu_type1_dma_map.size);
        call.describe(() -> String.format("{argsz=%s, flags=%s, vaddr=0x%x, iova=0x%x, size=0x%x}", Integer.toUnsignedString(argsz),
                TraceText.dmaMapFlags(flags), vaddr, iova, size));
        faults.enter(Syscall.MAP_DMA);
        if (Integer.compareUnsigned(argsz, vfio_iommu_type1_dma_map.SIZE) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + Integer.toUnsignedString(argsz) + " is below sizeof(struct"
                    + " vfio_iommu_type1_dma_map) = 32 (tce_iommu_ioctl MAP_DMA)");
        }
        if ((flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("flags 0x%x: the sPAPR TCE IOMMU knows only READ and WRITE"
                    + " (tce_iommu_ioctl MAP_DMA)", flags));
        }
        createDefaultWindow();
        TceTable t = window(iova);
        if (t == null) {
            throw KernelError.of(Errno.ENXIO, String.format("IOVA 0x%x is in no DMA window of the container (%s; tce_iommu_find_table)",
                    iova, windowsText()));
        }
        long mask = t.pageSize() - 1;
        if (((size | vaddr) & mask) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("size 0x%x and vaddr 0x%x must be multiples of the %s IOMMU page"
                    + " of %s (tce_iommu_ioctl MAP_DMA)", size, vaddr, TceTable.pageSizeName(t.pageShift()), t));
        }
        if ((flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) == 0) {
            throw KernelError.of(Errno.EINVAL, "a mapping must let the device READ, WRITE or both; flags has neither"
                    + " (tce_iommu_ioctl MAP_DMA)");
        }
        if ((iova & mask) != 0) {
            return 1; // iommu_tce_put_param_check: -EINVAL || ... is 1, which the ioctl returns as its result
        }
        boolean write = (flags & VFIO_DMA_MAP_FLAG_WRITE) != 0;
        if (v2) {
            buildV2(t, iova >>> t.pageShift(), vaddr, size >>> t.pageShift(), write);
        } else {
            build(t, iova >>> t.pageShift(), vaddr, size >>> t.pageShift(), write);
        }
        return 0;
    }

    /**
     * {@code tce_iommu_build} (v1): pins each page ({@code pin_user_pages_fast}, for writing when
     * the device may write: EFAULT for memory the process has not mapped, read-only memory, or a
     * device mmap), refuses an IOMMU page larger than the page behind it (EPERM), and exchanges the
     * TCE. A failure clears the entries this call wrote, old ones it replaced included.
     */
    private void build(TceTable t, long entry, long vaddr, long pages, boolean write) throws KernelError {
        for (long i = 0; i < pages; i++) {
            long ua = vaddr + (i << t.pageShift());
            MemorySegment page;
            try {
                page = pinPage(ua, write);
                if (t.pageShift() > PAGE_SHIFT) {
                    throw KernelError.of(Errno.EPERM, String.format("the %s IOMMU page at vaddr 0x%x is larger than the 4K page behind"
                            + " it (tce_page_is_contained in tce_iommu_build)", TceTable.pageSizeName(t.pageShift()), ua));
                }
            } catch (KernelError e) {
                unuse(t.clear(entry, i));
                throw e;
            }
            unuse(t.exchange(entry + i, new TceTable.Tce(ua, page.asSlice(0, t.pageSize()), write, null)));
        }
    }

    /** {@code tce_iommu_use_page}: the page at {@code ua}, pinned ({@code pin_user_pages_fast}); an injected PIN_PAGE fault fails it. */
    private MemorySegment pinPage(long ua, boolean write) throws KernelError {
        long base = ua & -PAGE_SIZE;
        if (faults.watches(Syscall.PIN_PAGE)) {
            Optional<FaultGate.Injected> f = faults.failure(Syscall.PIN_PAGE);
            if (f.isPresent()) {
                throw KernelError.of(f.get().errno(), String.format("injected fault: %s: the page at vaddr 0x%x could not be pinned"
                        + " (tce_iommu_use_page)", f.get(), base));
            }
        }
        if (memory.deviceMapping(base, PAGE_SIZE) != null) {
            throw KernelError.of(Errno.EFAULT, String.format("vaddr 0x%x is an mmap of device memory (VM_PFNMAP), whose pages"
                    + " cannot be pinned (pin_user_pages_fast in tce_iommu_use_page)", base));
        }
        MemorySegment m = memory.resolve(base, PAGE_SIZE);
        if (m == null || m.byteSize() < PAGE_SIZE || (write && m.isReadOnly())) {
            throw KernelError.of(Errno.EFAULT, String.format("the page at vaddr 0x%x cannot be pinned%s: %s (pin_user_pages_fast in"
                    + " tce_iommu_use_page)", base, write ? " for writing" : "", m != null && m.byteSize() >= PAGE_SIZE
                            ? "it is read-only" : "it is not memory of this process"));
        }
        return m;
    }

    /**
     * {@code tce_iommu_build_v2}: each IOMMU page must lie inside one preregistered region of the
     * process (EINVAL) whose pages are at least the IOMMU page ({@code mm_iommu_ua_to_hpa}: the
     * simulator's memory has 4K pages, no hugetlb, so a 64K window cannot map: EINVAL); the TCE
     * then counts as a use of the region. A failure clears the entries this call wrote.
     */
    private void buildV2(TceTable t, long entry, long vaddr, long pages, boolean write) throws KernelError {
        for (long i = 0; i < pages; i++) {
            long ua = vaddr + (i << t.pageShift());
            PreregisteredMemory.Region r = prereg.lookup(ua, t.pageSize());
            KernelError e = r == null ? KernelError.of(Errno.EINVAL, String.format("the IOMMU page [0x%x, +0x%x) is not inside one"
                    + " preregistered region (mm_iommu_lookup in tce_iommu_prereg_ua_to_hpa)", ua, t.pageSize()))
                    : t.pageShift() > PAGE_SHIFT ? KernelError.of(Errno.EINVAL, String.format("region %s is pinned in 4K pages, smaller"
                    + " than the %s IOMMU pages of %s (mm_iommu_ua_to_hpa in tce_iommu_prereg_ua_to_hpa)", r,
                    TceTable.pageSizeName(t.pageShift()), t))
                    : null;
            if (e != null) {
                unuse(t.clear(entry, i));
                throw e;
            }
            PreregisteredMemory.mappedInc(r);
            MemorySegment m = r.memory.asSlice(ua - r.ua, t.pageSize());
            unuse(t.exchange(entry + i, new TceTable.Tce(ua, m, write, r)));
        }
    }

    /**
     * VFIO_IOMMU_UNMAP_DMA: EPERM before enabling; argsz EINVAL, any flag EINVAL; the pending
     * default window is created; ENXIO outside every window; a size not a multiple of the IOMMU
     * page EINVAL; a misaligned IOVA returns 1 ({@code iommu_tce_clear_param_check}); then the
     * entries are cleared, set or not ({@code tce_iommu_clear}). Nothing is written back: {@code
     * size} stays what was asked.
     */
    private int unmapDma(UserArg arg, SyscallContext call) throws KernelError {
        requireEnabled("unmaps", "UNMAP_DMA");
        int argsz = arg.copyIn(vfio_iommu_type1_dma_unmap.SIZE, "struct vfio_iommu_type1_dma_unmap");
        int flags = arg.u32(vfio_iommu_type1_dma_unmap.flags);
        long iova = arg.u64(vfio_iommu_type1_dma_unmap.iova);
        long size = arg.u64(vfio_iommu_type1_dma_unmap.size);
        call.describe(() -> String.format("{argsz=%s, flags=%s, iova=0x%x, size=0x%x}", Integer.toUnsignedString(argsz),
                TraceText.dmaUnmapFlags(flags), iova, size));
        faults.enter(Syscall.UNMAP_DMA);
        if (Integer.compareUnsigned(argsz, vfio_iommu_type1_dma_unmap.SIZE) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + Integer.toUnsignedString(argsz) + " is below sizeof(struct"
                    + " vfio_iommu_type1_dma_unmap) = 24 (tce_iommu_ioctl UNMAP_DMA)");
        }
        if (flags != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("flags 0x%x: the sPAPR TCE IOMMU supports no unmap flag"
                    + " (tce_iommu_ioctl UNMAP_DMA)", flags));
        }
        createDefaultWindow();
        TceTable t = window(iova);
        if (t == null) {
            throw KernelError.of(Errno.ENXIO, String.format("IOVA 0x%x is in no DMA window of the container (%s; tce_iommu_find_table)",
                    iova, windowsText()));
        }
        long mask = t.pageSize() - 1;
        if ((size & mask) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("size 0x%x must be a multiple of the %s IOMMU page of %s"
                    + " (tce_iommu_ioctl UNMAP_DMA)", size, TceTable.pageSizeName(t.pageShift()), t));
        }
        if ((iova & mask) != 0) {
            return 1; // iommu_tce_clear_param_check: -EINVAL || 0 is 1
        }
        unuse(t.clear(iova >>> t.pageShift(), size >>> t.pageShift()));
        return 0;
    }

    /**
     * v2's VFIO_IOMMU_SPAPR_REGISTER_MEMORY ({@code tce_iommu_register_pages}): records the mm
     * first, then argsz and flags (EINVAL), a page-aligned range that does not wrap (EINVAL); the
     * same range twice in this container is EBUSY; a range another container of the process
     * registered is shared; a new one is {@link PreregisteredMemory#create}d. Enables the
     * container for MAP_DMA.
     */
    private int registerMemory(UserArg arg, SyscallContext call) throws KernelError {
        mmRecorded = true;
        long[] range = memoryRange(arg, call, "tce_iommu_ioctl REGISTER_MEMORY");
        long vaddr = range[0];
        long size = range[1];
        if (((vaddr | size) & (PAGE_SIZE - 1)) != 0 || Long.compareUnsigned(vaddr + size, vaddr) < 0) {
            throw KernelError.of(Errno.EINVAL, String.format("[vaddr 0x%x, +0x%x) must be page-aligned and must not wrap"
                    + " (tce_iommu_register_pages)", vaddr, size));
        }
        long entries = size >>> PAGE_SHIFT;
        PreregisteredMemory.Region r = prereg.get(vaddr, entries);
        if (r != null && registered.contains(r)) {
            prereg.put(r);
            throw KernelError.of(Errno.EBUSY, "region " + r + " is already registered in this container (tce_iommu_register_pages)");
        }
        if (r == null) {
            r = prereg.create(vaddr, entries);
        }
        registered.add(0, r);
        enabled = true;
        return 0;
    }

    /**
     * v2's VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY ({@code tce_iommu_unregister_pages}): EPERM before
     * anything recorded the mm; argsz and flags EINVAL; a misaligned range EINVAL; ENOENT unless
     * exactly this range is registered in this container (no subrange, no other container's).
     *
     * <p>Kernel bug, modelled: when TCEs still use the region, the container forgets its
     * registration and the call returns 0, because the last {@code mm_iommu_put}'s EBUSY is
     * dropped; the region stays pinned and charged, registered to nobody (a later UNREGISTER is
     * ENOENT; REGISTER of the same range adopts it again).
     */
    private int unregisterMemory(UserArg arg, SyscallContext call) throws KernelError {
        if (!mmRecorded) {
            throw KernelError.of(Errno.EPERM, "the container has not recorded its process yet: nothing was registered"
                    + " (tce_iommu_ioctl UNREGISTER_MEMORY)");
        }
        long[] range = memoryRange(arg, call, "tce_iommu_ioctl UNREGISTER_MEMORY");
        long vaddr = range[0];
        long size = range[1];
        if (((vaddr | size) & (PAGE_SIZE - 1)) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("[vaddr 0x%x, +0x%x) must be page-aligned (tce_iommu_unregister_pages)",
                    vaddr, size));
        }
        PreregisteredMemory.Region r = prereg.get(vaddr, size >>> PAGE_SHIFT);
        if (r == null) {
            throw KernelError.of(Errno.ENOENT, String.format("no region [0x%x, +0x%x) is registered; only whole registered regions can"
                    + " be unregistered (mm_iommu_get in tce_iommu_unregister_pages)", vaddr, size));
        }
        Errno failed = null;
        if (!registered.contains(r)) {
            failed = Errno.ENOENT;
        } else {
            failed = prereg.put(r); // tce_iommu_prereg_free
            if (failed == null) {
                registered.remove(r);
            }
        }
        prereg.put(r); // the reference mm_iommu_get took; its EBUSY is not looked at
        if (failed != null) {
            throw KernelError.of(failed, "region " + r + (failed == Errno.ENOENT ? " was not registered by this container"
                    : " is still in use") + " (tce_iommu_unregister_pages)");
        }
        return 0;
    }

    /** The checks REGISTER and UNREGISTER share: copy in, argsz of 24, no flags; {vaddr, size}. */
    private static long[] memoryRange(UserArg arg, SyscallContext call, String where) throws KernelError {
        int minsz = vfio_iommu_spapr_register_memory.size + Long.BYTES;
        int argsz = arg.copyIn(minsz, "struct vfio_iommu_spapr_register_memory");
        int flags = arg.u32(vfio_iommu_spapr_register_memory.flags);
        long vaddr = arg.u64(vfio_iommu_spapr_register_memory.vaddr);
        long size = arg.u64(vfio_iommu_spapr_register_memory.size);
        call.describe(() -> String.format("{argsz=%s, flags=0x%x, vaddr=0x%x, size=0x%x}", Integer.toUnsignedString(argsz), flags,
                vaddr, size));
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + Integer.toUnsignedString(argsz) + " is below sizeof(struct"
                    + " vfio_iommu_spapr_register_memory) = " + minsz + " (" + where + ")");
        }
        if (flags != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("flags 0x%x: no flag is defined (%s)", flags, where));
        }
        return new long[] {vaddr, size};
    }

    /**
     * v2's VFIO_IOMMU_SPAPR_TCE_CREATE: records the mm, ENXIO without a group, argsz below 40 and
     * flags EINVAL, creates the pending default window, then {@link #createWindow(int, long, int)};
     * writes the 40 bytes back with {@code start_addr}, the bus address the platform chose (a window
     * created under an argument the kernel cannot write to stays created: EFAULT).
     */
    private int createWindow(UserArg arg, SyscallContext call) throws KernelError {
        mmRecorded = true;
        if (groups.isEmpty()) {
            throw KernelError.of(Errno.ENXIO, "the container has no group (tce_iommu_ioctl TCE_CREATE)");
        }
        int minsz = vfio_iommu_spapr_tce_create.start_addr + Long.BYTES;
        int argsz = arg.copyIn(minsz, "struct vfio_iommu_spapr_tce_create");
        int flags = arg.u32(vfio_iommu_spapr_tce_create.flags);
        int pageShift = arg.u32(vfio_iommu_spapr_tce_create.page_shift);
        long windowSize = arg.u64(vfio_iommu_spapr_tce_create.window_size);
        int levels = arg.u32(vfio_iommu_spapr_tce_create.levels);
        call.describe(() -> String.format("{argsz=%s, flags=0x%x, page_shift=%s, window_size=0x%x, levels=%s}",
                Integer.toUnsignedString(argsz), flags, Integer.toUnsignedString(pageShift), windowSize, Integer.toUnsignedString(levels)));
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + Integer.toUnsignedString(argsz) + " is below sizeof(struct"
                    + " vfio_iommu_spapr_tce_create) = " + minsz + " (tce_iommu_ioctl TCE_CREATE)");
        }
        if (flags != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("flags 0x%x: no flag is defined (tce_iommu_ioctl TCE_CREATE)", flags));
        }
        createDefaultWindow();
        long start = createWindow(pageShift, windowSize, levels);
        arg.checkWritable(0, minsz, "struct vfio_iommu_spapr_tce_create");
        arg.putU64(vfio_iommu_spapr_tce_create.start_addr, start);
        call.describe(() -> String.format("{argsz=%s, page_shift=%s, window_size=0x%x, levels=%s} -> {start_addr=0x%x}",
                Integer.toUnsignedString(argsz), Integer.toUnsignedString(pageShift), windowSize, Integer.toUnsignedString(levels), start));
        return 0;
    }

    /**
     * {@code tce_iommu_create_window}: the first free slot (ENOSPC when both are used), an IOMMU
     * page size the PHB offers (EINVAL), a table size the platform accepts ({@code
     * pnv_pci_ioda2_get_table_size}: levels from 1 to the PHB's maximum and a power-of-two size,
     * else EINVAL), its memory charged against RLIMIT_MEMLOCK (ENOMEM), then the table ({@link
     * TceTable#allocate}). Slot 0 lands at the 32-bit window's start, slot 1 at the PHB's second
     * window address ({@code pnv_pci_ioda2_create_table}). Returns the window's bus address.
     */
    private long createWindow(int pageShift, long windowSize, int levels) throws KernelError {
        int slot = 0;
        while (slot < MAX_TABLES && tables[slot] != null) {
            slot++;
        }
        if (slot == MAX_TABLES) {
            throw KernelError.of(Errno.ENOSPC, "both DMA window slots are in use (" + windowsText() + "; tce_iommu_find_free_table)");
        }
        if (Integer.compareUnsigned(pageShift, 64) >= 0 || (phb.ddwPageSizes() & (1L << pageShift)) == 0) {
            throw KernelError.of(Errno.EINVAL, String.format("page_shift %s: the PHB offers IOMMU pages of 0x%x only"
                    + " (table_group->pgsizes in tce_iommu_create_window)", Integer.toUnsignedString(pageShift), phb.ddwPageSizes()));
        }
        if (levels == 0 || Integer.compareUnsigned(levels, phb.levels()) > 0 || Long.bitCount(windowSize) != 1) {
            throw KernelError.of(Errno.EINVAL, String.format("window_size 0x%x must be a power of two and levels %s from 1 to %d"
                    + " (pnv_pci_ioda2_get_table_size returned 0 in tce_iommu_create_table)", windowSize,
                    Integer.toUnsignedString(levels), phb.levels()));
        }
        if (Long.numberOfTrailingZeros(windowSize) < pageShift) {
            // the kernel's table-size arithmetic wraps for this (an unsigned negative shift): undefined, so refused here
            throw KernelError.of(Errno.EINVAL, String.format("window_size 0x%x is smaller than one %s IOMMU page: the simulator"
                    + " refuses it, as pnv_pci_ioda2_get_table_size's arithmetic wraps for it", windowSize, TceTable.pageSizeName(pageShift)));
        }
        long pages = TceTable.tableBytes(pageShift, windowSize, levels) >>> PAGE_SHIFT;
        if (memory.allowance() < pages) {
            throw KernelError.of(Errno.ENOMEM, String.format("the TCE table of a 0x%x-byte window of %s pages in %d level(s) takes %d"
                    + " pages, which would pass RLIMIT_MEMLOCK: %d of %d pages are locked already (account_locked_vm in"
                    + " tce_iommu_create_table)", windowSize, TceTable.pageSizeName(pageShift), levels, pages, memory.lockedPages(),
                    memory.limitPages()));
        }
        memory.charge(pages);
        // a table the platform then refuses keeps its charge: tce_iommu_create_table does not undo account_locked_vm
        TceTable t = TceTable.allocate(slot, slot == 0 ? phb.dma32WindowStart() : phb.secondWindowStart(), pageShift, windowSize,
                levels, pages);
        tables[slot] = t;
        return t.start();
    }

    /**
     * {@code tce_iommu_create_default_window}: a pending default window becomes a window of 4K
     * pages over the 32-bit window, one level, in slot 0; its errors are the caller's.
     */
    private void createDefaultWindow() throws KernelError {
        if (!defaultWindowPending) {
            return;
        }
        if (groups.isEmpty()) {
            throw KernelError.of(Errno.ENODEV, "the container has no group to create the default window for"
                    + " (tce_iommu_create_default_window)");
        }
        createWindow(DEFAULT_PAGE_SHIFT, phb.dma32WindowSize(), 1);
        defaultWindowPending = false;
    }

    /**
     * v2's VFIO_IOMMU_SPAPR_TCE_REMOVE: records the mm, ENXIO without a group, argsz below 16 and
     * flags EINVAL; {@code start_addr} 0 while the default window is pending cancels it; otherwise
     * the window holding {@code start_addr} (any address in it) is cleared, un-charged and removed
     * ({@code tce_iommu_remove_window}), EINVAL when none does.
     */
    private int removeWindow(UserArg arg, SyscallContext call) throws KernelError {
        mmRecorded = true;
        if (groups.isEmpty()) {
            throw KernelError.of(Errno.ENXIO, "the container has no group (tce_iommu_ioctl TCE_REMOVE)");
        }
        int minsz = vfio_iommu_spapr_tce_remove.start_addr + Long.BYTES;
        int argsz = arg.copyIn(minsz, "struct vfio_iommu_spapr_tce_remove");
        int flags = arg.u32(vfio_iommu_spapr_tce_remove.flags);
        long start = arg.u64(vfio_iommu_spapr_tce_remove.start_addr);
        call.describe(() -> String.format("{argsz=%s, flags=0x%x, start_addr=0x%x}", Integer.toUnsignedString(argsz), flags, start));
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + Integer.toUnsignedString(argsz) + " is below sizeof(struct"
                    + " vfio_iommu_spapr_tce_remove) = " + minsz + " (tce_iommu_ioctl TCE_REMOVE)");
        }
        if (flags != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("flags 0x%x: no flag is defined (tce_iommu_ioctl TCE_REMOVE)", flags));
        }
        if (defaultWindowPending && start == 0) {
            defaultWindowPending = false; // the default window will not be created
            return 0;
        }
        TceTable t = window(start);
        if (t == null) {
            throw KernelError.of(Errno.EINVAL, String.format("no DMA window holds 0x%x (%s; tce_iommu_remove_window)", start, windowsText()));
        }
        unuse(t.clearAll());
        freeTable(t);
        return 0;
    }

    /** {@code tce_iommu_free_table}: the slot is free again and the table's pages un-charged. */
    private void freeTable(TceTable t) {
        tables[t.slot()] = null;
        memory.uncharge(t.allocatedPages());
    }

    /**
     * VFIO_EEH_PE_OP: the op goes to the PE of each attached group in the container's list order,
     * and the first non-zero answer (an error, or a state from GET_STATE) is the call's
     * ({@code tce_iommu_ioctl}, {@code vfio_spapr_ioctl_eeh_pe_op}).
     */
    private int eehPeOp(UserArg arg, SyscallContext call) throws KernelError {
        for (int g : List.copyOf(groups)) {
            int r = eeh.peOp(g, arg, call);
            if (r != 0) {
                return r;
            }
        }
        return 0;
    }

    /** TCEs that go away: each stops using its preregistered region ({@code tce_iommu_unuse_page_v2}); v1 pages are just unpinned. */
    private static void unuse(List<TceTable.Tce> cleared) {
        cleared.forEach(SpaprTceIommu::unuse);
    }

    /** A TCE that went away (or null: there was none). */
    private static void unuse(TceTable.Tce old) {
        if (old != null && old.region() != null) {
            PreregisteredMemory.mappedDec(old.region());
        }
    }

    /** {@code tce_iommu_find_table}: the window holding bus address {@code ioba}, slot 0 first; null if none. */
    private TceTable window(long ioba) {
        for (TceTable t : tables) {
            if (t != null && t.contains(ioba)) {
                return t;
            }
        }
        return null;
    }

    private String windowsText() {
        List<String> out = new ArrayList<>();
        for (TceTable t : tables) {
            if (t != null) {
                out.add(t.toString());
            }
        }
        if (defaultWindowPending) {
            out.add("the default window is pending");
        }
        return out.isEmpty() ? "it has no window" : String.join(", ", out);
    }

    // ---- the PHB's translation of a device's DMA ----

    /**
     * How the PHB translates a device access through the container's windows: the TCE of the
     * IOMMU page holding {@code iova}. No window, no TCE, or a write through a TCE the device may
     * only read is a "TCE access fault", as QEMU's PHB logs it. A TCE made with WRITE alone also
     * lets the device read ({@code pnv_tce_xchg} adds TCE_PCI_READ to TCE_PCI_WRITE).
     */
    @Override
    public Translation translate(long iova, boolean write) {
        TceTable t = window(iova);
        if (t == null) {
            return new Refused(String.format("TCE access fault: IOVA 0x%x is in no DMA window (%s)", iova, windowsText()));
        }
        TceTable.Tce tce = t.translation(iova);
        long page = iova & -t.pageSize();
        if (tce == null) {
            return new Refused(String.format("TCE access fault: no TCE maps IOVA 0x%x in %s", iova, t));
        }
        if (write && !tce.deviceWrites()) {
            return new Refused(String.format("TCE access fault: the TCE of IOVA [0x%x, +0x%x) lets the device read only (mapped"
                    + " without VFIO_DMA_MAP_FLAG_WRITE)", page, t.pageSize()));
        }
        long offset = iova - page;
        return new Target(tce.memory(), offset, t.pageSize() - offset, "TCE of IOVA", page, t.pageSize());
    }

    @Override
    public boolean refusalsAreBridgeErrors() {
        return true;
    }

    // ---- inspection ----

    /**
     * One run of TCEs as the simulator's resource report lists them: consecutive IOMMU pages of one
     * window, over consecutive process memory, with the same permission.
     *
     * @param iova         the bus address of the first page
     * @param size         the bytes the run covers
     * @param vaddr        the process address of the first page
     * @param deviceWrites whether the device may write (it may always read)
     */
    public record TceRun(long iova, long size, long vaddr, boolean deviceWrites) {}

    /** The live TCEs as runs, window by window, in IOVA order (TCEs written past a window's end included). */
    public List<TceRun> tceRuns() {
        List<TceRun> out = new ArrayList<>();
        for (TceTable t : tables) {
            if (t == null) {
                continue;
            }
            TceRun run = null;
            for (Map.Entry<Long, TceTable.Tce> e : t.entries().entrySet()) {
                long iova = (t.offset() + e.getKey()) << t.pageShift();
                TceTable.Tce tce = e.getValue();
                if (run != null && run.iova() + run.size() == iova && run.vaddr() + run.size() == tce.ua()
                        && run.deviceWrites() == tce.deviceWrites()) {
                    run = new TceRun(run.iova(), run.size() + t.pageSize(), run.vaddr(), run.deviceWrites());
                } else {
                    if (run != null) {
                        out.add(run);
                    }
                    run = new TceRun(iova, t.pageSize(), tce.ua(), tce.deviceWrites());
                }
            }
            if (run != null) {
                out.add(run);
            }
        }
        return out;
    }
}
