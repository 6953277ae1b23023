package org.vfio4j.conformance.power;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.vfio4j.KernelProfile;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.SimulatedKernel;

/**
 * The POWER lane ({@code vfio4j conformance --lane powernv}): one probe script, the smoke script
 * and seeded random sPAPR chains ({@link SpaprChains}), run on a real ppc64el Linux 6.12 in QEMU
 * powernv9 by the C probe ({@code conformance-tests/src/lane/power-lane}) and on a simulated mirror
 * of that guest by {@link PowerScriptRunner}; the two transcripts are diffed line by line and every
 * {@code => EXPECTED} is checked on both. It passes only with no divergence and no failed
 * expectation. A saved transcript can be replayed without booting ({@link #replay}).
 */
public final class PowerLane {
    private PowerLane() {}

    /** Chains when the command line gives none. */
    public static final int DEFAULT_CHAINS = 50;
    /** The smoke script, relative to the checkout (written with the C probe). */
    public static final String SMOKE = "conformance-tests/src/lane/power/smoke.vps";
    /** The shell lane that boots the guest, relative to the checkout. */
    public static final String LANE = "conformance-tests/src/lane/power-lane";
    /** The script beside a saved transcript, which a replay runs again. */
    public static final String SCRIPT_FILE = "script.vps";
    /** What the shell lane writes into its output folder. */
    public static final String TRANSCRIPT_FILE = "transcript.txt";
    /** How many divergences and failed expectations the summary shows in full. */
    static final int SHOWN = 40;

    /**
     * What the two runs gave, compared.
     *
     * @param calls            command lines in the script
     * @param kernel           the real kernel's transcript
     * @param simulator        the simulator's transcript
     * @param divergences      lines that differ
     * @param kernelFailures   expectations the kernel's transcript breaks
     * @param simulatorFailures expectations the simulator's transcript breaks
     * @param expectations     how many lines carry an expectation
     */
    public record Comparison(int calls, Transcript kernel, Transcript simulator, List<TranscriptCheck.Divergence> divergences,
                             List<TranscriptCheck.ExpectationFailure> kernelFailures,
                             List<TranscriptCheck.ExpectationFailure> simulatorFailures, long expectations) {
        /** {@return whether the lane passed: the probe finished, nothing diverged, every expectation held} */
        public boolean passed() {
            return kernel.ended() && divergences.isEmpty() && kernelFailures.isEmpty() && simulatorFailures.isEmpty();
        }
    }

    /**
     * The lane's script: the smoke script, then {@code chains} random chains from {@code seed}.
     *
     * @param smoke  the smoke script's text
     * @param chains how many chains
     * @param seed   their seed
     * @return the script text
     */
    public static String script(String smoke, int chains, long seed) {
        return smoke + (smoke.endsWith("\n") ? "" : "\n") + SpaprChains.generate(seed, chains);
    }

    /**
     * The smoke script, {@value #SMOKE} in the checkout at {@code home}.
     *
     * @param home the checkout, or null when unknown
     * @return its text and where it came from
     * @throws IOException if there is no checkout or the file cannot be read
     */
    public static Source smoke(Path home) throws IOException {
        if (home == null) {
            throw new IOException("the smoke script " + SMOKE + " is not found: no checkout is known (run through the ./vfio4j launcher)");
        }
        Path file = home.resolve(SMOKE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("the smoke script " + file + " is missing");
        }
        return new Source(Files.readString(file), file.toString());
    }

    /**
     * A script's text and where it came from, for messages.
     *
     * @param text   the text
     * @param origin a file name or a description
     */
    public record Source(String text, String origin) {}

    /**
     * The simulated mirror of the guest a transcript came from: {@link Topologies#powernvMirror}
     * with the edu's and NVMe controller's addresses and groups from its {@code @@# device} lines.
     *
     * @param kernel the real kernel's transcript
     * @return the host
     * @throws IllegalArgumentException if the transcript lacks a device or its group is not a number
     */
    public static SimulatedHost mirror(Transcript kernel) {
        Transcript.Device edu = named(kernel, "edu");
        Transcript.Device nvme = named(kernel, "nvme");
        return Topologies.powernvMirror(groupOf(edu), edu.address(), groupOf(nvme), nvme.address());
    }

