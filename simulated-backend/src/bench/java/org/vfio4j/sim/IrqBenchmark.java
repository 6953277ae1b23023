package org.vfio4j.sim;

import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.vfio4j.EventNotifier;
import org.vfio4j.IommuType;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.spi.Fd;

/**
 * A loop-back interrupt on one thread: VFIO_DEVICE_SET_IRQS (MSI-X vector 0, DATA_NONE|TRIGGER)
 * through the seam, then the eventfd read that consumes it. {@link #open} is the set-up the
 * cross-thread latency run in {@link BenchMain} shares.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class IrqBenchmark {
    /** A PCIe function with one MSI-X vector (table and PBA in BAR0). */
    static final class MsixFunction implements PciDeviceModel {
        @Override
        public ConfigSpace config() {
            return ConfigSpace.builder(0x1af4, 0x10ff, 0x00ff00).pcie(false).msix(1, 0, 0x1000, 0, 0x1800).build();
        }

        @Override
        public List<Bar> bars() {
            return List.of(Bar.memory(0, 0x2000, BarKind.MEMORY32, false));
        }
    }

    /** A booted simulator with an MSI-X function, vector 0 bound to an eventfd, and a prepared trigger. */
    record Loopback(Vfio vfio, SimulatedKernel kernel, Fd device, Fd eventfd, MemorySegment triggerArg, Arena arena) {
        void trigger() throws VfioException {
            kernel.ioctl(device, VFIO_DEVICE_SET_IRQS, triggerArg);
        }
    }

    static Loopback open() throws VfioException {
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(9, HostDevice.of("0000:03:00.0", MsixFunction::new).boundTo(HostDevice.VFIO_PCI)).build();
        SimulatedKernel k = host.boot();
        k.recordTrace(false);
        Vfio vfio = Vfio.over(k);
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(9);
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        VfioDevice d = g.openDevice("0000:03:00.0");
        EventNotifier n = vfio.eventNotifier();
        d.enableIrq(VFIO_PCI_MSIX_IRQ_INDEX, List.of(n));
        Arena arena = Arena.ofShared();
        MemorySegment t = arena.allocate(20, 8);
        t.set(ValueLayout.JAVA_INT, 0, 20);
        t.set(ValueLayout.JAVA_INT, 4, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
        t.set(ValueLayout.JAVA_INT, 8, VFIO_PCI_MSIX_IRQ_INDEX);
        t.set(ValueLayout.JAVA_INT, 12, 0);
        t.set(ValueLayout.JAVA_INT, 16, 1);
        return new Loopback(vfio, k, d.fd(), n.fd(), t, arena);
    }

    private Loopback loop;

    @Setup
    public void setUp() throws VfioException {
        loop = open();
    }

    @TearDown
    public void tearDown() {
        loop.vfio().close();
        loop.arena().close();
    }

    /** Trigger and consume on the same thread (goal <= 100 ns). */
    @Benchmark
    public long triggerAndConsume() throws VfioException {
        loop.trigger();
        return loop.kernel().readEventCounter(loop.eventfd());
    }
}
