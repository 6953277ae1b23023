package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.VFIO_PCI_INTX_IRQ_INDEX;
import static org.vfio4j.uapi.VfioUapi.VFIO_PCI_MSI_IRQ_INDEX;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vfio4j.DmaMapping;
import org.vfio4j.EventNotifier;
import org.vfio4j.IoEventFd;
import org.vfio4j.IommuType;
import org.vfio4j.PciRegisters;
import org.vfio4j.Region;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.testsupport.ProcessFootprint;

/**
 * Resources over time on the simulator: thousands of open, use and close lifecycles of a whole
 * VFIO stack (container, group, device, a DMA mapping, an interrupt with its loop-back, mapped BARs,
 * an ioeventfd) leave the process and the simulated kernel as they found them. Sizes follow {@code
 * vfio4j.scale}: {@value #SMALL} lifecycles in {@code mvn verify}, {@value #LARGE} with {@code
 * -Preliability}.
 *
 * <p>What is measured, after {@value #WARM_UP} lifecycles of warm-up and after collecting garbage,
 * and what each may grow by (docs/safety.md, "Resources over time"):
 * <ul>
 *   <li>descriptors in {@code /proc/self/fd}: not at all (the simulator opens no real file);
 *   <li>lines of {@code /proc/self/maps}: {@value #MAPS_SLACK} (the JVM maps and unmaps memory of its own);
 *   <li>NMT committed outside the heap, the GC and the JIT: {@value #NMT_SLACK_KIB} KiB plus {@value
 *       #NMT_PER_LIFECYCLE} bytes a lifecycle; one leaked kernel keeps about 20 KiB of BARs and config space;
 *   <li>heap in use: {@value #HEAP_SLACK_KIB} KiB plus {@value #HEAP_PER_LIFECYCLE} bytes a lifecycle;
 *       one leaked kernel keeps about 37 KiB of objects;
 *   <li>threads: none more;
 *   <li>the kernel's own tables ({@link SimulatedKernel#tableSizes()}): back to a fresh kernel's
 *       sizes after each lifecycle, and the trace never above its capacity.
 * </ul>
 */
class ResourceLifecycleTest {
    static final int SMALL = 500;
    static final int LARGE = 10_000;
    static final int WARM_UP = 1000;
    static final int MAPS_SLACK = 16;
    static final int NMT_SLACK_KIB = 1024;
    static final int NMT_PER_LIFECYCLE = 32;
    static final int HEAP_SLACK_KIB = 256;
    static final int HEAP_PER_LIFECYCLE = 16;

    static final long IOVA = 0x10_0000;
    static final int COPY_LENGTH = 0x100;

    /** The DMA buffer every lifecycle maps: two pages, the device copies from the first to the second. */
    private static Arena shared;
    private static MemorySegment buffer;

    @BeforeAll
    static void allocate() {
        shared = Arena.ofShared();
        buffer = shared.allocate(0x2000, 4096);
    }

    @AfterAll
    static void free() {
        shared.close();
    }

    static int lifecycles() {
        return "large".equals(System.getProperty("vfio4j.scale", "small")) ? LARGE : SMALL;
    }

    @Test
    void wholeStacks_openedUsedAndClosed_leaveTheProcessAsTheyFoundIt() throws Exception {
        SmallDevice.host(new SmallDevice()); // loads the classes before anything is measured
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(SmallDevice.GROUP, HostDevice.of(SmallDevice.BDF, SmallDevice::new).boundTo(HostDevice.VFIO_PCI)).build();
        for (int i = 0; i < WARM_UP; i++) {
            lifecycle(host, i);
        }
        ProcessFootprint noGcBefore = ProcessFootprint.measure(false);
        ProcessFootprint before = ProcessFootprint.measure(true);
        int n = lifecycles();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            lifecycle(host, i);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        ProcessFootprint noGcAfter = ProcessFootprint.measure(false);
        ProcessFootprint after = ProcessFootprint.measure(true);
        System.out.printf("[resources] simulator: %d lifecycles in %d ms%n  after GC: %s%n  without GC: %s%n", n, millis,
                after.against(before), noGcAfter.against(noGcBefore));
        assertWithinBounds(before, after, n);
    }

