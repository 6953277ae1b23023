package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.vfio4j.IommuType;
import org.vfio4j.PciAddress;
import org.vfio4j.Region;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.DmaFaultException;
import org.vfio4j.sim.device.MmioHandler;
import org.vfio4j.sim.device.PciDeviceModel;

/**
 * The device models' clock and their place in a booted kernel: scheduled work runs later on a
 * kernel-owned thread under the kernel lock and never after close; a model's failure reaches
 * nobody's call; DMA the simulator cannot perform from the device's thread is a recorded fault;
 * each boot makes its own models, and one model instance serves one live kernel.
 */
class DeviceWorkTest {
    static final String BDF = "0000:05:00.0";
    static final PciAddress ADDRESS = PciAddress.parse(BDF);

    /** A function whose register at BAR0+0 makes it DMA {@code 8} bytes to the IOVA written, at once. */
    static final class Worker implements PciDeviceModel {
        volatile DeviceContext context;
        volatile DmaFaultException fault;

        @Override
        public ConfigSpace config() {
            return ConfigSpace.builder(0x1af4, 0x10ff, 0x00ff00).interruptPin(1).build();
        }

        @Override
        public List<Bar> bars() {
            return List.of(Bar.registers(0, 0x1000, BarKind.MEMORY32, new MmioHandler() {
                @Override
                public long read(long offset, int size) {
                    return 0;
                }

                @Override
                public void write(long offset, int size, long value) {
                    try {
                        context.dmaWrite(value, MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
                    } catch (DmaFaultException e) {
                        fault = e;
                    }
                }
            }));
        }

        @Override
        public void attach(DeviceContext context) {
            this.context = context;
        }
    }

    static SimulatedHost host(HostDevice device, Duration latency) {
        return SimulatedHost.x86Type1().toBuilder().clearGroups().deviceLatency(latency).group(5, device.boundTo(HostDevice.VFIO_PCI)).build();
    }

    static SimulatedHost host() {
        return host(HostDevice.of(BDF, Worker::new), Duration.ofMillis(1));
    }

    @Test
    void scheduledWork_runsLaterOnAKernelThread_underTheKernelLock_inOrder() throws Exception {
        try (SimulatedKernel k = host().boot()) {
            Worker w = k.model(ADDRESS, Worker.class);
            List<String> seen = new CopyOnWriteArrayList<>();
            CountDownLatch done = new CountDownLatch(3);
            for (String name : List.of("first", "second", "third")) {
                w.context.schedule(Duration.ZERO, () -> {
                    seen.add(name + (Thread.holdsLock(k.lock()) ? " locked" : " unlocked") + " on " + Thread.currentThread().getName());
                    done.countDown();
                });
            }
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(seen).hasSize(3);
            assertThat(seen.get(0)).startsWith("first locked on vfio4j-sim-devices-");
            assertThat(seen.get(1)).startsWith("second locked");
            assertThat(seen.get(2)).startsWith("third locked");
            assertThat(w.context.deviceLatency()).isEqualTo(Duration.ofMillis(1));
        }
    }

    @Test
    void cancelledWork_neverRuns() throws Exception {
        try (SimulatedKernel k = host().boot()) {
            DeviceContext c = k.model(ADDRESS, Worker.class).context;
            CountDownLatch ran = new CountDownLatch(1);
            DeviceContext.Scheduled s = c.schedule(Duration.ofMillis(500), ran::countDown);
            assertThat(s.isPending()).isTrue();
            assertThat(s.cancel()).isTrue();
            assertThat(s.cancel()).as("only once").isFalse();
            assertThat(s.isPending()).isFalse();
            assertThat(ran.await(1000, TimeUnit.MILLISECONDS)).isFalse();
        }
    }

    @Test
    void close_cancelsPendingWork_andTheDeviceThreadEnds() throws Exception {
        SimulatedHost host = host().toBuilder().name("close-" + System.nanoTime()).build();
        SimulatedKernel k = host.boot();
        DeviceContext c = k.model(ADDRESS, Worker.class).context;
        CountDownLatch ran = new CountDownLatch(1);
        DeviceContext.Scheduled s = c.schedule(Duration.ofMillis(500), ran::countDown);
        assertThat(deviceThreads(host)).hasSize(1);
        k.close();
        assertThat(s.isPending()).isFalse();
        assertThat(ran.await(1000, TimeUnit.MILLISECONDS)).as("nothing runs after close").isFalse();
        assertThat(deviceThreads(host)).as("no thread left behind").isEmpty();
        DeviceContext.Scheduled late = c.schedule(Duration.ZERO, ran::countDown);
        assertThat(late.isPending()).as("scheduling on a closed kernel does nothing").isFalse();
        assertThat(ran.await(200, TimeUnit.MILLISECONDS)).isFalse();
    }

