package org.vfio4j.conformance.cli;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import org.vfio4j.KernelProfile;
import org.vfio4j.conformance.ConformanceTarget;
import org.vfio4j.conformance.DestructiveOperation;
import org.vfio4j.conformance.power.PowerLane;
import org.vfio4j.conformance.power.SpaprChains;
import org.vfio4j.conformance.run.ContractRunner;
import org.vfio4j.conformance.run.Report;
import org.vfio4j.conformance.run.Targets;
import org.vfio4j.kernel.KernelBackend;

/**
 * {@code vfio4j conformance}: the contracts on the simulator (default), on this machine's kernel
 * ({@code --backend kernel --group N --device BDF}), in the real-kernel lane ({@code --lane qemu}),
 * or the POWER lane's probe script on a real and a simulated POWER host ({@code --lane powernv}).
 */
final class Conformance {
    private Conformance() {}

    /** The most tries per property and differential chains the command line accepts. */
    static final int MAX_EFFORT = 10_000;

    static final String HELP = """
            usage: vfio4j conformance [--profile 5.7|5.10|6.1|6.12] [--tries N]
                   vfio4j conformance --backend kernel --group N --device BDF [--non-viable-group N]
                                      [--allow-reset] [--allow-dma] [--allow-eeh-injection] [--tries N]
                   vfio4j conformance --lane qemu [--kernel 5.10|6.1|6.12|all] [--chains N] [--tries N]
                   vfio4j conformance --lane powernv [--chains N] [--transcript FILE]
                   vfio4j conformance --lane vfio-user [--kernel 5.10|6.1|6.12|all]

            Runs every conformance contract and prints one row per property; exits 1 if any fails.

              --backend sim|kernel  where to run: the simulator (sim, the default) or this machine's kernel
              --profile 5.7|5.10|6.1|6.12
                                    the simulator only: which Linux version's rules it follows (default 6.1)
              --tries N             tries per property, 1 to 10000 (default 30; 5 with --lane)
              --group N             --backend kernel: the device's IOMMU group, /dev/vfio/N
              --device BDF          --backend kernel: the device's PCI address as sysfs writes it, e.g. 0000:01:00.0;
                                    bind it to vfio-pci first
              --non-viable-group N  --backend kernel: a group that is not viable, used for its status and
                                    SET_CONTAINER only
              --allow-reset         --backend kernel: also reset the device (function and hot reset)
              --allow-dma           --backend kernel: let the device turn on bus mastering, so that an edu DMAs into
                                    this process's own memory and raises MSIs
              --allow-eeh-injection --backend kernel on POWER: also inject EEH errors into the device's PE
              --lane qemu           boot Linux in a QEMU guest and run the contracts on its real VFIO and on a
                                    simulated mirror, then differential chains (about 3 minutes; see
                                    docs/real-kernel-lane.md)
              --lane powernv        boot ppc64el Linux 6.12 in QEMU powernv9 and run a script of sPAPR TCE and EEH
                                    calls (the smoke script and random chains) with a C probe there and on a
                                    simulated POWER mirror; diff the two transcripts and check the script's
                                    expectations (a few minutes)
              --lane vfio-user      boot the qemu lane's guest under QEMU 11.1 with vfio4j's edu served over
                                    vfio-user beside QEMU's own edu, and compare the device probe on both through
                                    the guest's vfio-pci (under a minute; docs/vfio-user-lane.md)
              --kernel 5.10|6.1|6.12|all
                                    --lane qemu or vfio-user: which of Debian's kernels the guest boots (default
                                    6.1; all: each in turn); the simulated mirror follows that kernel's profile
                                    (docs/real-kernel-lane.md)
              --chains N            --lane only: differential chains, 1 to 10000 (default 200 with qemu, 50 with
                                    powernv; the POWER chains' seed is fixed and printed)
              --transcript FILE     --lane powernv only: replay a saved kernel transcript (the lane prints where it
                                    put it) on the simulator and compare, without booting a guest
              -h, --help            this text

            Before touching a device, --backend kernel prints what it will touch and do; it never binds, unbinds or
            writes sysfs, and checks after each property that the device is as it found it (docs/safety.md).
            """;

