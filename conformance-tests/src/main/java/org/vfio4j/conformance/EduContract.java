package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.vfio4j.EventNotifier;
import org.vfio4j.IoEventFd;
import org.vfio4j.PciConfig;
import org.vfio4j.Region;
import org.vfio4j.VfioDevice;

/**
 * QEMU's edu device driven through VFIO, on every edu (1234:11e8) among the target's devices: its
 * registers answer through the BAR region, an ioeventfd's signal performs its write into the BAR
 * (and is dropped while memory decode is off), and a DMA round trip through the IOMMU copies host
 * memory into the device and back. Targets without an edu skip nothing and check nothing here;
 * the lane and the simulated targets have one.
 */
public interface EduContract extends Contract {

    private void onEachEdu(PciDeviceContract.DeviceBody body) throws Exception {
        PciDeviceContract.onEach(this, (s, o, d) -> {
            PciConfig cfg = d.config();
            if (cfg.read16(0) == 0x1234 && cfg.read16(2) == 0x11e8) {
                body.run(s, o, d);
            }
        });
    }

    /** Identification, liveness (inverse of the last write) and factorial registers. */
    @Property(tries = 5)
    default void registers_answerIdentityLivenessAndFactorial(@ForAll int liveness, @ForAll @IntRange(min = 0, max = 12) int n) throws Exception {
        onEachEdu((s, o, d) -> {
            try (Region bar0 = d.region(0)) {
                assertThat(bar0.readInt(0x00)).isEqualTo(0x010000ed);
                bar0.writeInt(0x04, liveness);
                assertThat(bar0.readInt(0x04)).isEqualTo(~liveness);
                bar0.writeInt(0x08, n);
                int expected = 1;
                for (int i = 2; i <= n; i++) {
                    expected *= i;
                }
                assertThat(awaitFactorial(bar0)).isEqualTo(expected);
            }
        });
    }

    /**
     * Accesses through BAR0's mapping reach edu whole, as CPU loads and stores: the DMA source
     * register (0x80) keeps all 64 bits of one 8-byte store and gives them back to one 8-byte load,
     * and a 4-byte load at an offset edu does not implement reads all-ones (edu answers every read
     * it does not decode with ~0).
     */
    @Property(tries = 5)
    default void mappedBarAccesses_reachEduWhole(@ForAll long value) throws Exception {
        onEachEdu((s, o, d) -> {
            try (Region bar0 = d.region(0)) {
                assertThat(bar0.isMapped(0x80, 8)).as("edu's BAR0 is mmap-able").isTrue();
                bar0.writeLong(0x80, value);
                assertThat(bar0.readLong(0x80)).isEqualTo(value);
                assertThat(bar0.readInt(0x30)).isEqualTo(0xffff_ffff);
                bar0.writeLong(0x80, 0);
            }
        });
    }

