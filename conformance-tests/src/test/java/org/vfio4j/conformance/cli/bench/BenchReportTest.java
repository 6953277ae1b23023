package org.vfio4j.conformance.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchReportTest {

    @Test
    void goals_areInclusiveBounds_inTheDirectionTheyState() {
        assertThat(new Goal.AtMost(1.1).met(1.1)).isTrue();
        assertThat(new Goal.AtMost(1.1).met(1.1001)).isFalse();
        assertThat(new Goal.AtLeast(10).met(10)).isTrue();
        assertThat(new Goal.AtLeast(10).met(9.99)).isFalse();
        assertThat(new Goal.AtMost(0.8)).hasToString("<= 0.80x");
        assertThat(new Row("m", "1 ns", "2 ns", Double.NaN, new Goal.AtMost(1), "").verdict()).isEqualTo("not measured");
        assertThat(new Row("m", "1 ns", "2 ns", 0.5, new Goal.AtMost(1), "").verdict()).isEqualTo("met");
        assertThat(new Row("m", "3 ns", "2 ns", 1.5, new Goal.AtMost(1), "").verdict()).isEqualTo("missed");
    }

    @Test
    void rounds_alternateTheSides_andDropTheWarmUp() throws Exception {
        List<String> calls = new ArrayList<>();
        double[] next = {0};
        double[][] f = new Rounds(1, 2, 0, 0).interleave(() -> {
            calls.add("a");
            return next[0]++;
        }, () -> {
            calls.add("b");
            return 100 + next[0]++;
        });
        assertThat(calls).containsExactly("a", "b", "a", "b", "a", "b");
        assertThat(f[0]).containsExactly(2, 4);
        assertThat(f[1]).containsExactly(103, 105);
    }

    @Test
    void theWarmUp_lastsUntilTheJitIsQuiet_butNoLongerThanItsLimit() throws Exception {
        int[] calls = {0};
        long start = System.nanoTime();
        new Rounds(2, 1, Long.MAX_VALUE, 300_000_000L).interleave(() -> {
            calls[0]++;
            return 0;
        });
        long took = System.nanoTime() - start;
        assertThat(took).as("a JIT never quiet for Long.MAX_VALUE ns: the warm-up stops at its limit").isBetween(300_000_000L, 5_000_000_000L);
        assertThat(calls[0]).as("warm-up rounds until the limit, then one measured").isGreaterThan(3);
    }

    @Test
    void quantiles_areNearestRank_andLeaveTheInputAlone() {
        double[] v = {5, 1, 4, 2, 3};
        assertThat(Rounds.median(v)).isEqualTo(3);
        assertThat(v).containsExactly(5, 1, 4, 2, 3);
        long[] hundred = new long[100];
        for (int i = 0; i < 100; i++) {
            hundred[i] = 100 - i;
        }
        assertThat(Rounds.quantile(hundred, 0.99)).isEqualTo(100);
        assertThat(Rounds.quantile(hundred, 0.5)).isEqualTo(51);
    }

    @Test
    void report_writesTheSameRowsAsCsvAndJson_escapingWhatNeedsIt(@TempDir Path dir) throws Exception {
        List<Row> rows = List.of(new Row("a, \"quoted\" measure", "1.0 ns", "2.0 ns", 0.5, new Goal.AtMost(0.8), "note\\with\nlines"),
                Row.unmeasured("no baseline", "3.0 ns", new Goal.AtLeast(10), "baseline not measured: no C compiler"));
        Report report = new Report(rows, "2 cores", Instant.parse("2026-12-01T00:00:00Z"), 7);
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        report.print(new PrintStream(text, true, StandardCharsets.UTF_8));
        report.write(dir);
        assertThat(text.toString(StandardCharsets.UTF_8))
                .contains("| a, \"quoted\" measure | 1.0 ns | 2.0 ns | 0.50x | <= 0.80x | met |")
                .contains("| no baseline | 3.0 ns | - | - | >= 10.00x | **not measured** |")
                .contains("1 of 2 goals met");
        assertThat(Files.readAllLines(dir.resolve("bench.csv"))).startsWith(
                "measure,vfio4j,baseline,ratio,goal,verdict,note",
                "\"a, \"\"quoted\"\" measure\",1.0 ns,2.0 ns,0.50x,<= 0.80x,met,note\\with");
        String json = Files.readString(dir.resolve("bench.json"));
        assertThat(json).contains("\"measure\": \"a, \\\"quoted\\\" measure\"", "\"ratio\": 0.5000", "\"note\": \"note\\\\with\\nlines\"",
                "\"ratio\": null", "\"verdict\": \"not measured\"", "\"seconds\": 7");
    }

    @Test
    void aBenchmarkRun_measuresDmaAgainstItsBaseline_andWritesTheFiles(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = BenchRun.run(Set.of("dma"), dir, new Rounds(1, 3, 0, 0), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).containsPattern(
                "\\| simulator: device DMA through the IOMMU, 64 KiB read \\+ 64 KiB write \\| [0-9.]+ GiB/s \\| [0-9.]+ GiB/s "
                        + "\\(MemorySegment.copy both ways\\) \\| [0-9.]+x \\| >= 0.50x \\|");
        assertThat(Files.readAllLines(dir.resolve("bench.csv"))).hasSize(2);
    }
}
