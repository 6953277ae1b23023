package org.vfio4j.sim;

import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.vfio4j.IommuType;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.spi.Fd;

/**
 * VFIO_IOMMU_MAP_DMA + VFIO_IOMMU_UNMAP_DMA pairs through the raw seam, with {@code live} other
 * mappings in the container (every other page). {@code random}: each pair at a random free page
 * among them (every lookup starts cold: memory latency); {@code fixed}: always the same free page
 * in the middle (the per-call cost with a warm path).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DmaMapBenchmark {
    private static final long PAGE = 4096;
    private static final long BASE = 0x1_0000_0000L;

    @Param({"1024", "16384", "65535"})
    public int live;

    @Param({"random", "fixed"})
    public String position;

    private SimulatedKernel kernel;
    private Fd container;
    private MemorySegment map;
    private MemorySegment unmap;
    private long[] iovas;
    private int next;
    private Arena arena;

    @Setup(Level.Trial)
    public void setUp() throws VfioException {
        kernel = SimulatedHost.x86Type1().toBuilder().dmaEntryLimit(live + 1).capIpcLock(true).build().boot();
        kernel.recordTrace(false);
        Vfio vfio = Vfio.over(kernel);
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(7);
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        container = c.fd();
        arena = Arena.ofShared();
        MemorySegment page = arena.allocate(PAGE, PAGE);
        long vaddr = kernel.userAddress(page);
        map = arena.allocate(32, 8);
        map.set(ValueLayout.JAVA_INT, 0, 32);
        map.set(ValueLayout.JAVA_INT, 4, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
        map.set(ValueLayout.JAVA_LONG, 8, vaddr);
        map.set(ValueLayout.JAVA_LONG, 24, PAGE);
        unmap = arena.allocate(24, 8);
        unmap.set(ValueLayout.JAVA_INT, 0, 24);
        for (int i = 0; i < live; i++) {
            map.set(ValueLayout.JAVA_LONG, 16, BASE + 2L * i * PAGE);
            kernel.ioctl(container, VFIO_IOMMU_MAP_DMA, map);
        }
        SplittableRandom random = new SplittableRandom(42);
        iovas = new long[1 << 16];
        for (int i = 0; i < iovas.length; i++) {
            iovas[i] = BASE + (2L * (position.equals("fixed") ? live / 2 : random.nextInt(live)) + 1) * PAGE;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernel.close();
        arena.close();
    }

    @Benchmark
    public long mapUnmapPair() throws VfioException {
        long iova = iovas[next++ & (iovas.length - 1)];
        map.set(ValueLayout.JAVA_LONG, 16, iova);
        kernel.ioctl(container, VFIO_IOMMU_MAP_DMA, map);
        unmap.set(ValueLayout.JAVA_LONG, 8, iova);
        unmap.set(ValueLayout.JAVA_LONG, 16, PAGE);
        kernel.ioctl(container, VFIO_IOMMU_UNMAP_DMA, unmap);
        return unmap.get(ValueLayout.JAVA_LONG, 16);
    }
}
