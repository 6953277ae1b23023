package org.vfio4j.conformance.power;

import static org.assertj.core.api.Assertions.assertThat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.TraceEntry;

/**
 * The runner's output format, on the x86 simulator (the format does not depend on the IOMMU):
 * each expected line is what the C probe prints for the same call and the same kernel answer.
 */
class PowerScriptRunnerTest {

    private static final List<Transcript.Device> EDU = List.of(new Transcript.Device("edu", Topologies.EDU, "3"));

    private static Transcript run(SimulatedKernel k, String script) {
        return new PowerScriptRunner(k, EDU, "simulated x86").run(PowerScript.parse(script));
    }

    private static List<String> lines(String script) {
        try (SimulatedKernel k = Topologies.singleEdu().boot()) {
            return run(k, script).results().stream().map(Transcript.Result::text).toList();
        }
    }

    @Test
    void descriptorCalls_printOk_andIoctls_printTheirResultAndTheStructAfterTheCall() {
        assertThat(lines("""
                open c0 => ok
                group g0 edu
                setcontainer g0 c0
                status g0
                checkext c0 3
                setiommu c0 3
                info c0 16
                info c0 32
                info c0 8
                """)).containsExactly(
                "@@ 1 open c0 = ok",
                "@@ 2 group g0 edu = ok",
                "@@ 3 setcontainer g0 c0 = 0",
                // struct vfio_group_status: argsz 8, flags VIABLE | CONTAINER_SET
                "@@ 4 status g0 = 0 0800000003000000",
                "@@ 5 checkext c0 3 = 1",
                "@@ 6 setiommu c0 3 = 0",
                // type1 GET_INFO, argsz 16: the kernel asks for 116 bytes (argsz), flags PGSIZES | CAPS, pgsizes
                // 4K|2M|1G; 16 bytes written, the rest of the 32 keep 0xa5
                "@@ 7 info c0 16 = 0 74000000030000000010204000000000a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5",
                // argsz 32 reaches cap_offset, which is 0 while argsz is short of the capabilities
                "@@ 8 info c0 32 = 0 7400000003000000001020400000000000000000a5a5a5a5a5a5a5a5a5a5a5a5",
                "@@ 9 info c0 8 = -EINVAL 08000000a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5");
    }

    @Test
    void vaddrFields_printAsOffsetsInMem_evenOutsideMem() {
        assertThat(lines("""
                open c0
                group g0 edu
                setcontainer g0 c0
                setiommu c0 3
                map c0 0x100000 0x1000 0x2000 3
                map c0 0x200000 0xffffffffffff0000 0x1000 3
                unmap c0 0x100000 0x2000 0
                """).subList(4, 7)).containsExactly(
                // argsz 32, flags 3, vaddr = MEM+0x1000 printed as 0x1000, iova, size
                "@@ 5 map c0 0x100000 0x1000 0x2000 3 = 0 2000000003000000001000000000000000001000000000000020000000000000",
                // MEM-64K: memory the process does not have (EFAULT); still printed as the offset
                "@@ 6 map c0 0x200000 0xffffffffffff0000 0x1000 3 = -EFAULT 20000000030000000000ffffffffffff00002000000000000010000000000000",
                "@@ 7 unmap c0 0x100000 0x2000 0 = 0 180000000000000000001000000000000020000000000000");
    }

    @Test
    void structFields_areFilledLittleEndian_u32FieldsTakingTheLow32Bits() {
        // on type1 these requests are other ioctls (or none) and fail: the bytes shown are what was passed in
        assertThat(lines("""
                open c0
                create c0 0x100000010 0x1122334455667788 0xffffffff 1 0x28
                remove c0 0x0800000000000000 2 0x10
                eeh c0 4
                inject c0 1 2 0x1000 0xff 40
                register c0 0x10000 0x20000 0 24
                """)).containsExactly(
                "@@ 1 open c0 = ok",
                "@@ 2 create c0 0x100000010 0x1122334455667788 0xffffffff 1 0x28 = -EINVAL "
                        + "28000000010000001000000000000000887766554433221" + "1ffffffff000000000000000000000000",
                "@@ 3 remove c0 0x0800000000000000 2 0x10 = -EINVAL 10000000020000000000000000000008",
                "@@ 4 eeh c0 4 = -EINVAL 0c0000000000000004000000" + "a5".repeat(28),
                "@@ 5 inject c0 1 2 0x1000 0xff 40 = -EINVAL 280000000000000009000000a5a5a5a50100000002000000"
                        + "0010000000000000ff00000000000000",
                "@@ 6 register c0 0x10000 0x20000 0 24 = -EINVAL 180000000000000000000100000000000000020000000000");
    }

    @Test
    void handlesNotOpen_printEbadf_malformedLines_printBadCommand_andNothingStops() {
        assertThat(lines("""
                info c3 16
                close g0
                device d0 g0 edu
                setcontainer g0 c0
                read d1 7 0 4
                bogus
                => 0
                map c0 1 2
                open c0
                close c0
                close c0
                """)).containsExactly(
                "@@ 1 info c3 16 = -EBADF",
                "@@ 2 close g0 = -EBADF",
                "@@ 3 device d0 g0 edu = -EBADF",
                "@@ 4 setcontainer g0 c0 = -EBADF",
                "@@ 5 read d1 7 0 4 = -EBADF",
                "@@ 6 bogus = bad-command",
                "@@ 7  = bad-command",
                "@@ 8 map c0 1 2 = bad-command",
                "@@ 9 open c0 = ok",
                "@@ 10 close c0 = 0",
                "@@ 11 close c0 = -EBADF");
    }

