package org.vfio4j.sim;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/** Runs the simulator's benchmarks and prints them against their goals. Arguments: module folder, work folder. */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        Path work = Files.createDirectories(Path.of(args[1]));
        Map<String, Double> score = new HashMap<>();
        for (RunResult r : new Runner(new OptionsBuilder()
                .include(DmaMapBenchmark.class.getName())
                .include(DeviceBenchmark.class.getName())
                .include(IrqBenchmark.class.getName()).build()).run()) {
            String name = r.getParams().getBenchmark();
            String live = r.getParams().getParam("live");
            String position = r.getParams().getParam("position");
            score.put(name.substring(name.lastIndexOf('.') + 1) + (live == null ? "" : "/" + live + "/" + position),
                    r.getPrimaryResult().getScore());
        }
        StringBuilder report = new StringBuilder("\n== simulated backend benchmarks ==\n");
        report.append(String.format("map+unmap pairs/s               %14s %14s%n", "random page", "fixed page"));
        for (String live : new String[] {"1024", "16384", "65535"}) {
            report.append(String.format("  with %6s live mappings      %,14.0f %,14.0f%s%n", live, score.get("mapUnmapPair/" + live + "/random"),
                    score.get("mapUnmapPair/" + live + "/fixed"), live.equals("65535") ? "   (goal >= 2 000 000)" : ""));
        }
        report.append(String.format("cost at 65 535 / cost at 1 024  %13.2fx %13.2fx   (goal <= 3x)%n",
                score.get("mapUnmapPair/1024/random") / score.get("mapUnmapPair/65535/random"),
                score.get("mapUnmapPair/1024/fixed") / score.get("mapUnmapPair/65535/fixed")));
        report.append(String.format("config dword read (typed API -> pread)   %12.1f ns (goal <= 25 ns)%n", score.get("configDwordRead")));
        report.append(String.format("fresh host + container + group + device  %12.1f us (goal <= 1000 us)%n", score.get("bootToOpenDevice")));
        report.append(String.format("loop-back trigger + consume, one thread  %12.1f ns (goal <= 100 ns)%n", score.get("triggerAndConsume")));
        Path binary = work.resolve("eventfd_latency");
        run(List.of("gcc", "-O2", "-pthread", "-o", binary.toString(), Path.of(args[0], "src/bench/c/eventfd_latency.c").toString()));
        long[] c1 = parse(run(List.of(binary.toString())));
        long[] sim = crossThread();
        long[] c2 = parse(run(List.of(binary.toString())));
        double cMedian = (c1[0] + c2[0]) / 2.0;
        report.append(String.format("loop-back trigger -> eventfd seen on another thread: median %,d ns, p99 %,d ns%n", sim[0], sim[1]));
        report.append(String.format("  C eventfd write -> read on another thread:        median %,.0f ns, p99 %,d ns (before %,d, after %,d)%n",
                cMedian, Math.max(c1[1], c2[1]), c1[0], c2[0]));
        report.append(String.format("  ratio of medians %.2fx (goal <= 1.5x), p99 %,d ns (goal <= 50 000 ns)%n", sim[0] / cMedian, sim[1]));
        System.out.print(report);
        Files.writeString(work.resolve("simulated-backend.txt"), report);
    }

    /** The cross-thread latency: 200 000 loop-back triggers, each observed by a reader thread blocked on the eventfd. */
    static long[] crossThread() throws Exception {
        IrqBenchmark.Loopback loop = IrqBenchmark.open();
        SimulatedKernel k = loop.kernel();
        org.vfio4j.spi.Fd ack = k.eventfd(0, 0);
        int warmup = 20_000;
        int rounds = 200_000;
        long[] samples = new long[rounds];
        long[] started = new long[1];
        Thread observer = new Thread(() -> {
            try {
                for (int i = 0; i < warmup + rounds; i++) {
                    k.readEventCounter(loop.eventfd());
                    long t = System.nanoTime();
                    if (i >= warmup) {
                        samples[i - warmup] = t - started[0];
                    }
                    k.writeEventCounter(ack, 1);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        observer.start();
        for (int i = 0; i < warmup + rounds; i++) {
            started[0] = System.nanoTime();
            loop.trigger();
            k.readEventCounter(ack);
        }
        observer.join();
        java.util.Arrays.sort(samples);
        loop.vfio().close();
        return new long[] {samples[rounds / 2], samples[rounds * 99 / 100]};
    }

    private static long[] parse(String out) {
        long[] r = new long[2];
        for (String line : out.strip().split("\n")) {
            String[] w = line.trim().split("\\s+");
            r[w[0].equals("median") ? 0 : 1] = Long.parseLong(w[1]);
        }
        return r;
    }

    private static String run(List<String> command) throws java.io.IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new java.io.IOException(String.join(" ", command) + " failed:\n" + out);
        }
        return out;
    }
}