    private static Transcript.Device named(Transcript t, String name) {
        return t.device(name).orElseThrow(() -> new IllegalArgumentException(
                "the kernel's transcript has no '@@# device " + name + "' line: the guest did not find QEMU's " + name + " device"));
    }

    private static int groupOf(Transcript.Device d) {
        return d.groupNumber().orElseThrow(() -> new IllegalArgumentException(
                "the guest reports " + d.name() + " in IOMMU group '" + d.group() + "', not a group number: is it bound to vfio-pci?"));
    }

    /**
     * Runs {@code script} on the mirror of the guest that printed {@code kernel}.
     *
     * @param script the script both ran
     * @param kernel the real kernel's transcript (for the devices)
     * @return the simulator's transcript
     */
    public static Transcript simulate(PowerScript script, Transcript kernel) {
        SimulatedHost host = mirror(kernel);
        try (SimulatedKernel k = host.boot()) {
            return new PowerScriptRunner(k, kernel.devices(), host.name() + ", profile " + host.profile()).run(script);
        }
    }

    /**
     * Compares the two transcripts of {@code script}. When the probe did not reach the end, only the
     * lines it printed are compared (the rest is reported as the probe not finishing).
     *
     * @param script    the script
     * @param kernel    the real kernel's transcript
     * @param simulator the simulator's
     * @return the comparison
     */
    public static Comparison compare(PowerScript script, Transcript kernel, Transcript simulator) {
        Transcript comparable = simulator;
        if (!kernel.ended()) {
            int last = kernel.results().isEmpty() ? 0 : kernel.results().getLast().line();
            comparable = new Transcript(simulator.devices(), simulator.kernel(),
                    simulator.results().stream().filter(r -> r.line() <= last).toList(), simulator.ended(), simulator.probeSeconds());
        }
        return new Comparison(script.size(), kernel, simulator, TranscriptCheck.diff(kernel, comparable),
                TranscriptCheck.expectations(script, kernel, "kernel").stream().filter(f -> kernel.ended() || !f.actual().equals(TranscriptCheck.MISSING)).toList(),
                TranscriptCheck.expectations(script, simulator, "simulator"),
                script.lines().stream().filter(l -> l.expectation().isPresent()).count());
    }

    /**
     * Prints the comparison: what ran where, the divergences and failed expectations (the first
     * {@value #SHOWN} of each in full), and one summary line.
     *
     * @param c            the comparison
     * @param guestSeconds the guest run's wall time, or negative for a replay
     * @param out          where to print
     */
    public static void report(Comparison c, double guestSeconds, PrintStream out) {
        Transcript k = c.kernel();
        out.println("kernel: Linux " + (k.kernel().isEmpty() ? "(no @@# kernel line)" : k.kernel()) + "; "
                + String.join(", ", k.devices().stream().map(d -> d.name() + " " + d.address() + " group " + d.group()).toList()));
        out.println("simulator: " + c.simulator().kernel());
        if (!k.ended()) {
            int last = k.results().isEmpty() ? 0 : k.results().getLast().line();
            out.println("The probe did not finish: the kernel's transcript has no '@@# end' and stops after script line " + last
                    + " (" + k.results().size() + " of " + c.calls() + " calls).");
        }
        if (!c.divergences().isEmpty()) {
            out.println("Divergences (kernel vs simulator):");
            c.divergences().stream().limit(SHOWN).forEach(d -> out.println("  " + d.describe().replace("\n", "\n  ")));
            more(c.divergences().size(), out);
        }
        List<TranscriptCheck.ExpectationFailure> failures = new ArrayList<>(c.kernelFailures());
        failures.addAll(c.simulatorFailures());
        if (!failures.isEmpty()) {
            out.println("Expectations that did not hold:");
            failures.stream().limit(SHOWN).forEach(f -> out.println("  " + f.describe()));
            more(failures.size(), out);
        }
        String guest = guestSeconds < 0 ? "replayed, no guest run"
                : String.format("guest run %.0f s%s", guestSeconds, k.probeSeconds().isPresent()
                ? String.format(" (probe %.1f s)", k.probeSeconds().getAsDouble()) : "");
        out.printf("POWER lane %s: %d calls (%d printed by the kernel), %d divergences, %d of %d expectations failed"
                        + " (kernel %d, simulator %d), %s%n", c.passed() ? "passed" : "FAILED", c.calls(), k.results().size(),
                c.divergences().size(), failures.size(), c.expectations(), c.kernelFailures().size(), c.simulatorFailures().size(), guest);
    }

