package org.vfio4j.conformance.cli.bench;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.vfio4j.DmaMapping;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.sim.SimulatedHost;

/**
 * A parallel test suite: two threads, each with its own fresh simulated hosts doing a test's work
 * (boot, container, group, device, 100 config reads, a DMA map and unmap, close), against the same
 * total work on one thread. Independent hosts share nothing, so two cores should do nearly twice
 * the work.
 */
final class ParallelHosts implements Measure {
    private static final int UNITS = 2_000;
    private static final int CONFIG_READS = 100;

    @Override
    public String name() {
        return "parallel";
    }

    /** One test's worth of work on a fresh host. */
    static void unit() throws VfioException {
        // a confined arena: closing a shared one pauses every thread of the JVM (a handshake), which
        // would serialize the two threads on the JDK's account, not the simulator's
        try (Vfio vfio = Vfio.open(SimulatedHost.x86Type1()); Arena arena = Arena.ofConfined()) {
            Attached a = Attached.open(vfio, 7);
            VfioContainer c = a.container();
            VfioDevice device = a.group().openDevice("0000:01:00.0");
            int ids = device.readConfigDword(0);
            for (int i = 1; i < CONFIG_READS; i++) {
                if (device.readConfigDword(0) != ids) {
                    throw new IllegalStateException("config space changed under the benchmark");
                }
            }
            DmaMapping m = c.mapDma(arena.allocate(4096, 4096), 0x10_0000L);
            c.unmapDma(m);
        }
    }

    private static void units(int n) throws VfioException {
        for (int i = 0; i < n; i++) {
            unit();
        }
    }

    @Override
    public List<Row> run(Context context) throws Exception {
        String load = loadAverage();
        Rounds.Round one = () -> {
            long start = System.nanoTime();
            units(2 * UNITS);
            return Rounds.per(System.nanoTime() - start, 2 * UNITS);
        };
        Rounds.Round two = () -> {
            CyclicBarrier go = new CyclicBarrier(2);
            AtomicReference<Exception> failure = new AtomicReference<>();
            Runnable half = () -> {
                try {
                    go.await();
                    units(UNITS);
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            };
            long start = System.nanoTime();
            Thread other = Thread.ofPlatform().name("vfio4j-bench-host-2").start(half);
            half.run();
            other.join();
            long took = System.nanoTime() - start;
            if (failure.get() != null) {
                throw failure.get();
            }
            return Rounds.per(took, 2 * UNITS);
        };
        double[][] f = context.rounds().interleave(one, two);
        double oneThread = Rounds.median(f[0]);
        double twoThreads = Rounds.median(f[1]);
        return List.of(new Row("simulator: 2 independent fresh hosts on 2 threads (a parallel test suite)",
                us(twoThreads) + " per host unit", us(oneThread) + " per unit on one thread", oneThread / twoThreads,
                new Goal.AtLeast(1.9), String.format(Locale.ROOT, "speed-up: one thread's time / two threads' time for %d units;"
                        + " medians of " + context.rounds().measured() + " interleaved rounds; %d cores, load average before: %s", 2 * UNITS,
                        Runtime.getRuntime().availableProcessors(), load)));
    }

    private static String loadAverage() {
        try {
            String[] w = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return w[0] + " " + w[1] + " " + w[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    static String us(double nanos) {
        return String.format(Locale.ROOT, "%.1f us", nanos / 1000);
    }
}
