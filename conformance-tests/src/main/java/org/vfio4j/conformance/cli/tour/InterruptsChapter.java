package org.vfio4j.conformance.cli.tour;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.vfio4j.EventNotifier;
import org.vfio4j.IrqIndex;
import org.vfio4j.IrqInfo;
import org.vfio4j.PciRegisters;
import org.vfio4j.Vfio;
import org.vfio4j.VfioDevice;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.sim.SimulatedKernel;

/**
 * Interrupts on QEMU's edu: what GET_IRQ_INFO offers, INTx with the kernel's automask and the
 * unmask a driver owes it, MSI and bus mastering, a factorial that interrupts when it is done,
 * loop-back triggers, and what becomes of an interrupt with no eventfd.
 */
final class InterruptsChapter implements Chapter {
    /** Long enough for a wait that must time out to show its diagnosis, short enough to keep the chapter quick. */
    private static final Duration SHORT_WAIT = Duration.ofMillis(20);
    /** edu's work takes 1 ms on the simulated host; this bounds a wait that must succeed. */
    private static final Duration WAIT = Duration.ofSeconds(2);

    @Override
    public String name() {
        return "interrupts";
    }

    @Override
    public String summary() {
        return "INTx and its automask, MSI, eventfds, loop-back triggers, an interrupt with no eventfd";
    }