    private static void more(int count, PrintStream out) {
        if (count > SHOWN) {
            out.println("  ... and " + (count - SHOWN) + " more");
        }
    }

    /**
     * Replays a saved transcript without booting: the script is {@value #SCRIPT_FILE} beside the
     * transcript if there is one, else the smoke script and {@code chains} chains from {@code seed}.
     *
     * @param transcript the kernel's saved transcript (or the guest's whole console output)
     * @param home       the checkout, for the smoke script (may be null)
     * @param chains     how many chains, when the script is made again
     * @param seed       their seed
     * @param out        where to print
     * @return 0 if the lane passed, 1 if not
     * @throws IOException if a file cannot be read
     */
    public static int replay(Path transcript, Path home, int chains, long seed, PrintStream out) throws IOException {
        Path beside = transcript.toAbsolutePath().resolveSibling(SCRIPT_FILE);
        String text;
        if (Files.isRegularFile(beside)) {
            text = Files.readString(beside);
            out.println("Replaying " + transcript + " against its script " + beside + " (no guest is booted).");
        } else {
            Source smoke;
            try {
                smoke = smoke(home);
            } catch (IOException e) {
                out.println("POWER lane FAILED: there is no " + SCRIPT_FILE + " beside " + transcript + " to replay it with, and " + e.getMessage());
                return 1;
            }
            text = script(smoke.text(), chains, seed);
            out.println("Replaying " + transcript + " (no guest is booted) against " + smoke.origin() + " and " + chains
                    + " chains from seed 0x" + Long.toHexString(seed) + " (no " + SCRIPT_FILE + " beside it).");
        }
        return check(PowerScript.parse(text), Transcript.parse(Files.readString(transcript)), -1, out, null);
    }

    /** Simulates, compares, reports; writes the simulator's transcript into {@code folder} if given. */
    private static int check(PowerScript script, Transcript kernel, double guestSeconds, PrintStream out, Path folder) throws IOException {
        Transcript simulator;
        try {
            simulator = simulate(script, kernel);
        } catch (IllegalArgumentException e) {
            out.println("POWER lane FAILED: " + e.getMessage());
            return 1;
        }
        if (folder != null) {
            Files.writeString(folder.resolve("simulator.txt"), simulator.text());
        }
        if (!KernelProfile.ofRelease(kernel.kernel()).equals(KernelProfile.LINUX_6_12)) {
            out.println("note: the guest runs Linux '" + kernel.kernel() + "', the mirror follows 6.12's rules");
        }
        Comparison c = compare(script, kernel, simulator);
        report(c, guestSeconds, out);
        return c.passed() ? 0 : 1;
    }