    private static final List<String> FLAGS = Arrays.stream(DestructiveOperation.values()).map(DestructiveOperation::flag).toList();
    private static final Map<String, String> VALUED = new LinkedHashMap<>();

    static {
        VALUED.put("--backend", "sim or kernel");
        VALUED.put("--profile", "5.7, 5.10, 6.1 or 6.12");
        VALUED.put("--tries", "a whole number from 1 to " + MAX_EFFORT);
        VALUED.put("--group", "an IOMMU group number");
        VALUED.put("--device", "a PCI address such as 0000:01:00.0");
        VALUED.put("--non-viable-group", "an IOMMU group number");
        VALUED.put("--lane", "qemu, powernv or vfio-user");
        VALUED.put("--chains", "a whole number from 1 to " + MAX_EFFORT);
        VALUED.put("--kernel", "5.10, 6.1, 6.12 or all");
        VALUED.put("--transcript", "a transcript file of the POWER lane");
    }

    /** domain:bus:device.function, lower-case hex, as /sys/bus/pci/devices names it (the kernel compares names exactly). */
    private static final Pattern PCI_ADDRESS = Pattern.compile("[0-9a-f]{4,8}:[0-9a-f]{2}:[01][0-9a-f]\\.[0-7]");

    static int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        Options o = Options.parse(args, FLAGS, VALUED);
        if (o.help()) {
            out.print(HELP);
            return 0;
        }
        boolean lane = o.has("--lane");
        String laneName = lane ? o.choice("--lane", null, "qemu", "powernv", "vfio-user") : "";
        boolean power = laneName.equals("powernv");
        boolean user = laneName.equals("vfio-user");
        o.notTogether("--lane", "--backend", "the lane runs both the kernel backend and the simulator itself");
        boolean kernel = o.choice("--backend", "sim", "sim", "kernel").equals("kernel");
        o.onlyWith(kernel, "--backend kernel", "--group", "--device", "--non-viable-group");
        o.onlyWith(kernel, "--backend kernel", FLAGS.toArray(String[]::new));
        o.onlyWith(lane && !user, "--lane qemu or --lane powernv", "--chains");
        o.onlyWith(lane && !power, "--lane qemu or --lane vfio-user", "--kernel");
        o.onlyWith(power, "--lane powernv", "--transcript");
        o.onlyWith(!power && !user, "the contracts (not with --lane powernv or vfio-user, which run probes instead)", "--tries");
        o.onlyWith(!kernel && !lane, "the simulator (--backend sim, the default)", "--profile");
        o.required(kernel, "--backend kernel", "--group", "--device");
        int tries = o.integer("--tries", lane ? 5 : 30, 1, MAX_EFFORT);
        int chains = o.integer("--chains", power ? PowerLane.DEFAULT_CHAINS : 200, 1, MAX_EFFORT);
        String transcript = o.text("--transcript", t -> Files.isRegularFile(Path.of(t)), "a transcript file of the POWER lane (no such file)");
        String laneKernel = o.choice("--kernel", "6.1", "5.10", "6.1", "6.12", "all");
        KernelProfile profile = KernelProfile.ofRelease(o.choice("--profile", "6.1", "5.7", "5.10", "6.1", "6.12"));
        int group = o.integer("--group", -1, 0, Integer.MAX_VALUE);
        OptionalInt nonViable = o.has("--non-viable-group")
                ? OptionalInt.of(o.integer("--non-viable-group", -1, 0, Integer.MAX_VALUE)) : OptionalInt.empty();
        if (nonViable.isPresent() && nonViable.getAsInt() == group) {
            throw new Options.UsageException("--non-viable-group must be another group than --group (both are " + group + ")");
        }
        String device = o.text("--device", d -> PCI_ADDRESS.matcher(d).matches(),
                "a PCI address as /sys/bus/pci/devices names it, domain:bus:device.function in lower-case hex (e.g. 0000:01:00.0)");

