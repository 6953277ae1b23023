package org.vfio4j.conformance.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vfio4j.kernel.KernelBackend;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** A usage error: status 2, exactly one line on stderr with {@code message}, nothing on stdout, no stack trace. */
    private void assertUsageError(String commandLine, String message) {
        int status;
        try {
            status = run(commandLine.isBlank() ? new String[0] : commandLine.split(" "));
        } catch (Throwable t) {
            throw new AssertionError("'" + commandLine + "' threw instead of reporting a usage error", t);
        }
        assertThat(status).as("exit status of '%s' (stderr: %s)", commandLine, err()).isEqualTo(2);
        assertThat(err()).as("stderr of '%s'", commandLine)
                .contains(message)
                .doesNotContain("Exception", "\tat ")
                .hasLineCount(1);
        assertThat(out()).as("stdout of '%s'", commandLine).isEmpty();
    }

    @Test
    void tour_walksTheSequence_andExplainsBothMistakes() throws Exception {
        assertThat(run("tour")).isZero();
        String text = TourTest.unwrapped(out());
        assertThat(text)
                .contains("> open /dev/vfio/vfio = 3")
                .contains("VFIO_IOMMU_MAP_DMA on fd 3 (container 1) = -1 EINVAL (container 1 has no IOMMU yet")
                .contains("VFIO_SET_IOMMU VFIO_TYPE1v2_IOMMU on fd 3 (container 1) = 0")
                .contains("-> {argsz=116, flags=PGSIZES|CAPS")
                .contains("VFIO_GROUP_GET_DEVICE_FD \"0000:01:00.0\" on fd 4 (group 7) = 5")
                .contains("-> {size=0x2000}")
                .contains("= -1 EPERM (group 8 is not viable: 0000:02:00.1 is bound to e1000e");
        assertThat(out().lines().count()).as("short enough to read in two minutes").isLessThan(100);
    }

    @Test
    void unknownCommand_exitsTwoWithAHint() throws Exception {
        assertUsageError("frobnicate", "vfio4j: unknown command 'frobnicate'; the commands are tour, conformance, bench, serve, help (try: vfio4j help)");
        assertThat(run()).isZero();
        assertThat(out()).contains("tour").contains("conformance");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "=>", quoteCharacter = '"', textBlock = """
            conformance --tries abc => vfio4j conformance: --tries takes a whole number from 1 to 10000, not 'abc' (try: vfio4j conformance --help)
            conformance --tries=abc => --tries takes a whole number from 1 to 10000, not 'abc'
            conformance --tries 0 => --tries takes a whole number from 1 to 10000, not '0'
            conformance --tries -5 => --tries takes a whole number from 1 to 10000, not '-5'
            conformance --tries 10001 => --tries takes a whole number from 1 to 10000, not '10001'
            conformance --tries 99999999999999999999 => --tries takes a whole number from 1 to 10000, not '99999999999999999999'
            conformance --tries 1.5 => --tries takes a whole number from 1 to 10000, not '1.5'
            conformance --tries => --tries needs a value: a whole number from 1 to 10000
            conformance --tries --allow-dma => --tries needs a value: a whole number from 1 to 10000
            conformance --tries 5 --tries 6 => --tries is given more than once
            conformance --profile 9.9 => vfio4j conformance: --profile takes 5.7, 5.10, 6.1 or 6.12, not '9.9' (try: vfio4j conformance --help)
            conformance --backend vm => --backend takes sim or kernel, not 'vm'
            conformance --group 3 => --group only makes sense with --backend kernel
            conformance --backend sim --group 3 => --group only makes sense with --backend kernel
            conformance --device 0000:01:00.0 => --device only makes sense with --backend kernel
            conformance --non-viable-group 8 => --non-viable-group only makes sense with --backend kernel
            conformance --allow-reset => --allow-reset only makes sense with --backend kernel
            conformance --allow-dma => --allow-dma only makes sense with --backend kernel
            conformance --allow-eeh-injection => --allow-eeh-injection only makes sense with --backend kernel
            conformance --lane qemu --allow-reset => --allow-reset only makes sense with --backend kernel
            conformance --allow-dma=yes => --allow-dma takes no value (given 'yes')
            conformance --chains 5 => --chains only makes sense with --lane qemu or --lane powernv
            conformance --kernel 6.12 => --kernel only makes sense with --lane qemu
            conformance --backend kernel --group 7 --device 0000:01:00.0 --kernel 5.10 => --kernel only makes sense with --lane qemu
            conformance --lane qemu --kernel 6.2 => vfio4j conformance: --kernel takes 5.10, 6.1, 6.12 or all, not '6.2' (try: vfio4j conformance --help)
            conformance --lane qemu --kernel => --kernel needs a value: 5.10, 6.1, 6.12 or all
            conformance --backend kernel --profile 5.7 => --profile only makes sense with the simulator (--backend sim, the default)
            conformance --lane qemu --profile 5.7 => --profile only makes sense with the simulator (--backend sim, the default)
            conformance --lane qemu --backend kernel => --lane and --backend cannot be used together: the lane runs both the kernel backend and the simulator itself
            conformance --lane qemu --backend sim => --lane and --backend cannot be used together
            conformance --lane qemu --group 7 => --group only makes sense with --backend kernel
            conformance --lane kvm => --lane takes qemu, powernv or vfio-user, not 'kvm'
            conformance --lane => --lane needs a value: qemu, powernv or vfio-user
            conformance --lane powernv --kernel 6.12 => --kernel only makes sense with --lane qemu
            conformance --lane powernv --tries 3 => --tries only makes sense with the contracts (not with --lane powernv or vfio-user, which run probes instead)
            conformance --lane vfio-user --chains 3 => --chains only makes sense with --lane qemu or --lane powernv
            serve --device edu --socket /tmp/x.sock --profile 6.9 => --profile takes 5.7, 5.10, 6.1 or 6.12, not '6.9'
            conformance --lane powernv --chains 0 => --chains takes a whole number from 1 to 10000, not '0'
            conformance --lane powernv --backend sim => --lane and --backend cannot be used together
            conformance --lane powernv --group 0 => --group only makes sense with --backend kernel
            conformance --lane powernv --profile 6.12 => --profile only makes sense with the simulator (--backend sim, the default)
            conformance --transcript t.txt => --transcript only makes sense with --lane powernv
            conformance --lane qemu --transcript t.txt => --transcript only makes sense with --lane powernv
            conformance --lane powernv --transcript /no/such/transcript.txt => vfio4j conformance: --transcript takes a transcript file of the POWER lane (no such file), not '/no/such/transcript.txt' (try: vfio4j conformance --help)
            conformance --lane powernv --transcript => --transcript needs a value: a transcript file of the POWER lane
            conformance --lane qemu --chains 0 => --chains takes a whole number from 1 to 10000, not '0'
            conformance --lane qemu --tries x => --tries takes a whole number from 1 to 10000, not 'x'
            conformance --backend kernel => --backend kernel needs --group and --device (--group is missing)
            conformance --backend kernel --group 7 => --backend kernel needs --group and --device (--device is missing)
            conformance --backend kernel --group x --device 0000:01:00.0 => --group takes a whole number from 0 to 2147483647, not 'x'
            conformance --backend kernel --group -1 --device 0000:01:00.0 => --group takes a whole number from 0 to 2147483647, not '-1'
            conformance --backend kernel --group 7 --device 01:00.0 => --device takes a PCI address as /sys/bus/pci/devices names it, domain:bus:device.function in lower-case hex (e.g. 0000:01:00.0), not '01:00.0'
            conformance --backend kernel --group 7 --device 0000:01:00.0 --tries 0 => --tries takes a whole number from 1 to 10000, not '0'
            conformance --backend kernel --group 7 --device 0000:01:00.0 --non-viable-group y => --non-viable-group takes a whole number from 0 to 2147483647, not 'y'
            conformance --backend kernel --group 7 --device 0000:01:00.0 --non-viable-group 7 => --non-viable-group must be another group than --group (both are 7)
            conformance --bogus => vfio4j conformance: unknown option '--bogus'; the options are --backend, --profile, --tries, --group, --device, --non-viable-group, --lane, --chains, --kernel, --transcript, --allow-reset, --allow-dma, --allow-eeh-injection (try: vfio4j conformance --help)
            conformance --bogus value => unknown option '--bogus'
            conformance extra => unexpected argument 'extra'
            tour --fast => vfio4j tour: unknown option '--fast'; the options are --list (try: vfio4j tour --help)
            tour --list=yes => vfio4j tour: --list takes no value (given 'yes') (try: vfio4j tour --help)
            tour extra => vfio4j tour: unknown chapter 'extra'; the chapters are basics, devices, config, interrupts, dma, faults, power (or all) (try: vfio4j tour --list)
            tour Devices => vfio4j tour: unknown chapter 'Devices'; the chapters are
            tour - => vfio4j tour: unknown chapter '-'
            tour devices dma => vfio4j tour: the tour runs one chapter or all, not 'devices dma' (try: vfio4j tour --list)
            tour --list devices => vfio4j tour: --list takes no chapter (given 'devices') (try: vfio4j tour --help)
            tour nope --fast => unknown option '--fast'
            bench --only nope => vfio4j bench: --only takes names among ioctl, type1, config, interrupt, dma, parallel, fixture, not 'nope' (try: vfio4j bench --help)
            bench --only type1,, => --only takes names among ioctl, type1, config, interrupt, dma, parallel, fixture, not ''
            bench --only => --only needs a value: benchmark names, e.g. type1,config
            bench --rounds 5 => vfio4j bench: unknown option '--rounds'; the options are --only, --out (try: vfio4j bench --help)
            bench extra => unexpected argument 'extra'
            serve => vfio4j serve: vfio4j serve needs --device and --socket (--device is missing) (try: vfio4j serve --help)
            serve --device edu => vfio4j serve needs --device and --socket (--socket is missing)
            serve --device gpu --socket /tmp/x.sock => --device takes edu or nvme, not 'gpu'
            serve --device edu --socket /tmp/x.sock --connections 0 => --connections takes a whole number from 1 to 1000, not '0'
            --tries 5 => vfio4j: unknown option '--tries' before the command; options follow it: vfio4j <command> [options] (try: vfio4j help)
            help frobnicate => vfio4j: unknown command 'frobnicate'; the commands are tour, conformance, bench, serve, help (try: vfio4j help)
            help tour conformance => vfio4j: help takes at most one command, e.g. vfio4j help conformance (try: vfio4j help)
            """)
    void usageErrors_exitTwo_withOneLineNamingTheOption_andNoStackTrace(String commandLine, String message) {
        assertUsageError(commandLine, message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "=>", quoteCharacter = '"', textBlock = """
            help => usage: vfio4j <command> [options]
            --help => usage: vfio4j <command> [options]
            -h => usage: vfio4j <command> [options]
            help help => usage: vfio4j <command> [options]
            help tour => usage: vfio4j tour [<chapter> | all | --list]
            tour --help => usage: vfio4j tour [<chapter> | all | --list]
            tour -h => usage: vfio4j tour [<chapter> | all | --list]
            tour nope --help => usage: vfio4j tour [<chapter> | all | --list]
            tour devices -h => usage: vfio4j tour [<chapter> | all | --list]
            help conformance => usage: vfio4j conformance [--profile 5.7|5.10|6.1|6.12] [--tries N]
            conformance --help => usage: vfio4j conformance [--profile 5.7|5.10|6.1|6.12] [--tries N]
            conformance -h => usage: vfio4j conformance [--profile 5.7|5.10|6.1|6.12] [--tries N]
            conformance --tries abc --help => usage: vfio4j conformance [--profile 5.7|5.10|6.1|6.12] [--tries N]
            conformance --backend kernel -h => usage: vfio4j conformance [--profile 5.7|5.10|6.1|6.12] [--tries N]
            help bench => usage: vfio4j bench [--only <names>] [--out <folder>]
            help serve => usage: vfio4j serve --device edu|nvme --socket PATH [--profile 5.7|5.10|6.1|6.12] [--connections N] [--trace]
            serve --help => usage: vfio4j serve --device edu|nvme --socket PATH [--profile 5.7|5.10|6.1|6.12] [--connections N] [--trace]
            bench --help => usage: vfio4j bench [--only <names>] [--out <folder>]
            bench --only nope -h => usage: vfio4j bench [--only <names>] [--out <folder>]
            """)
    void help_perCommand_exitsZero_onStdout_withoutRunningAnything(String commandLine, String firstLine) throws Exception {
        assertThat(run(commandLine.split(" "))).as("exit status of '%s' (stderr: %s)", commandLine, err()).isZero();
        assertThat(out()).startsWith(firstLine + "\n").doesNotContain("> open", "Running the conformance contracts");
        assertThat(err()).isEmpty();
    }

    @Test
    void conformanceHelp_describesEveryOptionTheCommandAccepts() throws Exception {
        run("conformance", "--help");
        assertThat(out()).contains("--backend sim|kernel", "--profile 5.7|5.10|6.1|6.12", "--tries N", "--group N", "--device BDF",
                "--non-viable-group N", "--allow-reset", "--allow-dma", "--allow-eeh-injection", "--lane qemu", "--kernel 5.10|6.1|6.12|all", "--chains N", "-h, --help",
                "--lane powernv", "--transcript FILE");
    }

    @Test
    void powerLane_replaysASavedTranscript_withoutBootingAGuest(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("script.vps"), "open c0 => ok\nbogus => bad-command\nclose c0\n");
        Path transcript = dir.resolve("transcript.txt");
        Files.writeString(transcript, """
                @@# device edu 0000:01:00.0 group 0
                @@# device nvme 0001:01:00.0 group 1
                @@# kernel 6.12.95+deb12-powerpc64le-64k
                @@ 1 open c0 = ok
                @@ 2 bogus = bad-command
                @@ 3 close c0 = 0
                @@# end
                """);
        assertThat(run("conformance", "--lane", "powernv", "--transcript", transcript.toString())).as(out()).isZero();
        assertThat(out()).contains("POWER lane passed: 3 calls (3 printed by the kernel), 0 divergences, 0 of 2 expectations failed");
        Files.writeString(transcript, Files.readString(transcript).replace("@@ 3 close c0 = 0", "@@ 3 close c0 = -EBADF"));
        assertThat(run("conformance", "--lane=powernv", "--transcript=" + transcript)).isEqualTo(1);
        assertThat(out()).contains("line 3: close c0").contains("POWER lane FAILED");
        assertThat(err()).isEmpty();
    }

    @Test
    void kernelBackend_withValidOptions_passesTheChecks_andStopsAtAvailability() throws Exception {
        // only where kernel VFIO is missing: elsewhere this would touch a real device
        assumeFalse(KernelBackend.availability().isAvailable(), "kernel VFIO is usable here");
        int status = run("conformance", "--backend", "kernel", "--group=7", "--device", "0000:01:00.0", "--tries", "1",
                "--non-viable-group", "8", "--allow-reset", "--allow-dma", "--allow-eeh-injection");
        assertThat(status).as("not a usage error: the machine lacks VFIO").isEqualTo(1);
        assertThat(err()).startsWith("vfio4j conformance: kernel VFIO is not usable here: ").hasLineCount(1);
        assertThat(out()).isEmpty();
    }
}
