package org.vfio4j.conformance.cli.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The benchmark table: printed as Markdown (readable in a terminal, pasted as is into
 * docs/benchmarks.md), and written as {@code bench.csv} and {@code bench.json} for machines.
 */
final class Report {
    private final List<Row> rows;
    private final String machine;
    private final Instant when;
    private final long seconds;

    Report(List<Row> rows, String machine, Instant when, long seconds) {
        this.rows = List.copyOf(rows);
        this.machine = machine;
        this.when = when;
        this.seconds = seconds;
    }

    void print(PrintStream out) {
        out.println();
        out.println("| measure | vfio4j | baseline, same run | ratio | goal | |");
        out.println("|---|---:|---:|---:|---|---|");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", r.measure(), r.vfio4j(), r.baseline(), ratio(r), r.goal(),
                    r.verdict().equals("met") ? "met" : "**" + r.verdict() + "**");
        }
        out.println();
        for (int i = 0; i < rows.size(); i++) {
            if (!rows.get(i).note().isEmpty()) {
                out.printf("%d. %s%n", i + 1, rows.get(i).note());
            }
        }
        long met = rows.stream().filter(r -> r.verdict().equals("met")).count();
        out.printf(Locale.ROOT, "%n%d of %d goals met; %s; %s; %d s%n", met, rows.size(), machine, when, seconds);
    }

    void write(Path folder) throws IOException {
        Files.createDirectories(folder);
        StringBuilder csv = new StringBuilder("measure,vfio4j,baseline,ratio,goal,verdict,note\n");
        for (Row r : rows) {
            csv.append(List.of(r.measure(), r.vfio4j(), r.baseline(), ratio(r), r.goal().toString(), r.verdict(), r.note()).stream()
                    .map(Report::csv).collect(Collectors.joining(","))).append('\n');
        }
        Files.writeString(folder.resolve("bench.csv"), csv);
        StringBuilder json = new StringBuilder("{\n");
        json.append("  \"when\": ").append(json(when.toString())).append(",\n");
        json.append("  \"machine\": ").append(json(machine)).append(",\n");
        json.append("  \"seconds\": ").append(seconds).append(",\n");
        json.append("  \"rows\": [\n");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            json.append("    {\"measure\": ").append(json(r.measure()))
                    .append(", \"vfio4j\": ").append(json(r.vfio4j()))
                    .append(", \"baseline\": ").append(json(r.baseline()))
                    .append(", \"ratio\": ").append(Double.isNaN(r.ratio()) ? "null" : String.format(Locale.ROOT, "%.4f", r.ratio()))
                    .append(", \"goal\": ").append(json(r.goal().toString()))
                    .append(", \"verdict\": ").append(json(r.verdict()))
                    .append(", \"note\": ").append(json(r.note()))
                    .append(i + 1 < rows.size() ? "},\n" : "}\n");
        }
        json.append("  ]\n}\n");
        Files.writeString(folder.resolve("bench.json"), json);
    }

    private static String ratio(Row r) {
        return Double.isNaN(r.ratio()) ? "-" : String.format(Locale.ROOT, "%.2fx", r.ratio());
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    private static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
