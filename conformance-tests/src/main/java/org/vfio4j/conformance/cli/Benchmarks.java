package org.vfio4j.conformance.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vfio4j.conformance.cli.Options.UsageException;
import org.vfio4j.conformance.cli.bench.BenchRun;

/** {@code vfio4j bench}: the command line of {@link BenchRun}. */
final class Benchmarks {
    static final String HELP = """
            usage: vfio4j bench [--only <names>] [--out <folder>]

            Measures every performance goal of vfio4j beside its baseline, in the same run and in
            alternating rounds (so that other load on the machine moves both alike): the kernel
            backend's ioctl against C, the simulated type1 container against a TreeMap, config reads
            against pread(2), interrupt wake-ups against a C eventfd, device DMA against
            MemorySegment.copy, two hosts on two threads against one, and a fresh fixture against
            Jimfs. Prints one table (Markdown) and writes bench.csv and bench.json. About a minute;
            the C baselines need gcc. docs/benchmarks.md explains each line.

              --only <names>  a comma-separated subset of: %s
              --out <folder>  where the CSV and JSON go (default: conformance-tests/target/bench)
              -h, --help      this text
            """.formatted(String.join(", ", BenchRun.names()));

    private Benchmarks() {}

    static int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        Map<String, String> valued = new LinkedHashMap<>();
        valued.put("--only", "benchmark names, e.g. type1,config");
        valued.put("--out", "a folder");
        Options o = Options.parse(args, List.of(), valued);
        if (o.help()) {
            out.print(HELP);
            return 0;
        }
        Set<String> only = new LinkedHashSet<>();
        String names = o.text("--only", s -> !s.isBlank(), "benchmark names");
        if (names != null) {
            for (String n : names.split(",", -1)) {
                if (!BenchRun.names().contains(n.strip())) {
                    throw new UsageException("--only takes names among " + String.join(", ", BenchRun.names()) + ", not '" + n.strip() + "'");
                }
                only.add(n.strip());
            }
        }
        String home = System.getProperty("vfio4j.home", ".");
        String folder = o.text("--out", s -> !s.isBlank(), "a folder");
        Path target = folder != null ? Path.of(folder) : Path.of(home, "conformance-tests", "target", "bench");
        return BenchRun.run(only, target, out, err);
    }
}
