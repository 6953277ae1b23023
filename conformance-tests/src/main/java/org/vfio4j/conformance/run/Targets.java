package org.vfio4j.conformance.run;

import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.vfio4j.KernelProfile;
import org.vfio4j.VfioBackend;
import org.vfio4j.conformance.ConformanceTarget;
import org.vfio4j.conformance.DestructiveOperation;
import org.vfio4j.conformance.TargetDevice;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.fixtures.QemuNvme;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.kernel.SystemBackend;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.SimulatedHost;

/** The targets the command line runs the contracts on. */
public final class Targets {
    private Targets() {}

    /** Every destructive operation: simulated hosts, and the lane's throwaway guest. */
    private static final Set<DestructiveOperation> ALL = EnumSet.allOf(DestructiveOperation.class);

    /**
     * The x86 preset with limits small enough to exhaust, its group 7 device replaced by QEMU's edu on the root bus (as in the lane)
     * and an NVMe controller added alone on bus 3 (group 9): every contract runs.
     */
    public static ConformanceTarget simulated(KernelProfile profile) {
        SimulatedHost preset = SimulatedHost.x86Type1();
        SimulatedHost.Builder b = preset.toBuilder().clearGroups().profile(profile).dmaEntryLimit(12)
                .memlockLimit(64 * SimulatedHost.PAGE_SIZE)
                .group(7, HostDevice.of("0000:00:03.0", QemuEdu::new).boundTo(HostDevice.VFIO_PCI));
        preset.groups().stream().filter(g -> g.id() != 7).forEach(g -> b.group(g.id(), g.devices().toArray(HostDevice[]::new)));
        b.group(9, HostDevice.of("0000:03:00.0", QemuNvme::new).boundTo(HostDevice.VFIO_PCI));
        return new ConformanceTarget("simulated x86 host, " + profile, b.build(), profile, 7, "0000:00:03.0",
                OptionalInt.of(8), OptionalInt.of(12), OptionalInt.of(64), List.of(new TargetDevice(9, "0000:03:00.0")), ALL);
    }

    /**
     * A simulated POWER9 host ({@link Topologies#powernv()}: edu in group 0 and NVMe in group 1, each
     * its own PE, the sPAPR TCE IOMMU, EEH that freezes as hardware does, Linux 6.12); the process
     * has CAP_IPC_LOCK, as QEMU's does when it runs a POWER guest, so v1's ENABLE can charge its 2 GiB
     * window. The sPAPR and EEH contracts run on it.
     */
    public static ConformanceTarget simulatedPower() {
        SimulatedHost host = Topologies.powernv().toBuilder().capIpcLock(true).build();
        return new ConformanceTarget("simulated POWER9 host, " + host.profile(), host, host.profile(), Topologies.POWER_EDU_GROUP,
                Topologies.POWER_EDU, OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
                List.of(new TargetDevice(Topologies.POWER_NVME_GROUP, Topologies.POWER_NVME)), ALL);
    }

    /**
     * A simulated host shaped like the real-kernel lane's guest: {@link Topologies#laneMirror(int, String, int, String)}.
     */
    public static SimulatedHost laneMirror(int eduGroup, String eduBdf, int nvmeGroup, String nvmeBdf) {
        return Topologies.laneMirror(eduGroup, eduBdf, nvmeGroup, nvmeBdf);
    }

    /**
     * The mirror with the guest's limits and optional non-viable group:
     * {@link Topologies#laneMirror(int, String, int, String, int, Topologies.NonViable, OptionalInt)}.
     */
    public static SimulatedHost laneMirror(int eduGroup, String eduBdf, int nvmeGroup, String nvmeBdf, int dmaEntryLimit,
                                           Topologies.NonViable nonViable, OptionalInt memlockPages) {
        return Topologies.laneMirror(eduGroup, eduBdf, nvmeGroup, nvmeBdf, dmaEntryLimit, nonViable, memlockPages);
    }

    /** The mirror as a target with the same facts the kernel target has. */
    public static ConformanceTarget mirrorTarget(SimulatedHost mirror, int eduGroup, String eduBdf, OptionalInt nonViableGroup,
                                                 OptionalInt memlockPages, List<TargetDevice> more) {
        return new ConformanceTarget("simulated mirror of the lane's guest", mirror, mirror.profile(), eduGroup, eduBdf,
                nonViableGroup, OptionalInt.of(mirror.dmaEntryLimit()), memlockPages, more, ALL);
    }

    /**
     * This machine's kernel, on the named group and device only, expected to follow the profile of
     * its release ({@link KernelProfile#ofRelease}), allowing nothing destructive: {@link #userNamed}.
     */
    public static ConformanceTarget kernel(int group, String device, OptionalInt nonViableGroup, OptionalInt dmaEntryLimit,
                                           OptionalInt memlockPages) {
        return userNamed("kernel", new SystemBackend(), KernelProfile.ofRelease(System.getProperty("os.version")), group, device,
                nonViableGroup, dmaEntryLimit, memlockPages);
    }

    /**
     * A machine whose user named one group and one device (and perhaps a non-viable group): no
     * further devices, and no {@link DestructiveOperation} until {@link ConformanceTarget#allowing}
     * adds the ones the user's flags allow. What the command line builds for {@code --backend
     * kernel}, with {@code backend} this machine's kernel.
     */
    public static ConformanceTarget userNamed(String name, VfioBackend backend, KernelProfile profile, int group, String device,
                                              OptionalInt nonViableGroup, OptionalInt dmaEntryLimit, OptionalInt memlockPages) {
        return new ConformanceTarget(name, backend, profile, group, device, nonViableGroup, dmaEntryLimit, memlockPages, List.of(), Set.of());
    }
}
