package org.vfio4j.conformance.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.KernelProfile;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.sim.PowerPlatform;
import org.vfio4j.sim.SimulatedHost;

class PowerLaneTest {

    /** What the guest's probe prints before the first command (the lane's guest: one PE per PHB). */
    private static final String HEADER = """
            @@# device edu 0000:01:00.0 group 0
            @@# device nvme 0001:01:00.0 group 1
            @@# kernel 6.12.95+deb12-powerpc64le-64k
            """;
    private static final Transcript GUEST = Transcript.parse(HEADER);

    /** The checkout (tests run in conformance-tests/), for the smoke script written with the C probe. */
    private static final Path HOME = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theSmokeScript_isReadFromTheCheckout_andParses() throws Exception {
        PowerLane.Source smoke = PowerLane.smoke(HOME);
        assertThat(smoke.origin()).isEqualTo(HOME.resolve(PowerLane.SMOKE).toString());
        assertThat(PowerScript.parse(smoke.text()).lines()).isNotEmpty().noneMatch(l -> l.command() instanceof ScriptCommand.BadCommand);
        assertThatThrownBy(() -> PowerLane.smoke(null)).isInstanceOf(java.io.IOException.class).hasMessageContaining("no checkout is known");
        assertThatThrownBy(() -> PowerLane.smoke(dir)).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void theLanesScript_isTheSmokeScriptThenTheChains() {
        String text = PowerLane.script("open c0 => ok", 3, 42);
        assertThat(text).startsWith("open c0 => ok\n# 3 random sPAPR chains, seed 0x2a\n# chain 0\n")
                .endsWith(SpaprChains.generate(42, 3));
    }

    @Test
    void theMirror_hasTheGuestsDevicesInTheGuestsGroups_onAPowerHostLike612OnQemu() {
        SimulatedHost host = PowerLane.mirror(GUEST);
        assertThat(host.profile()).isEqualTo(KernelProfile.LINUX_6_12);
        assertThat(host.power()).contains(PowerPlatform.phb4().withEeh(PowerPlatform.Eeh.QEMU_NEVER_FREEZES));
        assertThat(host.capIpcLock()).isTrue();
        assertThat(host.group(0).orElseThrow().devices()).extracting(d -> d.address().toString()).containsExactly("0000:01:00.0");
        assertThat(host.group(1).orElseThrow().devices()).extracting(d -> d.address().toString()).containsExactly("0001:01:00.0");
        SimulatedHost shared = Topologies.powernvMirror(4, "0000:01:00.0", 4, "0001:01:00.0");
        assertThat(shared.groups()).hasSize(1);
        assertThat(shared.group(4).orElseThrow().devices()).hasSize(2);
    }

    @Test
    void theMirror_needsBothDevices_withGroupNumbers() {
        assertThatThrownBy(() -> PowerLane.mirror(Transcript.parse(HEADER.replace("@@# device edu 0000:01:00.0 group 0\n", ""))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no '@@# device edu' line");
        assertThatThrownBy(() -> PowerLane.mirror(Transcript.parse(HEADER.replace("group 1", "group none"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'none', not a group number");
    }

    /** A kernel transcript made by the simulator itself, saved with its script, as the lane leaves them. */
    private Path saved(String script, java.util.function.UnaryOperator<String> forge) throws Exception {
        Transcript sim = PowerLane.simulate(PowerScript.parse(script), GUEST);
        Transcript kernel = new Transcript(GUEST.devices(), GUEST.kernel(), sim.results(), true, java.util.OptionalDouble.empty());
        Files.writeString(dir.resolve(PowerLane.SCRIPT_FILE), script);
        Path transcript = dir.resolve(PowerLane.TRANSCRIPT_FILE);
        Files.writeString(transcript, "[    1.000] console noise\n" + forge.apply(kernel.text()) + "spapr-probe: 3 commands in 0.010 s\n");
        return transcript;
    }

    private static final String SCRIPT = """
            open c0
            group g0 nvme
            setcontainer g0 c0
            checkext c0 7
            closeall
            """;

    @Test
    void replay_ofTheSimulatorsOwnTranscript_passes() throws Exception {
        assertThat(PowerLane.replay(saved(SCRIPT, t -> t), null, 1, 1, out)).as(printed()).isZero();
        assertThat(printed()).contains("against its script").contains("POWER lane passed: 5 calls (5 printed by the kernel), 0 divergences,"
                + " 0 of 0 expectations failed (kernel 0, simulator 0), replayed, no guest run");
    }

    @Test
    void replay_ofAForgedTranscript_reportsExactlyTheChangedLine() throws Exception {
        Path transcript = saved(SCRIPT, t -> t.replace("@@ 3 setcontainer g0 c0 = 0", "@@ 3 setcontainer g0 c0 = -EBUSY"));
        assertThat(PowerLane.replay(transcript, null, 1, 1, out)).isEqualTo(1);
        assertThat(printed()).contains("""
                Divergences (kernel vs simulator):
                  line 3: setcontainer g0 c0
                      kernel:    -EBUSY
                      simulator: 0
                """).contains("POWER lane FAILED: 5 calls (5 printed by the kernel), 1 divergences");
    }

    @Test
    void replay_ofAnUnfinishedProbe_comparesWhatItPrinted_andFails() throws Exception {
        Path transcript = saved(SCRIPT, t -> t.replace("@@ 5 closeall = 0\n@@# end\n", ""));
        assertThat(PowerLane.replay(transcript, null, 1, 1, out)).isEqualTo(1);
        assertThat(printed()).contains("The probe did not finish: the kernel's transcript has no '@@# end' and stops after script line 4"
                + " (4 of 5 calls).").contains("FAILED: 5 calls (4 printed by the kernel), 0 divergences");
    }

    @Test
    void replay_withoutAScriptBesideIt_makesTheScriptAgain_fromSmokeAndSeed() throws Exception {
        Path transcript = dir.resolve("kernel.txt");
        Files.writeString(transcript, HEADER + "@@ 1 bogus = bad-command\n@@# end\n");
        assertThat(PowerLane.replay(transcript, HOME, 2, 7, out)).isEqualTo(1);
        assertThat(printed()).contains("against " + HOME.resolve(PowerLane.SMOKE) + " and 2 chains from seed 0x7")
                .contains("  line 1: bogus\n      kernel:    bad-command\n      simulator: (no line)\n");
    }

    @Test
    void compare_countsExpectations_andFailuresOnEachSide() {
        PowerScript script = PowerScript.parse("open c0 => ok\ncheckext c0 7 => 0\nclosealL\n");
        Transcript kernel = Transcript.parse(HEADER + "@@ 1 open c0 = ok\n@@ 2 checkext c0 7 = 0\n@@ 3 closealL = bad-command\n@@# end\n");
        Transcript simulator = Transcript.parse(HEADER + "@@ 1 open c0 = ok\n@@ 2 checkext c0 7 = 1\n@@ 3 closealL = bad-command\n@@# end\n");
        PowerLane.Comparison c = PowerLane.compare(script, kernel, simulator);
        assertThat(c.expectations()).isEqualTo(2);
        assertThat(c.kernelFailures()).isEmpty();
        assertThat(c.simulatorFailures()).extracting(TranscriptCheck.ExpectationFailure::line).containsExactly(2);
        assertThat(c.divergences()).extracting(TranscriptCheck.Divergence::line).containsExactly(2);
        assertThat(c.passed()).isFalse();
    }

    /** A checkout whose power-lane is a stand-in: it checks its arguments and copies {@code transcript} into OUTDIR. */
    private Path fakeCheckout(String transcript, int status) throws Exception {
        Path home = dir.resolve("checkout");
        Path lane = home.resolve(PowerLane.LANE);
        Files.createDirectories(home.resolve(PowerLane.SMOKE).getParent());
        Files.writeString(home.resolve(PowerLane.SMOKE), "open c0 => ok\nclosealL\n");
        Path saved = dir.resolve("prepared.txt");
        if (transcript != null) {
            Files.writeString(saved, transcript);
        }
        Files.writeString(lane, "#!/bin/sh\n"
                + "[ \"$1\" = --timeout ] && [ -f \"$3\" ] && [ -d \"$4\" ] || exit 2\n"
                + "echo \"$@\" > \"$4/args\"\n"
                + (transcript != null ? "cp '" + saved + "' \"$4/transcript.txt\"\n" : "")
                + "exit " + status + "\n");
        assertThat(lane.toFile().setExecutable(true)).isTrue();
        return home;
    }

    @Test
    void run_writesTheScript_runsTheLaneOnIt_andComparesWhatItLeft() throws Exception {
        String text = PowerLane.script("open c0 => ok\nclosealL\n", 2, 5);
        Transcript sim = PowerLane.simulate(PowerScript.parse(text), GUEST);
        String kernel = HEADER + sim.text().lines().filter(l -> l.startsWith("@@ ")).collect(java.util.stream.Collectors.joining("\n"))
                + "\n@@# end\n";
        Path home = fakeCheckout(kernel, 0);
        int status = PowerLane.run(home, 2, 5, 123, out, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        PowerLane.Comparison c = PowerLane.compare(PowerScript.parse(text), Transcript.parse(kernel), sim);
        assertThat(status).as(printed()).isEqualTo(c.passed() ? 0 : 1);
        assertThat(c.divergences()).isEmpty();
        String folder = printed().replaceAll("(?s).*written to (\\S+)/script\\.vps.*", "$1");
        assertThat(Files.readString(Path.of(folder, "script.vps"))).isEqualTo(text);
        assertThat(Files.readString(Path.of(folder, "args")).strip()).isEqualTo("--timeout 123 " + folder + "/script.vps " + folder);
        assertThat(Path.of(folder, "simulator.txt")).exists();
        assertThat(printed()).contains("random sPAPR chains (seed 0x5)").contains("replay with: vfio4j conformance --lane powernv --transcript "
                + folder + "/transcript.txt").contains(", 0 divergences,");
    }

    @Test
    void theGuestsRunTime_isBootAndProbe_fromTheLanesTimes_orTheWholeRunWithout() throws Exception {
        Path times = dir.resolve("times.txt");
        assertThat(PowerLane.guestSeconds(times, 99.5)).isEqualTo(99.5);
        Files.writeString(times, "kernel linux-image-6.12.95+deb12-powerpc64le (6.12.95+deb12-powerpc64le)\nfetch 0.4 s\n"
                + "initramfs 2.0 s\nboot-to-probe 7.5 s\nprobe 30.25 s\nprobe-guest 29.9 s for 1800 commands\ntotal 45.1 s\n");
        assertThat(PowerLane.guestSeconds(times, 99.5)).isEqualTo(37.75);
    }

    @Test
    void run_failsClearly_whenTheLaneLeavesNoTranscript_orIsMissing() throws Exception {
        Path home = fakeCheckout(null, 1);
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errors, true, StandardCharsets.UTF_8);
        assertThat(PowerLane.run(home, 1, 5, 60, out, err)).isEqualTo(1);
        assertThat(printed()).contains("The POWER lane script exited with status 1").contains("POWER lane FAILED: no transcript.txt in");
        assertThat(PowerLane.run(dir.resolve("elsewhere"), 1, 5, 60, out, err)).isEqualTo(1);
        assertThat(errors.toString(StandardCharsets.UTF_8)).contains("the POWER lane script").contains("is not there");
    }

    // ---- on the simulator's sPAPR TCE driver ----

    /** Whether the simulated POWER host answers sPAPR calls (its TCE driver may not be merged yet). */
    private static boolean simulatorHasSpapr() {
        Transcript t = PowerLane.simulate(PowerScript.parse("""
                open c0
                group g0 nvme
                setcontainer g0 c0
                setiommu c0 7
                create c0 16 0x40000000 1
                eeh c0 4
                """), GUEST);
        return t.resultOf(5).map(Transcript.Result::result).filter("0"::equals).isPresent()
                && t.resultOf(6).map(Transcript.Result::result).filter("0"::equals).isPresent();
    }

    @Test
    void theSmokeScriptAnd20Chains_onThePowernvMirror_meetEveryExpectation() throws Exception {
        assumeTrue(simulatorHasSpapr(), "the simulator has no sPAPR TCE driver or EEH yet");
        PowerScript script = PowerScript.parse(PowerLane.script(PowerLane.smoke(HOME).text(), 20, SpaprChains.DEFAULT_SEED));
        Transcript sim = PowerLane.simulate(script, GUEST);
        assertThat(sim.results()).hasSize(script.size()).noneMatch(r -> r.outcome().startsWith("exception:"));
        assertThat(TranscriptCheck.expectations(script, sim, "simulator")).isEmpty();
    }

    @Test
    void chainsFromOtherSeeds_meetEveryExpectation_onTheMirror() {
        assumeTrue(simulatorHasSpapr(), "the simulator has no sPAPR TCE driver or EEH yet");
        for (long seed = 1; seed <= 10; seed++) {
            PowerScript script = PowerScript.parse(SpaprChains.generate(seed, 20));
            Transcript sim = PowerLane.simulate(script, GUEST);
            assertThat(TranscriptCheck.expectations(script, sim, "simulator")).as("seed %d", seed).isEmpty();
        }
    }
}
