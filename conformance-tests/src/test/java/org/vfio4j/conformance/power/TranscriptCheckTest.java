package org.vfio4j.conformance.power;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TranscriptCheckTest {

    private static final String KERNEL = """
            [    3.141] vfio-pci 0001:01:00.0: enabling device
            @@# device edu 0000:01:00.0 group 0\r
            @@# device nvme 0001:01:00.0 group 1
            @@# kernel 6.12.95+deb12-powerpc64le-64k
            @@ 2 open c0 = ok
            @@ 3 group g0 nvme = ok
            [    9.000] some console noise
            @@ 4 info c0 16 = 0 10000000010000000000000000000080a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5
            @@ 6 map c0 0 0 0x1000 3 = -EPERM 2000000003000000000000000000000000000000000000000010000000000000
            @@ 7  = bad-command
            @@ 8 closeall = 0
            @@# end
            spapr-probe: 6 commands in 0.042 s
            """;

    private static final String SCRIPT = """
            # header
            open c0 => ok
            group g0 nvme
            info c0 16 => 0 10000000010000000000000000000080a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5
            # gap
            map c0 0 0 0x1000 3 => -EPERM
            => bad-command
            closeall => 0
            """;

    @Test
    void parse_readsTheProbesLines_outOfConsoleNoise() {
        Transcript t = Transcript.parse(KERNEL);
        assertThat(t.devices()).containsExactly(new Transcript.Device("edu", "0000:01:00.0", "0"),
                new Transcript.Device("nvme", "0001:01:00.0", "1"));
        assertThat(t.device("nvme")).map(Transcript.Device::groupNumber).contains(java.util.Optional.of(1));
        assertThat(t.kernel()).isEqualTo("6.12.95+deb12-powerpc64le-64k");
        assertThat(t.ended()).isTrue();
        assertThat(t.probeSeconds()).hasValue(0.042);
        assertThat(t.results()).extracting(Transcript.Result::line).containsExactly(2, 3, 4, 6, 7, 8);
        assertThat(t.resultOf(6)).map(Transcript.Result::result).contains("-EPERM");
        assertThat(t.resultOf(7)).map(Transcript.Result::command).contains("");
        assertThat(t.resultOf(4)).map(Transcript.Result::result).contains("0");
    }

    @Test
    void text_printsTheTranscriptBack_lineForLine() {
        Transcript t = Transcript.parse(KERNEL);
        assertThat(Transcript.parse(t.text())).isEqualTo(new Transcript(t.devices(), t.kernel(), t.results(), true,
                java.util.OptionalDouble.empty()));
        assertThat(t.text()).contains("@@ 7  = bad-command\n").endsWith("@@ 8 closeall = 0\n@@# end\n").doesNotContain("noise");
    }

    @Test
    void aTranscriptWithoutTheEndLine_didNotEnd() {
        assertThat(Transcript.parse(KERNEL.replace("@@# end", "")).ended()).isFalse();
    }

    @Test
    void diff_ofIdenticalTranscripts_isEmpty() {
        assertThat(TranscriptCheck.diff(Transcript.parse(KERNEL), Transcript.parse(KERNEL))).isEmpty();
    }

    @Test
    void diff_reportsExactlyTheOneChangedLine_withItsCommandAndBothSides() {
        Transcript kernel = Transcript.parse(KERNEL);
        Transcript simulator = Transcript.parse(KERNEL.replace("= -EPERM 2000000003", "= -EINVAL 2000000003"));
        assertThat(TranscriptCheck.diff(kernel, simulator)).containsExactly(new TranscriptCheck.Divergence(6, "map c0 0 0 0x1000 3",
                "-EPERM 2000000003000000000000000000000000000000000000000010000000000000",
                "-EINVAL 2000000003000000000000000000000000000000000000000010000000000000"));
        assertThat(TranscriptCheck.diff(kernel, simulator).getFirst().describe())
                .isEqualTo("line 6: map c0 0 0 0x1000 3\n    kernel:    -EPERM 2000000003000000000000000000000000000000000000000010000000000000"
                        + "\n    simulator: -EINVAL 2000000003000000000000000000000000000000000000000010000000000000");
    }

    @Test
    void diff_comparesTheStructBytesToo_andCountsMissingLinesAndDeviceHeaders() {
        Transcript kernel = Transcript.parse(KERNEL);
        Transcript bytes = Transcript.parse(KERNEL.replace("0080a5a5", "0080a5a4"));
        assertThat(TranscriptCheck.diff(kernel, bytes)).extracting(TranscriptCheck.Divergence::line).containsExactly(4);
        Transcript shorter = Transcript.parse(KERNEL.replace("@@ 8 closeall = 0\n", ""));
        assertThat(TranscriptCheck.diff(kernel, shorter)).containsExactly(
                new TranscriptCheck.Divergence(8, "closeall", "0", TranscriptCheck.MISSING));
        Transcript otherGroup = Transcript.parse(KERNEL.replace("nvme 0001:01:00.0 group 1", "nvme 0001:01:00.0 group 2"));
        assertThat(TranscriptCheck.diff(kernel, otherGroup)).extracting(TranscriptCheck.Divergence::line).containsExactly(0);
    }

    @Test
    void diff_ofAnotherScriptsTranscript_namesBothCommands() {
        Transcript kernel = Transcript.parse(KERNEL);
        Transcript other = Transcript.parse(KERNEL.replace("@@ 3 group g0 nvme = ok", "@@ 3 group g0 edu = ok"));
        assertThat(TranscriptCheck.diff(kernel, other)).extracting(TranscriptCheck.Divergence::command)
                .containsExactly("group g0 nvme (simulator ran: group g0 edu)");
    }

    @Test
    void expectations_comparePrefixTokens_andReportWhatWasPrinted() {
        PowerScript script = PowerScript.parse(SCRIPT);
        assertThat(TranscriptCheck.expectations(script, Transcript.parse(KERNEL), "kernel")).isEmpty();
        Transcript wrong = Transcript.parse(KERNEL.replace("@@ 2 open c0 = ok", "@@ 2 open c0 = -ENOENT")
                .replace("0000000080a5a5", "0000000000a5a5").replace("@@ 8 closeall = 0\n", ""));
        assertThat(TranscriptCheck.expectations(script, wrong, "simulator")).containsExactly(
                new TranscriptCheck.ExpectationFailure("simulator", 2, "open c0", "ok", "-ENOENT"),
                new TranscriptCheck.ExpectationFailure("simulator", 4, "info c0 16",
                        "0 10000000010000000000000000000080a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5",
                        "0 10000000010000000000000000000000a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5"),
                new TranscriptCheck.ExpectationFailure("simulator", 8, "closeall", "0", TranscriptCheck.MISSING));
    }

    @Test
    void holds_isATokenPrefix_notATextPrefix_andAnEmptyExpectationNeverHolds() {
        assertThat(TranscriptCheck.holds("0", "0 abcd")).isTrue();
        assertThat(TranscriptCheck.holds("0 abcd", "0 abcd")).isTrue();
        assertThat(TranscriptCheck.holds("-EIN", "-EINVAL")).isFalse();
        assertThat(TranscriptCheck.holds("0 ab", "0 abcd")).isFalse();
        assertThat(TranscriptCheck.holds("0 abcd ef", "0 abcd")).isFalse();
        assertThat(TranscriptCheck.holds("", "0")).isFalse();
    }
}
