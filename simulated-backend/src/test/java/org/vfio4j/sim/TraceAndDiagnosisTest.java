package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.vfio4j.EventNotifier;
import org.vfio4j.IommuType;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;

/**
 * The trace is a bounded ring (last N entries, global sequence numbers, dropped entries counted),
 * and the kernel's diagnosis of a silent eventfd names what happened to the interrupts it could
 * have received, in bounded memory however many there were.
 */
class TraceAndDiagnosisTest {
    static final String BDF = InterruptsTest.BDF;

    record World(SimulatedKernel kernel, Vfio vfio, VfioDevice device, InterruptsTest.Raiser model) {}

    static World boot(boolean msix, int traceCapacity, boolean busMaster) throws VfioException {
        InterruptsTest.Raiser model = new InterruptsTest.Raiser(msix);
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups().traceCapacity(traceCapacity)
                .group(4, HostDevice.ofInstance(BDF, model).boundTo(HostDevice.VFIO_PCI)).build();
        SimulatedKernel k = host.boot();
        Vfio vfio = Vfio.over(k);
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(4);
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        VfioDevice d = g.openDevice(BDF);
        int cmd = d.config().read16(0x04);
        d.config().write16(0x04, busMaster ? cmd | 0x4 : cmd & ~0x4);
        return new World(k, vfio, d, model);
    }

    @Test
    void ring_keepsTheLastEntriesWithTheirSequenceNumbersAndCountsTheDropped() throws Exception {
        World w = boot(false, 5, true);
        try (EventNotifier n = w.vfio().eventNotifier()) {
            long before = w.kernel().traceDropped() + w.kernel().trace().size();
            for (int i = 0; i < 20; i++) {
                n.signal(1);
            }
            List<TraceEntry> trace = w.kernel().trace();
            long total = before + 20;
            assertThat(trace).hasSize(5);
            assertThat(trace).extracting(TraceEntry::sequence).containsExactly(LongStream.rangeClosed(total - 4, total).boxed().toArray(Long[]::new));
            assertThat(trace).allSatisfy(e -> assertThat(e.call()).isEqualTo("write"));
            assertThat(w.kernel().traceDropped()).isEqualTo(total - 5);
            assertThat(w.kernel().traceText()).startsWith("... " + (total - 5) + " older entries dropped (trace capacity 5)\n#" + (total - 4) + " write");
            w.kernel().clearTrace();
            n.poll();
            assertThat(w.kernel().trace()).singleElement().satisfies(e -> assertThat(e.sequence()).as("numbers keep counting").isEqualTo(total + 1));
        }
    }

    @Test
    void capacityZero_recordsNothing_untilRecordTraceTurnsItOn() throws Exception {
        World w = boot(false, 0, true);
        try (EventNotifier n = w.vfio().eventNotifier()) {
            n.signal(1);
            assertThat(w.kernel().trace()).isEmpty();
            assertThat(w.kernel().traceDropped()).isZero();
            w.kernel().recordTrace(true);
            n.signal(1);
            assertThat(w.kernel().trace()).singleElement().satisfies(e -> assertThat(e.call()).isEqualTo("write"));
            w.kernel().recordTrace(false);
            n.signal(1);
            assertThat(w.kernel().trace()).hasSize(1);
        }
    }

    @Test
    void defaultCapacity_isBounded() {
        assertThat(SimulatedHost.x86Type1().traceCapacity()).isEqualTo(SimulatedHost.DEFAULT_TRACE_CAPACITY).isPositive();
    }

