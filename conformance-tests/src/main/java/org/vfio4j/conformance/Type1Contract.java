package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.vfio4j.Errno;
import org.vfio4j.IommuInfo;
import org.vfio4j.IommuType;
import org.vfio4j.IovaRange;
import org.vfio4j.VfioContainer;
import org.vfio4j.fixtures.assertj.VfioCallAssert;
import org.vfio4j.spi.VfioKernel;

/**
 * Type1 DMA rules, I13-I21 of docs/conformance.md, with the argsz/capability-chain protocol of
 * GET_INFO (I20) ({@code drivers/vfio/vfio_iommu_type1.c}: {@code vfio_dma_do_map}, {@code
 * vfio_dma_do_unmap}, {@code vfio_iommu_type1_get_info}).
 */
public interface Type1Contract extends Contract {

    /** The page size the contracts map in. */
    long PAGE = Session.PAGE;
    /** The IOVA the contracts map at: inside the first usable range of every x86 IOMMU. */
    long BASE = 0x1_0000_0000L;

    /** Makes a raw MAP_DMA through the seam, so that any field value can be sent, and asserts on it, named by its fields. */
    static VfioCallAssert<Integer> rawMap(Session s, VfioContainer c, int argsz, int flags, long vaddr, long iova, long size) {
        MemorySegment m = s.memory(1);
        m.set(ValueLayout.JAVA_INT, 0, argsz);
        m.set(ValueLayout.JAVA_INT, 4, flags);
        m.set(ValueLayout.JAVA_LONG, 8, vaddr);
        m.set(ValueLayout.JAVA_LONG, 16, iova);
        m.set(ValueLayout.JAVA_LONG, 24, size);
        return assertThatVfioCall(() -> s.vfio.seam().ioctl(c.fd(), VFIO_IOMMU_MAP_DMA, m))
                .as("VFIO_IOMMU_MAP_DMA {argsz=%d, flags=0x%x, vaddr=0x%x, iova=0x%x, size=0x%x}", argsz, flags, vaddr, iova, size);
    }

    /**
     * A MAP_DMA that must fail with EINVAL.
     *
     * @param what       which rule it breaks
     * @param argsz      the argsz field
     * @param flags      the flags field
     * @param vaddrDelta added to a valid page-aligned vaddr
     * @param iova       the iova field
     * @param size       the size field
     */
    record Bad(String what, int argsz, int flags, long vaddrDelta, long iova, long size) {}

    /** MAP_DMA arguments each breaking one of the kernel's checks. */
    @Provide
    default Arbitrary<Bad> invalidMaps() {
        Arbitrary<Long> unaligned = Arbitraries.longs().between(1, PAGE - 1);
        return Arbitraries.oneOf(
                Arbitraries.integers().between(0, 31).map(a -> new Bad("argsz " + a, a, 3, 0, BASE, PAGE)),
                Arbitraries.integers().between(2, 30).map(bit -> new Bad("unknown flag bit " + bit, 32, 3 | (1 << bit), 0, BASE, PAGE))
                        .filter(b -> !(target().linux61() && b.flags() == (3 | VFIO_DMA_MAP_FLAG_VADDR))),
                Arbitraries.just(new Bad("neither READ nor WRITE", 32, 0, 0, BASE, PAGE)),
                Arbitraries.just(new Bad("size 0", 32, 3, 0, BASE, 0)),
                unaligned.map(u -> new Bad("unaligned iova", 32, 3, 0, BASE + u, PAGE)),
                unaligned.map(u -> new Bad("unaligned size", 32, 3, 0, BASE, PAGE + u)),
                unaligned.map(u -> new Bad("unaligned vaddr", 32, 3, u, BASE, PAGE)),
                Arbitraries.just(new Bad("iova wraps", 32, 3, 0, -PAGE, 2 * PAGE)));
    }

    /** I15: size 0, unaligned iova/vaddr/size, no READ/WRITE, unknown flag, short argsz or wrap: EINVAL, nothing mapped. */
    @Property(tries = 80)
    default void mapDma_breakingAnyCheck_isEinval_andMapsNothing(@ForAll("invalidMaps") Bad bad) throws Exception {
        try (Session s = new Session(target())) {
            Session.Attached a = s.attach(IommuType.TYPE1V2);
            MemorySegment mem = s.memory(4);
            long vaddr = s.vfio.userAddress(mem) + bad.vaddrDelta();
            rawMap(s, a.container(), bad.argsz(), bad.flags(), vaddr, bad.iova(), bad.size()).as(bad.what()).failsWith(Errno.EINVAL);
            assertThat(a.container().unmapDma(0, 1L << 47)).as("nothing was mapped").isZero();
        }
    }

