package org.vfio4j.conformance.run;

import java.util.List;
import java.util.OptionalInt;
import org.vfio4j.IovaRange;
import org.vfio4j.conformance.ConformanceTarget;
import org.vfio4j.conformance.TargetDevice;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.fixtures.QemuNvme;
import org.vfio4j.kernel.SystemBackend;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.KernelProfile;
import org.vfio4j.sim.SimulatedHost;

/** The targets the command line runs the contracts on. */
public final class Targets {
    private Targets() {}

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
                OptionalInt.of(8), OptionalInt.of(12), OptionalInt.of(64), List.of(new TargetDevice(9, "0000:03:00.0")), true, true);
    }

    /**
     * A simulated host shaped like the real-kernel lane's guest: QEMU's edu and an NVMe controller,
     * each alone in its group, behind QEMU's intel-iommu (39-bit IOVA space, no snoop control).
     */
    public static SimulatedHost laneMirror(int eduGroup, String eduBdf, int nvmeGroup, String nvmeBdf) {
        return laneMirror(eduGroup, eduBdf, nvmeGroup, nvmeBdf, SimulatedHost.DEFAULT_DMA_ENTRY_LIMIT, null, OptionalInt.empty());
    }

    /**
     * The mirror with the guest's {@code dma_entry_limit} and, if {@code nonViable} is given, its
     * non-viable group: a second edu sharing a group with a virtio-rng device on virtio-pci; with
     * {@code memlockPages}, a process without CAP_IPC_LOCK limited to that many locked pages.
     */
    public static SimulatedHost laneMirror(int eduGroup, String eduBdf, int nvmeGroup, String nvmeBdf, int dmaEntryLimit,
                                           NonViable nonViable, OptionalInt memlockPages) {
        SimulatedHost.Builder b = SimulatedHost.x86Type1().toBuilder().name("mirror of the lane's guest").clearGroups()
                .dmaEntryLimit(dmaEntryLimit)
                .iovaRanges(List.of(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, 0x7f_ffff_ffffL)))
                .enforceCacheCoherency(false)
                .capIpcLock(memlockPages.isEmpty()) // root, unless the lane dropped CAP_IPC_LOCK
                .memlockLimit(memlockPages.isPresent() ? memlockPages.getAsInt() * SimulatedHost.PAGE_SIZE : -1)
                .group(eduGroup, HostDevice.of(eduBdf, () -> new QemuEdu(0xfea0_0000L, 0x0b)).boundTo(HostDevice.VFIO_PCI))
                .group(nvmeGroup, HostDevice.of(nvmeBdf, () -> new QemuNvme(0xfe60_0000L, 0x0a)).boundTo(HostDevice.VFIO_PCI));
        if (nonViable != null) {
            b.group(nonViable.group(),
                    HostDevice.pci(nonViable.bridge(), 0x1b36, 0x000e, 0x060400).asBridge(),
                    HostDevice.of(nonViable.edu(), QemuEdu::new).boundTo(HostDevice.VFIO_PCI),
                    HostDevice.pci(nonViable.rng(), 0x1af4, 0x1005, 0x00ff00).boundTo("virtio-pci"));
        }
        return b.build();
    }

    /** The lane's non-viable group: the bridge, an edu on vfio-pci, and a virtio-rng on virtio-pci. */
    public record NonViable(int group, String bridge, String edu, String rng) {}

    /** The mirror as a target with the same facts the kernel target has. */
    public static ConformanceTarget mirrorTarget(SimulatedHost mirror, int eduGroup, String eduBdf, OptionalInt nonViableGroup,
                                                 OptionalInt memlockPages, List<TargetDevice> more) {
        return new ConformanceTarget("simulated mirror of the lane's guest", mirror, KernelProfile.LINUX_6_1, eduGroup, eduBdf,
                nonViableGroup, OptionalInt.of(mirror.dmaEntryLimit()), memlockPages, more, true, true);
    }

    /** This machine's kernel, on the named group and device. */
    public static ConformanceTarget kernel(int group, String device, OptionalInt nonViableGroup, OptionalInt dmaEntryLimit,
                                           OptionalInt memlockPages) {
        return new ConformanceTarget("kernel", new SystemBackend(), KernelProfile.LINUX_6_1, group, device,
                nonViableGroup, dmaEntryLimit, memlockPages);
    }
}
