package org.vfio4j.conformance.cli.tour;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.vfio4j.EventNotifier;
import org.vfio4j.IrqIndex;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.device.IommuFault;

/**
 * DMA through the IOMMU with QEMU's edu: map a buffer, let edu copy host memory into its own buffer
 * and back out, then the DMA the IOMMU refuses (a read-only mapping written, an IOVA that is not
 * mapped, a buffer after UNMAP) as the trace and {@link SimulatedKernel#iommuFaults()} show it.
 */
final class DmaChapter implements Chapter {
    private static final long IOVA = 0x10000;
    private static final long READ_ONLY_IOVA = 0x11000;
    private static final long UNMAPPED_IOVA = 0x900000;

    @Override
    public String name() {
        return "dma";
    }

    @Override
    public String summary() {
        return "DMA through the IOMMU with edu: map a buffer, let edu copy it, then an IOMMU fault";
    }

    @Override
    public void run(PrintStream out) throws Exception {
        SimulatedKernel kernel = Bench.host(false).boot();
        Page page = new Page(out, kernel);
        page.title("vfio4j tour dma: a device reaches memory only through the IOMMU, at the IOVAs mapped for it", true);
        try (Vfio vfio = Vfio.over(kernel); Arena arena = Arena.ofShared()) {
            page.heading("Set up as in 'basics', open edu, turn on bus mastering, and take edu's interrupt by MSI");
            page.code("... edu = group.openDevice(\"0000:00:03.0\"); edu.config().enableMemoryAndBusMaster();",
                    "EventNotifier done = vfio.eventNotifier(); edu.enableIrq(IrqIndex.MSI, List.of(done));");
            Bench.Setup setup = Bench.setUp(vfio);
            VfioContainer container = setup.container();
            VfioDevice edu = setup.group().openDevice(Bench.EDU);
            edu.config().enableMemoryAndBusMaster();
            EventNotifier done = vfio.eventNotifier();
            edu.enableIrq(IrqIndex.MSI, List.of(done));
            page.skipCalls();
            page.say("edu's DMA engine copies between host memory (an IOVA) and its own 4 KiB buffer at device",
                    "address 0x40000; it raises an interrupt when a transfer asked for one (command bit 2) is done.");

            page.heading("Map two pages: one the device may read and write, one it may only read");
            page.code("MemorySegment buf = Arena.ofShared().allocate(8192, 4096);  // text at buf[0]",
                    "container.mapDma(buf.asSlice(0, 4096), 0x10000);",
                    "container.mapDma(buf.asSlice(4096, 4096), 0x11000, true, false);  // device may read only");
            MemorySegment buf = arena.allocate(8192, 4096);
            buf.setString(0, "hello from host memory", StandardCharsets.US_ASCII);
            container.mapDma(buf.asSlice(0, 4096), IOVA);
            container.mapDma(buf.asSlice(4096, 4096), READ_ONLY_IOVA, true, false);
            page.calls();
            page.say("The pages are pinned: the device may use them at any time, so they cannot move or be swapped.",
                    "Map memory of a shared arena: the simulated device works on its own thread, and memory of a",
                    "confined arena is out of its reach.");

            page.heading("Mistake, on purpose: map the same IOVA again");
            page.code("container.mapDma(buf.asSlice(0, 4096), 0x10000);");
            page.mistake(() -> container.mapDma(buf.asSlice(0, 4096), IOVA));
            page.say("An IOVA range has one mapping; unmap it first to map it again.");

            page.heading("Let edu read 32 bytes of host memory into its buffer");
            page.code("pwrite 8 bytes each at BAR0 + 0x80 (source 0x10000), 0x88 (destination 0x40000),",
                    "0x90 (count 32), 0x98 (command RUN|IRQ = 0x5);  done.expectSignal(...); ack 0x100 at 0x64");
            Bench.transfer(vfio, edu, done, IOVA, QemuEdu.DMA_BUFFER, false);
            page.calls();
            page.say("The DMA line is the device's read through the IOMMU, at the IOVA, not at a host address.",
                    "From here on, a transfer shows only what the device did: its register writes are as above.");

            page.heading("And write them back to host memory, 256 bytes further on");
            page.code("the same with source 0x40000, destination 0x10100, command RUN|TO_HOST|IRQ = 0x7;",
                    "buf.getString(0x100);");
            Bench.transfer(vfio, edu, done, QemuEdu.DMA_BUFFER, IOVA + 0x100, true);
            page.eventsAndFailures();
            page.result("buf at 0x100 now reads \"%s\": the bytes went to the device and back",
                    buf.getString(0x100, StandardCharsets.US_ASCII));

            page.heading("Mistake, on purpose: let edu write into the page it may only read");
            page.code("source 0x40000, destination 0x11000, command RUN|TO_HOST|IRQ");
            Bench.transfer(vfio, edu, done, QemuEdu.DMA_BUFFER, READ_ONLY_IOVA, true);
            page.eventsAndFailures();
            page.say("The IOMMU refused the write. The device is not told why: on real hardware its request fails and",
                    "the host's IOMMU driver logs the fault (dmesg); the program gets no errno. edu still finishes.");

            page.heading("Mistake, on purpose: let edu read an IOVA nothing is mapped at");
            page.code("source 0x900000, destination 0x40000, command RUN|IRQ");
            Bench.transfer(vfio, edu, done, UNMAPPED_IOVA, QemuEdu.DMA_BUFFER, false);
            page.eventsAndFailures();

            page.heading("Unmap the buffer: from now on the device cannot reach it");
            page.code("container.unmapDma(0x10000, 4096);  then edu writes to 0x10000 again");
            container.unmapDma(IOVA, 4096);
            page.calls();
            Bench.transfer(vfio, edu, done, QemuEdu.DMA_BUFFER, IOVA, true);
            page.eventsAndFailures();
            page.say("This is what the IOMMU is for: a device (or a driver's bug) reaches only what is mapped for it.");

            page.heading("The faults the simulated IOMMU recorded");
            page.code("kernel.iommuFaults();  // SimulatedKernel: the simulator's record, for tests");
            for (IommuFault f : kernel.iommuFaults()) {
                page.result("%s %s of %d bytes at IOVA 0x%x: %s", f.device(), f.write() ? "write" : "read", f.length(), f.iova(), f.reason());
            }
            done.close();
            edu.close();
        }
        out.println();
        out.println("DMA in VFIO: map memory at an IOVA in the container, give the device IOVAs, unmap when done;");
        out.println("everything else the device tries is an IOMMU fault, which a test can read from iommuFaults().");
    }
}