    @Test
    void stacksOnOneKernel_returnItsTablesToAFreshKernelsSizes_andTheTraceStaysBounded() throws Exception {
        int capacity = 1000;
        SimulatedHost host = SmallDevice.host(new SmallDevice()).traceCapacity(capacity).build();
        int n = lifecycles();
        try (Vfio vfio = Vfio.open(host)) {
            SimulatedKernel k = (SimulatedKernel) vfio.seam();
            Map<String, Long> fresh = k.tableSizes();
            for (int i = 0; i < WARM_UP; i++) {
                onOneKernel(vfio, i);
            }
            ProcessFootprint before = ProcessFootprint.measure(true);
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                onOneKernel(vfio, i);
                if (i % 100 == 0 || i == n - 1) {
                    assertThat(k.tableSizes()).as("after lifecycle %d on one kernel", i).isEqualTo(withUserMemory(fresh, k));
                    assertThat(k.tableSizes().get("user memory segments")).as("freed buffers are swept out").isLessThanOrEqualTo(16);
                    assertThat(k.traceSize()).isEqualTo(capacity);
                }
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            ProcessFootprint after = ProcessFootprint.measure(true);
            System.out.printf("[resources] simulator, one kernel: %d lifecycles in %d ms, trace %d entries (%d dropped)%n  after GC: %s%n",
                    n, millis, k.traceSize(), k.traceDropped(), after.against(before));
            assertThat(k.traceDropped()).as("the trace dropped its oldest entries").isPositive();
            assertThat(k.trace()).hasSize(capacity);
            assertWithinBounds(before, after, n);
        }
    }

    /** One lifecycle on a kernel that lives on: every other one maps a buffer of its own, freed after the unmap. */
    static void onOneKernel(Vfio vfio, int i) throws VfioException {
        if (i % 2 == 0) {
            Stack s = Stack.open(vfio, i, buffer);
            s.use(i);
            s.close();
            return;
        }
        try (Arena own = Arena.ofConfined()) {
            Stack s = Stack.open(vfio, i, own.allocate(0x2000, 4096));
            s.use(i);
            s.close();
        }
    }

    /** The bounds of the class comment, with every figure in the failure message. */
    static void assertWithinBounds(ProcessFootprint before, ProcessFootprint after, int n) {
        after.assertGrewWithin(before, n, new ProcessFootprint.Bounds(MAPS_SLACK, NMT_SLACK_KIB, NMT_PER_LIFECYCLE, HEAP_SLACK_KIB,
                HEAP_PER_LIFECYCLE));
    }

    /**
     * One lifecycle on a kernel of its own: boots it, uses everything, and closes either each
     * handle in turn (three lifecycles in four) or only the {@link Vfio}, which closes the rest.
     */
    static void lifecycle(SimulatedHost host, int i) throws VfioException {
        Vfio vfio = Vfio.open(host);
        SimulatedKernel k = (SimulatedKernel) vfio.seam();
        Map<String, Long> fresh = k.tableSizes();
        boolean onlyTheVfio = i % 4 == 3;
        Stack s = Stack.open(vfio, i, buffer);
        s.use(i);
        if (onlyTheVfio) {
            vfio.close();
        } else {
            s.close();
            assertThat(k.tableSizes()).as("lifecycle %d, each handle closed", i).isEqualTo(withUserMemory(fresh, k));
            vfio.close();
        }
        assertThat(k.tableSizes()).as("lifecycle %d, after Vfio.close", i).isEqualTo(withUserMemory(fresh, k));
        assertThat(k.traceSize()).isLessThanOrEqualTo(SimulatedHost.DEFAULT_TRACE_CAPACITY);
    }