    /** Many loop-back triggers: the trace keeps at most its capacity, and everything else was counted as dropped. */
    @Test
    void soakOfLoopBackTriggers_keepsTheTraceBounded() throws Exception {
        World w = boot(false, SimulatedHost.DEFAULT_TRACE_CAPACITY, true);
        try (EventNotifier n = w.vfio().eventNotifier(); Arena arena = Arena.ofConfined()) {
            w.device().enableIrq(VFIO_PCI_MSI_IRQ_INDEX, List.of(n));
            MemorySegment trigger = arena.allocate(20);
            trigger.set(ValueLayout.JAVA_INT, 0, 20);
            trigger.set(ValueLayout.JAVA_INT, 4, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
            trigger.set(ValueLayout.JAVA_INT, 8, VFIO_PCI_MSI_IRQ_INDEX);
            trigger.set(ValueLayout.JAVA_INT, 16, 1);
            int triggers = Integer.getInteger("vfio4j.soak.triggers", 200_000); // 20 times the capacity; -D...=1000000 for the long soak
            for (int i = 0; i < triggers; i++) {
                w.vfio().seam().ioctl(w.device().fd(), VFIO_DEVICE_SET_IRQS, trigger);
            }
            assertThat(n.poll()).hasValue(triggers);
            List<TraceEntry> trace = w.kernel().trace();
            assertThat(trace).hasSize(SimulatedHost.DEFAULT_TRACE_CAPACITY);
            assertThat(w.kernel().traceDropped()).as("a call and its event per trigger, all but the last 10 000 dropped")
                    .isGreaterThanOrEqualTo(2L * triggers - SimulatedHost.DEFAULT_TRACE_CAPACITY);
            assertThat(trace.get(trace.size() - 2).event()).as("the trigger's event").isTrue();
            assertThat(trace.get(trace.size() - 2).cause()).isEqualTo(trace.get(trace.size() - 3).sequence());
        }
    }

    /** A million suppressed messages: one counted note, and a diagnosis naming bus mastering. */
    @Test
    void soakOfSuppressedMessages_isOneCountedNoteInTheDiagnosis() throws Exception {
        World w = boot(true, 100, false);
        try (EventNotifier n = w.vfio().eventNotifier()) {
            w.device().enableIrq(VFIO_PCI_MSIX_IRQ_INDEX, List.of(n));
            for (int i = 0; i < 1_000_000; i++) {
                w.model().context.signalMsi(0);
            }
            assertThat(w.kernel().trace()).hasSize(100);
            assertThat(w.kernel().diagnose(n.fd())).hasValue("MSI-X vector 0 of " + BDF + " was raised 1000000 times and dropped: bus"
                    + " mastering is off (PCI_COMMAND_MASTER clear in the command register), so the message, a memory write, is never sent");
        }
    }

    @Test
    void diagnosis_namesMaskedVectorsIndexesNotEnabledAndUnboundEventfds() throws Exception {
        World w = boot(true, 1000, true);
        try (EventNotifier v0 = w.vfio().eventNotifier(); EventNotifier stray = w.vfio().eventNotifier()) {
            assertThat(w.kernel().diagnose(stray.fd())).hasValue("it is bound to no interrupt: no VFIO_DEVICE_SET_IRQS with DATA_EVENTFD"
                    + " names it");
            w.model().context.signalMsi(0); // nothing enabled yet
            w.device().setIrqEventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, java.util.Arrays.asList(v0, null));
            assertThat(w.kernel().diagnose(v0.fd()).orElseThrow()).contains("MSI vector 0 of " + BDF + " was raised 1 time and dropped:"
                    + " neither MSI nor MSI-X is enabled (no interrupt index is enabled)");
            w.model().context.signalMsi(1); // allocated, no eventfd: masked by the kernel
            w.model().context.signalMsi(7); // not allocated
            String d = w.kernel().diagnose(v0.fd()).orElseThrow();
            assertThat(d).contains("MSI-X vector 1 of " + BDF + " was raised 1 time and held pending: no eventfd is bound to the vector");
            assertThat(d).contains("MSI-X vector 7 of " + BDF + " was raised 1 time and dropped: the vector is not enabled (2 MSI-X vectors are)");
            MemorySegment bar = w.kernel().mmap(w.device().fd(), 0, 0x2000, 3, 1);
            bar.set(ValueLayout.JAVA_INT, 0x1000 + 12, 1); // mask vector 0 in the table
            w.model().context.signalMsi(0);
            assertThat(v0.poll()).isEmpty();
            assertThat(w.kernel().diagnose(v0.fd()).orElseThrow()).contains("MSI-X vector 0 of " + BDF + " was raised 1 time and held"
                    + " pending: the vector is masked (the Mask bit of its MSI-X table entry)");
            assertThat(w.kernel().traceText()).contains("MSI-X vector 0 of device " + BDF + ": held pending: the vector is masked");
        }
    }

    @Test
    void diagnosis_ofAnEventfdThatGotEverySignal_saysWhereItIsBound() throws Exception {
        World w = boot(false, 1000, true);
        try (EventNotifier v0 = w.vfio().eventNotifier()) {
            w.device().enableIrq(VFIO_PCI_MSI_IRQ_INDEX, List.of(v0));
            w.model().context.signalMsi(0);
            assertThat(v0.poll()).hasValue(1);
            assertThat(w.kernel().diagnose(v0.fd())).hasValue("it is bound to MSI vector 0 of " + BDF + " and no interrupt routed there"
                    + " was dropped or held back: the device raised none since; the 1 signal it got before was read");
        }
    }

    /** A read blocked on an eventfd keeps the place it started at; an event names the call that caused it, never the blocked read. */
    @Test
    void blockedRead_keepsItsPlace_andEventsNameTheCallThatCausedThem() throws Exception {
        World w = boot(false, 1000, true);
        try (EventNotifier n = w.vfio().eventNotifier(); EventNotifier other = w.vfio().eventNotifier()) {
            w.device().enableIrq(VFIO_PCI_MSI_IRQ_INDEX, List.of(n, other));
            w.kernel().clearTrace();
            long[] got = new long[1];
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    got[0] = n.await();
                } catch (VfioException e) {
                    throw new AssertionError(e);
                }
            });
            while (reader.isAlive() && reader.getState() != Thread.State.WAITING) {
                Thread.sleep(1);
            }
            w.model().context.signalMsi(1); // the device on its own while the read waits: caused by no call
            w.device().triggerIrq(VFIO_PCI_MSI_IRQ_INDEX, 0, 1);
            reader.join(5000);
            assertThat(got[0]).isEqualTo(1);
            List<TraceEntry> trace = w.kernel().trace();
            TraceEntry read = trace.stream().filter(e -> e.call().equals("read")).findFirst().orElseThrow();
            TraceEntry trigger = trace.stream().filter(e -> e.call().equals("VFIO_DEVICE_SET_IRQS")).findFirst().orElseThrow();
            TraceEntry own = trace.stream().filter(e -> e.call().equals("MSI vector 1")).findFirst().orElseThrow();
            TraceEntry looped = trace.stream().filter(e -> e.call().equals("MSI vector 0")).findFirst().orElseThrow();
            assertThat(read.sequence()).as("the read started first").isLessThan(own.sequence()).isLessThan(trigger.sequence());
            assertThat(trace.indexOf(read)).as("and is listed at its place").isLessThan(trace.indexOf(own));
            assertThat(own.cause()).as("not the blocked read").isZero();
            assertThat(looped.cause()).as("the loop-back trigger").isEqualTo(trigger.sequence());
        }
    }
}
