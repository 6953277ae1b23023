package org.vfio4j.conformance.cli.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.vfio4j.Vfio;
import org.vfio4j.VfioDevice;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.SimulatedKernel;

/**
 * A config-space dword read through the typed API ({@code VfioDevice.readConfigDword}, which goes
 * through the device fd's pread at the config region's offset, the config virtualization, and
 * back), trace off, against a real {@code pread(2)} of 4 bytes from a file in C.
 */
final class ConfigRead implements Measure {
    private static final int READS = 500_000;

    @Override
    public String name() {
        return "config";
    }

    @Override
    public List<Row> run(Context context) throws Exception {
        String measure = "simulator: config dword read through the typed API and the device fd, trace off";
        Goal goal = new Goal.AtLeast(10);
        SimulatedKernel kernel = SimulatedHost.x86Type1().boot();
        kernel.recordTrace(false);
        try (Vfio vfio = Vfio.over(kernel)) {
            VfioDevice device = Attached.open(vfio, 7).group().openDevice("0000:01:00.0");
            int expected = device.readConfigDword(0);
            Rounds.Round sim = () -> {
                long start = System.nanoTime();
                for (int i = 0; i < READS; i++) {
                    if (device.readConfigDword(0) != expected) {
                        throw new IllegalStateException("config space changed under the benchmark");
                    }
                }
                return Rounds.per(System.nanoTime() - start, READS);
            };
            if (context.c() == null) {
                double[][] f = context.rounds().interleave(5, sim);
                return List.of(Row.unmeasured(measure, Type1Mappings.ns(Rounds.median(f[0])), goal, context.whyNoC()));
            }
            Path file = context.work().resolve("pread-baseline.bin");
            Files.write(file, new byte[4096]);
            int fd = context.c().openReadOnly(file);
            try {
                Rounds.Round pread = () -> Rounds.per(context.c().preadLoop(fd, 4, 0, READS), READS);
                double[][] f = context.rounds().interleave(sim, pread);
                double vfio4j = Rounds.median(f[0]);
                double baseline = Rounds.median(f[1]);
                return List.of(new Row(measure, Type1Mappings.ns(vfio4j), Type1Mappings.ns(baseline) + " (C pread(2) of 4 bytes from a file)",
                        baseline / vfio4j, goal, String.format(Locale.ROOT,
                                "how many times faster than pread (pread / vfio4j); medians of " + context.rounds().measured() + " interleaved rounds of %,d reads", READS)));
            } finally {
                context.c().close(fd);
            }
        }
    }
}
