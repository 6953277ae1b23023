package org.vfio4j.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link IoctlRoundTripBenchmark} and its C twin in one go and prints the FFM/C ratios.
 * Arguments: the module folder and a work folder. The C loop runs before and after JMH; the ratio uses
 * the mean of the two C figures.
 */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        Path source = Path.of(args[0], "src/bench/c/ioctl_roundtrip.c");
        Path work = Files.createDirectories(Path.of(args[1]));
        Path binary = work.resolve("ioctl_roundtrip");
        run(List.of("gcc", "-O2", "-o", binary.toString(), source.toString()));

        Map<String, Double> cBefore = parse(run(List.of(binary.toString())));
        Options options = new OptionsBuilder()
                .include(IoctlRoundTripBenchmark.class.getName())
                .build();
        Map<String, Double> java = new HashMap<>();
        for (RunResult r : new Runner(options).run()) {
            String name = r.getParams().getBenchmark();
            java.put(name.substring(name.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        Map<String, Double> cAfter = parse(run(List.of(binary.toString())));

        Map<String, Double> c = new HashMap<>();
        cBefore.forEach((k, v) -> c.put(k, (v + cAfter.get(k)) / 2));
        StringBuilder report = new StringBuilder();
        report.append(String.format("%-34s %9s %16s %16s%n", "", "ns/call", "vs C 1 thread", "vs C 2 threads"));
        Map<String, String> labels = new java.util.LinkedHashMap<>();
        labels.put("fionread", "C FIONREAD (ENOTTY), 1 thread");
        labels.put("fionbio", "C FIONBIO, 1 thread");
        labels.put("fionread_mt", "C FIONREAD (ENOTTY), 2 threads");
        labels.put("fionbio_mt", "C FIONBIO, 2 threads");
        labels.forEach((k, label) -> report.append(String.format("%-34s %9.1f   (C before %.1f, after %.1f)%n",
                label, c.get(k), cBefore.get(k), cAfter.get(k))));
        line(report, "FFM FIONREAD, reused buffers", java.get("ffmFionreadReusedBuffers"), c.get("fionread"), c.get("fionread_mt"));
        line(report, "FFM FIONBIO, reused buffers", java.get("ffmFionbioReusedBuffers"), c.get("fionbio"), c.get("fionbio_mt"));
        line(report, "FFM FIONREAD, Arena per call", java.get("ffmFionreadArenaPerCall"), c.get("fionread"), c.get("fionread_mt"));
        line(report, "seam FIONBIO (VfioKernel.ioctl)", java.get("seamFionbio"), c.get("fionbio"), c.get("fionbio_mt"));
        System.out.print("\n== ioctl round trip on an eventfd, FFM vs C (goal: FFM with errno capture <= 1.15x C) ==\n" + report);
        Files.writeString(work.resolve("ioctl-roundtrip.txt"), report);
    }

    private static void line(StringBuilder sb, String label, double ns, double c1, double c2) {
        sb.append(String.format("%-34s %9.1f %15.2fx %15.2fx%n", label, ns, ns / c1, ns / c2));
    }

    private static Map<String, Double> parse(String output) {
        Map<String, Double> m = new HashMap<>();
        for (String line : output.strip().split("\n")) {
            String[] w = line.trim().split("\\s+");
            m.put(w[0], Double.parseDouble(w[1]));
        }
        return m;
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed:\n" + out);
        }
        return out;
    }
}
