package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.vfio4j.DmaWindow;
import org.vfio4j.Errno;
import org.vfio4j.IommuType;
import org.vfio4j.Region;
import org.vfio4j.SpaprTceInfo;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.spi.VfioKernel;

/**
 * The sPAPR TCE IOMMU of a POWER host (S1-S7 of docs/conformance.md), each rule checked against a
 * naive model written here, never against the backend's own answers ({@code
 * drivers/vfio/vfio_iommu_spapr_tce.c}: {@code tce_iommu_ioctl}, {@code tce_iommu_register_pages},
 * {@code tce_iommu_create_window}, {@code tce_iommu_remove_window}, {@code tce_iommu_build}). Runs
 * only on POWER targets ({@link TargetFeature#SPAPR_IOMMU}). Never sends what crashes or leaks in a
 * real 6.12 kernel: a map running past its window's end, REGISTER of size 0, UNREGISTER of mapped
 * memory.
 */
public interface SpaprContract extends Contract {
    /** The host page, and the default window's IOMMU page: 4 KiB. */
    long PAGE = Session.PAGE;
    /** The default 32-bit window's size on a PHB4 (Linux reports it in GET_INFO; the contracts read it from there). */
    long SECOND_SLOT = 0x0800_0000_0000_0000L;

    private Session.Attached attach(Session s, IommuType type) throws VfioException {
        return s.attach(type);
    }

    private static VfioKernel seam(Session s) {
        return s.vfio.seam();
    }

