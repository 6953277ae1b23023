package org.vfio4j.sim;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
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
                .include(DeviceBenchmark.class.getName()).build()).run()) {
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
        System.out.print(report);
        Files.writeString(work.resolve("simulated-backend.txt"), report);
    }
}
