package org.vfio4j.conformance.cli.bench;

import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_SET_IRQS;
import static org.vfio4j.uapi.VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER;
import static org.vfio4j.uapi.VfioUapi.VFIO_IRQ_SET_DATA_NONE;
import static org.vfio4j.uapi.VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.vfio4j.EventNotifier;
import org.vfio4j.Vfio;
import org.vfio4j.VfioDevice;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.spi.Fd;

/**
 * A loop-back interrupt seen by a thread blocked on the eventfd: one thread triggers MSI-X vector 0
 * through VFIO_DEVICE_SET_IRQS (DATA_NONE | ACTION_TRIGGER) while another is blocked in read(2) on
 * the vector's eventfd; the sample is the time from just before the trigger to the read's return.
 * The baseline is the same handoff in C: an eventfd write seen by a thread blocked in read(2).
 * Both answer on a second eventfd, so rounds never overlap; their rounds alternate.
 */
final class InterruptWakeUp implements Measure {
    private static final int HANDOFFS = 2_000;

    @Override
    public String name() {
        return "interrupt";
    }

    /** A PCIe function with one MSI-X vector (table and PBA in BAR0). */
    private static final class MsixFunction implements PciDeviceModel {
        @Override
        public ConfigSpace config() {
            return ConfigSpace.builder(0x1af4, 0x10ff, 0x00ff00).pcie(false).msix(1, 0, 0x1000, 0, 0x1800).build();
        }

        @Override
        public List<Bar> bars() {
            return List.of(Bar.memory(0, 0x2000, BarKind.MEMORY32, false));
        }
    }

