package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.sim.core.Group;
import org.vfio4j.sim.iommu.SpaprTceIommu;
import org.vfio4j.spi.Fd;

/**
 * Random sequences of REGISTER/UNREGISTER_MEMORY, TCE_CREATE/REMOVE and MAP/UNMAP_DMA on a v2
 * container, against a deliberately naive model: a {@code HashMap} from IOVA page to TCE per
 * window, a list of regions, and the table charges worked out by hand for the few window shapes
 * the sequences create. After every call the result (value or errno), every TCE (IOVA, process
 * address, permission) and the pages charged to RLIMIT_MEMLOCK must agree; after the container
 * is released, only what the kernel leaks may stay charged.
 *
 * <p>Mutations of the driver this catches (each tried, each failed the property within the
 * default tries): a MAP that refuses an IOVA already mapped instead of replacing its TCE; a
 * range check over the whole request in MAP (the 6.12 bug fixed); a failed v2 MAP that keeps the
 * TCEs it wrote before the failing page; UNREGISTER of mapped memory answering EBUSY (the bug
 * fixed); windows without the 512-TCE minimum; TCE_REMOVE that forgets to un-charge its table;
 * an UNMAP of a misaligned IOVA answering EINVAL instead of 1; slot 1 at the wrong bus address.
 */
class SpaprTceProperties {
    private static final int PAGES = 16;
    private static final long PAGE = 0x1000;
    private static final long SLOT1 = 1L << 59;

    /** The window shapes TCE_CREATE is asked for: {shift, size, levels, pages charged, or -1 when refused uncharged}. */
    private static final long[][] SHAPES = {
        {12, 1L << 31, 1, 2048}, // the default window's shape: twice 4 MiB
        {16, 1L << 30, 1, 64},   // twice 128 KiB
        {12, 1L << 24, 1, 16},   // twice 32 KiB
        {12, 1L << 24, 2, 18},   // twice 32 KiB + 4 KiB
        {16, 1L << 20, 1, 2},    // 16 TCEs asked, 512 given: twice 4 KiB
        {21, 1L << 30, 1, 2},    // twice 4 KiB
        {24, 1L << 30, 1, -1},   // no 16M pages on PHB4
        {16, 3L << 30, 1, -1},   // not a power of two
        {16, 1L << 30, 0, -1},   // no level
        {12, 1L << 30, 5, 1032}, // refused after the charge, which stays: twice (2 MiB + 4 x 4 KiB)
        {16, 1L << 12, 1, -1},   // smaller than one IOMMU page
    };

    sealed interface Op permits Register, Unregister, MapOp, UnmapOp, Create, Remove {}

    /** {@code pick} below 3 asks again for a region the process registered, if there is one. */
    record Register(int pick, int page, int pages, boolean misaligned) implements Op {}

    /** {@code pick} below 7 names a region the process registered, if there is one. */
    record Unregister(int pick, int page, int pages) implements Op {}

    /**
     * {@code where}: 0 from the window's start, 1 back from its end, 2 past its end, 3 far away;
     * {@code k} pages further. {@code pick} below 7 takes {@code vaddr} in a registered region.
     */
    record MapOp(int slot, int where, int k, int pick, int vpage, int pages, int flags, boolean misaligned) implements Op {}

    record UnmapOp(int slot, int where, int k, int pages, boolean misaligned) implements Op {}

    record Create(int shape) implements Op {}

    record Remove(int slot, int where, int k) implements Op {}

    /** An op with its addresses resolved against the model's windows before either side runs it. */
    sealed interface Call permits RegisterCall, UnregisterCall, MapCall, UnmapCall, CreateCall, RemoveCall {}

    record RegisterCall(long ua, long size) implements Call {}

    record UnregisterCall(long ua, long size) implements Call {}

    record MapCall(int flags, long vaddr, long iova, long size) implements Call {}

    record UnmapCall(long iova, long size) implements Call {}

    record CreateCall(int shape) implements Call {}

