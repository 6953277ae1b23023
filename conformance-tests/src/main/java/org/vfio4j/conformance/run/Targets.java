package org.vfio4j.conformance.run;

import java.util.List;
import java.util.OptionalInt;
import org.vfio4j.IovaRange;
import org.vfio4j.conformance.ConformanceTarget;
import org.vfio4j.kernel.SystemBackend;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.KernelProfile;
import org.vfio4j.sim.SimulatedHost;

/** The targets the command line runs the contracts on. */
public final class Targets {
    private Targets() {}

    /** The x86 preset with limits small enough to exhaust: every contract runs. */
    public static ConformanceTarget simulated(KernelProfile profile) {
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().profile(profile).dmaEntryLimit(12)
                .memlockLimit(64 * SimulatedHost.PAGE_SIZE).build();
        return new ConformanceTarget("simulated x86 host, " + profile, host, profile, 7, "0000:01:00.0",
                OptionalInt.of(8), OptionalInt.of(12), OptionalInt.of(64));
    }

    /**
     * A simulated host shaped like the real-kernel lane's guest: QEMU's edu and an NVMe controller,
     * each alone in its group, behind QEMU's intel-iommu (39-bit IOVA space, no snoop control).
     */
    public static SimulatedHost laneMirror(int eduGroup, String eduBdf, int nvmeGroup, String nvmeBdf) {
        return SimulatedHost.x86Type1().toBuilder().name("mirror of the lane's guest").clearGroups()
                .iovaRanges(List.of(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, 0x7f_ffff_ffffL)))
                .enforceCacheCoherency(false)
                .capIpcLock(true) // the guest runs as root
                .group(eduGroup, HostDevice.pci(eduBdf, 0x1234, 0x11e8, 0x00ff00).boundTo(HostDevice.VFIO_PCI))
                .group(nvmeGroup, HostDevice.pci(nvmeBdf, 0x1b36, 0x0010, 0x010802).boundTo(HostDevice.VFIO_PCI).withReset())
                .build();
    }

    /** The mirror as a target with the same facts the kernel target has. */
    public static ConformanceTarget mirrorTarget(int eduGroup, String eduBdf, int nvmeGroup, String nvmeBdf, OptionalInt dmaEntryLimit) {
        return new ConformanceTarget("simulated mirror of the lane's guest", laneMirror(eduGroup, eduBdf, nvmeGroup, nvmeBdf),
                KernelProfile.LINUX_6_1, eduGroup, eduBdf, OptionalInt.empty(), dmaEntryLimit, OptionalInt.empty());
    }

    /** This machine's kernel, on the named group and device. */
    public static ConformanceTarget kernel(int group, String device, OptionalInt nonViableGroup, OptionalInt dmaEntryLimit) {
        return new ConformanceTarget("kernel", new SystemBackend(), KernelProfile.LINUX_6_1, group, device,
                nonViableGroup, dmaEntryLimit, OptionalInt.empty());
    }
}
