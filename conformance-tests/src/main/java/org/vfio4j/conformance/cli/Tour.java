package org.vfio4j.conformance.cli;

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
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.TraceEntry;

/**
 * {@code vfio4j tour}: the canonical VFIO sequence on a simulated x86 host, each system call shown
 * as the kernel received it, with its result and what it means; then two classic mistakes, made on
 * purpose, to show how the simulator explains an errno.
 */
final class Tour {
    static final String HELP = """
            usage: vfio4j tour

            Walks the canonical VFIO sequence on a simulated x86 host with Linux 6.1 rules: discover the IOMMU
            groups, open a container and a group, choose the type1v2 IOMMU, map DMA, open and query the device,
            close in order. Each system call is shown as the kernel received it, with its result and what it
            means; two classic mistakes are made on purpose to show how an errno is explained. It needs no
            hardware and takes no options.
            """;

    private final PrintStream out;
    private final SimulatedKernel kernel;
    private int shown;
    private int step;

    Tour(PrintStream out) {
        this.out = out;
        this.kernel = SimulatedHost.x86Type1().boot();
    }

    void run() throws Exception {
        out.println("vfio4j tour: the VFIO userspace API, step by step, on a simulated x86 host");
        out.println("(Linux 6.1 rules; every line starting with '>' is one system call as the kernel saw it)");
        try (Vfio vfio = Vfio.over(kernel); Arena arena = Arena.ofConfined()) {
            heading("Discover the IOMMU groups in sysfs");
            for (IommuGroupInfo g : vfio.iommuGroups()) {
                StringBuilder sb = new StringBuilder("  group " + g.id() + ":");
                for (PciDeviceInfo d : g.devices()) {
                    sb.append(String.format(" %s %04x:%04x [%s]", d.address(), d.vendor(), d.device(), d.driver().orElse("no driver")));
                }
                sb.append(g.vfioNode().map(n -> "  -> /dev/vfio/" + n).orElse("")).append(g.looksViable() ? "" : "  (not viable)");
                out.println(sb);
            }
            say("The IOMMU isolates groups, not devices: VFIO hands out a whole group, and only when every",
                    "device in it is bound to vfio-pci (or a stub, or nothing). Group 8 still has a device on e1000e.");

            heading("Open a container");
            VfioContainer container = vfio.openContainer();
            container.apiVersion();
            container.checkExtension(IommuType.TYPE1V2.extension());
            calls();
            say("A container is an IOMMU context. It starts empty; CHECK_EXTENSION says which IOMMU models",
                    "this machine offers (1 = supported).");

            heading("Mistake 1, on purpose: map DMA before the container has an IOMMU");
            MemorySegment buffer = arena.allocate(2 * 4096, 4096);
            expectFailure(() -> container.mapDma(buffer, 0x10_0000));
            say("Before VFIO_SET_IOMMU a container answers only the three core ioctls; everything else is EINVAL.",
                    "And SET_IOMMU itself needs a group in the container first.");

            heading("Open group 7 and check that it is viable");
            VfioGroup group = vfio.openGroup(7);
            group.status();
            calls();
            say("Only one process may hold a group open; VIABLE means every device of the group is safe to hand out.");

            heading("Put the group in the container and choose the type1v2 IOMMU");
            group.setContainer(container);
            container.setIommu(IommuType.TYPE1V2);
            calls();
            say("From now on the group's devices can only reach memory this container maps for them.");

            heading("Ask the IOMMU what it offers (the argsz protocol)");
            IommuInfo info = container.iommuInfo();
            calls();
            out.printf("  page sizes from 0x%x; usable IOVA ranges %s; %d mappings left%n", info.minPageSize(),
                    info.iovaRanges().orElse(List.of()), info.dmaAvailable().orElse(-1));
            say("The first call had room for the fixed struct only: the kernel raised argsz to what the capability",
                    "chain needs, and the second call, with that argsz, got the chain after the struct.");

            heading("Map 8 KiB of memory for DMA at IOVA 0x100000");
            DmaMapping mapping = container.mapDma(buffer, 0x10_0000);
            calls();
            say("The device now sees this buffer at IOVA 0x100000; the pages are pinned and counted against",
                    "RLIMIT_MEMLOCK. Mapping the same IOVA again would fail with EEXIST.");

            heading("Open the device and query it");
            VfioDevice device = group.openDevice("0000:01:00.0");
            DeviceInfo di = device.info();
            int id = device.readConfigDword(0);
            calls();
            out.printf("  %d regions, %d IRQ indexes; config space starts with vendor %04x device %04x%n",
                    di.numRegions(), di.numIrqs(), id & 0xffff, id >>> 16);
            say("A device fd is read by region: region 7 is config space, at offset 7 << 40 of the fd.");

            heading("Unmap and close, in order");
            container.unmapDma(mapping);
            device.close();
            group.unsetContainer();
            group.close();
            container.close();
            calls();
            say("UNMAP writes back how many bytes it removed. Device fds first: a group with open devices",
                    "cannot leave its container (EBUSY).");

            heading("Mistake 2, on purpose: use group 8, which is not viable");
            VfioContainer c2 = vfio.openContainer();
            VfioGroup g8 = vfio.openGroup(8);
            g8.status();
            expectFailure(() -> g8.setContainer(c2));
            say("Linux 6.1 claims DMA ownership of the whole group at SET_CONTAINER; e1000e still owns",
                    "0000:02:00.1, so the claim fails (EPERM). Unbind it (or bind it to vfio-pci) first.");
        }
        out.println();
        out.println("That is the whole sequence. Every errno above came with the rule and the kernel function behind it;");
        out.println("SimulatedKernel.trace() gives the same records to tests.");
    }

    private interface Call {
        void run() throws VfioException;
    }

    private void expectFailure(Call call) {
        try {
            call.run();
            throw new IllegalStateException("the mistake was accepted");
        } catch (VfioException e) {
            calls();
        }
    }

    private void heading(String title) {
        out.println();
        out.println(++step + ". " + title);
    }

    private void say(String... lines) {
        for (String l : lines) {
            out.println("  " + l);
        }
    }

    /** Prints the calls made since the last time. */
    private void calls() {
        List<TraceEntry> trace = kernel.trace();
        for (TraceEntry e : trace.subList(shown, trace.size())) {
            out.println("  > " + e.toString().replaceFirst("^#\\d+ ", ""));
        }
        shown = trace.size();
    }
}
