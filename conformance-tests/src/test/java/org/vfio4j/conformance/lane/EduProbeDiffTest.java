package org.vfio4j.conformance.lane;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The comparison of the vfio-user lane's edu probes, on the probes one run of the lane wrote
 * (Linux 6.1 guest, QEMU 11.1.3): QEMU's built-in edu at 0000:00:03.0 (BAR0 0xfe800000, line 11)
 * and the Java edu served by simulated 6.12 and 6.1 kernels (BAR0 0xfe900000 and 0xfea00000).
 */
class EduProbeDiffTest {
    // probe-*-guest-6.12.txt: the same lane in a Linux 6.12 guest

    private static List<String> probe(String name) throws IOException {
        try (InputStream in = EduProbeDiffTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    @Test
    void theJavaEduOnSimulated612_differsFromQemusEdu_onlyInPlacement() throws IOException {
        List<String> builtin = probe("probe-builtin-edu.txt");
        List<String> served = probe("probe-java-edu-6.12.txt");
        assertThat(builtin).hasSize(served.size()).isNotEqualTo(served); // the raw lines differ: BAR0 and line
        assertThat(EduProbeDiff.compare(builtin, served, false)).isEmpty();
    }

    @Test
    void onSimulated61_only8ByteBarAccessesDiffer_eachAsTwo4ByteAccesses() throws IOException {
        List<String> builtin = probe("probe-builtin-edu.txt");
        List<EduProbeDiff.Difference> d = EduProbeDiff.compare(builtin, probe("probe-java-edu-6.1.txt"), true);
        assertThat(d).isNotEmpty().noneMatch(EduProbeDiff.Difference::unexpected);
        assertThat(d).allMatch(x -> x.reference().startsWith("BAR0 mapped load 8 at ") || x.reference().startsWith("BAR0 mapped store 8 at "));
        assertThat(d).filteredOn(x -> x.line() == 293).singleElement()
                .satisfies(x -> assertThat(x.allowedBecause()).contains("equals the 4-byte loads at 0x0 and 0x4"));
        // the same lines are not allowed where the served kernel has 8-byte accesses
        assertThat(EduProbeDiff.compare(builtin, probe("probe-java-edu-6.1.txt"), false)).hasSameSizeAs(d)
                .allMatch(EduProbeDiff.Difference::unexpected);
    }

    @Test
    void inA612Guest_8BytePreadsAlsoDiffer_andAreCheckedAgainstThe4BytePreads() throws IOException {
        // a 6.12 guest's vfio-pci reads 8 bytes at once (the built-in edu answers all ones at 0): QEMU asks the
        // server for 8 bytes, and simulated 6.1 reads the identification and the liveness register instead
        List<String> builtin = probe("probe-builtin-edu-guest-6.12.txt");
        List<EduProbeDiff.Difference> d = EduProbeDiff.compare(builtin, probe("probe-java-edu-6.1-guest-6.12.txt"), true);
        assertThat(d).noneMatch(EduProbeDiff.Difference::unexpected);
        assertThat(d).filteredOn(x -> x.reference().equals("BAR0 pread 8 at 0 = 8 ffffffffffffffff")).singleElement()
                .satisfies(x -> assertThat(x.allowedBecause()).contains("equals the 4-byte preads at 0x0 and 0x4"));
        assertThat(d).anyMatch(x -> x.reference().startsWith("BAR0 pwrite 8 at 0 reads back"));
    }

    @Test
    void an8ByteLoadThatIsNotTheTwo4ByteLoads_isUnexpected() throws IOException {
        List<String> builtin = probe("probe-builtin-edu.txt");
        List<String> served = new ArrayList<>(probe("probe-java-edu-6.1.txt"));
        int at = served.indexOf("BAR0 mapped load 8 at 0 = -4278189843");
        assertThat(at).isNotNegative();
        served.set(at, "BAR0 mapped load 8 at 0 = -4278189842"); // one bit off in the identification half
        assertThat(EduProbeDiff.compare(builtin, served, true)).filteredOn(EduProbeDiff.Difference::unexpected).singleElement()
                .satisfies(x -> assertThat(x.line()).isEqualTo(at + 1));
    }

    @Test
    void anyOtherChange_orAMissingLine_isUnexpected() throws IOException {
        List<String> builtin = probe("probe-builtin-edu.txt");
        List<String> served = new ArrayList<>(probe("probe-java-edu-6.12.txt"));
        int info = served.indexOf(served.stream().filter(l -> l.startsWith("IRQ_INFO 0")).findFirst().orElseThrow());
        served.set(info, served.get(info).replace(" 0 ", " -1 "));
        assertThat(EduProbeDiff.compare(builtin, served, true)).singleElement().satisfies(x -> {
            assertThat(x.unexpected()).isTrue();
            assertThat(x.line()).isEqualTo(info + 1);
        });
        List<String> shorter = probe("probe-java-edu-6.12.txt").subList(0, builtin.size() - 1);
        assertThat(EduProbeDiff.compare(builtin, shorter, false)).singleElement().satisfies(x -> {
            assertThat(x.unexpected()).isTrue();
            assertThat(x.other()).isEqualTo("(end)");
        });
    }

    @Test
    void placementIsReadFromEachSidesOwnConfigDump() throws IOException {
        EduProbeDiff.Placement p = EduProbeDiff.Placement.of(probe("probe-builtin-edu.txt"));
        assertThat(p).isEqualTo(new EduProbeDiff.Placement(0xfe800000, 0x0b));
        assertThat(p.neutral("config header 3c: 0000010b, ones -> 000001ff")).isEqualTo("config header 3c: 000001<irq>, ones -> 000001ff");
        assertThat(p.neutral("BAR 0 sizing fff00000 restored fe800000")).isEqualTo("BAR 0 sizing fff00000 restored <bar0>");
    }
}
