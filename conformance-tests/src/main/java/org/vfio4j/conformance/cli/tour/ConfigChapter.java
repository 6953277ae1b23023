package org.vfio4j.conformance.cli.tour;

import static org.vfio4j.PciRegisters.*;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.stream.Collectors;
import org.vfio4j.EventNotifier;
import org.vfio4j.IrqIndex;
import org.vfio4j.PciCapability;
import org.vfio4j.PciConfig;
import org.vfio4j.RegionIndex;
import org.vfio4j.Vfio;
import org.vfio4j.VfioDevice;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.sim.SimulatedKernel;

/**
 * Config space as vfio-pci presents it: the header, the BARs the kernel virtualizes and answers
 * sizing for, the (absent) ROM, fields that are read-only or virtual, the command register's
 * INTx Disable, and the MSI and MSI-X capabilities whose Enable bits belong to SET_IRQS.
 */
final class ConfigChapter implements Chapter {

    @Override
    public String name() {
        return "config";
    }

    @Override
    public String summary() {
        return "config space virtualization: BARs and sizing, the ROM, MSI/MSI-X, dropped writes";
    }

    @Override
    public void run(PrintStream out) throws Exception {
        SimulatedKernel kernel = Bench.host(true).boot();
        Page page = new Page(out, kernel);
        page.title("vfio4j tour config: what vfio-pci shows of config space, and what it keeps to itself", true);
        try (Vfio vfio = Vfio.over(kernel); Arena arena = Arena.ofConfined()) {
            page.heading("Set up as in 'basics', open edu, and find its config region");
            page.code("... edu = group.openDevice(\"0000:00:03.0\"); PciConfig cfg = edu.config();");
            Bench.Setup setup = Bench.setUp(vfio);
            VfioDevice edu = setup.group().openDevice(Bench.EDU);
            page.skipCalls();
            PciConfig cfg = edu.config();
            page.calls();
            page.result("region 7 (CONFIG): %d bytes at fd offset 7 << 40, READ|WRITE, never MMAP", cfg.size());
            page.say("Every access goes through the kernel, which decides byte by byte what userspace sees and may",
                    "change: some bytes come from the device, some from the kernel's own copy (virtualized).");

            page.heading("Read the header");
            page.code("edu.readConfig(0, header);  // 64 bytes");
            MemorySegment h = arena.allocate(64);
            edu.readConfig(0, h);
            page.calls();
            page.result("vendor %04x device %04x, revision 0x%02x, class 0x%06x, subsystem %04x:%04x",
                    u16(h, VENDOR_ID), u16(h, DEVICE_ID), u8(h, REVISION_ID), u32(h, 0x08) >>> 8,
                    u16(h, SUBSYSTEM_VENDOR_ID), u16(h, SUBSYSTEM_ID));
            page.result("command 0x%04x (%s), status 0x%04x (CAP_LIST: capabilities from 0x%02x)",
                    u16(h, COMMAND), commandBits(u16(h, COMMAND)), u16(h, STATUS), u8(h, CAPABILITY_LIST));
            page.result("BAR0 0x%08x (%s), BAR1-5 0, ROM 0x%x, interrupt pin %d (INTA), line 0x%02x",
                    u32(h, BASE_ADDRESS_0), barKind(u32(h, BASE_ADDRESS_0)), u32(h, ROM_ADDRESS), u8(h, INTERRUPT_PIN),
                    u8(h, INTERRUPT_LINE));

            page.heading("The BARs are the kernel's: size BAR0 the way firmware does");
            page.code("cfg.write32(0x10, 0xffffffff); cfg.read32(0x10); cfg.write32(0x10, bar0); cfg.read32(0x10);");
            int bar0 = cfg.read32(BASE_ADDRESS_0);
            cfg.write32(BASE_ADDRESS_0, 0xffffffff);
            int sized = cfg.read32(BASE_ADDRESS_0);
            cfg.write32(BASE_ADDRESS_0, bar0);
            int restored = cfg.read32(BASE_ADDRESS_0);
            page.calls();
            page.result("0x%08x after all-ones: the size is ~0x%08x + 1 = 0x%x (1 MiB); 0x%08x again after the restore",
                    sized, sized & ~0xf, (~(sized & ~0xf)) + 1, restored);
            page.say("The host placed BAR0 and keeps it there: vfio-pci virtualizes the BAR registers, so these writes",
                    "reach only the kernel's copy, which answers sizing from the BAR's real size (vfio_bar_fixup).",
                    "The device never sees them, and its BAR stays where the host put it.");
            page.code("cfg.write32(0x14, 0xffffffff); cfg.read32(0x14);  // BAR1");
            cfg.write32(BASE_ADDRESS_1, 0xffffffff);
            int bar1 = cfg.read32(BASE_ADDRESS_1);
            page.calls();
            page.result("0x%08x: no size bits, so edu has no BAR1 (its region has size 0)", bar1);

            page.heading("The expansion ROM");
            page.code("cfg.write32(0x30, 0xfffff800); cfg.read32(0x30);");
            cfg.write32(ROM_ADDRESS, 0xfffff800);
            int rom = cfg.read32(ROM_ADDRESS);
            page.calls();
            page.result("0x%08x: edu has no option ROM; the ROM register is virtual too, and answers sizing with 0", rom);
            page.say("Mistake, on purpose: read the ROM region anyway (a device with a ROM answers its image here,",
                    "read-only)");
            page.code("pread(device_fd, buf, 4, ROM);  // 6 << 40");
            page.mistake(() -> vfio.seam().pread(edu.fd(), arena.allocate(4), (long) RegionIndex.ROM << 40));

            page.heading("Read-only fields and virtual ones: writes the kernel drops");
            page.code("cfg.write16(0x00, 0xbeef); cfg.write8(0x3d, 4); cfg.write8(0x3c, 0x42);  // read each back");
            cfg.write16(VENDOR_ID, 0xbeef);
            cfg.write8(INTERRUPT_PIN, 4);
            cfg.write8(INTERRUPT_LINE, 0x42);
            int vendor = cfg.read16(VENDOR_ID);
            int pin = cfg.read8(INTERRUPT_PIN);
            int line = cfg.read8(INTERRUPT_LINE);
            page.calls();
            page.result("vendor %04x, pin %d: dropped (read-only); line 0x%02x: kept, but only in the kernel's copy",
                    vendor, pin, line);
            page.say("Each pwrite returned its full count: a write to bytes userspace may not change is dropped",
                    "silently, not refused. The interrupt line is a note for software; the device never sees it.");

            page.heading("INTx Disable in the command register is virtual");
            page.code("EventNotifier intx = vfio.eventNotifier(); edu.enableIrq(IrqIndex.INTX, List.of(intx));",
                    "cfg.enableCommand(COMMAND_INTX_DISABLE);  pwrite(device_fd, &one, 4, BAR0 + 0x60);  // raise",
                    "cfg.read16(0x04); cfg.read16(0x06);");
            try (EventNotifier intx = vfio.eventNotifier()) {
                edu.enableIrq(IrqIndex.INTX, List.of(intx));
                cfg.enableCommand(COMMAND_INTX_DISABLE);
                Bench.write32(vfio, edu, QemuEdu.REG_IRQ_RAISE, 1);
                int command = cfg.read16(COMMAND);
                int status = cfg.read16(STATUS);
                page.calls();
                page.result("command 0x%04x (INTX_DISABLE set), status 0x%04x (INTERRUPT: edu asserts its line)",
                        command, status);
                page.say("The kernel keeps DisINTx in its copy and masks INTx itself: the interrupt edu raised signalled",
                        "no eventfd, and the trace says why. The status register still shows the line asserted.");
                cfg.disableCommand(COMMAND_INTX_DISABLE);
                Bench.write32(vfio, edu, QemuEdu.REG_IRQ_ACK, 1);
                edu.disableIrq(IrqIndex.INTX);
            }
            page.skipCalls();

            page.heading("The MSI capability: Enable belongs to VFIO_DEVICE_SET_IRQS");
            page.code("cfg.capabilities(); cfg.read16(0x42);  cfg.write16(0x42, 0x0081); cfg.read16(0x42);");
            List<PciCapability> caps = cfg.capabilities();
            int msi = offsetOf(caps, CAP_ID_MSI);
            int flags = cfg.read16(msi + MSI_FLAGS);
            cfg.write16(msi + MSI_FLAGS, flags | MSI_FLAGS_ENABLE);
            int afterWrite = cfg.read16(msi + MSI_FLAGS);
            page.calls();
            page.result("capabilities %s; MSI flags 0x%04x: 64-bit, %d vector, Enable clear; 0x%04x after the write",
                    names(caps), flags, 1 << ((flags & MSI_FLAGS_QMASK) >> 1), afterWrite);
            page.say("The Enable bit written while MSI is not enabled through the ioctl is dropped: the kernel must",
                    "program the message address and data itself, from the host's interrupt setup.");
            page.code("edu.enableIrq(IrqIndex.MSI, List.of(msi));",
                    "cfg.read32(0x44); cfg.read32(0x48); cfg.read16(0x4c);  // address low, high; data");
            try (EventNotifier n = vfio.eventNotifier()) {
                edu.enableIrq(IrqIndex.MSI, List.of(n));
                int addressLow = cfg.read32(msi + MSI_ADDRESS_LO);
                int addressHigh = cfg.read32(msi + MSI_ADDRESS_HI);
                int data = cfg.read16(msi + MSI_DATA_64);
                page.calls();
                page.result("address 0x%08x%08x, data 0x%04x: the message the host programmed stays hidden",
                        addressHigh, addressLow, data);
                edu.disableIrq(IrqIndex.MSI);
            }
            page.skipCalls();

            page.heading("The MSI-X capability of QEMU's NVMe controller: read-only to userspace");
            page.code("nvme = ... .openDevice(\"0000:00:04.0\"); ncfg = nvme.config(); ncfg.capabilities();",
                    "ncfg.read16(0x42); ncfg.read32(0x44); ncfg.read32(0x48);  // control, table, PBA",
                    "ncfg.write16(0x42, 0x8040); ncfg.read16(0x42);");
            VfioDevice nvme = Bench.openNvme(vfio, setup.container());
            PciConfig ncfg = nvme.config();
            page.skipCalls();
            List<PciCapability> ncaps = ncfg.capabilities();
            int msix = offsetOf(ncaps, CAP_ID_MSIX);
            int control = ncfg.read16(msix + MSIX_FLAGS);
            int table = ncfg.read32(msix + MSIX_TABLE);
            int pba = ncfg.read32(msix + MSIX_PBA);
            ncfg.write16(msix + MSIX_FLAGS, control | MSIX_FLAGS_ENABLE);
            int controlAfter = ncfg.read16(msix + MSIX_FLAGS);
            page.calls();
            page.result("capabilities %s", names(ncaps));
            page.result("MSI-X control 0x%04x: %d vectors; table at BAR%d+0x%x, PBA at BAR%d+0x%x; 0x%04x after the write",
                    control, (control & MSIX_FLAGS_QSIZE) + 1, table & 7, table & ~7, pba & 7, pba & ~7, controlAfter);
            page.code("nvme.enableIrq(IrqIndex.MSIX, List.of(vector0)); ncfg.read16(0x42);");
            try (EventNotifier n = vfio.eventNotifier()) {
                nvme.enableIrq(IrqIndex.MSIX, List.of(n));
                int enabled = ncfg.read16(msix + MSIX_FLAGS);
                page.calls();
                page.result("0x%04x: Enable is set now, by the kernel, which enabled MSI-X on the device for the ioctl", enabled);
                nvme.disableIrq(IrqIndex.MSIX);
            }
            page.skipCalls();
            page.say("vfio-pci gives userspace no write to the MSI-X capability: the ioctl enables it and programs the",
                    "table. A VMM such as QEMU shows its guest an emulated copy of both capabilities.");

            page.heading("Mistake, on purpose: read past the end of edu's 256-byte config space");
            page.code("cfg.read32(0x100);");
            page.mistake(() -> cfg.read32(0x100));
            page.say("EFAULT, not EINVAL: that is what vfio_config_do_rw returns for an access outside config space.");
            nvme.close();
            edu.close();
        }
        out.println();
        out.println("Config space through VFIO is a conversation with the kernel: it shows the device's identity,");
        out.println("keeps the BARs, the ROM and the interrupt setup to itself, and drops what userspace may not change.");
    }

