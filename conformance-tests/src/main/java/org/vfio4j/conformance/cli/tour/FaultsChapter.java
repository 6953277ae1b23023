package org.vfio4j.conformance.cli.tour;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.vfio4j.DeviceInfo;
import org.vfio4j.Errno;
import org.vfio4j.EventNotifier;
import org.vfio4j.IommuType;
import org.vfio4j.IrqIndex;
import org.vfio4j.PciAddress;
import org.vfio4j.PciConfig;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.sim.Call;
import org.vfio4j.sim.Fault;
import org.vfio4j.sim.KernelResources;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.device.IommuFault;

/**
 * Fault injection with QEMU's edu and NVMe controller: each kind of {@link Fault} as the real event
 * it models and what a driver sees of it (the errno and the simulator's sentence, an eventfd that
 * fires, registers that read all ones), that a failed call leaves nothing half done, and why
 * faults are values: a plan a property generates and shrinks.
 */
final class FaultsChapter implements Chapter {
    private static final PciAddress EDU = PciAddress.parse(Bench.EDU);
    private static final PciAddress NVME = PciAddress.parse(Bench.NVME);
    private static final long IOVA = 0x100000;

    @Override
    public String name() {
        return "faults";
    }

    @Override
    public String summary() {
        return "fault injection: failed pins and opens, DMA faults, REQ, AER, removal, a failed reset";
    }

