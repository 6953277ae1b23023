package org.vfio4j.conformance.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.vfio4j.conformance.ConformanceTarget;
import org.vfio4j.conformance.run.ContractRunner;
import org.vfio4j.conformance.run.Report;
import org.vfio4j.conformance.run.Targets;
import org.vfio4j.kernel.KernelBackend;
import org.vfio4j.sim.KernelProfile;

/**
 * {@code vfio4j conformance}: the contracts on the simulator (default), on this machine's kernel
 * ({@code --backend kernel --group N --device BDF}), or in the real-kernel lane ({@code --lane qemu}).
 */
final class Conformance {
    private Conformance() {}

    static final String USAGE = """
            usage: vfio4j conformance [--profile 6.1|5.7] [--tries N]
                   vfio4j conformance --backend kernel --group N --device BDF [--non-viable-group N]
                                      [--allow-reset] [--allow-dma] [--tries N]
                   vfio4j conformance --lane qemu [--chains N] [--tries N]
            """;

    static int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--allow-reset") || a.equals("--allow-dma")) {
                o.put(a, "yes");
            } else if (a.startsWith("--") && i + 1 < args.size()) {
                o.put(a, args.get(++i));
            } else {
                err.print("vfio4j conformance: unexpected argument '" + a + "'\n" + USAGE);
                return 2;
            }
        }
        int tries = Integer.parseInt(o.getOrDefault("--tries", "30"));
        if (o.containsKey("--lane")) {
            if (!o.get("--lane").equals("qemu")) {
                err.println("vfio4j conformance: the only lane is 'qemu'");
                return 2;
            }
            return lane(Integer.parseInt(o.getOrDefault("--chains", "200")), Math.min(tries, 5), out, err);
        }
        String backend = o.getOrDefault("--backend", "sim");
        if (backend.equals("kernel")) {
            if (!o.containsKey("--group") || !o.containsKey("--device")) {
                err.print("vfio4j conformance: --backend kernel needs --group and --device (a device you bound to vfio-pci)\n" + USAGE);
                return 2;
            }
            var availability = KernelBackend.availability();
            if (!availability.isAvailable()) {
                err.println("vfio4j conformance: kernel VFIO is not usable here: " + String.join("; ", availability.problems()));
                return 1;
            }
            int group = Integer.parseInt(o.get("--group"));
            OptionalInt nonViable = o.containsKey("--non-viable-group")
                    ? OptionalInt.of(Integer.parseInt(o.get("--non-viable-group"))) : OptionalInt.empty();
            out.println("This run will touch only: /dev/vfio/vfio, /dev/vfio/" + group + " and device " + o.get("--device")
                    + nonViable.stream().mapToObj(g -> ", group " + g + " (status and SET_CONTAINER only)").findFirst().orElse("") + ".");
            boolean resets = o.containsKey("--allow-reset");
            out.println("It opens the device (the kernel may reset it on first open), reads its config space and BARs, writes"
                    + " config registers and restores them, sets up and removes ioeventfds (never signalled), maps and unmaps DMA of"
                    + " its own memory, and makes the device DMA only with --allow-dma."
                    + (resets ? " --allow-reset: it also resets the device (function and hot reset)." : " It resets nothing (--allow-reset would)."));
            if (o.containsKey("--allow-dma")) {
                out.println("--allow-dma: an edu device among them is made to DMA into this process's own mapped memory.");
            }
            return contracts(Targets.kernel(group, o.get("--device"), nonViable, dmaEntryLimit(), OptionalInt.empty())
                    .withDevices(java.util.List.of(), resets, o.containsKey("--allow-dma")), tries, 15, out);
        }
        if (!backend.equals("sim")) {
            err.println("vfio4j conformance: --backend is 'sim' or 'kernel'");
            return 2;
        }
        KernelProfile profile = switch (o.getOrDefault("--profile", "6.1")) {
            case "6.1" -> KernelProfile.LINUX_6_1;
            case "5.7" -> KernelProfile.LINUX_5_7;
            default -> throw new IllegalArgumentException("--profile is 6.1 or 5.7");
        };
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

    /** Runs the lane script with LaneMain as the guest command, from this JVM's own class path. */
    private static int lane(int chains, int tries, PrintStream out, PrintStream err) throws Exception {
        String home = System.getProperty("vfio4j.home");
        Path script = home == null ? null : Path.of(home, "conformance-tests/src/lane/qemu-lane");
        if (script == null || !Files.isExecutable(script)) {
            err.println("vfio4j conformance: the lane script is not found; run through the ./vfio4j launcher of a checkout");
            return 2;
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        // the JVM runs without CAP_IPC_LOCK and with RLIMIT_MEMLOCK = 64 pages, so that pinning is charged (I21)
        String guest = String.format("MEMLOCK_PAGES=64 prlimit --memlock=262144:262144 setpriv --bounding-set=-ipc_lock"
                + " --inh-caps=-ipc_lock -- '%s' -XX:-UsePerfData -Djava.io.tmpdir=/mnt --enable-native-access=ALL-UNNAMED"
                + " -Dvfio4j.lane.chains=%d -Dvfio4j.lane.tries=%d"
                + " -cp '%s' %s", java, chains, tries, System.getProperty("java.class.path"), "org.vfio4j.conformance.run.LaneMain");
        List<String> command = new ArrayList<>(List.of(script.toString(), "--timeout", "1500", "--", guest));
        out.println("Booting real Linux VFIO in a QEMU guest (edu and nvme bound to vfio-pci) and running the contracts on it,"
                + " on a simulated mirror, and " + chains + " differential chains ...");
        out.flush();
        Process p = new ProcessBuilder(command).inheritIO().start();
        return p.waitFor();
    }
}