    @Override
    public List<Row> run(Context context) throws Exception {
        String median = "simulator: loop-back interrupt seen by a thread blocked on the eventfd, median";
        String p99 = "simulator: loop-back interrupt seen by a thread blocked on the eventfd, p99";
        SimulatedKernel kernel = SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(9, HostDevice.of("0000:03:00.0", MsixFunction::new).boundTo(HostDevice.VFIO_PCI)).build().boot();
        kernel.recordTrace(false);
        try (Vfio vfio = Vfio.over(kernel); Arena arena = Arena.ofShared()) {
            VfioDevice device = Attached.open(vfio, 9).group().openDevice("0000:03:00.0");
            EventNotifier vector = vfio.eventNotifier();
            device.enableIrq(VFIO_PCI_MSIX_IRQ_INDEX, List.of(vector));
            MemorySegment trigger = arena.allocate(20, 8);
            trigger.set(ValueLayout.JAVA_INT, 0, 20);
            trigger.set(ValueLayout.JAVA_INT, 4, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
            trigger.set(ValueLayout.JAVA_INT, 8, VFIO_PCI_MSIX_IRQ_INDEX);
            trigger.set(ValueLayout.JAVA_INT, 12, 0);
            trigger.set(ValueLayout.JAVA_INT, 16, 1);
            Fd ack = kernel.eventfd(0, 0);
            Fd deviceFd = device.fd();
            Fd eventfd = vector.fd();
            int rounds = context.rounds().measured();
            long[] sim = new long[HANDOFFS * rounds];
            long[] base = new long[HANDOFFS * rounds];
            long[] bare = new long[HANDOFFS * rounds];
            for (int r = -context.rounds().warmup(); r < rounds; r++) { // unmeasured rounds first warm up
                long[] s = simRound(kernel, deviceFd, trigger, eventfd, ack);
                if (r >= 0) {
                    System.arraycopy(s, 0, sim, r * HANDOFFS, HANDOFFS);
                }
                long[] j = javaRound();
                if (r >= 0) {
                    System.arraycopy(j, 0, bare, r * HANDOFFS, HANDOFFS);
                }
                if (context.c() != null) {
                    long[] b = context.c().eventfdHandoff(HANDOFFS);
                    if (r >= 0) {
                        System.arraycopy(b, 0, base, r * HANDOFFS, HANDOFFS);
                    }
                }
            }
            if (context.c() == null) {
                return List.of(Row.unmeasured(median, us(Rounds.quantile(sim, 0.5)), new Goal.AtMost(1.2), context.whyNoC()),
                        Row.unmeasured(p99, us(Rounds.quantile(sim, 0.99)), new Goal.AtMost(2), context.whyNoC()));
            }
            String note = String.format(Locale.ROOT, "vfio4j / C; %,d handoffs each, in %d alternating rounds; in the same rounds a"
                    + " bare Java handoff (LockSupport.unpark of a parked thread, no vfio4j) took %s median, %s p99", HANDOFFS * rounds, rounds,
                    us(Rounds.quantile(bare, 0.5)), us(Rounds.quantile(bare, 0.99)));
            long sm = Rounds.quantile(sim, 0.5);
            long bm = Rounds.quantile(base, 0.5);
            long s99 = Rounds.quantile(sim, 0.99);
            long b99 = Rounds.quantile(base, 0.99);
            return List.of(
                    new Row(median, us(sm), us(bm) + " (C: eventfd write seen by a blocked read)", (double) sm / bm, new Goal.AtMost(1.2), note),
                    new Row(p99, us(s99), us(b99) + " (the same C handoff)", (double) s99 / b99, new Goal.AtMost(2), note));
        }
    }

    /**
     * The JVM's own floor: {@link #HANDOFFS} handoffs between two Java threads with nothing but
     * {@code LockSupport}: the time from just before an unpark to the parked thread running.
     */
    private static long[] javaRound() throws InterruptedException {
        long[] samples = new long[HANDOFFS];
        Handoff h = new Handoff();
        Thread self = Thread.currentThread();
        Thread observer = Thread.ofPlatform().name("vfio4j-bench-java-observer").start(() -> {
            for (int i = 0; i < HANDOFFS; i++) {
                while (h.turn != 1) {
                    LockSupport.park(h);
                }
                samples[i] = System.nanoTime() - h.started;
                h.turn = 0;
                LockSupport.unpark(self);
            }
        });
        for (int i = 0; i < HANDOFFS; i++) {
            h.started = System.nanoTime();
            h.turn = 1;
            LockSupport.unpark(observer);
            while (h.turn != 0) {
                LockSupport.park(h);
            }
        }
        observer.join();
        return samples;
    }

    /** Whose turn it is in {@link #javaRound}, and when the last handoff started. */
    private static final class Handoff {
        volatile int turn;
        volatile long started;
    }

    /** One round: {@link #HANDOFFS} triggers, each seen by the observer thread blocked on the eventfd. */
    private static long[] simRound(SimulatedKernel kernel, Fd device, MemorySegment trigger, Fd eventfd, Fd ack) throws Exception {
        long[] samples = new long[HANDOFFS];
        long[] started = new long[1];
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread observer = Thread.ofPlatform().name("vfio4j-bench-observer").start(() -> {
            try {
                for (int i = 0; i < HANDOFFS; i++) {
                    kernel.readEventCounter(eventfd);
                    samples[i] = System.nanoTime() - started[0];
                    kernel.writeEventCounter(ack, 1);
                }
            } catch (Exception e) {
                failure.set(e);
                try {
                    kernel.writeEventCounter(ack, 1); // the triggering thread may be waiting for this answer
                } catch (Exception ignored) {
                    // the failure above is what the report shows
                }
            }
        });
        for (int i = 0; i < HANDOFFS && failure.get() == null; i++) {
            started[0] = System.nanoTime();
            kernel.ioctl(device, VFIO_DEVICE_SET_IRQS, trigger);
            kernel.readEventCounter(ack);
        }
        observer.join();
        if (failure.get() != null) {
            throw failure.get();
        }
        return samples;
    }

    static String us(long nanos) {
        return String.format(Locale.ROOT, "%.1f us", nanos / 1000.0);
    }
}
