package org.vfio4j.conformance.cli.bench;

import static org.vfio4j.uapi.VfioUapi.VFIO_DMA_MAP_FLAG_READ;
import static org.vfio4j.uapi.VfioUapi.VFIO_DMA_MAP_FLAG_WRITE;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_MAP_DMA;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_UNMAP_DMA;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.vfio4j.Vfio;
import org.vfio4j.VfioException;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.spi.Fd;

/**
 * The simulated type1 container at scale: a VFIO_IOMMU_MAP_DMA + UNMAP_DMA pair through the raw
 * seam (trace off) at a random free page among {@code live} mappings (one at every other page),
 * against a bare {@code TreeMap} interval map doing only the overlap check, insert and remove on
 * the same IOVAs; the same pair among 1,024 mappings; and the heap one live mapping costs.
 */
final class Type1Mappings implements Measure {
    static final int LIVE = 65_535;
    private static final int SMALL = 1_024;
    private static final long PAGE = 4096;
    private static final long BASE = 0x1_0000_0000L;
    private static final int PAIRS = 50_000;
    /** The kernel's struct vfio_dma on Linux 6.1 x86-64 lives in the kmalloc-96 slab. */
    private static final int KERNEL_DMA_BYTES = 96;

    @Override
    public String name() {
        return "type1";
    }

    @Override
    public List<Row> run(Context context) throws Exception {
        double[][] f;
        try (Container big = new Container(LIVE); Container small = new Container(SMALL)) {
            TreeIntervals tree = new TreeIntervals(LIVE);
            long[] bigIovas = big.randomFreePages(7);
            long[] smallIovas = small.randomFreePages(7);
            f = context.rounds().interleave(
                    () -> big.pairs(bigIovas),
                    () -> tree.pairs(bigIovas),
                    () -> small.pairs(smallIovas));
        }
        double atLive = Rounds.median(f[0]);
        double treeMap = Rounds.median(f[1]);
        double atSmall = Rounds.median(f[2]);
        Heap heap = heapPerMapping();
        return List.of(
                new Row("simulator: type1 MAP+UNMAP pair at 65,535 live mappings, random positions, raw seam, trace off",
                        ns(atLive), ns(treeMap) + " (TreeMap: overlap check, put, remove)", atLive / treeMap, new Goal.AtMost(0.8),
                        "vfio4j / TreeMap; medians of " + context.rounds().measured() + " interleaved rounds of 50,000 pairs"),
                new Row("simulator: type1 pair cost at 65,535 live mappings / at 1,024", ns(atLive), ns(atSmall) + " (itself at 1,024)",
                        atLive / atSmall, new Goal.AtMost(1.5), "same rounds, interleaved with the above"),
                new Row("simulator: heap per live DMA mapping at 65,535", String.format(Locale.ROOT, "%.1f B", heap.perMapping),
                        KERNEL_DMA_BYTES + " B (struct vfio_dma, kmalloc-96)", heap.perMapping / KERNEL_DMA_BYTES, new Goal.AtMost(1.0),
                        String.format(Locale.ROOT, "heap after GC with 65,535 mappings minus with none; after unmapping all, "
                                + "%,d bytes stay above the empty container", heap.afterUnmapAll)));
    }

    private record Heap(double perMapping, long afterUnmapAll) {}

    private static Heap heapPerMapping() throws VfioException {
        try (Container c = new Container(0)) {
            long empty = usedHeapAfterGc();
            c.mapEveryOtherPage(LIVE);
            long full = usedHeapAfterGc();
            c.unmapAll();
            long emptied = usedHeapAfterGc();
            return new Heap((double) (full - empty) / LIVE, emptied - empty);
        }
    }

    private static long usedHeapAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    static String ns(double nanos) {
        return String.format(Locale.ROOT, "%.1f ns", nanos);
    }

    /** A simulated type1v2 container with mappings at every other page from {@link #BASE}. */
    private static final class Container implements AutoCloseable {
        private final SimulatedKernel kernel;
        private final Fd fd;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment map = arena.allocate(32, 8);
        private final MemorySegment unmap = arena.allocate(24, 8);
        private int live;

