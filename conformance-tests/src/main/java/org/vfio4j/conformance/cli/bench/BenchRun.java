package org.vfio4j.conformance.cli.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code vfio4j bench}: every performance goal of the project, each measured beside its baseline in
 * the same run and interleaved with it, printed as one table and written as CSV and JSON.
 */
public final class BenchRun {
    private static final List<Measure> ALL = List.of(new IoctlRoundTrip(), new Type1Mappings(), new ConfigRead(),
            new InterruptWakeUp(), new DeviceDmaCopy(), new ParallelHosts(), new FreshFixture());

    private BenchRun() {}

    /** The benchmarks' names, for {@code --only}. */
    public static List<String> names() {
        return ALL.stream().map(Measure::name).toList();
    }

    /**
     * Runs the benchmarks named in {@code only} (all when empty), prints progress to {@code err}
     * and the table to {@code out}, and writes {@code bench.csv} and {@code bench.json} into
     * {@code folder}. Returns 0, or 1 when a benchmark failed (its error is printed).
     */
    public static int run(Set<String> only, Path folder, PrintStream out, PrintStream err) throws Exception {
        return run(only, folder, Rounds.FULL, out, err);
    }

    /** {@link #run(Set, Path, PrintStream, PrintStream)} with other {@code rounds} (tests run fewer). */
    static int run(Set<String> only, Path folder, Rounds rounds, PrintStream out, PrintStream err) throws Exception {
        Files.createDirectories(folder);
        long start = System.nanoTime();
        NativeBaselines c = null;
        String whyNoC = "";
        try {
            c = NativeBaselines.load(folder);
        } catch (Exception e) {
            whyNoC = "baseline not measured: " + e.getMessage();
            err.println("vfio4j bench: " + whyNoC);
        }
        List<Row> rows = new ArrayList<>();
        int status = 0;
        try {
            Measure.Context context = new Measure.Context(c, whyNoC, folder, rounds);
            for (Measure m : ALL) {
                if (!only.isEmpty() && !only.contains(m.name())) {
                    continue;
                }
                long t = System.nanoTime();
                err.printf("vfio4j bench: %-10s ...", m.name());
                try {
                    rows.addAll(m.run(context));
                    err.printf(" %d s%n", (System.nanoTime() - t) / 1_000_000_000L);
                } catch (Exception e) {
                    err.println(" failed: " + e);
                    status = 1;
                }
            }
        } finally {
            if (c != null) {
                c.close();
            }
        }
        String machine = Runtime.getRuntime().availableProcessors() + " cores, Java " + Runtime.version() + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.version");
        Report report = new Report(rows, machine, Instant.now(), (System.nanoTime() - start) / 1_000_000_000L);
        report.print(out);
        report.write(folder);
        out.println("written: " + folder.resolve("bench.csv") + ", " + folder.resolve("bench.json"));
        return status;
    }
}