    @Override
    public void run(PrintStream out) throws Exception {
        SimulatedKernel kernel = Bench.host(true).boot();
        Page page = new Page(out, kernel);
        page.title("vfio4j tour faults: the simulated host misbehaves on request, as real hosts do", true);
        try (Vfio vfio = Vfio.over(kernel); Arena arena = Arena.ofShared()) {
            page.heading("Arm a fault: the next open of a group fails with EBUSY");
            page.code("VfioContainer container = vfio.openContainer();",
                    "kernel.inject(Fault.failing(Call.OPEN_GROUP, 1, Errno.EBUSY));  // kernel: Vfio.over(kernel)",
                    "vfio.openGroup(3);");
            VfioContainer container = vfio.openContainer();
            page.skipCalls();
            kernel.inject(Fault.failing(Call.OPEN_GROUP, 1, Errno.EBUSY));
            page.mistake(() -> vfio.openGroup(Bench.EDU_GROUP));
            page.say("A fault is a value: 'the 1st open of a group node fails with EBUSY', counted from inject;",
                    "the SimulatedKernel under the Vfio arms it (a real kernel has no inject, of course).",
                    "The real event: another process (a QEMU, a second copy of the driver) holds the group open;",
                    "a group has one owner at a time. The trace names the fault where it fired, and the error",
                    "says 'injected fault', so it is never mistaken for a rule of the kernel.");
            page.code("vfio.openGroup(3);  // each fault fires once: the retry works");
            VfioGroup group = vfio.openGroup(Bench.EDU_GROUP);
            page.calls();
            group.setContainer(container);
            container.setIommu(IommuType.TYPE1V2);
            page.skipCalls();

            page.heading("GET_DEVICE_FD fails with ENODEV: the device is being unbound right now");
            page.code("... group.setContainer(container); container.setIommu(IommuType.TYPE1V2);",
                    "kernel.inject(Fault.failing(Call.GET_DEVICE_FD, 1, Errno.ENODEV));",
                    "group.openDevice(\"0000:00:03.0\");");
            kernel.inject(Fault.failing(Call.GET_DEVICE_FD, 1, Errno.ENODEV));
            page.mistake(() -> group.openDevice(Bench.EDU));
            page.say("The real event: an administrator unbinds the device from vfio-pci (or it is hot-removed)",
                    "between the driver listing the group and asking for the device. The kernel no longer finds",
                    "it by name. A driver reports 'device gone' rather than retrying forever; here it is back.");
            page.code("VfioDevice edu = group.openDevice(\"0000:00:03.0\");  // the fault fired; this one works");
            VfioDevice edu = group.openDevice(Bench.EDU);
            page.calls();

            page.heading("A page that cannot be pinned: MAP_DMA fails with ENOMEM, and nothing is half mapped");
            page.code("kernel.inject(Fault.failing(Call.PIN_PAGE, 3, Errno.ENOMEM));  // the 3rd page pin from now",
                    "container.mapDma(buf, 0x100000);  // buf: 4 pages (16 KiB)");
            MemorySegment buf = arena.allocate(0x4000, 4096);
            kernel.inject(Fault.failing(Call.PIN_PAGE, 3, Errno.ENOMEM));
            VfioException noMemory = page.mistake(() -> container.mapDma(buf, IOVA));
            page.say("The real event: the kernel cannot fault in or lock one of the pages (memory pressure, a",
                    "cgroup's limit). MAP_DMA pins page after page; when one fails, the kernel unpins those it",
                    "pinned and removes the half-built mapping, so the driver can simply report the error.");
            page.code("catch (VfioException e) { e.errno(); e.getMessage(); }");
            page.result("%s; getMessage(): %s", noMemory.errno().name(), noMemory.getMessage());
            page.code("kernel.resources().dmaMappings();  kernel.lockedPages();");
            KernelResources left = kernel.resources();
            page.result("%d mappings, %d locked pages: the two pages pinned before the failure were released",
                    left.dmaMappings().size(), kernel.lockedPages());
            page.code("container.mapDma(buf, 0x100000);  kernel.lockedPages();");
            container.mapDma(buf, IOVA);
            page.calls();
            page.result("%d locked pages: the same call works now", kernel.lockedPages());

            page.heading("A DMA the IOMMU refuses although it is mapped");
            page.code("edu.config().enableMemoryAndBusMaster();  edu.enableIrq(IrqIndex.MSI, List.of(done));",
                    "edu copies 32 bytes of buf into its buffer (source 0x100000, destination 0x40000, RUN|IRQ);",
                    "kernel.inject(Fault.dmaFault(PciAddress.parse(\"0000:00:03.0\")));  // its next DMA",
                    "edu copies them back to buf + 0x100 (source 0x40000, destination 0x100100, RUN|TO_HOST|IRQ)");
            edu.config().enableMemoryAndBusMaster();
            EventNotifier done = vfio.eventNotifier();
            edu.enableIrq(IrqIndex.MSI, List.of(done));
            buf.setString(0, "hello from host memory", StandardCharsets.US_ASCII);
            Bench.transfer(vfio, edu, done, IOVA, QemuEdu.DMA_BUFFER, false);
            page.skipCalls();
            kernel.inject(Fault.dmaFault(EDU));
            Bench.transfer(vfio, edu, done, QemuEdu.DMA_BUFFER, IOVA + 0x100, true);
            page.eventsAndFailures();
            page.code("buf.getString(0x100);  kernel.iommuFaults();");
            page.result("buf at 0x100 reads \"%s\": the copy never arrived", buf.getString(0x100, StandardCharsets.US_ASCII));
            for (IommuFault f : kernel.iommuFaults()) {
                page.result("%s %s of %d bytes at IOVA 0x%x: %s", f.device(), f.write() ? "write" : "read", f.length(), f.iova(),
                        f.reason());
            }
            page.say("The real event: the IOMMU reports a fault for a mapped address (a mapping torn down under",
                    "the device, a hardware error). No call fails: the program gets no errno, the host logs the",
                    "fault (dmesg), and the device finishes as it can. edu still interrupts; the data is missing.",
                    "A completion alone proves nothing: real devices report such an error in a status register",
                    "(edu has none), and a driver checks it.");

            page.heading("The host asks for the device back: the REQ eventfd fires");
            page.code("EventNotifier req = vfio.eventNotifier();  edu.enableIrq(IrqIndex.REQ, List.of(req));",
                    "kernel.inject(Fault.unplugRequest(PciAddress.parse(\"0000:00:03.0\")));  req.poll();");
            EventNotifier req = vfio.eventNotifier();
            edu.enableIrq(IrqIndex.REQ, List.of(req));
            page.skipCalls();
            kernel.inject(Fault.unplugRequest(EDU));
            var requested = req.poll();
            page.calls();
            page.result("%s on REQ: the driver should stop using the device and close it",
                    requested.isPresent() ? requested.getAsLong() + " signal" : "no signal");
            page.say("The real event: someone unbinds the device from vfio-pci or presses a hot-unplug button.",
                    "vfio-pci cannot take the device from a process: it asks, through REQ, and waits for the close.");

            page.heading("AER reports an error: the ERR eventfd fires (a PCI Express function only)");
            page.code("edu.irqInfo(IrqIndex.ERR);");
            page.mistake(() -> edu.irqInfo(IrqIndex.ERR));
            page.code("VfioDevice nvme = ... openDevice(\"0000:00:04.0\");  // QEMU's NVMe: PCIe, group 4",
                    "nvme.enableIrq(IrqIndex.ERR, List.of(err));",
                    "kernel.inject(Fault.aerError(PciAddress.parse(\"0000:00:04.0\")));  err.poll();");
            VfioDevice nvme = Bench.openNvme(vfio, container);
            EventNotifier err = vfio.eventNotifier();
            nvme.enableIrq(IrqIndex.ERR, List.of(err));
            page.skipCalls();
            kernel.inject(Fault.aerError(NVME));
            var reported = err.poll();
            page.calls();
            page.result("%s on ERR; the controller keeps working", reported.isPresent() ? reported.getAsLong() + " signal" : "no signal");
            page.say("The real event: the PCIe link or the function reports an uncorrectable error; the kernel's",
                    "AER driver tells vfio-pci, which signals ERR. A hypervisor passes it to its guest; a driver",
                    "stops issuing work, checks the device, and resets it or gives up.");

            page.heading("A reset that does not come back: VFIO_DEVICE_RESET fails with ENOTTY");
            page.code("edu.info().canReset();  nvme.info().canReset();");
            DeviceInfo eduInfo = edu.info();
            DeviceInfo nvmeInfo = nvme.info();
            page.skipCalls();
            page.result("edu %s, NVMe %s: edu has no way to be reset; the NVMe controller has FLR",
                    eduInfo.canReset(), nvmeInfo.canReset());
            page.code("kernel.inject(Fault.failedReset(1));  nvme.reset();");
            kernel.inject(Fault.failedReset(1));
            page.mistake(nvme::reset);
            page.say("The real event: the function was reset but does not answer config reads within the PCI core's",
                    "wait. The driver cannot trust the device's state; it may try again, or give the device up.");
            page.code("nvme.reset();  // the fault fired once: the next reset works");
            nvme.reset();
            page.calls();

            page.heading("Surprise removal: edu is pulled out while the program has it open");
            page.code("PciConfig config = edu.config();",
                    "kernel.inject(Fault.surpriseRemoval(PciAddress.parse(\"0000:00:03.0\")));  req.poll();",
                    "pread(device_fd, &v, 4, BAR0 + 0x0);  // edu's identification register",
                    "config.read16(0x00);  config.read32(0x08);  // vendor ID; class and revision");
            PciConfig config = edu.config();
            page.skipCalls();
            kernel.inject(Fault.surpriseRemoval(EDU));
            var removed = req.poll();
            page.calls();
            int id = Bench.read32(vfio, edu, QemuEdu.REG_ID);
            int vendor = config.read16(0x00);
            int classRevision = config.read32(0x08);
            page.calls();
            page.result("%s on REQ; identification 0x%08x (was 0x010000ed); vendor 0x%04x; class and revision 0x%08x",
                    removed.isPresent() ? removed.getAsLong() + " signal" : "no signal", id, vendor, classRevision);
            page.say("Reads of absent hardware answer all ones, and no call fails: the only sign is the value.",
                    "vfio-pci answers the bytes of config space it keeps a copy of (the IDs, the BARs) from that",
                    "copy, so a vendor ID still looks fine. A driver checks a register that cannot be all ones.");
            page.code("edu.close();  group.openDevice(\"0000:00:03.0\");");
            done.close();
            req.close();
            edu.close();
            page.skipCalls();
            page.mistake(() -> group.openDevice(Bench.EDU));
            page.say("With its last fd closed, vfio-pci finishes unregistering the device: it cannot be opened",
                    "again until it is plugged back in. (While an fd was open, another GET_DEVICE_FD would still",
                    "have worked, on the same absent hardware.)");

            page.heading("What fired, and what is still armed");
            page.code("kernel.firedFaults();  kernel.pendingFaults();");
            for (Fault f : kernel.firedFaults()) {
                page.result("fired: %s", f);
            }
            page.result("pending: %s", kernel.pendingFaults());
            page.say("Two faults are a host's shape rather than events: SimulatedHost.Builder.iommuAddressWidth(39)",
                    "(an IOMMU of 39 bits, as on many VT-d parts: a MAP_DMA above it is EINVAL) and dmaEntryLimit(n)",
                    "(the MAP_DMA past n mappings is ENOSPC). docs/simulator.md lists every fault with its real event.");
            err.close();
            nvme.close();
        }

        page.heading("Why faults are values: a property generates a plan, and shrinks the one that fails");
        page.say("A plan is a List<Fault> that reads as what happens; SimulatedHost.Builder.faults(plan) arms it",
                "in every kernel the host boots, so a run under a plan replays exactly. A jqwik property",
                "generates plans, runs the driver under each and checks what it leaves (kernel.resources());",
                "when one fails, jqwik shrinks the plan to the fewest faults that still fail. Here the same by",
                "hand, for an attach that maps a DMA page, then binds MSI, and forgets to unmap when that fails.");
        List<Fault> plan = List.of(Fault.failing(Call.REGION_READ, 4, Errno.EIO), Fault.failing(Call.SET_IRQS, 1, Errno.EINVAL),
                Fault.failing(Call.PIN_PAGE, 2, Errno.ENOMEM));
        page.code("List<Fault> plan = List.of(Fault.failing(Call.REGION_READ, 4, Errno.EIO),",
                "        Fault.failing(Call.SET_IRQS, 1, Errno.EINVAL), Fault.failing(Call.PIN_PAGE, 2, Errno.ENOMEM));",
                "leaks(plan): boot edu's host with .faults(plan), attach, detach; kernel.resources().dmaMappings()",
                "shrink: drop one fault at a time while the smaller plan still leaks");
        List<KernelResources.DmaRange> leak = leaks(plan);
        page.result("%s leaves %s", plan, leak);
        List<Fault> shrunk = shrink(plan);
        page.result("shrunk to %s, which leaves %s", shrunk, leaks(shrunk));
        page.say("The faults that do not matter fall away; the one left is the bug's trigger. The property itself",
                "is in docs/testing-drivers.md, section 7; the example module fixtures/examples/edu-driver keeps",
                "this bug (ForgetfulAttach) and FaultInjectionFindsTheBugTest, where jqwik finds and shrinks it.");

        out.println();
        out.println("Faults in VFIO: a call fails with an errno and leaves nothing half done, or an eventfd fires (REQ,");
        out.println("ERR), or reads answer all ones; the simulator injects each on purpose and the trace names it.");
    }