    /** I13 and I14: a successful map takes one slot; an overlapping map is EEXIST and changes nothing. */
    @Property(tries = 60)
    default void mapDma_takesOneSlot_andAnOverlapIsEexist(@ForAll @IntRange(min = 1, max = 8) int pages,
                                                        @ForAll @IntRange(min = -8, max = 8) int shift,
                                                        @ForAll @IntRange(min = 1, max = 8) int otherPages) throws Exception {
        try (Session s = new Session(target())) {
            Session.Attached a = s.attach(IommuType.TYPE1V2);
            VfioContainer c = a.container();
            MemorySegment mem = s.memory(16);
            int before = c.iommuInfo().dmaAvailable().orElse(-1);
            c.mapDma(mem.asSlice(0, pages * PAGE), BASE);
            if (before >= 0) {
                assertThat(c.iommuInfo().dmaAvailable()).contains(before - 1);
            }
            long otherIova = BASE + shift * PAGE;
            boolean overlaps = otherIova < BASE + pages * PAGE && otherIova + otherPages * PAGE > BASE;
            Calls.failsWithOrSucceeds(assertThatVfioCall(() -> c.mapDma(mem.asSlice(0, otherPages * PAGE), otherIova))
                    .as("%d pages at page %d after %d pages at 0", otherPages, shift, pages), overlaps ? Errno.EEXIST : null);
            if (before >= 0) {
                assertThat(c.iommuInfo().dmaAvailable()).contains(before - (overlaps ? 1 : 2));
            }
        }
    }

    /**
     * I14 order: with every slot used, an overlapping map is still EEXIST (checked before ENOSPC).
     * I18: then ENOSPC, and one unmap frees one slot ({@code vfio_dma_do_map}, {@code dma_entry_limit}).
     */
    @Property(tries = 5)
    @RequiresFeature(TargetFeature.EXHAUSTIBLE_DMA_ENTRY_LIMIT)
    default void mapDma_pastTheEntryLimit_isEnospc_afterTheOverlapCheck(@ForAll @IntRange(min = 1, max = 3) int unmaps) throws Exception {
        int limit = target().dmaEntryLimit().getAsInt();
        try (Session s = new Session(target())) {
            VfioContainer c = s.attach(IommuType.TYPE1V2).container();
            MemorySegment page = s.memory(1);
            for (int i = 0; i < limit; i++) {
                c.mapDma(page, BASE + i * PAGE);
            }
            assertThatVfioCall(() -> c.mapDma(page, BASE)).as("overlapping, every slot used").failsWith(Errno.EEXIST);
            assertThatVfioCall(() -> c.mapDma(page, BASE + limit * PAGE)).as("every slot used").failsWith(Errno.ENOSPC);
            for (int i = 0; i < unmaps; i++) {
                assertThat(c.unmapDma(BASE + i * PAGE, PAGE)).isEqualTo(PAGE);
            }
            for (int i = 0; i < unmaps; i++) {
                c.mapDma(page, BASE + (limit + i) * PAGE);
            }
            assertThatVfioCall(() -> c.mapDma(page, BASE + (limit + unmaps) * PAGE)).as("freed slots used again").failsWith(Errno.ENOSPC);
        }
    }