    /**
     * Runs the lane: writes the script into a new folder, boots the guest with {@value #LANE}
     * (which stops it after {@code limitSeconds}), then simulates, compares and reports.
     *
     * @param home         the checkout (where the launcher lives)
     * @param chains       how many chains
     * @param seed         their seed
     * @param limitSeconds how long the guest may take
     * @param out          where to print
     * @param err          where problems are printed
     * @return 0 if the lane passed, 1 if not
     * @throws IOException          if a file cannot be written or read
     * @throws InterruptedException if interrupted while the guest runs
     */
    public static int run(Path home, int chains, long seed, long limitSeconds, PrintStream out, PrintStream err)
            throws IOException, InterruptedException {
        Path lane = home.resolve(LANE);
        if (!Files.isExecutable(lane)) {
            err.println("vfio4j conformance: the POWER lane script " + lane + " is not there (or not executable)");
            return 1;
        }
        Source smoke = smoke(home);
        String text = script(smoke.text(), chains, seed);
        PowerScript script = PowerScript.parse(text);
        Path folder = Files.createTempDirectory("vfio4j-power-lane-");
        Path scriptFile = folder.resolve(SCRIPT_FILE);
        Files.writeString(scriptFile, text);
        out.println("POWER lane script: " + script.size() + " calls from " + smoke.origin() + " and " + chains
                + " random sPAPR chains (seed 0x" + Long.toHexString(seed) + "), written to " + scriptFile);
        out.println("Booting real Linux 6.12 (ppc64el) in QEMU powernv9 (TCG) to run it with the C probe; the guest may take "
                + limitSeconds + " s at most ...");
        out.flush();
        long t0 = System.nanoTime();
        // the lane stops its guest itself after --timeout; this JVM waits longer (first runs download and build), then
        // asks the lane to stop (it stops QEMU by its PID), and kills what is left only if that does not work
        Process p = new ProcessBuilder(lane.toString(), "--timeout", Long.toString(limitSeconds), scriptFile.toString(), folder.toString())
                .inheritIO().start();
        boolean finished = p.waitFor(limitSeconds + SETUP_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Path transcriptFile = folder.resolve(TRANSCRIPT_FILE);
        if (!finished) {
            out.printf("The POWER lane did not finish within %d s and was stopped.%n", limitSeconds + SETUP_SECONDS);
        } else if (p.exitValue() != 0) {
            out.println("The POWER lane script exited with status " + p.exitValue() + " (the probe did not reach its end).");
        }
        if (!Files.isRegularFile(transcriptFile)) {
            out.printf("POWER lane FAILED: no %s in %s after %.0f s%n", TRANSCRIPT_FILE, folder, seconds);
            return 1;
        }
        out.println("Transcripts: " + transcriptFile + " (kernel), " + folder.resolve("simulator.txt") + " (simulator); the guest's"
                + " console: " + folder.resolve("console.log") + "; replay with: vfio4j conformance --lane powernv --transcript " + transcriptFile);
        int status = check(script, Transcript.parse(Files.readString(transcriptFile)), guestSeconds(folder.resolve("times.txt"), seconds), out, folder);
        return finished && p.exitValue() == 0 ? status : 1;
    }

    /**
     * The guest's own run time from the lane's {@code times.txt} (boot to probe, and the probe:
     * without fetching packages and building the initramfs), or {@code whole} if it says nothing.
     */
    static double guestSeconds(Path times, double whole) throws IOException {
        if (!Files.isRegularFile(times)) {
            return whole;
        }
        double sum = 0;
        boolean found = false;
        for (String line : Files.readAllLines(times)) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(boot-to-probe|probe) ([0-9.]+) s$").matcher(line.strip());
            if (m.matches()) {
                sum += Double.parseDouble(m.group(2));
                found = true;
            }
        }
        return found ? sum : whole;
    }

    /** What the lane may take beyond the guest's own limit: fetching the kernel and building the probe on a first run. */
    static final long SETUP_SECONDS = 900;

    /**
     * How long the guest may run for {@code chains} chains (the lane's {@code --timeout}): boot and
     * smoke script, and about two seconds a chain under TCG, with room for the rare edu opens and
     * EEH resets (5 s each).
     *
     * @param chains how many chains
     * @return seconds
     */
    public static long timeLimit(int chains) {
        return 900 + 10L * chains;
    }

    /** {@return the checkout the launcher runs from ({@code vfio4j.home}), if known} */
    public static Optional<Path> home() {
        return Optional.ofNullable(System.getProperty("vfio4j.home")).map(Path::of);
    }
}
