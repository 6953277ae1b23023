package org.vfio4j.conformance.cli.tour;

import static org.vfio4j.uapi.VfioUapi.VFIO_EEH;
import static org.vfio4j.uapi.VfioUapi.VFIO_SPAPR_TCE_IOMMU;
import static org.vfio4j.uapi.VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU;
import static org.vfio4j.uapi.VfioUapi.VFIO_TYPE1v2_IOMMU;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.vfio4j.DmaWindow;
import org.vfio4j.EehPe;
import org.vfio4j.EehState;
import org.vfio4j.EventNotifier;
import org.vfio4j.IommuType;
import org.vfio4j.IrqIndex;
import org.vfio4j.SpaprTceInfo;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.sim.SimulatedKernel;

/**
 * VFIO on a POWER9 host ({@link Topologies#powernv()}): the sPAPR TCE IOMMU in place of type1 (its
 * windows, v2's preregistered memory, maps that replace), edu's DMA through a TCE, and EEH: an error
 * freezes edu's PE and the recovery sequence brings it back ({@code drivers/vfio/vfio_iommu_spapr_tce.c},
 * {@code arch/powerpc/kernel/eeh.c}).
 */
final class PowerChapter implements Chapter {
    private static final long IOVA = 0x10000;
    private static final long NO_TCE = 0x400000;
    /** edu's DMA takes 1 ms on the simulated host; this bounds the wait for its end. */
    private static final Duration DMA_WAIT = Duration.ofSeconds(2);

    @Override
    public String name() {
        return "power";
    }

    @Override
    public String summary() {
        return "a POWER9 host: sPAPR TCE windows, preregistered memory, an EEH freeze and its recovery";
    }