    /** I16: v2 unmap that cuts a mapping is EINVAL and removes nothing; otherwise it removes whole mappings inside the range. */
    @Property(tries = 80)
    default void v2Unmap_cuttingAMapping_isEinval_andRemovesNothing(@ForAll("layouts") List<Integer> gaps, @ForAll @IntRange(min = 0, max = 40) int from,
                                         @ForAll @IntRange(min = 1, max = 40) int length) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.attach(IommuType.TYPE1V2).container();
            Intervals model = Intervals.layout(gaps);
            MemorySegment mem = s.memory(8);
            for (long[] iv : model.all()) {
                c.mapDma(mem.asSlice(0, iv[1] * PAGE), BASE + iv[0] * PAGE);
            }
            long first = from;
            long last = from + length - 1;
            boolean cuts = model.cutsAt(first, last);
            Calls.failsWithOrSucceeds(assertThatVfioCall(() -> c.unmapDma(BASE + first * PAGE, length * PAGE))
                    .as("unmap of pages [%d, %d] from %s", first, last, gaps), cuts ? Errno.EINVAL : null);
            if (cuts) {
                assertThat(c.unmapDma(BASE, 128 * PAGE)).as("nothing was removed").isEqualTo(model.totalPages() * PAGE);
            } else {
                long expected = model.pagesInside(first, last);
                long again = c.unmapDma(BASE, 128 * PAGE);
                assertThat(again).as("what remains").isEqualTo((model.totalPages() - expected) * PAGE);
            }
        }
    }

    /** I16, written-back size: unmap returns exactly the sizes of the mappings inside the range (0 when none). */
    @Property(tries = 60)
    default void v2Unmap_returnsTheSizesOfTheMappingsInside(@ForAll("layouts") List<Integer> gaps, @ForAll @IntRange(min = 0, max = 40) int from,
                                                    @ForAll @IntRange(min = 1, max = 40) int length) throws Exception {
        Intervals model = Intervals.layout(gaps);
        Assume.that(!model.cutsAt(from, from + length - 1));
        try (Session s = new Session(target())) {
            VfioContainer c = s.attach(IommuType.TYPE1V2).container();
            MemorySegment mem = s.memory(8);
            for (long[] iv : model.all()) {
                c.mapDma(mem.asSlice(0, iv[1] * PAGE), BASE + iv[0] * PAGE);
            }
            assertThat(c.unmapDma(BASE + from * PAGE, length * PAGE)).isEqualTo(model.pagesInside(from, from + length - 1) * PAGE);
        }
    }

    /** I17: v1 unmap without a straddled start removes every overlapping mapping whole; with one (6.1) it removes nothing. */
    @Property(tries = 80)
    default void v1Unmap_removesEveryOverlappingMappingWhole(@ForAll("layouts") List<Integer> gaps, @ForAll @IntRange(min = 0, max = 40) int from,
                                                  @ForAll @IntRange(min = 1, max = 40) int length) throws Exception {
        Intervals model = Intervals.layout(gaps);
        long first = from;
        long last = from + length - 1;
        boolean straddled = model.straddles(first);
        Assume.that(!straddled || target().linux61()); // 5.7: implementation-defined
        try (Session s = new Session(target())) {
            VfioContainer c = s.attach(IommuType.TYPE1).container();
            MemorySegment mem = s.memory(8);
            for (long[] iv : model.all()) {
                c.mapDma(mem.asSlice(0, iv[1] * PAGE), BASE + iv[0] * PAGE);
            }
            long removed = c.unmapDma(BASE + first * PAGE, length * PAGE);
            long expected = straddled ? 0 : model.pagesOverlapping(first, last) * PAGE;
            assertThat(removed).isEqualTo(expected);
            assertThat(c.unmapDma(BASE, 128 * PAGE)).isEqualTo(model.totalPages() * PAGE - expected);
        }
    }

    /** Mapping layouts: a list of (gap, length) pairs in pages, starting at page 0 of {@link #BASE}. */
    @Provide
    default Arbitrary<List<Integer>> layouts() {
        return Arbitraries.integers().between(0, 4).list().ofMinSize(2).ofMaxSize(16).map(l -> l.size() % 2 == 0 ? l : l.subList(0, l.size() - 1));
    }

    /** I19: page sizes have nothing below 4 KiB; ranges are sorted and disjoint; inside a range maps, across a gap is EINVAL. */
    @Property(tries = 20)
    default void iovaRanges_areSortedAndDisjoint_andAMapIntoAGapIsEinval(@ForAll @IntRange(min = 1, max = 4) int pages) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.attach(IommuType.TYPE1V2).container();
            IommuInfo info = c.iommuInfo();
            assertThat(info.pageSizes() & (PAGE - 1)).isZero();
            assertThat(info.minPageSize()).isGreaterThanOrEqualTo(PAGE);
            List<IovaRange> ranges = info.iovaRanges().orElseThrow();
            for (int i = 1; i < ranges.size(); i++) {
                assertThat(Long.compareUnsigned(ranges.get(i - 1).end(), ranges.get(i).start())).isNegative();
            }
            MemorySegment mem = s.memory(pages);
            IovaRange r = ranges.get(0);
            long inside = (r.end() - pages * PAGE + 1) & -PAGE;
            c.mapDma(mem, inside);
            if (ranges.size() > 1) {
                long acrossGap = (ranges.get(0).end() + 1 - PAGE) & -PAGE;
                Calls.Attempt<?> across = Calls.attempt(() -> c.mapDma(s.memory(pages + 1), acrossGap - PAGE * pages));
                assertThat(across.errno()).as("a map across the gap %s", across).isIn(Errno.EINVAL, Errno.EEXIST);
                long gapStart = ranges.get(0).end() + 1;
                assertThatVfioCall(() -> c.mapDma(mem, gapStart)).as("inside the gap").failsWith(Errno.EINVAL);
            }
        }
    }

    /** I20: GET_INFO's argsz protocol: a small argsz gets CAPS and the needed size; that size gets the whole chain at cap_offset 24. */
    @Property(tries = 40)
    default void iommuGetInfo_followsTheArgszProtocol(@ForAll @IntRange(min = 0, max = 200) int argsz) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.attach(IommuType.TYPE1V2).container();
            VfioKernel k = s.vfio.seam();
            MemorySegment buf = s.memory(1);
            buf.set(ValueLayout.JAVA_INT, 0, argsz);
            buf.set(ValueLayout.JAVA_INT, 16, 0xdeadbeef);
            Calls.failsWithOrSucceeds(assertThatVfioCall(() -> k.ioctl(c.fd(), VFIO_IOMMU_GET_INFO, buf)).as("argsz %d", argsz),
                    argsz < 16 ? Errno.EINVAL : null);
            if (argsz < 16) {
                return;
            }
            int flags = buf.get(ValueLayout.JAVA_INT, 4);
            assertThat(flags & VFIO_IOMMU_INFO_PGSIZES).isNotZero();
            assertThat(flags & VFIO_IOMMU_INFO_CAPS).as("type1 with IOVA ranges has caps").isNotZero();
            int needed = buf.get(ValueLayout.JAVA_INT, 0);
            int capOffset = buf.get(ValueLayout.JAVA_INT, 16);
            if (argsz < 20) {
                assertThat(capOffset).as("cap_offset is not written below 20 bytes").isEqualTo(0xdeadbeef);
            }
            if (needed > argsz) {
                if (argsz >= 20) {
                    assertThat(capOffset).isZero();
                }
                MemorySegment full = s.memory(1);
                full.set(ValueLayout.JAVA_INT, 0, needed);
                assertThatVfioCall(() -> k.ioctl(c.fd(), VFIO_IOMMU_GET_INFO, full)).as("argsz %d as asked", needed).succeeds();
                assertThat(full.get(ValueLayout.JAVA_INT, 0)).as("argsz kept when big enough").isEqualTo(needed);
                checkChain(full, needed);
            } else {
                assertThat(needed).as("argsz is never shrunk").isEqualTo(argsz);
                checkChain(buf, argsz);
            }
        }
    }

    private static void checkChain(MemorySegment info, int argsz) {
        int at = info.get(ValueLayout.JAVA_INT, 16);
        assertThat(at).isEqualTo(24);
        int guard = 0;
        while (at != 0) {
            assertThat(at).isBetween(24, argsz - 8);
            int next = info.get(ValueLayout.JAVA_INT, at + 4);
            assertThat(next == 0 || next > at).as("chain moves forward").isTrue();
            at = next;
            assertThat(++guard).isLessThan(64);
        }
    }

    /**
     * I21: with RLIMIT_MEMLOCK = L pages, mapping k pages succeeds iff {@code k <= L}; failure is
     * ENOMEM and leaves nothing mapped ({@code vfio_pin_pages_remote}).
     */
    @Property(tries = 30)
    @RequiresFeature(TargetFeature.MEMLOCK_LIMIT)
    default void mapDma_pastTheMemlockLimit_isEnomem_andMapsNothing(@ForAll("pageCounts") int pages) throws Exception {
        int limit = target().memlockPages().getAsInt();
        try (Session s = new Session(target())) {
            VfioContainer c = s.attach(IommuType.TYPE1V2).container();
            MemorySegment mem = s.memory(pages);
            Calls.failsWithOrSucceeds(assertThatVfioCall(() -> c.mapDma(mem, BASE)).as("%d pages with a limit of %d", pages, limit),
                    pages <= limit ? null : Errno.ENOMEM);
            assertThat(c.unmapDma(BASE, pages * PAGE)).isEqualTo(pages <= limit ? pages * PAGE : 0);
        }
    }

    /** Page counts around the target's RLIMIT_MEMLOCK. */
    @Provide
    default Arbitrary<Integer> pageCounts() {
        int limit = target().memlockPages().orElse(16);
        return Arbitraries.integers().between(1, 2 * limit + 2).edgeCases(c -> c.includeOnly(limit, limit + 1, 1));
    }

    /** MAP with memory the process does not have at that address is EFAULT and maps nothing. */
    @Property(tries = 10)
    default void mapDma_ofMemoryTheProcessDoesNotHave_isEfault(@ForAll @IntRange(min = 1, max = 4) int pages) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.attach(IommuType.TYPE1V2).container();
            // the top of the user address space is never mapped on x86-64
            rawMap(s, c, 32, 3, 0x7fff_ffff_0000_0000L & -PAGE, BASE, pages * PAGE).failsWith(Errno.EFAULT);
            assertThat(c.unmapDma(BASE, pages * PAGE)).isZero();
        }
    }

}