        if (power) {
            return powerLane(chains, transcript, out, err);
        }
        if (user) {
            return VfioUserEduLane.run(laneKernel.equals("all") ? List.of("5.10", "6.1", "6.12") : List.of(laneKernel), out, err);
        }
        if (lane) {
            return laneKernel.equals("all") ? everyKernel(chains, tries, out, err) : lane(laneKernel, chains, tries, out, err);
        }
        if (kernel) {
            var availability = KernelBackend.availability();
            if (!availability.isAvailable()) {
                err.println("vfio4j conformance: kernel VFIO is not usable here: " + String.join("; ", availability.problems()));
                return 1;
            }
            out.println("This run will touch only: /dev/vfio/vfio, /dev/vfio/" + group + " and device " + device
                    + nonViable.stream().mapToObj(g -> ", group " + g + " (status and SET_CONTAINER only)").findFirst().orElse("") + ".");
            Set<DestructiveOperation> allowed = EnumSet.noneOf(DestructiveOperation.class);
            for (DestructiveOperation op : DestructiveOperation.values()) {
                if (o.has(op.flag())) {
                    allowed.add(op);
                }
            }
            boolean resets = allowed.contains(DestructiveOperation.RESET);
            out.println("It opens the device (vfio-pci may reset it when it opens and closes it), reads its config space and BARs, writes"
                    + " config registers, sets up and removes interrupts and ioeventfds, maps and unmaps DMA of its own memory;"
                    + " closing the device makes the kernel restore its command register and free its interrupts, and after each"
                    + " property the run checks they are as it found them. It never binds, unbinds or writes sysfs."
                    + (resets ? " --allow-reset: it also resets the device (function and hot reset)." : " It resets nothing (--allow-reset would)."));
            out.println(allowed.contains(DestructiveOperation.DEVICE_DMA)
                    ? "--allow-dma: it turns on bus mastering, so that an edu device DMAs into this process's own mapped memory and raises MSIs."
                    : "It never turns on bus mastering, so the device cannot DMA unless it came with it on (--allow-dma would turn it on).");
            if (allowed.contains(DestructiveOperation.EEH_INJECTION)) {
                out.println("--allow-eeh-injection: on POWER, it injects EEH errors into the device's PE.");
            }
            return contracts(Targets.kernel(group, device, nonViable, dmaEntryLimit(), OptionalInt.empty()).allowing(allowed), tries, 15, out);
        }
        return contracts(Targets.simulated(profile), tries, 60, out);
    }

    private static int contracts(ConformanceTarget target, int tries, int chain, PrintStream out) {
        out.println("Running the conformance contracts on " + target.name() + " (" + tries + " tries each):");
        List<ContractRunner.Outcome> outcomes = ContractRunner.run(target, tries, chain, out);
        out.print(Report.render(target.name(), "result", outcomes, null, null, null, 0));
        return outcomes.stream().anyMatch(x -> x.status() == ContractRunner.Status.FAILED) ? 1 : 0;
    }

    private static OptionalInt dmaEntryLimit() {
        try {
            int limit = Integer.parseInt(Files.readString(Path.of("/sys/module/vfio_iommu_type1/parameters/dma_entry_limit")).trim());
            return limit <= 4096 ? OptionalInt.of(limit) : OptionalInt.empty();
        } catch (Exception e) {
            return OptionalInt.empty();
        }
    }

    /**
     * The POWER lane ({@link PowerLane}): boots the guest from the launcher's checkout, or replays
     * {@code transcript} without booting; the chains' seed is {@link SpaprChains#DEFAULT_SEED}.
     */
    private static int powerLane(int chains, String transcript, PrintStream out, PrintStream err) throws Exception {
        Path home = PowerLane.home().orElse(null);
        if (transcript != null) {
            return PowerLane.replay(Path.of(transcript), home, chains, SpaprChains.DEFAULT_SEED, out);
        }
        if (home == null) {
            err.println("vfio4j conformance: the POWER lane script is not found; run through the ./vfio4j launcher of a checkout");
            return 1;
        }
        return PowerLane.run(home, chains, SpaprChains.DEFAULT_SEED, PowerLane.timeLimit(chains), out, err);
    }

    /** The lane on 5.10, 6.1 and 6.12, one after the other; a line per kernel at the end; 1 if any failed. */
    private static int everyKernel(int chains, int tries, PrintStream out, PrintStream err) throws Exception {
        StringBuilder summary = new StringBuilder("real-kernel lane on every kernel:\n");
        int worst = 0;
        for (String kernel : List.of("5.10", "6.1", "6.12")) {
            long t0 = System.nanoTime();
            int status = lane(kernel, chains, tries, out, err);
            summary.append(String.format("  Linux %-5s %s in %d s%n", kernel, status == 0 ? "passed" : "FAILED (exit " + status + ")",
                    (System.nanoTime() - t0) / 1_000_000_000L));
            worst = Math.max(worst, status);
        }
        out.print(summary);
        return worst;
    }

    /** Runs the lane script on Linux {@code kernel} with LaneMain as the guest command, from this JVM's own class path. */
    private static int lane(String kernel, int chains, int tries, PrintStream out, PrintStream err) throws Exception {
        String home = System.getProperty("vfio4j.home");
        Path script = home == null ? null : Path.of(home, "conformance-tests/src/lane/qemu-lane");
        if (script == null || !Files.isExecutable(script)) {
            err.println("vfio4j conformance: the lane script is not found; run through the ./vfio4j launcher of a checkout");
            return 1;
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        // the example driver's classes and tests join the guest's class path: the lane runs its tests on the real edu
        Path example = Path.of(home, "fixtures/examples/edu-driver/target");
        String classPath = System.getProperty("java.class.path");
        if (!Files.isDirectory(example.resolve("test-classes"))) {
            err.println("vfio4j conformance: the lane runs the example driver's tests, which are not built (no " + example
                    + "/test-classes); build with mvn package -DskipTests (the ./vfio4j launcher does)");
            return 1;
        }
        classPath = example.resolve("classes") + File.pathSeparator + example.resolve("test-classes") + File.pathSeparator + classPath;
        String driverTests = example.resolve("test-classes").toString();
        // the JVM runs without CAP_IPC_LOCK and with RLIMIT_MEMLOCK = 64 pages, so that pinning is charged (I21)
        String guest = String.format("MEMLOCK_PAGES=64 prlimit --memlock=262144:262144 setpriv --bounding-set=-ipc_lock"
                + " --inh-caps=-ipc_lock -- '%s' -XX:-UsePerfData -Djava.io.tmpdir=/mnt --enable-native-access=ALL-UNNAMED"
                + " -Dvfio4j.lane.chains=%d -Dvfio4j.lane.tries=%d -Dvfio4j.lane.driverTests='%s'"
                + " -cp '%s' %s", java, chains, tries, driverTests, classPath, "org.vfio4j.conformance.run.LaneMain");
        // about 25 minutes for the lane itself on TCG, and 0.2 s more per chain (a chain takes 40-80 ms there)
        String timeout = Integer.toString(1500 + chains / 5);
        List<String> command = new ArrayList<>(List.of(script.toString(), "--kernel", kernel, "--timeout", timeout, "--", guest));
        out.println("Booting real Linux " + kernel + " VFIO in a QEMU guest (edu and nvme bound to vfio-pci) and running the contracts on it,"
                + " on a simulated mirror, and " + chains + " differential chains ...");
        out.flush();
        Process p = new ProcessBuilder(command).inheritIO().start();
        return p.waitFor();
    }
}