    @Test
    void devices_areReachedByName_readsPrintTheBytesRead_unknownNamesFailAsTheKernelSays() {
        assertThat(lines("""
                open c0
                group g0 edu
                setcontainer g0 c0
                setiommu c0 3
                device d0 g0 edu
                read d0 7 0 4
                read d0 7 0x3c 2
                write d0 7 0x3c 05
                read d0 7 0x3c 1
                group g1 nvme
                device d1 g0 nvme
                """).subList(4, 11)).containsExactly(
                "@@ 5 device d0 g0 edu = ok",
                "@@ 6 read d0 7 0 4 = 4 3412e811",
                // interrupt line and pin (INTA)
                "@@ 7 read d0 7 0x3c 2 = 2 0b01",
                "@@ 8 write d0 7 0x3c 05 = 1",
                "@@ 9 read d0 7 0x3c 1 = 1 05",
                // no nvme on this host: the probe opens /dev/vfio/unknown and asks for device "unknown"
                "@@ 10 group g1 nvme = -ENOENT",
                "@@ 11 device d1 g0 nvme = -ENODEV");
    }

    @Test
    void closeall_closesDevicesThenGroupsThenContainers_highestNumberFirst_andPrintsZero() {
        try (SimulatedKernel k = Topologies.singleEdu().boot()) {
            Transcript t = run(k, """
                    open c0
                    open c5
                    group g2 edu
                    setcontainer g2 c0
                    setiommu c0 3
                    device d3 g2 edu
                    closeall
                    close c0
                    """);
            assertThat(t.results().subList(6, 8)).extracting(Transcript.Result::text)
                    .containsExactly("@@ 7 closeall = 0", "@@ 8 close c0 = -EBADF");
            assertThat(k.trace().stream().filter(e -> e.call().equals("close")).map(TraceEntry::target))
                    .containsExactly("fd 6 (device 0000:00:03.0)", "fd 5 (group 3)", "fd 4 (container 2)", "fd 3 (container 1)");
        }
    }

    @Test
    void openingIntoAnOpenHandle_closesTheOldDescriptorFirst_unprinted() {
        try (SimulatedKernel k = Topologies.singleEdu().boot()) {
            Transcript t = run(k, "open c0\nopen c0\nclose c0\nclose c0");
            assertThat(t.results()).extracting(Transcript.Result::outcome).containsExactly("ok", "ok", "0", "-EBADF");
            assertThat(k.trace().stream().filter(e -> e.call().equals("close")).map(TraceEntry::target))
                    .containsExactly("fd 3 (container 1)", "fd 3 (container 2)");
        }
    }

    @Test
    void theTranscript_hasTheHeaderOfTheDevicesGiven_andEnds() {
        try (SimulatedKernel k = Topologies.singleEdu().boot()) {
            Transcript t = run(k, "open c0\n");
            assertThat(t.text()).isEqualTo("@@# device edu 0000:00:03.0 group 3\n@@# kernel simulated x86\n@@ 1 open c0 = ok\n@@# end\n");
            assertThat(t.ended()).isTrue();
        }
    }

    /**
     * The C probe's own format check (format.vps and format.expected, beside spapr-probe.c in the
     * checkout): the runner prints the same lines, the {@code @@#} lines aside.
     */
    @Test
    void theProbesFormatScript_printsExactlyTheProbesExpectedLines() throws Exception {
        Path dir = Path.of("src/lane/power");
        assumeTrue(Files.isRegularFile(dir.resolve("format.vps")) && Files.isRegularFile(dir.resolve("format.expected")),
                "the C probe's format files are not in this checkout");
        try (SimulatedKernel k = Topologies.singleEdu().boot()) {
            Transcript t = run(k, Files.readString(dir.resolve("format.vps")));
            List<String> expected = Files.readString(dir.resolve("format.expected")).lines().filter(l -> l.startsWith("@@ ")).toList();
            assertThat(t.results().stream().map(Transcript.Result::text).toList()).isEqualTo(expected);
        }
    }

    /** The probe's errno table, as the probe script's specification lists it. */
    private static final String ERRNO_TABLE = """
            1 EPERM 2 ENOENT 3 ESRCH 4 EINTR 5 EIO 6 ENXIO 7 E2BIG 8 ENOEXEC 9 EBADF 10 ECHILD 11 EAGAIN 12 ENOMEM
            13 EACCES 14 EFAULT 15 ENOTBLK 16 EBUSY 17 EEXIST 18 EXDEV 19 ENODEV 20 ENOTDIR 21 EISDIR 22 EINVAL
            23 ENFILE 24 EMFILE 25 ENOTTY 26 ETXTBSY 27 EFBIG 28 ENOSPC 29 ESPIPE 30 EROFS 31 EMLINK 32 EPIPE
            33 EDOM 34 ERANGE 77 EBADFD 95 EOPNOTSUPP""";

    @Test
    void errnoNames_areTheProbesTable_othersPrintTheirNumber() {
        java.util.Map<Integer, String> table = new java.util.HashMap<>();
        String[] t = ERRNO_TABLE.split("\\s+");
        for (int i = 0; i < t.length; i += 2) {
            table.put(Integer.parseInt(t[i]), t[i + 1]);
        }
        assertThat(table).hasSize(36);
        for (int errno = 0; errno <= 200; errno++) {
            assertThat(PowerScriptRunner.errnoName(errno)).as("errno %d", errno).isEqualTo(table.getOrDefault(errno, "E" + errno));
        }
        assertThat(PowerScriptRunner.errnoName(38)).as("ENOSYS is not in the probe's table").isEqualTo("E38");
    }
}