    /**
     * {@code fresh} with the user memory the kernel knows now: the segments whose addresses were
     * handed out are the process's memory, not a kernel table; they are checked on their own.
     */
    static Map<String, Long> withUserMemory(Map<String, Long> fresh, SimulatedKernel k) {
        Map<String, Long> expected = new java.util.LinkedHashMap<>(fresh);
        expected.put("user memory segments", k.tableSizes().get("user memory segments"));
        return expected;
    }

    /** Everything one lifecycle opens, on the device of {@link SmallDevice}. */
    record Stack(MemorySegment buffer, VfioContainer container, VfioGroup group, VfioDevice device, DmaMapping dma,
                 Region bar0, Region bar2, EventNotifier doorbell, IoEventFd ioeventfd, EventNotifier irq, int irqIndex) {

        static Stack open(Vfio vfio, int i, MemorySegment buffer) throws VfioException {
            VfioContainer c = vfio.openContainer();
            VfioGroup g = vfio.openGroup(SmallDevice.GROUP);
            g.setContainer(c);
            c.setIommu(IommuType.TYPE1V2);
            VfioDevice d = g.openDevice(SmallDevice.BDF);
            d.config().enableCommand(PciRegisters.COMMAND_MEMORY | PciRegisters.COMMAND_MASTER);
            DmaMapping dma = c.mapDma(buffer, IOVA);
            Region bar0 = d.region(0);
            Region bar2 = d.region(2);
            EventNotifier doorbell = vfio.eventNotifier();
            IoEventFd io = d.ioeventfd(0, 0x10, COPY_LENGTH, 4, doorbell);
            EventNotifier irq = vfio.eventNotifier();
            int index = i % 2 == 0 ? VFIO_PCI_MSI_IRQ_INDEX : VFIO_PCI_INTX_IRQ_INDEX;
            d.enableIrq(index, List.of(irq));
            return new Stack(buffer, c, g, d, dma, bar0, bar2, doorbell, io, irq, index);
        }

        /** Uses each part once and checks that it worked: a DMA copy, an ioeventfd, an interrupt, BAR memory. */
        void use(int i) throws VfioException {
            bar0.writeInt(0x10, 0);
            doorbell.signal(1); // the ioeventfd writes the copy length into BAR0+0x10
            assertThat(bar0.readInt(0x10)).as("the ioeventfd's write").isEqualTo(COPY_LENGTH);
            buffer.asSlice(0, COPY_LENGTH).fill((byte) i);
            buffer.asSlice(0x1000, COPY_LENGTH).fill((byte) ~i);
            bar0.writeLong(0x0, IOVA);
            bar0.writeLong(0x8, IOVA + 0x1000);
            bar0.writeInt(0x18, 1);
            assertThat(bar0.readInt(0x20)).as("the copy did not fault").isZero();
            assertThat(buffer.asSlice(0x1000, COPY_LENGTH).mismatch(buffer.asSlice(0, COPY_LENGTH))).as("the DMA copy").isEqualTo(-1);
            device.triggerIrq(irqIndex, 0, 1);
            assertThat(irq.poll()).as("the loop-back interrupt").isEqualTo(OptionalLong.of(1));
            bar2.writeLong(0x1ff8, i);
            assertThat(bar2.readLong(0x1ff8)).isEqualTo(i);
            assertThat(buffer.get(ValueLayout.JAVA_BYTE, 0x1000)).isEqualTo((byte) i);
        }

        /** Closes each part, in the order a careful driver would. */
        void close() throws VfioException {
            ioeventfd.close();
            bar0.close();
            bar2.close();
            device.disableIrq(irqIndex);
            assertThat(container.unmapDma(dma)).isEqualTo(dma.size());
            irq.close();
            doorbell.close();
            device.close();
            group.close();
            container.close();
        }
    }
}