    private static int awaitFactorial(Region bar0) throws Exception {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while ((bar0.readInt(0x20) & 1) != 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        return bar0.readInt(0x08);
    }

    /**
     * A signalled ioeventfd writes its data into the BAR: edu's liveness register then reads its
     * inverse; from 6.0 the irqfd consumes the signal ({@code virqfd_wakeup}), before it stays.
     */
    @Property(tries = 5)
    default void ioeventfd_whenSignalled_writesIntoTheBar(@ForAll int data) throws Exception {
        onEachEdu((s, o, d) -> {
            try (Region bar0 = d.region(0); EventNotifier n = s.vfio.eventNotifier();
                 IoEventFd io = d.ioeventfd(0, 0x04, Integer.toUnsignedLong(data), 4, n)) {
                bar0.writeInt(0x04, ~data + 1);
                n.signal(1);
                assertThat(awaitValue(bar0, 0x04, ~data)).isEqualTo(~data);
                if (target().profile().virqfdConsumesSignals()) {
                    assertThat(n.poll()).as("the kernel consumed the signal").isEmpty();
                } else {
                    assertThat(n.poll()).as("before 6.0 the irqfd leaves the count").hasValue(1);
                }
                PciConfig cfg = d.config();
                // The same (offset, data, size) as the first ioeventfd would be EEXIST (vfio_pci_ioeventfd).
                int other = data == 5 ? 6 : 5;
                try (EventNotifier early = s.vfio.eventNotifier()) {
                    early.signal(1);
                    bar0.writeInt(0x04, 0);
                    try (IoEventFd io2 = d.ioeventfd(0, 0x04, other, 4, early)) {
                        assertThat(awaitValue(bar0, 0x04, ~other)).as("an already signalled eventfd fires at assignment").isEqualTo(~other);
                        assertThat(early.poll()).as("and keeps its count (vfio_virqfd_enable)").hasValue(1);
                    }
                }
                int command = cfg.read16(0x04);
                bar0.writeInt(0x04, 7);
                try {
                    cfg.write16(0x04, command & ~0x2);
                    n.signal(1);
                } finally {
                    cfg.write16(0x04, command);
                }
                assertThat(bar0.readInt(0x04)).as("dropped while memory decode was off").isEqualTo(~7);
            }
        });
    }

    /**
     * The driver loop every INTx driver has, unchanged on the kernel and the simulator: bind an
     * eventfd to INTx, make edu raise its interrupt, wait for the eventfd, read and acknowledge the
     * device's interrupt status, unmask, repeat. Each round is exactly one signal: the kernel masks
     * INTx when it fires (automask), and unmasking with the line still asserted (before the
     * acknowledgement) only signals again.
     */
    @Property(tries = 2)
    default void intxDriverLoop_getsOneSignalPerRound(@ForAll @IntRange(min = 1, max = 4) int rounds) throws Exception {
        onEachEdu((s, o, d) -> {
            try (Region bar0 = d.region(0); EventNotifier irq = s.vfio.eventNotifier()) {
                d.enableIrq(org.vfio4j.uapi.VfioUapi.VFIO_PCI_INTX_IRQ_INDEX, java.util.List.of(irq));
                for (int round = 1; round <= rounds; round++) {
                    int reason = 1 << round;
                    bar0.writeInt(0x60, reason);                        // the device raises INTx
                    assertThat(irq.await(Duration.ofSeconds(5))).as("round %d", round).hasValue(1);
                    assertThat(bar0.readInt(0x24)).isEqualTo(reason);  // why
                    d.unmaskIntx();                                     // still asserted: signalled again, stays masked
                    assertThat(irq.await(Duration.ofSeconds(5))).as("unmask while asserted").hasValue(1);
                    bar0.writeInt(0x64, reason);                        // acknowledge: the line drops
                    d.unmaskIntx();
                    assertThat(irq.poll()).as("nothing more after the acknowledgement").isEmpty();
                }
                d.disableIrq(org.vfio4j.uapi.VfioUapi.VFIO_PCI_INTX_IRQ_INDEX);
            }
        });
    }

    /**
     * With MSI enabled, each raise is one message on vector 0, whether or not the status was
     * acknowledged; an MSI is a memory write, so without bus mastering nothing arrives. Turning bus
     * mastering on lets the device DMA: it needs {@link TargetFeature#DEVICE_DMA}.
     */
    @Property(tries = 2)
    @RequiresFeature(TargetFeature.DEVICE_DMA)
    default void msi_deliversOneMessagePerRaise_onlyWithBusMastering(@ForAll @IntRange(min = 1, max = 3) int raises) throws Exception {
        onEachEdu((s, o, d) -> {
            try (Region bar0 = d.region(0); EventNotifier irq = s.vfio.eventNotifier()) {
                d.enableIrq(org.vfio4j.uapi.VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, java.util.List.of(irq));
                PciConfig cfg = d.config();
                int command = cfg.read16(0x04);
                long seen = 0;
                try {
                    cfg.write16(0x04, command & ~0x4);
                    bar0.writeInt(0x60, 1);
                    assertThat(irq.await(Duration.ofMillis(300))).as("no bus master, no message").isEmpty();
                    bar0.writeInt(0x64, 1);
                    cfg.write16(0x04, command | 0x4);
                    for (int i = 0; i < raises; i++) {
                        bar0.writeInt(0x60, 1);
                        seen += irq.await(Duration.ofSeconds(5)).orElse(0);
                    }
                    bar0.writeInt(0x64, 1);
                } finally {
                    cfg.write16(0x04, command);
                    d.disableIrq(org.vfio4j.uapi.VfioUapi.VFIO_PCI_MSI_IRQ_INDEX);
                }
                assertThat(seen).isEqualTo(raises);
            }
        });
    }

    private static int awaitValue(Region bar0, int offset, int value) throws Exception {
        long deadline = System.nanoTime() + 2_000_000_000L;
        int v;
        while ((v = bar0.readInt(offset)) != value && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        return v;
    }

    /**
     * Device DMA through the IOMMU: a host page goes into edu's buffer and comes back into another
     * host page, both mapped in the container; the copy equals the original.
     */
    @Property(tries = 3)
    @RequiresFeature(TargetFeature.DEVICE_DMA)
    default void dmaRoundTrip_throughTheIommu_copiesTheBytes(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4095) int count) throws Exception {
        // at most 4095 bytes: QEMU 7.2's edu refuses a transfer that ends at its buffer's end, by stopping the machine
        onEachEdu((s, o, d) -> {
            MemorySegment source = s.memory(1);
            MemorySegment target = s.memory(1);
            java.util.Random r = new java.util.Random(seed);
            for (int i = 0; i < 4096; i++) {
                source.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
            }
            o.container().mapDma(source, 0x100000, true, false);
            o.container().mapDma(target, 0x200000, false, true);
            PciConfig cfg = d.config();
            int command = cfg.read16(0x04);
            cfg.write16(0x04, command | 0x4); // bus master, until the transfers are done
            try (Region bar0 = d.region(0)) {
                dma(bar0, 0x100000, 0x40000, count, 0);
                dma(bar0, 0x40000, 0x200000, count, 2);
            } finally {
                cfg.write16(0x04, command);
            }
            assertThat(target.asSlice(0, count).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(source.asSlice(0, count).toArray(ValueLayout.JAVA_BYTE));
            assertThat(target.get(ValueLayout.JAVA_BYTE, count)).as("nothing past the count").isZero();
        });
    }

    private static void dma(Region bar0, long src, long dst, int count, int direction) throws Exception {
        bar0.writeLong(0x80, src);
        bar0.writeLong(0x88, dst);
        bar0.writeLong(0x90, count);
        bar0.writeLong(0x98, 1 | direction);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while ((bar0.readLong(0x98) & 1) != 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("edu DMA did not finish within 5 s");
            }
            Thread.sleep(1);
        }
    }
}