    @Override
    public void run(PrintStream out) throws Exception {
        SimulatedKernel kernel = Topologies.powernv().boot();
        Page page = new Page(out, kernel);
        page.title("vfio4j tour power: a POWER9 host, where DMA goes through TCE windows and an error freezes a PE", "6.12");
        try (Vfio vfio = Vfio.over(kernel); Arena arena = Arena.ofShared()) {
            page.heading("A container on POWER: which IOMMUs does it offer?");
            page.code("VfioContainer container = vfio.openContainer();",
                    "for (int e : List.of(VFIO_TYPE1v2_IOMMU, VFIO_SPAPR_TCE_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU,",
                    "        VFIO_EEH)) container.checkExtension(e);");
            VfioContainer container = vfio.openContainer();
            int type1 = container.checkExtension(VFIO_TYPE1v2_IOMMU);
            int v1 = container.checkExtension(VFIO_SPAPR_TCE_IOMMU);
            int v2 = container.checkExtension(VFIO_SPAPR_TCE_v2_IOMMU);
            int eeh = container.checkExtension(VFIO_EEH);
            page.calls();
            page.result("type1v2 %d, sPAPR TCE v1 %d, v2 %d, EEH %d (0: not offered)", type1, v1, v2, eeh);
            page.say("A POWER kernel builds the sPAPR TCE driver in place of type1. The host bridges (PHBs) translate",
                    "DMA through tables of TCEs (translation control entries), one table per DMA window. EEH is",
                    "POWER's error handling: a PHB that sees an error freezes the device's PE.");

            page.heading("Mistake, on purpose: choose type1 anyway");
            page.code("VfioGroup group = vfio.openGroup(0);  // edu, 0000:01:00.0, behind PHB 0",
                    "group.setContainer(container);  container.setIommu(IommuType.TYPE1V2);");
            VfioGroup group = vfio.openGroup(Topologies.POWER_EDU_GROUP);
            group.setContainer(container);
            page.skipCalls();
            page.mistake(() -> container.setIommu(IommuType.TYPE1V2));
            page.say("SET_IOMMU looks for an IOMMU driver that offers the type; CHECK_EXTENSION said none does.");
            page.code("container.setIommu(IommuType.SPAPR_TCE_V2);");
            container.setIommu(IommuType.SPAPR_TCE_V2);
            page.calls();
            page.say("v2 is what QEMU picks when the host offers it; v1 comes at the end of the chapter.",
                    "A group is a PE here (a partitionable endpoint: what the PHB isolates, and freezes, as one).");

            page.heading("Ask for the DMA windows: VFIO_IOMMU_SPAPR_TCE_GET_INFO");
            page.code("SpaprTceInfo info = container.spaprInfo();");
            SpaprTceInfo info = container.spaprInfo();
            SpaprTceInfo.DdwInfo ddw = info.ddw().orElseThrow();
            page.calls();
            page.result("the default 32-bit window: %d GiB at bus address 0x%x", info.dma32WindowSize() >> 30, info.dma32WindowStart());
            page.result("dynamic windows (DDW): IOMMU pages of %s; %d windows at most, the default one included;"
                    + " TCE tables of up to %d levels", pageSizes(ddw.pageSizes()), ddw.maxDynamicWindows(), ddw.levels());
            page.say("A device reaches memory only through a window: a range of bus addresses (IOVAs) with a TCE",
                    "table behind it. A driver may keep the default window, add one more, or replace it.");

            page.heading("v2 maps only memory registered first");
            page.code("MemorySegment buf = arena.allocate(8 * 4096, 4096);",
                    "container.mapDma(buf.asSlice(0, 4096), 0x10000);");
            MemorySegment buf = arena.allocate(8 * 4096, 4096);
            page.mistake(() -> container.mapDma(buf.asSlice(0, 4096), IOVA));
            page.code("container.registerMemory(buf.asSlice(0, 4 * 4096));  // pages 0 to 3");
            container.registerMemory(buf.asSlice(0, 4 * 4096));
            page.calls();
            page.say("REGISTER_MEMORY pins the pages and charges them to RLIMIT_MEMLOCK, once. MAP_DMA then only",
                    "writes TCEs pointing into them (type1 pins at every MAP_DMA).");
            page.code("container.registerMemory(buf.asSlice(0, 4 * 4096));  // the same range again");
            page.mistake(() -> container.registerMemory(buf.asSlice(0, 4 * 4096)));
            page.code("container.registerMemory(buf.asSlice(2 * 4096, 4 * 4096));  // pages 2 to 5: overlaps it");
            page.mistake(() -> container.registerMemory(buf.asSlice(2 * 4096, 4 * 4096)));
            page.say("A registration is one whole range: it cannot be registered twice, or overlapped by another.");

            page.heading("Windows: create a second one, of 1 GiB with 4 KiB pages");
            page.code("DmaWindow big = container.createWindow(12, 1L << 30, 1);  // page shift, size, TCE levels");
            DmaWindow big = container.createWindow(12, 1L << 30, 1);
            page.calls();
            page.result("the window starts at 0x%x (2^59): the platform chose it, not the program", big.start());
            page.code("container.createWindow(16, 1L << 28, 1);  // a third window");
            page.mistake(() -> container.createWindow(16, 1L << 28, 1));
            page.say("The error names both windows: window 0 is the default one, which the kernel made inside the",
                    "CREATE above, before window 1. It makes it lazily, at the first CREATE or MAP_DMA, so that a",
                    "driver that does not want it can remove it first (REMOVE of 0) and never pay for its TCE table.");
            page.code("container.mapDma(buf.asSlice(0, 4096), 0x80000000);  // just past the default window");
            page.mistake(() -> container.mapDma(buf.asSlice(0, 4096), info.dma32WindowStart() + info.dma32WindowSize()));
            page.say("Between the windows no TCE table exists: nothing can be mapped there.");
            page.code("container.removeWindow(big.start() + 0x100000);  // any address inside it will do");
            container.removeWindow(big.start() + 0x100000);
            page.calls();
            page.say("Its slot is free again, and the locked memory of its TCE table is given back.");

            page.heading("edu's DMA through a TCE");
            page.code("VfioDevice edu = group.openDevice(\"0000:01:00.0\");  edu.config().enableMemoryAndBusMaster();",
                    "EventNotifier done = vfio.eventNotifier();  edu.enableIrq(IrqIndex.MSI, List.of(done));",
                    "buf.setString(0, \"hello through a TCE\");  container.mapDma(buf.asSlice(0, 4096), 0x10000);",
                    "edu copies 32 bytes from 0x10000 into its buffer, then back out to 0x10100 (as in 'dma')");
            VfioDevice edu = group.openDevice(Topologies.POWER_EDU);
            edu.config().enableMemoryAndBusMaster();
            EventNotifier done = vfio.eventNotifier();
            edu.enableIrq(IrqIndex.MSI, List.of(done));
            page.skipCalls();
            buf.setString(0, "hello through a TCE", StandardCharsets.US_ASCII);
            container.mapDma(buf.asSlice(0, 4096), IOVA);
            page.calls();
            roundTrip(vfio, edu, done, IOVA + 0x100, page);
            page.result("buf at 0x100 reads \"%s\"", buf.getString(0x100, StandardCharsets.US_ASCII));
            page.say("edu's DMA engine takes 28-bit addresses: of the two windows only the default one, at 0, is in",
                    "its reach. The window at 2^59 is for devices with 64-bit DMA: with large IOMMU pages it can",
                    "map all of a guest's memory.");

            page.heading("Map over a mapping: sPAPR replaces the TCE, where type1 says EEXIST");
            page.code("container.mapDma(buf.asSlice(4096, 4096), 0x10000);  // page 1 now, at the same IOVA",
                    "edu copies 32 bytes from 0x10000 and back out to 0x10100, as before");
            buf.setString(4096, "page 1 took page 0's place", StandardCharsets.US_ASCII);
            container.mapDma(buf.asSlice(4096, 4096), IOVA);
            page.calls();
            roundTrip(vfio, edu, done, IOVA + 0x100, page);
            page.result("page 1 at 0x100 reads \"%s\": the device saw the new page",
                    buf.getString(4096 + 0x100, StandardCharsets.US_ASCII));
            page.code("container.unmapDma(0x10000, 0x4000);  // 4 pages, of which one has a TCE");
            long unmapped = container.unmapDma(IOVA, 0x4000);
            page.calls();
            page.result("0x%x: UNMAP clears every entry in the range, used or not, and reports the size asked"
                    + " (type1 reports the bytes it unmapped: 0x1000)", unmapped);

            page.heading("EEH: an error freezes edu's PE");
            page.code("EehPe pe = container.eeh();  pe.enable();  pe.state();");
            EehPe pe = container.eeh();
            pe.enable();
            EehState normal = pe.state();
            page.calls();
            page.result("%s: MMIO and DMA work", normal);
            page.say("ENABLE would also thaw a PE left frozen. The host does not recover a PE whose device a process",
                    "has open: that is the process's job.");
            page.code("source 0x400000 (no TCE there), destination 0x40000, command RUN (0x1, no interrupt);",
                    "pread BAR0 + 0x98 until the RUN bit clears or the register reads all ones");
            startDma(vfio, edu, NO_TCE, QemuEdu.DMA_BUFFER);
            page.eventsAndFailures();
            page.say("On x86 that read is an IOMMU fault and nothing more ('dma'). A POWER PHB freezes the PE: its",
                    "MMIO reads answer all ones, its MMIO writes, DMA and MSIs are dropped, until it is recovered.",
                    "(So no interrupt was asked for: the driver would wait for it for ever.)");
            page.code("pread(device_fd, &v, 4, BAR0 + 0x0);  pe.state();");
            int frozenId = Bench.read32(vfio, edu, QemuEdu.REG_ID);
            EehState stopped = pe.state();
            page.calls();
            page.result("identification 0x%08x, %s: all ones could be a removed device ('faults'); GET_STATE says"
                    + " the PE is frozen", frozenId, stopped);
            page.say("QEMU's own PHB never freezes a PE, so this part is not observed in QEMU: it is modelled from",
                    "the kernel's source (arch/powerpc/kernel/eeh.c and the powernv platform's eeh-powernv.c).");

            page.heading("Recover: thaw MMIO, reset the PE, configure it");
            page.code("pe.unfreezeIo();  pe.state();  pread(device_fd, &v, 4, BAR0 + 0x0);");
            pe.unfreezeIo();
            EehState stoppedDma = pe.state();
            int thawedId = Bench.read32(vfio, edu, QemuEdu.REG_ID);
            page.calls();
            page.result("%s, identification 0x%08x: MMIO works again, DMA is still stopped", stoppedDma, thawedId);
            page.say("A driver reads the device's own error registers now, before it decides how to recover.");
            page.code("pe.resetHot();  pe.resetDeactivate();  pe.configure();  pe.state();");
            pe.resetHot();
            pe.resetDeactivate();
            pe.configure();
            EehState recovered = pe.state();
            page.calls();
            page.result("%s: MMIO and DMA work again", recovered);
            page.say("RESET_HOT freezes the PE and resets its bus; RESET_DEACTIVATE ends the reset, restores the",
                    "BARs and thaws the PE; CONFIGURE sets up the bridges above it (none here).");

            page.heading("Set edu up again: the reset took it back to its power-on state");
            page.code("edu.config().enableMemoryAndBusMaster();",
                    "edu.disableIrq(IrqIndex.MSI);  edu.enableIrq(IrqIndex.MSI, List.of(done));",
                    "container.mapDma(buf.asSlice(0, 4096), 0x10000);  // step 7 unmapped it",
                    "edu copies 32 bytes from 0x10000 and back out to 0x10200");
            edu.config().enableMemoryAndBusMaster();
            edu.disableIrq(IrqIndex.MSI);
            edu.enableIrq(IrqIndex.MSI, List.of(done));
            container.mapDma(buf.asSlice(0, 4096), IOVA);
            page.skipCalls();
            roundTrip(vfio, edu, done, IOVA + 0x200, page);
            page.result("buf at 0x200 reads \"%s\": edu is back", buf.getString(0x200, StandardCharsets.US_ASCII));
            page.say("The reset cleared bus mastering and edu's MSI enable bit. Disabling and enabling MSI again",
                    "makes vfio-pci program edu's MSI capability anew; without it edu's interrupt goes nowhere.");
            done.close();
            edu.close();

            page.heading("v1, and why a POWER guest with VFIO needs a raised RLIMIT_MEMLOCK");
            page.code("VfioContainer old = vfio.openContainer();  vfio.openGroup(1).setContainer(old);  // NVMe",
                    "old.setIommu(IommuType.SPAPR_TCE);  old.enableIommu();");
            VfioContainer old = vfio.openContainer();
            vfio.openGroup(Topologies.POWER_NVME_GROUP).setContainer(old);
            old.setIommu(IommuType.SPAPR_TCE);
            page.skipCalls();
            page.mistake(old::enableIommu);
            page.say("v1 has no registration: ENABLE charges the whole default window (2 GiB) to RLIMIT_MEMLOCK",
                    "at once, as if every page in it were pinned. This process may lock 64 MiB and has no",
                    "CAP_IPC_LOCK. (The pages locked already are v2's: the 4 registered ones and the default",
                    "window's TCE table.) Hence v2, and the high limit libvirt sets for a POWER guest with VFIO.");
        }
        out.println();
        out.println("POWER in VFIO: sPAPR TCE windows instead of type1, memory registered once (v2), maps that replace;");
        out.println("an error freezes the PE: UNFREEZE_IO, RESET_HOT, RESET_DEACTIVATE and CONFIGURE bring it back.");
    }