    private static int offsetOf(List<PciCapability> caps, int id) {
        return caps.stream().filter(c -> c.id() == id).mapToInt(PciCapability::offset).findFirst()
                .orElseThrow(() -> new IllegalStateException("no capability 0x" + Integer.toHexString(id)));
    }

    /** The low bits of a BAR: I/O or memory, 32 or 64 bits wide, prefetchable or not. */
    private static String barKind(int bar) {
        if ((bar & 1) != 0) {
            return "I/O";
        }
        return ((bar & 6) == 4 ? "64-bit" : "32-bit") + " memory, " + ((bar & 8) != 0 ? "prefetchable" : "not prefetchable");
    }

    private static String commandBits(int command) {
        StringBuilder sb = new StringBuilder();
        String[] names = {"IO", "MEMORY", "MASTER"};
        for (int i = 0; i < names.length; i++) {
            if ((command & 1 << i) != 0) {
                sb.append(sb.isEmpty() ? "" : "|").append(names[i]);
            }
        }
        if ((command & COMMAND_SERR) != 0) {
            sb.append(sb.isEmpty() ? "" : "|").append("SERR");
        }
        if ((command & COMMAND_INTX_DISABLE) != 0) {
            sb.append(sb.isEmpty() ? "" : "|").append("INTX_DISABLE");
        }
        return sb.toString();
    }

    private static String names(List<PciCapability> caps) {
        return caps.stream().map(c -> switch (c.id()) {
            case CAP_ID_MSI -> "MSI";
            case CAP_ID_MSIX -> "MSI-X";
            case CAP_ID_EXP -> "PCIe";
            case CAP_ID_PM -> "PM";
            default -> String.format("0x%02x", c.id());
        } + String.format("@0x%02x", c.offset())).collect(Collectors.joining(", ", "[", "]"));
    }

    private static int u8(MemorySegment s, int at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    private static int u16(MemorySegment s, int at) {
        return s.get(ValueLayout.JAVA_SHORT_UNALIGNED, at) & 0xffff;
    }

    private static int u32(MemorySegment s, int at) {
        return s.get(ValueLayout.JAVA_INT_UNALIGNED, at);
    }
}
