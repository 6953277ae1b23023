package org.vfio4j.conformance.run;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import org.vfio4j.KernelProfile;
import org.vfio4j.conformance.ConformanceTarget;
import org.vfio4j.conformance.DestructiveOperation;
import org.vfio4j.conformance.SysfsHostView;
import org.vfio4j.conformance.TargetDevice;
import org.vfio4j.conformance.lane.LeftAsFound;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.kernel.KernelBackend;
import org.vfio4j.sim.SimulatedHost;

/**
 * What runs inside the real-kernel lane's guest: the contracts on the kernel (target: QEMU's edu
 * device) and on a simulated host mirroring the guest, then the differential chains between the
 * two; a report to stdout and {@code $LANE_OUT/report.txt}. The kernel contracts must leave edu and
 * NVMe as they found them, read from the guest's sysfs before and after ({@link LeftAsFound}). Exit
 * status 1 on any failure or divergence. Reads EDU_GROUP, EDU_BDF, NVME_GROUP, NVME_BDF
 * DMA_ENTRY_LIMIT and, when the JVM runs without CAP_IPC_LOCK under a memlock limit, MEMLOCK_PAGES,
 * all set by the lane.
 */
public final class LaneMain {
    private LaneMain() {}

    /**
     * Where the guest's firmware placed {@code bdf}: BAR0's start from sysfs's {@code resource}
     * file, the interrupt line from byte 0x3c of its {@code config} file; {@code fallback} off the
     * guest (no such files).
     */
    static Topologies.Placement placement(String bdf, Topologies.Placement fallback) throws IOException {
        Path dir = Path.of("/sys/bus/pci/devices", bdf);
        if (!Files.isReadable(dir.resolve("resource")) || !Files.isReadable(dir.resolve("config"))) {
            return fallback;
        }
        String first = Files.readAllLines(dir.resolve("resource")).get(0).trim().split("\\s+")[0];
        long bar0 = Long.decode(first);
        byte[] config = Files.readAllBytes(dir.resolve("config"));
        return new Topologies.Placement(bar0, config[0x3c] & 0xff);
    }