        Container(int live) throws VfioException {
            kernel = SimulatedHost.x86Type1().toBuilder().dmaEntryLimit(LIVE + 1).capIpcLock(true).build().boot();
            kernel.recordTrace(false);
            Vfio vfio = Vfio.over(kernel);
            fd = Attached.open(vfio, 7).container().fd();
            MemorySegment page = arena.allocate(PAGE, PAGE);
            map.set(ValueLayout.JAVA_INT, 0, 32);
            map.set(ValueLayout.JAVA_INT, 4, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
            map.set(ValueLayout.JAVA_LONG, 8, kernel.userAddress(page));
            map.set(ValueLayout.JAVA_LONG, 24, PAGE);
            unmap.set(ValueLayout.JAVA_INT, 0, 24);
            mapEveryOtherPage(live);
        }

        void mapEveryOtherPage(int count) throws VfioException {
            for (int i = 0; i < count; i++) {
                map.set(ValueLayout.JAVA_LONG, 16, BASE + 2L * i * PAGE);
                kernel.ioctl(fd, VFIO_IOMMU_MAP_DMA, map);
            }
            live = count;
        }

        void unmapAll() throws VfioException {
            unmap.set(ValueLayout.JAVA_LONG, 8, BASE);
            unmap.set(ValueLayout.JAVA_LONG, 16, 2L * live * PAGE);
            kernel.ioctl(fd, VFIO_IOMMU_UNMAP_DMA, unmap);
            live = 0;
        }

        /** Free pages between the mappings, in a fixed random order. */
        long[] randomFreePages(long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            long[] iovas = new long[PAIRS];
            for (int i = 0; i < iovas.length; i++) {
                iovas[i] = BASE + (2L * random.nextInt(live) + 1) * PAGE;
            }
            return iovas;
        }

        double pairs(long[] iovas) throws VfioException {
            long start = System.nanoTime();
            for (long iova : iovas) {
                map.set(ValueLayout.JAVA_LONG, 16, iova);
                kernel.ioctl(fd, VFIO_IOMMU_MAP_DMA, map);
                unmap.set(ValueLayout.JAVA_LONG, 8, iova);
                unmap.set(ValueLayout.JAVA_LONG, 16, PAGE);
                kernel.ioctl(fd, VFIO_IOMMU_UNMAP_DMA, unmap);
                if (unmap.get(ValueLayout.JAVA_LONG, 16) != PAGE) {
                    throw new IllegalStateException("UNMAP_DMA unmapped " + unmap.get(ValueLayout.JAVA_LONG, 16) + " bytes, not a page");
                }
            }
            return Rounds.per(System.nanoTime() - start, iovas.length);
        }

        @Override
        public void close() {
            kernel.close();
            arena.close();
        }
    }

    /** The naive structure: a TreeMap from first to last IOVA, with the same mappings. */
    private static final class TreeIntervals {
        private final TreeMap<Long, Long> intervals = new TreeMap<>();

        TreeIntervals(int live) {
            for (int i = 0; i < live; i++) {
                long start = BASE + 2L * i * PAGE;
                intervals.put(start, start + PAGE - 1);
            }
        }

        double pairs(long[] iovas) {
            long start = System.nanoTime();
            for (long iova : iovas) {
                long last = iova + PAGE - 1;
                Map.Entry<Long, Long> below = intervals.floorEntry(iova);
                Map.Entry<Long, Long> above = intervals.ceilingEntry(iova);
                if (below != null && below.getValue() >= iova || above != null && above.getKey() <= last) {
                    throw new IllegalStateException("overlap at 0x" + Long.toHexString(iova));
                }
                intervals.put(iova, last);
                if (intervals.remove(iova) == null) {
                    throw new IllegalStateException("lost 0x" + Long.toHexString(iova));
                }
            }
            return Rounds.per(System.nanoTime() - start, iovas.length);
        }
    }
}