    /**
     * edu copies {@value Bench#DMA_LENGTH} bytes from {@link #IOVA} into its buffer and back out to
     * {@code back}, each time waiting for its MSI on {@code done}; the page shows what the device did.
     */
    private static void roundTrip(Vfio vfio, VfioDevice edu, EventNotifier done, long back, Page page) throws VfioException {
        Bench.transfer(vfio, edu, done, IOVA, QemuEdu.DMA_BUFFER, false);
        Bench.transfer(vfio, edu, done, QemuEdu.DMA_BUFFER, back, true);
        page.eventsAndFailures();
    }

    /**
     * An edu transfer without an interrupt: starts it, then polls edu's command register until the
     * run bit clears or the register reads all ones (its PE froze).
     */
    private static void startDma(Vfio vfio, VfioDevice edu, long source, long destination) throws Exception {
        Bench.write64(vfio, edu, QemuEdu.REG_DMA_SRC, source);
        Bench.write64(vfio, edu, QemuEdu.REG_DMA_DST, destination);
        Bench.write64(vfio, edu, QemuEdu.REG_DMA_COUNT, Bench.DMA_LENGTH);
        Bench.write64(vfio, edu, QemuEdu.REG_DMA_CMD, QemuEdu.DMA_RUN);
        long deadline = System.nanoTime() + DMA_WAIT.toNanos();
        for (int command = QemuEdu.DMA_RUN; (command & QemuEdu.DMA_RUN) != 0 && command != -1; ) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("edu's DMA did not end within " + DMA_WAIT);
            }
            Thread.sleep(1);
            command = Bench.read32(vfio, edu, QemuEdu.REG_DMA_CMD);
        }
    }

    /** The page sizes of a {@code pgsizes} bitmap, as "4 KiB, 64 KiB, ...". */
    private static String pageSizes(long bitmap) {
        StringBuilder s = new StringBuilder();
        for (int shift = 0; shift < 64; shift++) {
            if ((bitmap & (1L << shift)) != 0) {
                s.append(s.isEmpty() ? "" : ", ").append(size(1L << shift));
            }
        }
        return s.toString();
    }

    private static String size(long bytes) {
        return bytes >= 1L << 30 ? (bytes >> 30) + " GiB" : bytes >= 1L << 20 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
    }
}