    /** Runs the lane's guest side; configured by the environment, as the class description says. */
    public static void main(String[] args) throws IOException {
        int tries = Integer.getInteger("vfio4j.lane.tries", 5);
        int chains = Integer.getInteger("vfio4j.lane.chains", 200);
        int steps = Integer.getInteger("vfio4j.lane.steps", 40);
        int eduGroup = Integer.parseInt(System.getenv("EDU_GROUP"));
        String eduBdf = System.getenv("EDU_BDF");
        int nvmeGroup = Integer.parseInt(System.getenv("NVME_GROUP"));
        String nvmeBdf = System.getenv("NVME_BDF");
        int limit = Integer.parseInt(System.getenv("DMA_ENTRY_LIMIT"));
        OptionalInt small = limit <= 4096 ? OptionalInt.of(limit) : OptionalInt.empty();
        Topologies.NonViable nonViable = System.getenv("NONVIABLE_GROUP") == null ? null : new Topologies.NonViable(
                Integer.parseInt(System.getenv("NONVIABLE_GROUP")), System.getenv("NONVIABLE_BRIDGE"),
                System.getenv("NONVIABLE_BDF"), System.getenv("NONVIABLE_RNG"));
        OptionalInt nonViableGroup = nonViable == null ? OptionalInt.empty() : OptionalInt.of(nonViable.group());
        OptionalInt memlock = System.getenv("MEMLOCK_PAGES") == null ? OptionalInt.empty()
                : OptionalInt.of(Integer.parseInt(System.getenv("MEMLOCK_PAGES")));
        Topologies.Placement eduAt = placement(eduBdf, Topologies.LANE_EDU_PLACEMENT);
        Topologies.Placement nvmeAt = placement(nvmeBdf, Topologies.LANE_NVME_PLACEMENT);
        // the mirror follows the profile of the guest's kernel, which the kernel target is expected to show too
        KernelProfile profile = KernelProfile.ofRelease(System.getProperty("os.version"));
        // QEMU's intel-iommu as the guest's driver reports it: 5.10's intel-iommu advertises every power of two from
        // 4 KiB (INTEL_IOMMU_PGSIZES), 6.1's and 6.12's the sizes it maps, 4 KiB, 2 MiB, 1 GiB
        long pageSizes = profile.isAtLeast61() ? 0x4020_1000L : ~0xfffL;
        SimulatedHost host = Topologies.laneMirror(eduGroup, eduBdf, eduAt, nvmeGroup, nvmeBdf, nvmeAt, limit, nonViable, memlock)
                .toBuilder().profile(profile).iovaPageSizes(pageSizes).build();

        PrintStream out = System.out;
        // the device probe first, while the guest's devices are as firmware left them: later parts of the lane
        // write edu's registers, and a simulated mirror boots fresh
        List<String> probeDivergences = new java.util.ArrayList<>();
        int probeLines = 0;
        for (var dev : List.of(new TargetDevice(eduGroup, eduBdf), new TargetDevice(nvmeGroup, nvmeBdf))) {
            List<String> real;
            List<String> sim;
            try (var k = KernelBackend.open(); var m = host.boot()) {
                real = org.vfio4j.conformance.lane.DeviceProbe.lines(k, dev.group(), dev.name());
                sim = org.vfio4j.conformance.lane.DeviceProbe.lines(m, dev.group(), dev.name());
            } catch (Exception e) {
                probeDivergences.add(dev.name() + ": the probe failed: " + e);
                continue;
            }
            probeLines += real.size();
            for (int i = 0; i < Math.max(real.size(), sim.size()); i++) {
                String a = i < real.size() ? real.get(i) : "(nothing)";
                String b = i < sim.size() ? sim.get(i) : "(nothing)";
                if (!a.equals(b)) {
                    probeDivergences.add(dev.name() + " line " + (i + 1) + "\n    kernel:    " + a + "\n    simulator: " + b);
                }
            }
        }
        List<TargetDevice> nvme = List.of(new TargetDevice(nvmeGroup, nvmeBdf));
        // the guest is thrown away after the run: every destructive operation is allowed there
        ConformanceTarget kernel = Targets.kernel(eduGroup, eduBdf, nonViableGroup, small, memlock).withDevices(nvme)
                .allowing(EnumSet.allOf(DestructiveOperation.class));
        ConformanceTarget mirror = Targets.mirrorTarget(host, eduGroup, eduBdf, nonViableGroup, memlock, nvme);
        out.println("== contracts on the kernel (" + kernel.device() + ", group " + eduGroup + ") ==");
        LeftAsFound leftAsFound = LeftAsFound.before(SysfsHostView.system(), List.of(eduBdf, nvmeBdf));
        List<ContractRunner.Outcome> onKernel = ContractRunner.run(kernel, tries, 15, out);
        LeftAsFound.Outcome restored = leftAsFound.after();
        out.println("== contracts on the simulated mirror ==");
        List<ContractRunner.Outcome> onSim = ContractRunner.run(mirror, tries, 15, out);

        long t0 = System.nanoTime();
        DifferentialRunner.Summary diff = DifferentialRunner.run(KernelBackend::open, host::boot, eduGroup, eduBdf,
                Long.getLong("vfio4j.lane.seed", 20261123L), chains, steps);
        double seconds = (System.nanoTime() - t0) / 1e9;

        StringBuilder probeReport = new StringBuilder("device probe (edu and nvme: info, every region and capability chain, IRQ"
                + " info, whole config space, BAR sizing, read-only writes, capability writes, region edges, mmap, memory decode,"
                + " BAR0 at every width through pread/pwrite and a mapping, header write masks, MAP_DMA of a BAR mapping, dirty"
                + " pages, reset, hot reset, features, ioeventfds, gfx): " + probeLines + " lines compared, " + probeDivergences.size()
                + " divergence(s)\n");
        probeDivergences.forEach(x -> probeReport.append("  ").append(x).append('\n'));

        // the example edu driver's JUnit tests, unchanged, on the real edu (the @VfioTest extension's hardware mode)
        String driverRoots = System.getProperty("vfio4j.lane.driverTests", "");
        DriverTests.Summary driverTests = null;
        if (!driverRoots.isBlank()) {
            out.println("== the example edu driver's tests on the real edu " + eduBdf + " ==");
            List<Path> roots = java.util.Arrays.stream(driverRoots.split(java.io.File.pathSeparator)).map(Path::of).toList();
            driverTests = DriverTests.run(roots, eduGroup, eduBdf, out);
        }
        String driverReport = driverTests == null ? "example driver tests: not run (fixtures/examples/edu-driver is not built)\n"
                : "example driver tests (fixtures/examples/edu-driver, @VfioTest on the real edu): " + driverTests.passed()
                        + " passed, " + driverTests.skipped() + " skipped (simulator only), " + driverTests.failed() + " failed\n";

        String report = Report.render("real-kernel lane: Linux " + System.getProperty("os.version") + " (profile " + profile + ") in QEMU, edu "
                + eduBdf + " (group " + eduGroup + "), nvme " + nvmeBdf + " (group " + nvmeGroup + ")",
                "kernel", onKernel, "simulator", onSim, diff, seconds);
        report = report + probeReport + restored.report() + driverReport;
        out.print(report);
        String dir = System.getenv("LANE_OUT");
        if (dir != null) {
            Files.writeString(Path.of(dir, "report.txt"), report);
        }
        boolean failed = Report.failures(onKernel) + Report.failures(onSim) > 0 || !diff.divergences().isEmpty() || !probeDivergences.isEmpty()
                || !restored.problems().isEmpty() || (driverTests != null && !driverTests.ok());
        System.exit(failed ? 1 : 0);
    }
}
