package org.vfio4j.conformance.cli.tour;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.vfio4j.DeviceInfo;
import org.vfio4j.DmaMapping;
import org.vfio4j.IommuGroupInfo;
import org.vfio4j.IommuInfo;
import org.vfio4j.IommuType;
import org.vfio4j.PciDeviceInfo;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.SimulatedKernel;

/**
 * The canonical VFIO sequence on the simulated x86 preset: discover the groups, open a container
 * and a group, choose type1v2, the argsz protocol of GET_INFO, map DMA, open and query the device,
 * close in order; two classic mistakes made on purpose (MAP_DMA before SET_IOMMU, a group that is
 * not viable).
 */
final class BasicsChapter implements Chapter {

    @Override
    public String name() {
        return "basics";
    }

    @Override
    public String summary() {
        return "containers, groups, the IOMMU and the argsz protocol: the canonical sequence";
    }

    @Override
    public void run(PrintStream out) throws Exception {
        SimulatedKernel kernel = SimulatedHost.x86Type1().boot();
        Page page = new Page(out, kernel);
        out.println("vfio4j tour: the VFIO userspace API, step by step, on a simulated x86 host");
        out.println("(Linux 6.1 rules; every line starting with '>' is one system call as the kernel saw it)");
        try (Vfio vfio = Vfio.over(kernel); Arena arena = Arena.ofConfined()) {
            page.heading("Discover the IOMMU groups in sysfs");
            for (IommuGroupInfo g : vfio.iommuGroups()) {
                page.say("group " + g.id() + g.vfioNode().map(n -> " -> /dev/vfio/" + n).orElse("")
                        + (g.looksViable() ? "" : " (not viable)") + ":");
                for (PciDeviceInfo d : g.devices()) {
                    page.say(String.format("    %s %04x:%04x [%s]", d.address(), d.vendor(), d.device(), d.driver().orElse("no driver")));
                }
            }
            page.say("The IOMMU isolates groups, not devices: VFIO hands out a whole group, and only when every",
                    "device in it is bound to vfio-pci (or a stub, or nothing). Group 8 still has a device on e1000e.");

            page.heading("Open a container");
            VfioContainer container = vfio.openContainer();
            container.apiVersion();
            container.checkExtension(IommuType.TYPE1V2.extension());
            page.calls();
            page.say("A container is an IOMMU context. It starts empty; CHECK_EXTENSION says which IOMMU models",
                    "this machine offers (1 = supported).");

            page.heading("Mistake 1, on purpose: map DMA before the container has an IOMMU");
            MemorySegment buffer = arena.allocate(2 * 4096, 4096);
            page.mistake(() -> container.mapDma(buffer, 0x10_0000));
            page.say("Before VFIO_SET_IOMMU a container answers only the three core ioctls; everything else is EINVAL.",
                    "And SET_IOMMU itself needs a group in the container first.");

            page.heading("Open group 7 and check that it is viable");
            VfioGroup group = vfio.openGroup(7);
            group.status();
            page.calls();
            page.say("Only one process may hold a group open; VIABLE means every device of the group is safe",
                    "to hand out.");

            page.heading("Put the group in the container and choose the type1v2 IOMMU");
            group.setContainer(container);
            container.setIommu(IommuType.TYPE1V2);
            page.calls();
            page.say("From now on the group's devices can only reach memory this container maps for them.");

            page.heading("Ask the IOMMU what it offers (the argsz protocol)");
            IommuInfo info = container.iommuInfo();
            page.calls();
            page.say(String.format("page sizes from 0x%x; usable IOVA ranges %s; %d mappings left", info.minPageSize(),
                    info.iovaRanges().orElse(List.of()), info.dmaAvailable().orElse(-1)));
            page.say("The first call had room for the fixed struct only: the kernel raised argsz to what the capability",
                    "chain needs, and the second call, with that argsz, got the chain after the struct.");

            page.heading("Map 8 KiB of memory for DMA at IOVA 0x100000");
            DmaMapping mapping = container.mapDma(buffer, 0x10_0000);
            page.calls();
            page.say("The device now sees this buffer at IOVA 0x100000; the pages are pinned and counted against",
                    "RLIMIT_MEMLOCK. Mapping the same IOVA again would fail with EEXIST.");

            page.heading("Open the device and query it");
            VfioDevice device = group.openDevice("0000:01:00.0");
            DeviceInfo di = device.info();
            int id = device.readConfigDword(0);
            page.calls();
            page.say(String.format("%d regions, %d IRQ indexes; config space starts with vendor %04x device %04x",
                    di.numRegions(), di.numIrqs(), id & 0xffff, id >>> 16));
            page.say("A device fd is read by region: region 7 is config space, at offset 7 << 40 of the fd.");

            page.heading("Unmap and close, in order");
            container.unmapDma(mapping);
            device.close();
            group.unsetContainer();
            group.close();
            container.close();
            page.calls();
            page.say("UNMAP writes back how many bytes it removed. Device fds first: a group with open devices",
                    "cannot leave its container (EBUSY).");

            page.heading("Mistake 2, on purpose: use group 8, which is not viable");
            VfioContainer c2 = vfio.openContainer();
            VfioGroup g8 = vfio.openGroup(8);
            g8.status();
            page.mistake(() -> g8.setContainer(c2));
            page.say("Linux 6.1 claims DMA ownership of the whole group at SET_CONTAINER; e1000e still owns",
                    "0000:02:00.1, so the claim fails (EPERM). Unbind it (or bind it to vfio-pci) first.");
        }
        out.println();
        out.println("That is the whole sequence. Every errno above came with the rule and the kernel function behind it;");
        out.println("SimulatedKernel.trace() gives the same records to tests.");
    }
}
