package org.vfio4j.conformance.cli.bench;

import com.google.common.jimfs.Jimfs;
import java.nio.file.FileSystem;
import java.util.List;
import java.util.Locale;
import org.vfio4j.Vfio;
import org.vfio4j.VfioException;
import org.vfio4j.sim.SimulatedHost;

/**
 * What one test's fixture costs: a simulated x86 host booted, a container, group 7 attached, the
 * type1v2 IOMMU set and device 0000:01:00.0 opened, then all of it closed, with the trace on as a
 * test has it; against creating and closing a Jimfs file system, the in-memory fixture Java tests
 * already use without a second thought.
 */
final class FreshFixture implements Measure {
    private static final int FIXTURES = 5_000;

    @Override
    public String name() {
        return "fixture";
    }

    /** One fixture, opened and closed. */
    static void fixture() throws VfioException {
        try (Vfio vfio = Vfio.open(SimulatedHost.x86Type1())) {
            Attached.open(vfio, 7).group().openDevice("0000:01:00.0");
        }
    }

    @Override
    public List<Row> run(Context context) throws Exception {
        Rounds.Round sim = () -> {
            long start = System.nanoTime();
            for (int i = 0; i < FIXTURES; i++) {
                fixture();
            }
            return Rounds.per(System.nanoTime() - start, FIXTURES);
        };
        Rounds.Round jimfs = () -> {
            long start = System.nanoTime();
            for (int i = 0; i < FIXTURES; i++) {
                FileSystem fs = Jimfs.newFileSystem();
                fs.close();
            }
            return Rounds.per(System.nanoTime() - start, FIXTURES);
        };
        double[][] f = context.rounds().interleave(sim, jimfs);
        double vfio4j = Rounds.median(f[0]);
        double baseline = Rounds.median(f[1]);
        return List.of(new Row("simulator: fresh fixture (host, kernel, container, group, device, then closed), trace on",
                us(vfio4j), us(baseline) + " (Jimfs.newFileSystem() and close)", vfio4j / baseline, new Goal.AtMost(1.0),
                "vfio4j / Jimfs; medians of " + context.rounds().measured() + " interleaved rounds of 5,000"));
    }

    static String us(double nanos) {
        return String.format(Locale.ROOT, "%.1f us", nanos / 1000);
    }
}