    private static List<Thread> deviceThreads(SimulatedHost host) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().endsWith("(" + host.name() + ")") && t.isAlive()).toList();
    }

    @Test
    void aKernelWhoseDevicesScheduleNothing_startsNoThread() {
        SimulatedHost host = host().toBuilder().name("idle-" + System.nanoTime()).build();
        try (SimulatedKernel k = host.boot()) {
            assertThat(k.model(ADDRESS, Worker.class)).isNotNull();
            assertThat(deviceThreads(host)).isEmpty();
        }
    }

    @Test
    void workThatThrows_isTracedAndReachesNoCaller() throws Exception {
        try (SimulatedKernel k = host().boot()) {
            DeviceContext c = k.model(ADDRESS, Worker.class).context;
            CountDownLatch after = new CountDownLatch(1);
            c.schedule(Duration.ZERO, () -> {
                throw new IllegalStateException("model bug");
            });
            c.schedule(Duration.ZERO, after::countDown);
            assertThat(after.await(10, TimeUnit.SECONDS)).as("the thread survives a failed piece of work").isTrue();
            assertThat(k.trace()).anySatisfy(e -> {
                assertThat(e.call()).isEqualTo("device work failed");
                assertThat(e.target()).contains(BDF);
                assertThat(e.arguments()).contains("model bug");
            });
            assertThat(k.open("/dev/vfio/vfio", 2)).as("the kernel serves calls as before").isNotNull();
        }
    }

    @Test
    void negativeDelays_andLatencies_areRejected() {
        try (SimulatedKernel k = host().boot()) {
            DeviceContext c = k.model(ADDRESS, Worker.class).context;
            assertThatThrownBy(() -> c.schedule(Duration.ofMillis(-1), () -> {})).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> SimulatedHost.builder().deviceLatency(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(SimulatedHost.builder().build().deviceLatency()).isEqualTo(SimulatedHost.DEFAULT_DEVICE_LATENCY);
    }

    @Test
    void deviceDmaIntoAnotherThreadsConfinedArena_isARecordedFault_notAnExceptionInTheWrite() throws Exception {
        CompletableFuture<MemorySegment> memory = new CompletableFuture<>();
        CountDownLatch release = new CountDownLatch(1);
        Thread owner = Thread.ofPlatform().start(() -> {
            try (Arena confined = Arena.ofConfined()) {
                memory.complete(confined.allocate(4096, 4096));
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try (SimulatedKernel k = host().boot(); Vfio vfio = Vfio.over(k)) {
            VfioDevice d = open(vfio);
            VfioContainer c = container;
            c.mapDma(memory.get(10, TimeUnit.SECONDS), 0x40000, true, true);
            try (Region bar0 = d.region(0)) {
                bar0.writeInt(0, 0x40000); // the device DMAs at once, on this thread
            }
            Worker w = k.model(ADDRESS, Worker.class);
            assertThat(w.fault).as("the device saw a fault").isNotNull();
            assertThat(k.iommuFaults()).singleElement().satisfies(f -> {
                assertThat(f.iova()).isEqualTo(0x40000);
                assertThat(f.reason()).contains("confined arena of another thread").contains(Thread.currentThread().getName());
            });
        } finally {
            release.countDown();
            owner.join();
        }
    }

    private VfioContainer container;

    private VfioDevice open(Vfio vfio) throws VfioException {
        container = vfio.openContainer();
        VfioGroup g = vfio.openGroup(5);
        g.setContainer(container);
        container.setIommu(IommuType.TYPE1V2);
        VfioDevice d = g.openDevice(BDF);
        d.config().write16(0x04, d.config().read16(0x04) | 0x4);
        return d;
    }

    @Test
    void eachBoot_makesItsOwnModel() {
        SimulatedHost host = host();
        try (SimulatedKernel a = host.boot(); SimulatedKernel b = host.boot()) {
            Worker wa = a.model(ADDRESS, Worker.class);
            Worker wb = b.model(ADDRESS, Worker.class);
            assertThat(wa).isNotSameAs(wb);
            assertThat(wa.context).isNotSameAs(wb.context);
            assertThat(host.group(5).orElseThrow().devices().getFirst().vendor()).as("identity from the probe").isEqualTo(0x1af4);
        }
    }

    @Test
    void modelLookup_failsClearly() {
        try (SimulatedKernel k = host().boot()) {
            assertThatThrownBy(() -> k.model(PciAddress.parse("0000:09:00.0"), Worker.class))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no function bound to vfio-pci");
            assertThatThrownBy(() -> k.model(ADDRESS, InterruptsTest.Raiser.class))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a");
        }
    }

    @Test
    void oneModelInstance_servesOneLiveKernelAtATime() {
        Worker w = new Worker();
        SimulatedHost host = host(HostDevice.ofInstance(BDF, w), Duration.ofMillis(1));
        SimulatedKernel first = host.boot();
        assertThat(first.model(ADDRESS, Worker.class)).isSameAs(w);
        assertThatThrownBy(host::boot).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(BDF).hasMessageContaining("HostDevice.of(address, factory)");
        first.close();
        try (SimulatedKernel second = host.boot()) {
            assertThat(second.model(ADDRESS, Worker.class)).as("free again once the first kernel closed").isSameAs(w);
        }
    }
}