    /** S1: a POWER container offers sPAPR v1, v2 and not type1; SET_IOMMU(TYPE1) with a group is ENODEV; a second SET_IOMMU EINVAL. */
    @Property(tries = 1)
    @RequiresFeature(TargetFeature.SPAPR_IOMMU)
    default void checkExtension_offersSpaprNotType1_andSetIommuHappensOnce() throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.vfio.openContainer();
            assertThat(c.checkExtension(VFIO_SPAPR_TCE_IOMMU)).isEqualTo(1);
            assertThat(c.checkExtension(VFIO_SPAPR_TCE_v2_IOMMU)).isEqualTo(1);
            assertThat(c.checkExtension(VFIO_TYPE1_IOMMU)).isZero();
            assertThat(c.checkExtension(VFIO_TYPE1v2_IOMMU)).isZero();
            s.vfio.openGroup(target().group()).setContainer(c);
            assertThatVfioCall(() -> c.setIommu(IommuType.TYPE1V2)).failsWith(Errno.ENODEV);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            assertThatVfioCall(() -> c.setIommu(IommuType.SPAPR_TCE_V2)).failsWith(Errno.EINVAL);
        }
    }

    /**
     * S2: GET_INFO's argsz protocol. Below 16 bytes EINVAL and nothing written; from 16 to 31 the
     * first 16 bytes; from 32 the whole struct, with the dynamic-window part only on v2; never a
     * byte past the struct. Two calls answer alike; the typed call decodes the same bytes.
     */
    @Property(tries = 30)
    @RequiresFeature(TargetFeature.SPAPR_IOMMU)
    default void info_followsTheArgszProtocol(@ForAll @IntRange(min = 0, max = 64) int argsz, @ForAll boolean v2) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = attach(s, v2 ? IommuType.SPAPR_TCE_V2 : IommuType.SPAPR_TCE).container();
            MemorySegment arg = filled(s);
            arg.set(ValueLayout.JAVA_INT, 0, argsz);
            if (argsz < 16) {
                assertThatVfioCall(() -> seam(s).ioctl(c.fd(), VFIO_IOMMU_SPAPR_TCE_GET_INFO, arg)).failsWith(Errno.EINVAL);
                assertThat(untouchedFrom(arg, 4)).as("nothing written").isTrue();
                return;
            }
            assertThat(seam(s).ioctl(c.fd(), VFIO_IOMMU_SPAPR_TCE_GET_INFO, arg)).isZero();
            int written = argsz >= 32 ? 32 : 16;
            assertThat(untouchedFrom(arg, written)).as("bytes from %d untouched", written).isTrue();
            assertThat(arg.get(ValueLayout.JAVA_INT, 0)).as("argsz").isEqualTo(argsz);
            SpaprTceInfo info = c.spaprInfo();
            assertThat(arg.get(ValueLayout.JAVA_INT, 4)).as("flags").isEqualTo(info.flags());
            assertThat(Integer.toUnsignedLong(arg.get(ValueLayout.JAVA_INT, 12))).as("dma32_window_size").isEqualTo(info.dma32WindowSize());
            assertThat(info.dma32WindowSize()).as("a 32-bit window").isPositive();
            assertThat(info.ddw().isPresent()).as("dynamic windows are a v2 matter").isEqualTo(v2 && (info.flags() & VFIO_IOMMU_SPAPR_INFO_DDW) != 0);
            if (!v2) {
                assertThat(info.flags()).as("v1 flags").isZero();
                if (written == 32) {
                    assertThat(arg.get(ValueLayout.JAVA_LONG, 16)).as("v1 leaves the ddw part zero").isZero();
                    assertThat(arg.get(ValueLayout.JAVA_LONG, 24)).isZero();
                }
            }
        }
    }

    /** One REGISTER or UNREGISTER of {@code pages} pages at page {@code page} of a 32-page buffer, moved by {@code misalign} bytes. */
    record RegOp(boolean register, int page, int pages, int misalign) {
        @Override
        public String toString() {
            return (register ? "register" : "unregister") + " [" + page + ", +" + pages + ")" + (misalign != 0 ? " +" + misalign + " B" : "");
        }
    }

    @Provide
    default Arbitrary<List<RegOp>> registrations() {
        Arbitrary<RegOp> op = Arbitraries.integers().between(0, 27).flatMap(page -> Arbitraries.integers().between(1, 4).flatMap(pages ->
                Arbitraries.of(0, 0, 0, 0, 0, 0, 0, 8, 2048).flatMap(mis -> Arbitraries.of(true, true, false).map(reg ->
                        new RegOp(reg, page, pages, mis)))));
        return op.list().ofMinSize(1).ofMaxSize(25);
    }

    /**
     * S3: preregistration (v2) follows a naive list of registered ranges: a misaligned range is
     * EINVAL; registering exactly a registered range is EBUSY, one overlapping it EINVAL, any other
     * range 0; unregistering exactly a registered range is 0, anything else ENOENT, and before any
     * REGISTER (even a failed one) recorded the process, EPERM ({@code tce_iommu_mm_set}). Mapping
     * before any registration is EPERM.
     */
    @Property(tries = 40)
    @RequiresFeature(TargetFeature.SPAPR_IOMMU)
    default void registration_followsANaiveModel(@ForAll("registrations") List<RegOp> ops) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = attach(s, IommuType.SPAPR_TCE_V2).container();
            MemorySegment buffer = s.memory(32);
            assertThatVfioCall(() -> c.mapDma(buffer.asSlice(0, PAGE), 0)).as("map before any registration").failsWith(Errno.EPERM);
            List<long[]> model = new ArrayList<>(); // [first page, pages]
            boolean processRecorded = false;
            for (RegOp op : ops) {
                long vaddr = s.vfio.seam().userAddress(buffer) + op.page() * PAGE + op.misalign();
                long size = op.pages() * PAGE;
                MemorySegment arg = s.memory(1);
                arg.set(ValueLayout.JAVA_INT, 0, 24);
                arg.set(ValueLayout.JAVA_LONG, 8, vaddr);
                arg.set(ValueLayout.JAVA_LONG, 16, size);
                long request = op.register() ? VFIO_IOMMU_SPAPR_REGISTER_MEMORY : VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY;
                Errno expected;
                long[] same = model.stream().filter(r -> r[0] == op.page() && r[1] == op.pages()).findFirst().orElse(null);
                if (!op.register() && !processRecorded) {
                    expected = Errno.EPERM;
                } else if (op.misalign() != 0) {
                    expected = Errno.EINVAL;
                } else if (op.register()) {
                    boolean overlaps = model.stream().anyMatch(r -> r[0] < op.page() + op.pages() && op.page() < r[0] + r[1]);
                    expected = same != null ? Errno.EBUSY : overlaps ? Errno.EINVAL : null;
                    if (expected == null) {
                        model.add(new long[] {op.page(), op.pages()});
                    }
                } else {
                    expected = same != null ? null : Errno.ENOENT;
                    model.remove(same);
                }
                processRecorded |= op.register();
                if (expected == null) {
                    assertThat(seam(s).ioctl(c.fd(), request, arg)).as("%s", op).isZero();
                } else {
                    assertThatVfioCall(() -> seam(s).ioctl(c.fd(), request, arg)).as("%s", op).failsWith(expected);
                }
            }
        }
    }

    /** One TCE_CREATE (valid or not) or TCE_REMOVE of an address. */
    sealed interface WinOp permits Create, Remove {}

    /** A TCE_CREATE; {@code valid} when page shift, size and levels are ones every PHB4 accepts. */
    record Create(int pageShift, long size, int levels, boolean valid) implements WinOp {
        @Override
        public String toString() {
            return String.format("create shift %d size 0x%x levels %d", pageShift, size, levels);
        }
    }

    /** A TCE_REMOVE of the address at {@code fraction} (0 to 1) of window {@code slot}, or of {@code address} when slot is -1. */
    record Remove(int slot, double fraction, long address) implements WinOp {
        @Override
        public String toString() {
            return slot < 0 ? String.format("remove 0x%x", address) : String.format("remove inside slot %d at %.2f", slot, fraction);
        }
    }

    @Provide
    default Arbitrary<List<WinOp>> windowOps() {
        Arbitrary<WinOp> valid = Arbitraries.of(12, 16).flatMap(shift -> Arbitraries.integers().between(24, 30).flatMap(log ->
                Arbitraries.integers().between(1, 2).map(levels -> (WinOp) new Create(shift, 1L << log, levels, true))));
        Arbitrary<WinOp> invalid = Arbitraries.oneOf(
                Arbitraries.just(new Create(24, 1L << 30, 1, false)),
                Arbitraries.just(new Create(12, (1L << 28) + PAGE, 1, false)),
                Arbitraries.of(0, 9).map(levels -> new Create(12, 1L << 28, levels, false)));
        Arbitrary<WinOp> inside = Arbitraries.integers().between(0, 1).flatMap(slot ->
                Arbitraries.doubles().between(0, 0.999).ofScale(3).map(f -> new Remove(slot, f, 0)));
        Arbitrary<WinOp> anywhere = Arbitraries.of(0L, 0x1234L, 0x7fff_f000L, 0x8000_0000L, SECOND_SLOT, SECOND_SLOT + 0x10_0000L, 0x1000_0000_0000L)
                .map(a -> new Remove(-1, 0, a));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, valid), net.jqwik.api.Tuple.of(2, invalid),
                net.jqwik.api.Tuple.of(3, inside), net.jqwik.api.Tuple.of(2, anywhere)).list().ofMinSize(1).ofMaxSize(12);
    }

    /**
     * S4: dynamic windows (v2) follow a naive two-slot model: slot 0 starts with the default window
     * (bus address 0, GET_INFO's size); a create takes the free slot with the lowest number and lands
     * at 0 for slot 0 and {@code 0x0800000000000000} for slot 1, so created windows never overlap;
     * with both slots used it is ENOSPC whatever its arguments, with a free slot bad arguments are
     * EINVAL; a remove of any address inside a window removes that window, of any other address
     * EINVAL; while the default window is still pending (nothing made it yet) only a remove of
     * address 0 cancels it ({@code tce_iommu_remove_window}); GET_INFO does not change.
     */
    @Property(tries = 60)
    @RequiresFeature(TargetFeature.SPAPR_IOMMU)
    default void windows_followTwoSlots_andNeverOverlap(@ForAll("windowOps") List<WinOp> ops) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = attach(s, IommuType.SPAPR_TCE_V2).container();
            SpaprTceInfo before = c.spaprInfo();
            long[][] slots = {{before.dma32WindowStart(), before.dma32WindowSize()}, null};
            boolean pending = true; // the default window exists only once a create (or a map) makes it
            for (WinOp op : ops) {
                switch (op) {
                    case Create cr -> {
                        pending = false; // made before the new window's arguments are looked at
                        int free = slots[0] == null ? 0 : slots[1] == null ? 1 : -1;
                        if (free < 0) {
                            assertThatVfioCall(() -> c.createWindow(cr.pageShift(), cr.size(), cr.levels())).as("%s", op).failsWith(Errno.ENOSPC);
                        } else if (!cr.valid()) {
                            assertThatVfioCall(() -> c.createWindow(cr.pageShift(), cr.size(), cr.levels())).as("%s", op).failsWith(Errno.EINVAL);
                        } else {
                            DmaWindow w = c.createWindow(cr.pageShift(), cr.size(), cr.levels());
                            assertThat(w.start()).as("%s lands in slot %d", op, free).isEqualTo(free == 0 ? before.dma32WindowStart() : SECOND_SLOT);
                            slots[free] = new long[] {w.start(), cr.size()};
                        }
                    }
                    case Remove rm -> {
                        long address = rm.slot() < 0 ? rm.address()
                                : slots[rm.slot()] == null ? SECOND_SLOT - PAGE
                                : slots[rm.slot()][0] + (long) (rm.fraction() * slots[rm.slot()][1]) / PAGE * PAGE;
                        int holder = -1;
                        for (int i = 0; i < 2; i++) {
                            if (slots[i] != null && address - slots[i][0] >= 0 && address - slots[i][0] < slots[i][1]) {
                                holder = i;
                            }
                        }
                        if (pending) {
                            holder = address == 0 ? 0 : -1; // only start 0 cancels the pending default window
                            pending = holder < 0;
                        }
                        if (holder < 0) {
                            assertThatVfioCall(() -> c.removeWindow(address)).as("remove 0x%x (%s)", address, op).failsWith(Errno.EINVAL);
                        } else {
                            c.removeWindow(address);
                            slots[holder] = null;
                        }
                    }
                }
                if (slots[0] != null && slots[1] != null) {
                    assertThat(slots[0][0] + slots[0][1] <= slots[1][0] || slots[1][0] + slots[1][1] <= slots[0][0]).as("windows overlap").isTrue();
                }
            }
            assertThat(c.spaprInfo()).as("GET_INFO after creates and removes").isEqualTo(before);
        }
    }

    /** One MAP of {@code pages} buffer pages from {@code bufferPage} at IOVA page {@code iovaPage}, or an UNMAP there. */
    record MapOp(boolean map, int iovaPage, int bufferPage, int pages, boolean write) {
        @Override
        public String toString() {
            return map ? String.format("map buffer [%d, +%d) at IOVA page %d%s", bufferPage, pages, iovaPage, write ? " rw" : " ro")
                    : String.format("unmap IOVA pages [%d, +%d)", iovaPage, pages);
        }
    }

    @Provide
    default Arbitrary<List<MapOp>> mapOps() {
        return Arbitraries.integers().between(0, 15).flatMap(iova -> Arbitraries.integers().between(0, 12).flatMap(buf ->
                Arbitraries.integers().between(1, 4).flatMap(pages -> Arbitraries.of(true, true, false).flatMap(map ->
                        Arbitraries.of(true, false).map(w -> new MapOp(map, iova, buf, pages, w)))))).list().ofMinSize(1).ofMaxSize(12);
    }

    /**
     * S5: mappings inside a window act as a naive table of IOVA page to buffer page, read through
     * the device. A map over pages already mapped replaces them (0, not EEXIST); an unmap clears
     * whatever is there and returns the size asked; an IOVA outside every window is ENXIO. Then edu
     * reads every IOVA page by DMA: a mapped page gives its buffer page's bytes, an unmapped one a TCE
     * fault that leaves edu's buffer as it was (only where the PHB does not freeze the PE on the
     * fault: where it does, {@link EehContract} covers what follows).
     */
    @Property(tries = 8)
    @RequiresFeature(TargetFeature.DEVICE_DMA)
    default void mappings_actAsATable_readThroughTheDevice(@ForAll("mapOps") List<MapOp> ops) throws Exception {
        Assume_spapr();
        try (Session s = new Session(target())) {
            Session.Attached a = attach(s, IommuType.SPAPR_TCE_V2);
            VfioContainer c = a.container();
            MemorySegment buffer = s.memory(16);
            for (int p = 0; p < 16; p++) {
                buffer.asSlice(p * PAGE, PAGE).fill((byte) (0x10 + p));
            }
            MemorySegment sentinel = s.memory(1).fill((byte) 0xee);
            MemorySegment result = s.memory(1);
            c.registerMemory(buffer);
            c.registerMemory(sentinel);
            c.registerMemory(result);
            long sentinelIova = 0x100 * PAGE;
            long resultIova = 0x101 * PAGE;
            c.mapDma(sentinel, sentinelIova, true, false);
            c.mapDma(result, resultIova, false, true);
            long windowEnd = c.spaprInfo().dma32WindowStart() + c.spaprInfo().dma32WindowSize();
            assertThatVfioCall(() -> c.mapDma(buffer.asSlice(0, PAGE), windowEnd)).as("map past the default window").failsWith(Errno.ENXIO);
            Map<Integer, Integer> model = new HashMap<>();
            for (MapOp op : ops) {
                long iova = op.iovaPage() * PAGE;
                if (op.map()) {
                    c.mapDma(buffer.asSlice(op.bufferPage() * PAGE, op.pages() * PAGE), iova, true, op.write());
                    for (int i = 0; i < op.pages(); i++) {
                        model.put(op.iovaPage() + i, op.bufferPage() + i);
                    }
                } else {
                    assertThat(c.unmapDma(iova, op.pages() * PAGE)).as("%s returns the size asked", op).isEqualTo(op.pages() * PAGE);
                    for (int i = 0; i < op.pages(); i++) {
                        model.remove(op.iovaPage() + i);
                    }
                }
            }
            VfioDevice edu = a.group().openDevice(target().device());
            int command = edu.config().read16(0x04);
            edu.config().write16(0x04, command | 0x6); // memory decoding and bus mastering, until the transfers are done
            try (Region bar0 = edu.region(0)) {
                boolean faultFreezes = TargetFeature.EEH_FREEZES.presentIn(target());
                for (int page = 0; page < 20; page++) {
                    if (faultFreezes && !model.containsKey(page)) {
                        continue;
                    }
                    eduDma(bar0, sentinelIova, 0x40000, 8, 0);    // edu's buffer := sentinel
                    eduDma(bar0, page * PAGE, 0x40000, 8, 0);     // edu's buffer := IOVA page, if it translates
                    eduDma(bar0, 0x40000, resultIova, 8, 2);      // result := edu's buffer
                    Integer bufferPage = model.get(page);
                    byte expected = bufferPage == null ? (byte) 0xee : (byte) (0x10 + bufferPage);
                    assertThat(result.get(ValueLayout.JAVA_BYTE, 0)).as("IOVA page %d (%s)", page,
                            bufferPage == null ? "unmapped: a TCE fault, edu's buffer unchanged" : "buffer page " + bufferPage).isEqualTo(expected);
                }
            } finally {
                edu.config().write16(0x04, command);
            }
            edu.close();
        }
    }

    /** The sPAPR-only part of {@link #mappings_actAsATable_readThroughTheDevice}: it needs DMA and a POWER host. */
    private void Assume_spapr() {
        net.jqwik.api.Assume.that(TargetFeature.SPAPR_IOMMU.presentIn(target()));
    }

    /**
     * S6: v1 and v2 keep to their ioctls: v1 maps only after ENABLE (EPERM before), a second
     * ENABLE is EBUSY, DISABLE is 0 even when not enabled, and v2's REGISTER/CREATE/REMOVE are
     * ENOTTY on v1; v2 has no ENABLE/DISABLE (ENOTTY).
     */
    @Property(tries = 1)
    @RequiresFeature(TargetFeature.SPAPR_IOMMU)
    default void v1AndV2_keepToTheirOwnIoctls() throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = attach(s, IommuType.SPAPR_TCE).container();
            MemorySegment page = s.memory(1);
            assertThatVfioCall(() -> c.mapDma(page, 0)).as("v1 map before ENABLE").failsWith(Errno.EPERM);
            assertThatVfioCall(() -> c.registerMemory(page)).failsWith(Errno.ENOTTY);
            assertThatVfioCall(() -> c.createWindow(12, 1L << 28, 1)).failsWith(Errno.ENOTTY);
            assertThatVfioCall(() -> c.removeWindow(0)).failsWith(Errno.ENOTTY);
            c.disableIommu();
            c.enableIommu();
            assertThatVfioCall(c::enableIommu).as("a second ENABLE").failsWith(Errno.EBUSY);
            c.mapDma(page, 0);
            assertThat(c.unmapDma(0, PAGE)).isEqualTo(PAGE);
            c.disableIommu();
            c.disableIommu();
        }
        try (Session s = new Session(target())) {
            VfioContainer c = attach(s, IommuType.SPAPR_TCE_V2).container();
            assertThatVfioCall(c::enableIommu).failsWith(Errno.ENOTTY);
            assertThatVfioCall(c::disableIommu).failsWith(Errno.ENOTTY);
        }
    }

    /**
     * S7: sPAPR's parameter checks: an IOVA not aligned to the window's IOMMU page makes MAP and UNMAP
     * return 1, not an errno ({@code iommu_tce_put_param_check} joins its checks with {@code ||}), with
     * nothing mapped; a size not a multiple of it is EINVAL; flags other than READ/WRITE EINVAL; a map
     * of size 0 returns 0.
     */
    @Property(tries = 10)
    @RequiresFeature(TargetFeature.SPAPR_IOMMU)
    default void mapChecks_misalignedIovaReturnsOne(@ForAll @IntRange(min = 1, max = 4095) int misalign) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = attach(s, IommuType.SPAPR_TCE_V2).container();
            MemorySegment page = s.memory(1);
            c.registerMemory(page);
            long vaddr = seam(s).userAddress(page);
            assertThat(rawMap(s, c, 3, vaddr, misalign, PAGE)).as("misaligned iova").isEqualTo(1);
            assertThat(rawMap(s, c, 3, vaddr, 0, 0)).as("size 0").isZero();
            assertThatVfioCall(() -> rawMap(s, c, 3, vaddr, 0, PAGE + misalign)).as("size not a multiple of the page").failsWith(Errno.EINVAL);
            assertThatVfioCall(() -> rawMap(s, c, 0, vaddr, 0, PAGE)).as("neither READ nor WRITE").failsWith(Errno.EINVAL);
            assertThatVfioCall(() -> rawMap(s, c, 3 | VFIO_DMA_MAP_FLAG_VADDR, vaddr, 0, PAGE)).as("FLAG_VADDR").failsWith(Errno.EINVAL);
        }
    }

    private static int rawMap(Session s, VfioContainer c, int flags, long vaddr, long iova, long size) throws VfioException {
        MemorySegment m = s.memory(1);
        m.set(ValueLayout.JAVA_INT, 0, 32);
        m.set(ValueLayout.JAVA_INT, 4, flags);
        m.set(ValueLayout.JAVA_LONG, 8, vaddr);
        m.set(ValueLayout.JAVA_LONG, 16, iova);
        m.set(ValueLayout.JAVA_LONG, 24, size);
        return s.vfio.seam().ioctl(c.fd(), VFIO_IOMMU_MAP_DMA, m);
    }

    private static MemorySegment filled(Session s) {
        MemorySegment arg = s.memory(1).asSlice(0, 64);
        arg.fill((byte) 0xa5);
        return arg;
    }

    private static boolean untouchedFrom(MemorySegment arg, int from) {
        for (long i = from; i < arg.byteSize(); i++) {
            if (arg.get(ValueLayout.JAVA_BYTE, i) != (byte) 0xa5) {
                return false;
            }
        }
        return true;
    }

    /** Starts an edu DMA of {@code count} bytes and waits for it ({@code direction} 2: to the host). */
    static void eduDma(Region bar0, long src, long dst, int count, int direction) throws Exception {
        bar0.writeLong(0x80, src);
        bar0.writeLong(0x88, dst);
        bar0.writeLong(0x90, count);
        bar0.writeLong(0x98, 1 | direction);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        long status;
        while (((status = bar0.readLong(0x98)) & 1) != 0) {
            if (status == -1) {
                throw new AssertionError("edu's registers read all ones: its PE is frozen (EEH)");
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("edu DMA did not finish within 5 s");
            }
            Thread.sleep(1);
        }
    }
}