    record RemoveCall(long start) implements Call {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> slot = Arbitraries.frequency(Tuple.of(4, 0), Tuple.of(1, 1));
        Arbitrary<Integer> where = Arbitraries.frequency(Tuple.of(6, 0), Tuple.of(3, 1),
                Tuple.of(2, 2), Tuple.of(1, 3));
        Arbitrary<Integer> k = Arbitraries.integers().between(0, 3);
        Arbitrary<Integer> pick = Arbitraries.integers().between(0, 9);
        Arbitrary<Integer> page = Arbitraries.integers().between(0, PAGES + 2);
        Arbitrary<Integer> pages = Arbitraries.frequency(Tuple.of(1, 0), Tuple.of(3, 1),
                Tuple.of(3, 2), Tuple.of(3, 4), Tuple.of(1, 7));
        Arbitrary<Integer> mapPages = Arbitraries.frequency(Tuple.of(1, 0), Tuple.of(6, 1),
                Tuple.of(3, 2), Tuple.of(2, 3));
        Arbitrary<Boolean> rare = Arbitraries.integers().between(0, 9).map(i -> i == 0);
        Arbitrary<Integer> flags = Arbitraries.frequency(Tuple.of(3, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE),
                Tuple.of(2, VFIO_DMA_MAP_FLAG_READ), Tuple.of(2, VFIO_DMA_MAP_FLAG_WRITE),
                Tuple.of(1, 0), Tuple.of(1, 7));
        Arbitrary<Op> register = Combinators.combine(pick, page, pages, rare).as(Register::new);
        Arbitrary<Op> unregister = Combinators.combine(pick, page, pages).as(Unregister::new);
        Arbitrary<Op> map = Combinators.combine(slot, where, k, pick, page, mapPages, flags, rare).as(MapOp::new);
        Arbitrary<Op> unmap = Combinators.combine(slot, where, k, mapPages, rare).as(UnmapOp::new);
        Arbitrary<Op> create = Arbitraries.integers().between(0, SHAPES.length - 1).map(Create::new);
        Arbitrary<Op> remove = Combinators.combine(slot, where, k).as(Remove::new);
        return Arbitraries.frequencyOf(
                Tuple.of(3, register), Tuple.of(2, unregister), Tuple.of(8, map),
                Tuple.of(3, unmap), Tuple.of(1, create), Tuple.of(1, remove))
                .list().ofMinSize(10).ofMaxSize(60);
    }