    /** The smallest plan found by dropping one fault at a time from {@code plan} while the run under it still leaks. */
    private static List<Fault> shrink(List<Fault> plan) throws Exception {
        List<Fault> current = plan;
        for (boolean smaller = true; smaller; ) {
            smaller = false;
            for (int i = 0; i < current.size() && !smaller; i++) {
                List<Fault> without = new ArrayList<>(current);
                without.remove(i);
                if (!leaks(without).isEmpty()) {
                    current = List.copyOf(without);
                    smaller = true;
                }
            }
        }
        return current;
    }

    /**
     * Boots edu's host with {@code plan}, attaches and detaches with {@link #forgetfulAttach}, and
     * returns the DMA mappings left behind (none for a correct driver, whatever fails).
     */
    private static List<KernelResources.DmaRange> leaks(List<Fault> plan) throws Exception {
        SimulatedKernel kernel = Bench.host(false).toBuilder().faults(plan).build().boot();
        try (Vfio vfio = Vfio.over(kernel); Arena arena = Arena.ofShared()) { // closing vfio closes the kernel
            kernel.recordTrace(false);
            try {
                Bench.Setup setup = Bench.setUp(vfio);
                try (VfioDevice edu = setup.group().openDevice(Bench.EDU)) {
                    forgetfulAttach(vfio, setup.container(), edu, arena);
                }
            } catch (VfioException failed) {
                // the driver reported the failure; what matters is what it leaves behind
            }
            return kernel.resources().dmaMappings();
        }
    }

    /**
     * An attach with a bug: it maps a DMA page, checks that MSI can be bound, and forgets the
     * mapping when that fails; on success it undoes both.
     */
    private static void forgetfulAttach(Vfio vfio, VfioContainer container, VfioDevice edu, Arena arena) throws VfioException {
        MemorySegment page = arena.allocate(4096, 4096);
        container.mapDma(page, IOVA);
        try (EventNotifier irq = vfio.eventNotifier()) {
            edu.enableIrq(IrqIndex.MSI, List.of(irq)); // on failure, the mapping stays: container.unmapDma belongs in a catch
            edu.disableIrq(IrqIndex.MSI);
        }
        container.unmapDma(IOVA, page.byteSize());
    }
}