    @Override
    public void run(PrintStream out) throws Exception {
        SimulatedKernel kernel = Bench.host(false).boot();
        Page page = new Page(out, kernel);
        page.title("vfio4j tour interrupts: how edu's interrupts reach a program through eventfds", true);
        try (Vfio vfio = Vfio.over(kernel)) {
            page.heading("Set up as in 'basics', open edu, and ask what interrupts it has");
            page.code("... edu = group.openDevice(\"0000:00:03.0\");",
                    "for (int i = 0; i < IrqIndex.COUNT; i++) edu.irqInfo(i);");
            VfioDevice edu = Bench.setUp(vfio).group().openDevice(Bench.EDU);
            page.skipCalls();
            IrqInfo intxInfo = edu.irqInfo(IrqIndex.INTX);
            IrqInfo msiInfo = edu.irqInfo(IrqIndex.MSI);
            edu.irqInfo(IrqIndex.MSIX);
            page.calls();
            page.mistake(() -> edu.irqInfo(IrqIndex.ERR));
            edu.irqInfo(IrqIndex.REQ);
            page.calls();
            page.result("INTx: %d line, maskable=%s, automasked=%s; MSI: %d vector; no MSI-X (count 0); no ERR (edu is"
                    + " no PCIe function); REQ: the kernel's request to release the device", intxInfo.count(),
                    intxInfo.maskable(), intxInfo.automasked(), msiInfo.count());
            page.say("Each interrupt reaches userspace as a signal on an eventfd: an 8-byte counter the kernel adds",
                    "to and the program reads (and clears), or waits for with poll.");

            page.heading("INTx: bind an eventfd, let edu interrupt, read the eventfd");
            page.code("EventNotifier intx = vfio.eventNotifier(); edu.enableIrq(IrqIndex.INTX, List.of(intx));",
                    "pwrite(device_fd, &one, 4, BAR0 + 0x60);  // edu: raise an interrupt",
                    "intx.expectSignal(Duration.ofSeconds(2));");
            EventNotifier intx = vfio.eventNotifier();
            edu.enableIrq(IrqIndex.INTX, List.of(intx));
            Bench.write32(vfio, edu, QemuEdu.REG_IRQ_RAISE, 1);
            long count = intx.expectSignal(WAIT);
            page.calls();
            page.result("the eventfd counted %d interrupt; edu still asserts its line until the driver acknowledges", count);
            page.say("INTx is a level: a line that stays asserted would interrupt the host forever. So the kernel",
                    "masks INTx each time it fires (AUTOMASKED), and the driver unmasks it once the device is quiet.");

            page.heading("Mistake, on purpose: acknowledge edu but forget to unmask");
            page.code("pwrite(device_fd, &one, 4, BAR0 + 0x64);  // acknowledge",
                    "pwrite(device_fd, &one, 4, BAR0 + 0x60);  // the next interrupt",
                    "intx.expectSignal(Duration.ofMillis(20));");
            Bench.write32(vfio, edu, QemuEdu.REG_IRQ_ACK, 1);
            Bench.write32(vfio, edu, QemuEdu.REG_IRQ_RAISE, 1);
            page.mistake(() -> intx.expectSignal(SHORT_WAIT));
            page.code("edu.unmaskIntx();  intx.expectSignal(Duration.ofSeconds(2));");
            edu.unmaskIntx();
            long again = intx.expectSignal(WAIT);
            page.calls();
            page.result("%d: unmasking a line that is still asserted signals at once, and masks it again", again);
            page.code("pwrite(device_fd, &one, 4, BAR0 + 0x64);  edu.unmaskIntx();  // device first, then line");
            Bench.write32(vfio, edu, QemuEdu.REG_IRQ_ACK, 1);
            edu.unmaskIntx();
            page.calls();

            page.heading("Mistake, on purpose: enable MSI while INTx is enabled, and ask MSI for 2 vectors");
            page.code("edu.enableIrq(IrqIndex.MSI, List.of(msi));");
            EventNotifier msi = vfio.eventNotifier();
            page.mistake(() -> edu.enableIrq(IrqIndex.MSI, List.of(msi)));
            page.code("edu.disableIrq(IrqIndex.INTX);  edu.enableIrq(IrqIndex.MSI, List.of(msi, msi));");
            edu.disableIrq(IrqIndex.INTX);
            page.mistake(() -> edu.enableIrq(IrqIndex.MSI, List.of(msi, msi)));
            page.say("A function uses one interrupt mode at a time; each index offers the vectors GET_IRQ_INFO counts.");

            page.heading("MSI: one vector, and a mistake on purpose: bus mastering is off");
            page.code("edu.enableIrq(IrqIndex.MSI, List.of(msi));  pwrite(device_fd, &one, 4, BAR0 + 0x60);",
                    "msi.expectSignal(Duration.ofMillis(20));");
            edu.enableIrq(IrqIndex.MSI, List.of(msi));
            Bench.write32(vfio, edu, QemuEdu.REG_IRQ_RAISE, 1);
            page.mistake(() -> msi.expectSignal(SHORT_WAIT));
            Bench.write32(vfio, edu, QemuEdu.REG_IRQ_ACK, 1);
            page.calls();
            page.say("An MSI is a memory write by the device: without PCI_COMMAND_MASTER it never leaves the device.");

            page.heading("MSI with bus mastering: a factorial that interrupts when it is done");
            page.code("edu.config().enableCommand(PciRegisters.COMMAND_MASTER);",
                    "pwrite(device_fd, &0x80, 4, BAR0 + 0x20);  // status: interrupt when a factorial is done",
                    "pwrite(device_fd, &10, 4, BAR0 + 0x08);    // compute 10!",
                    "msi.expectSignal(Duration.ofSeconds(2));  pread(device_fd, &result, 4, BAR0 + 0x08);");
            var config = edu.config();
            page.skipCalls();
            config.enableCommand(PciRegisters.COMMAND_MASTER);
            Bench.write32(vfio, edu, QemuEdu.REG_STATUS, QemuEdu.STATUS_IRQ_FACTORIAL);
            Bench.write32(vfio, edu, QemuEdu.REG_FACTORIAL, 10);
            long done = msi.expectSignal(WAIT);
            int factorial = Bench.read32(vfio, edu, QemuEdu.REG_FACTORIAL);
            int reason = Bench.read32(vfio, edu, QemuEdu.REG_IRQ_STATUS);
            Bench.write32(vfio, edu, QemuEdu.REG_IRQ_ACK, reason);
            page.calls();
            page.result("%d message; 10! = %d; interrupt status 0x%x (a factorial finished), acknowledged",
                    done, factorial, reason);
            page.say("The message came from edu's own timer (1 ms after the write here), not from a system call: it",
                    "names no call it happened in. MSI needs no unmask: a message is an edge, not a level.");

            page.heading("Loop-back: trigger the eventfd without the device");
            page.code("edu.triggerIrq(IrqIndex.MSI, 0, 1);  msi.poll();");
            edu.triggerIrq(IrqIndex.MSI, 0, 1);
            var polled = msi.poll();
            page.calls();
            page.result("%s: DATA_NONE with ACTION_TRIGGER signals the vector's eventfd as if the device had"
                    + " interrupted, which is how a program tests its handler", polled.isPresent() ? polled.getAsLong() + " signal" : "nothing");

            page.heading("An interrupt with no eventfd");
            page.code("edu.setIrqEventfds(IrqIndex.MSI, 0, Arrays.asList((EventNotifier) null));  // fd -1: unbind",
                    "pwrite(device_fd, &one, 4, BAR0 + 0x60);  msi.poll();");
            edu.setIrqEventfds(IrqIndex.MSI, 0, Arrays.asList((EventNotifier) null));
            Bench.write32(vfio, edu, QemuEdu.REG_IRQ_RAISE, 1);
            var lost = msi.poll();
            page.calls();
            page.result("%s: the vector has no eventfd, so the kernel keeps it masked and the message pending",
                    lost.isPresent() ? lost.getAsLong() + " signal" : "nothing");
            page.code("edu.setIrqEventfds(IrqIndex.MSI, 0, List.of(msi));  msi.poll();");
            edu.setIrqEventfds(IrqIndex.MSI, 0, List.of(msi));
            var delivered = msi.poll();
            page.calls();
            page.result("%s: binding an eventfd unmasks the vector, and the pending message is delivered",
                    delivered.isPresent() ? delivered.getAsLong() + " signal" : "nothing");
            page.code("pwrite(device_fd, &one, 4, BAR0 + 0x64);  edu.disableIrq(IrqIndex.MSI);",
                    "pwrite(device_fd, &one, 4, BAR0 + 0x60);");
            Bench.write32(vfio, edu, QemuEdu.REG_IRQ_ACK, 1);
            edu.disableIrq(IrqIndex.MSI);
            Bench.write32(vfio, edu, QemuEdu.REG_IRQ_RAISE, 1);
            page.calls();
            page.say("With MSI disabled, edu falls back to INTx, which nobody enabled: no eventfd hears it. The",
                    "simulator's trace says so; a real kernel says nothing.");
            msi.close();
            intx.close();
            edu.close();
        }
        out.println();
        out.println("Interrupts in VFIO: SET_IRQS binds eventfds to an index's vectors; INTx must be unmasked after each");
        out.println("interrupt, MSI needs bus mastering, and the trace says what became of every interrupt.");
    }
}