    @Property(tries = 200)
    void theDriver_agreesWithANaiveModel(@ForAll("ops") List<Op> ops) throws Exception {
        try (PowerRig r = new PowerRig(SimulatedHost.powernv().toBuilder().memlockLimit(1L << 30).build())) {
            Fd group = r.attach(0);
            r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU);
            MemorySegment memory = r.memory(PAGES * PAGE);
            Model m = new Model(r.vaddr(memory));
            List<Call> done = new ArrayList<>();
            for (Op op : ops) {
                Call call = m.resolve(op);
                Object expected = m.apply(call);
                Object actual = run(r, call);
                assertThat(actual).as("%s after %s", call, done).isEqualTo(expected);
                done.add(call);
                assertThat(tces(r)).as("TCEs after %s", done).isEqualTo(m.tces());
                assertThat(r.k.lockedPages()).as("locked pages after %s", done).isEqualTo(m.locked());
            }
            r.k.ioctl(group, VFIO_GROUP_UNSET_CONTAINER, 0);
            assertThat(r.k.resources().dmaMappings()).isEmpty();
            assertThat(r.k.lockedPages()).as("only the leaks stay charged").isEqualTo(m.leakedAfterRelease());
        }
    }

    /** One request of the sPAPR container with 40 bytes of argument built from edge values. */
    record RawCall(long request, int argsz, int flags, int pageShift, int levels, long long1, long long2, long long3) {}

    @Provide
    Arbitrary<List<RawCall>> rawCalls() {
        Arbitrary<Long> request = Arbitraries.of(VFIO_IOMMU_SPAPR_TCE_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_ENABLE,
                VFIO_IOMMU_DISABLE, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, VFIO_IOMMU_SPAPR_TCE_CREATE,
                VFIO_IOMMU_SPAPR_TCE_REMOVE, VFIO_EEH_PE_OP);
        Arbitrary<Integer> argsz = Arbitraries.of(0, 8, 16, 24, 31, 32, 40, 64, -1);
        Arbitrary<Integer> small = Arbitraries.of(0, 1, 2, 3, 4, 5, 7, 9, 12, 16, 21, 24, 30, 31, 63, 64, 127, 140, -1);
        Arbitrary<Long> big = Arbitraries.of(0L, 0x800L, 0x1000L, 0x7FFF_F000L, 0x8000_0000L, 1L << 30, 1L << 54, SLOT1, SLOT1 + 0x1000,
                1L << 63, -1L, -0x1000L, 3L << 30, MEMORY_MARK, MEMORY_MARK + 0x1000);
        return Combinators.combine(request, argsz, small, small, small, big, big, big).as(RawCall::new).list().ofMaxSize(40);
    }

    /** Stands for the address of the process memory the property registered. */
    private static final long MEMORY_MARK = 0x5A5A_0000_0000L;

    /**
     * Whatever bytes the sPAPR ioctls get, on v1 and v2, with and without CAP_IPC_LOCK, the only
     * exception that leaves the seam is a {@code VfioException}, and releasing the container leaves
     * no TCE behind.
     */
    @Property(tries = 150)
    void edgeArguments_failOnlyWithAnErrno(@ForAll("rawCalls") List<RawCall> calls, @ForAll boolean v2, @ForAll boolean capIpcLock)
            throws Exception {
        SimulatedHost host = SimulatedHost.powernv().toBuilder().capIpcLock(capIpcLock).memlockLimit(1L << 32).build();
        try (PowerRig r = new PowerRig(host)) {
            Fd group = r.attach(0);
            r.k.ioctl(r.container, VFIO_SET_IOMMU, v2 ? VFIO_SPAPR_TCE_v2_IOMMU : VFIO_SPAPR_TCE_IOMMU);
            MemorySegment memory = r.memory(4 * PAGE);
            long base = r.vaddr(memory);
            for (RawCall c : calls) {
                MemorySegment arg = r.arena.allocate(40, 8);
                long at = c.long1() == MEMORY_MARK ? base : c.long1() == MEMORY_MARK + 0x1000 ? base + 0x1000 : c.long1();
                arg.set(ValueLayout.JAVA_INT, 0, c.argsz());
                arg.set(ValueLayout.JAVA_INT, 4, c.flags());
                if (c.request() == VFIO_IOMMU_SPAPR_TCE_CREATE) { // page_shift, window_size, levels
                    arg.set(ValueLayout.JAVA_INT, 8, c.pageShift());
                    arg.set(ValueLayout.JAVA_LONG, 16, c.long2());
                    arg.set(ValueLayout.JAVA_INT, 24, c.levels());
                } else { // vaddr/iova/start_addr, then iova/size, then size
                    arg.set(ValueLayout.JAVA_LONG, 8, at);
                    arg.set(ValueLayout.JAVA_LONG, 16, c.long2());
                    arg.set(ValueLayout.JAVA_LONG, 24, c.long3());
                }
                try {
                    r.ioctl(c.request(), arg);
                } catch (VfioException e) {
                    assertThat(e.errno()).isNotNull();
                }
            }
            r.k.ioctl(group, VFIO_GROUP_UNSET_CONTAINER, 0);
            assertThat(r.k.resources().dmaMappings()).isEmpty();
        }
    }

    /** Runs {@code call} through the seam; the result or the errno. */
    private static Object run(PowerRig r, Call call) {
        try {
            return switch (call) {
                case RegisterCall g -> r.register(g.ua(), g.size());
                case UnregisterCall u -> r.unregister(u.ua(), u.size());
                case MapCall p -> r.map(p.flags(), p.vaddr(), p.iova(), p.size());
                case UnmapCall u -> r.unmap(u.iova(), u.size());
                case CreateCall c -> r.create((int) SHAPES[c.shape()][0], SHAPES[c.shape()][1], (int) SHAPES[c.shape()][2]);
                case RemoveCall v -> r.remove(v.start());
            };
        } catch (VfioException e) {
            return e.errno();
        }
    }

    /** Every TCE of the container, expanded page by page: {iova, process address, device may write (1/0)}. */
    private static List<List<Long>> tces(PowerRig r) {
        Group g = r.k.groupStates().stream().filter(x -> x.id() == 0).findFirst().orElseThrow();
        SpaprTceIommu t = (SpaprTceIommu) g.container().iommu();
        List<List<Long>> out = new ArrayList<>();
        for (SpaprTceIommu.TceRun run : t.tceRuns()) {
            for (long at = 0; at < run.size(); at += PAGE) {
                out.add(List.of(run.iova() + at, run.vaddr() + at, run.deviceWrites() ? 1L : 0L));
            }
        }
        out.sort((a, b) -> Long.compareUnsigned(a.get(0), b.get(0)));
        return out;
    }

    /** The naive model: what the 6.12 driver is documented (and observed) to do, written the obvious way. */
    private static final class Model {
        final long base;
        boolean enabled;
        boolean mmRecorded;
        boolean pending = true;
        final Window[] slots = new Window[2];
        final List<Region> regions = new ArrayList<>(); // the process's
        final List<Region> mine = new ArrayList<>();    // this container's
        long leakedTables;

        Model(long base) {
            this.base = base;
        }

        record Tce(long ua, boolean write, Region region) {}

        static final class Window {
            final long start;
            final int shift;
            final long entries;
            final long charge;
            final Map<Long, Tce> tces = new HashMap<>(); // by IOVA page number, past the end too

            Window(long start, int shift, long entries, long charge) {
                this.start = start;
                this.shift = shift;
                this.entries = entries;
                this.charge = charge;
            }

            boolean holds(long iova) {
                long page = iova >>> shift;
                return page >= start >>> shift && page < (start >>> shift) + entries;
            }
        }

        static final class Region {
            final long ua;
            final long pages;
            boolean leaked;

            Region(long ua, long pages) {
                this.ua = ua;
                this.pages = pages;
            }

            boolean holds(long at, long size) {
                return at >= ua && at + size <= ua + pages * PAGE;
            }
        }

        long vaddr(int page) {
            return base + page * PAGE;
        }

        /** The window of slot {@code slot} as MAP would see it (the pending default one included), or null. */
        Window seen(int slot) {
            return slots[slot] != null ? slots[slot] : slot == 0 && pending ? new Window(0, 12, (1L << 31) >>> 12, 0) : null;
        }

        long pageSize(int slot) {
            Window w = seen(slot);
            return w == null ? PAGE : 1L << w.shift;
        }

        long iova(int slot, int where, int k, boolean misaligned) {
            Window w = seen(slot);
            long ps = pageSize(slot);
            long start = w != null ? w.start : slot == 0 ? 0 : SLOT1;
            long entries = w != null ? w.entries : 16;
            long at = switch (where) {
                case 0 -> start + k * ps;
                case 1 -> start + (entries - 1 - k) * ps;
                case 2 -> start + (entries + k) * ps;
                default -> 0x4000_0000_0000L + k * ps;
            };
            return at + (misaligned ? ps / 2 : 0);
        }

        Window find(long iova) {
            for (Window w : slots) {
                if (w != null && w.holds(iova)) {
                    return w;
                }
            }
            return null;
        }

        Region exact(long ua, long pages) {
            return regions.stream().filter(x -> x.ua == ua && x.pages == pages).findFirst().orElse(null);
        }

        boolean used(Region x) {
            for (Window w : slots) {
                if (w != null && w.tces.values().stream().anyMatch(t -> t.region == x)) {
                    return true;
                }
            }
            return false;
        }

        /** Creates the pending default window, if one is pending. */
        void createDefault() {
            if (pending) {
                slots[0] = new Window(0, 12, (1L << 31) >>> 12, 2048);
                pending = false;
            }
        }

        Call resolve(Op op) {
            return switch (op) {
                case Register g -> g.pick() < 2 && !regions.isEmpty()
                        ? new RegisterCall(regions.get(g.page() % regions.size()).ua, regions.get(g.page() % regions.size()).pages * PAGE)
                        : new RegisterCall(vaddr(g.page()) + (g.misaligned() ? 0x800 : 0), g.pages() * PAGE);
                case Unregister u -> u.pick() < 7 && !regions.isEmpty()
                        ? new UnregisterCall(regions.get(u.page() % regions.size()).ua, regions.get(u.page() % regions.size()).pages * PAGE)
                        : new UnregisterCall(vaddr(u.page()), u.pages() * PAGE);
                case MapOp p -> new MapCall(p.flags(), p.pick() < 7 && !regions.isEmpty()
                        ? regions.get(p.vpage() % regions.size()).ua + p.k() * PAGE : vaddr(p.vpage()),
                        iova(p.slot(), p.where(), p.k(), p.misaligned()), p.pages() * pageSize(p.slot()));
                case UnmapOp u -> new UnmapCall(iova(u.slot(), u.where(), u.k(), u.misaligned()), u.pages() * pageSize(u.slot()));
                case Create c -> new CreateCall(c.shape());
                case Remove v -> new RemoveCall(iova(v.slot(), v.where(), v.k(), false));
            };
        }

        Object apply(Call call) {
            return switch (call) {
                case RegisterCall g -> register(g.ua(), g.size() / PAGE);
                case UnregisterCall u -> unregister(u.ua(), u.size() / PAGE);
                case MapCall p -> map(p.flags(), p.vaddr(), p.iova(), p.size());
                case UnmapCall u -> unmap(u.iova(), u.size());
                case CreateCall c -> create(SHAPES[c.shape()]);
                case RemoveCall v -> remove(v.start());
            };
        }

        Object register(long ua, long pages) {
            mmRecorded = true;
            if (ua % PAGE != 0) {
                return Errno.EINVAL;
            }
            Region same = exact(ua, pages);
            if (same != null) {
                if (mine.contains(same)) {
                    return Errno.EBUSY;
                }
                mine.add(same);
                enabled = true;
                return 0;
            }
            if (pages == 0) {
                return Errno.ENOMEM;
            }
            if (ua + pages * PAGE > vaddr(PAGES)) {
                return Errno.EFAULT;
            }
            for (Region x : regions) {
                if (x.ua < ua + pages * PAGE && ua < x.ua + x.pages * PAGE) {
                    return Errno.EINVAL;
                }
            }
            Region x = new Region(ua, pages);
            regions.add(x);
            mine.add(x);
            enabled = true;
            return 0;
        }

        Object unregister(long ua, long pages) {
            if (!mmRecorded) {
                return Errno.EPERM;
            }
            Region x = exact(ua, pages);
            if (x == null || !mine.contains(x)) {
                return Errno.ENOENT;
            }
            mine.remove(x);
            if (used(x)) {
                x.leaked = true; // the 6.12 bug: 0, and the region stays
            } else if (!x.leaked) {
                regions.remove(x);
            }
            return 0;
        }

        Object map(int flags, long vaddr, long iova, long size) {
            if (!enabled) {
                return Errno.EPERM;
            }
            if ((flags & ~3) != 0) {
                return Errno.EINVAL;
            }
            createDefault();
            Window w = find(iova);
            if (w == null) {
                return Errno.ENXIO;
            }
            long ps = 1L << w.shift;
            if (size % ps != 0 || vaddr % ps != 0 || flags == 0) {
                return Errno.EINVAL;
            }
            if (iova % ps != 0) {
                return 1;
            }
            long first = iova >>> w.shift;
            for (long i = 0; i < size / ps; i++) {
                long ua = vaddr + i * ps;
                Region x = regions.stream().filter(y -> y.holds(ua, ps)).findFirst().orElse(null);
                if (x == null || w.shift > 12) {
                    for (long j = 0; j < i; j++) {
                        w.tces.remove(first + j);
                    }
                    return Errno.EINVAL;
                }
                w.tces.put(first + i, new Tce(ua, (flags & VFIO_DMA_MAP_FLAG_WRITE) != 0, x));
            }
            return 0;
        }

        Object unmap(long iova, long size) {
            if (!enabled) {
                return Errno.EPERM;
            }
            createDefault();
            Window w = find(iova);
            if (w == null) {
                return Errno.ENXIO;
            }
            long ps = 1L << w.shift;
            if (size % ps != 0) {
                return Errno.EINVAL;
            }
            if (iova % ps != 0) {
                return 1;
            }
            long first = iova >>> w.shift;
            w.tces.keySet().removeIf(p -> p >= first && p < first + size / ps);
            return 0;
        }

        Object create(long[] shape) {
            mmRecorded = true;
            createDefault();
            int slot = slots[0] == null ? 0 : slots[1] == null ? 1 : -1;
            if (slot < 0) {
                return Errno.ENOSPC;
            }
            if (shape[3] < 0) {
                return Errno.EINVAL;
            }
            if (shape[2] == 5) {
                leakedTables += shape[3];
                return Errno.EINVAL;
            }
            int shift = (int) shape[0];
            long start = slot == 0 ? 0 : SLOT1;
            slots[slot] = new Window(start, shift, Math.max(shape[1] >>> shift, 512), shape[3]);
            return start;
        }

        Object remove(long start) {
            mmRecorded = true;
            if (pending && start == 0) {
                pending = false;
                return 0;
            }
            Window w = find(start);
            if (w == null) {
                return Errno.EINVAL;
            }
            for (int i = 0; i < 2; i++) {
                if (slots[i] == w) {
                    slots[i] = null;
                }
            }
            return 0;
        }

        List<List<Long>> tces() {
            TreeMap<Long, List<Long>> out = new TreeMap<>(Long::compareUnsigned);
            for (Window w : slots) {
                if (w != null) {
                    w.tces.forEach((page, t) -> {
                        long ps = 1L << w.shift;
                        for (long at = 0; at < ps; at += PAGE) {
                            out.put((page << w.shift) + at, List.of((page << w.shift) + at, t.ua + at, t.write ? 1L : 0L));
                        }
                    });
                }
            }
            return new ArrayList<>(out.values());
        }

        long locked() {
            long pages = leakedTables;
            for (Region x : regions) {
                pages += x.pages;
            }
            for (Window w : slots) {
                pages += w == null ? 0 : w.charge;
            }
            return pages;
        }

        long leakedAfterRelease() {
            return leakedTables + regions.stream().filter(x -> x.leaked).mapToLong(x -> x.pages).sum();
        }
    }
}
