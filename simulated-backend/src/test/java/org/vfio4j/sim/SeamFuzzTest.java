package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.MmioHandler;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;

/**
 * The raw seam under a seeded random walk ({@link SeamFuzzer}): only documented exceptions leave
 * it, no call holds the kernel lock longer than {@link #HOLD_BOUND_MILLIS}, and closing every
 * descriptor brings the kernel back to its fresh state.
 *
 * <p>{@code mvn verify} runs a few seconds with a new seed each time; the seed is printed, and
 * {@code -Dfuzz.seed=N} replays a run. The larger run: {@code mvn -Pfuzz -pl simulated-backend -am
 * verify} ({@code -Dfuzz.calls}, {@code -Dfuzz.seconds}); see docs/simulator.md.
 */
class SeamFuzzTest {

    /**
     * The longest a call may hold the kernel lock. Calls do work in proportion to their arguments
     * (the walk's largest transfer is 64 KiB, its largest DMA 64 KiB), which takes microseconds; a
     * hold of tens of milliseconds means unbounded work under the lock (the edu factorial loop held
     * it 1.4 s). 50 ms leaves room for a garbage collection or a descheduled thread on a busy
     * two-core machine without hiding a loop.
     */
    static final long HOLD_BOUND_MILLIS = Long.getLong("fuzz.holdBoundMillis", 50);

    @Test
    void randomCalls_throwOnlyDocumentedExceptions_andEverythingCloses() throws Exception {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        long calls = Long.getLong("fuzz.calls", 20_000);
        long seconds = Long.getLong("fuzz.seconds", 5);
        boolean wrapping = SeamFuzzTest.class.getModule().isNativeAccessEnabled();
        int threads = Integer.getInteger("fuzz.threads", 1);
        ThreadCpuClock.Clock clock = ThreadCpuClock.get();
        SeamFuzzer.Report r = threads > 1
                ? SeamFuzzer.concurrent(seed, threads, calls, TimeUnit.SECONDS.toNanos(seconds), wrapping, clock.nanos())
                : new SeamFuzzer(seed, calls, TimeUnit.SECONDS.toNanos(seconds), wrapping, clock.nanos()).run();
        System.out.println(threads > 1 ? threads + " walkers per kernel (interleavings are not replayed by the seed)" : "one walker");
        System.out.println("lock holds measured in " + (clock.cpu() ? "thread CPU time" : "wall-clock time"));
        System.out.print(r.summary());
        for (SeamFuzzer.Finding f : r.findings.values()) {
            System.out.println("first " + f.signature + " at call #" + f.index + ":\n" + f.stackTrace);
        }
        String replay = "replay: mvn -pl simulated-backend -am verify -Dtest=SeamFuzzTest -Dsurefire.failIfNoSpecifiedTests=false"
                + " -Dfuzz.seed=" + seed + " -Dfuzz.calls=" + r.calls + " -Dfuzz.seconds=600\n";
        assertThat(r.calls).as("the walk made calls").isPositive();
        assertThat(r.findings.keySet()).as(replay + r.summary()).isEmpty();
        assertThat(r.freshStateViolations).as(replay).isEmpty();
        assertThat(r.longestHoldNanos).as(replay + "longest lock hold: " + r.longestHoldCall)
                .isLessThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(HOLD_BOUND_MILLIS));
    }

    /** A register write that spins: the lock-hold measurement sees it, and names the call. */
    @Test
    void aSlowRegisterWrite_isMeasuredAsALongHold() throws Exception {
        MmioHandler slow = new MmioHandler() {
            @Override
            public long read(long offset, int size) {
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(30);
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }
        };
        ConfigSpace config = ConfigSpace.builder(0x1af4, 0x10f2, 0x00ff00).build();
        PciDeviceModel model = new PciDeviceModel() {
            @Override
            public ConfigSpace config() {
                return config;
            }

            @Override
            public List<Bar> bars() {
                return List.of(Bar.registers(0, 0x100, BarKind.MEMORY32, slow));
            }
        };
        SimulatedKernel k = SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(3, HostDevice.ofInstance("0000:04:00.0", model).boundTo(HostDevice.VFIO_PCI)).build().boot();
        try (Arena arena = Arena.ofConfined()) {
            Fd device = openDevice(k, arena);
            MemorySegment cmd = arena.allocate(2);
            cmd.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 0x2);
            k.pwrite(device, cmd, (7L << 40) + 4); // memory decode on
            k.measureLockHolds(System::nanoTime);
            k.pwrite(device, arena.allocate(4), 0);
            assertThat(k.longestLockHoldNanos()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(30));
            assertThat(k.longestLockHoldCall()).isEqualTo("pwrite");
        } finally {
            k.close();
        }
    }

    /** A blocking eventfd read waits without holding the lock: the wait is not a hold. */
    @Test
    void aBlockingRead_doesNotHoldTheLockWhileItWaits() throws Exception {
        SimulatedKernel k = SimulatedHost.x86Type1().boot();
        try {
            Fd e = k.eventfd(0, 0);
            k.measureLockHolds(System::nanoTime);
            CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return k.readEventCounter(e);
                } catch (Exception x) {
                    throw new IllegalStateException(x);
                }
            });
            Thread.sleep(300);
            k.writeEventCounter(e, 5);
            assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(5);
            assertThat(k.longestLockHoldNanos()).isLessThan(TimeUnit.MILLISECONDS.toNanos(200));
        } finally {
            k.close();
        }
    }

    private static Fd openDevice(SimulatedKernel k, Arena arena) throws Exception {
        Fd container = k.open("/dev/vfio/vfio", LinuxAbi.O_RDWR);
        Fd group = k.open("/dev/vfio/3", LinuxAbi.O_RDWR);
        MemorySegment fd = arena.allocate(4);
        fd.set(ValueLayout.JAVA_INT, 0, container.number());
        k.ioctl(group, org.vfio4j.uapi.VfioUapi.VFIO_GROUP_SET_CONTAINER, fd);
        k.ioctl(container, org.vfio4j.uapi.VfioUapi.VFIO_SET_IOMMU, org.vfio4j.uapi.VfioUapi.VFIO_TYPE1v2_IOMMU);
        MemorySegment name = arena.allocateFrom("0000:04:00.0");
        int n = k.ioctl(group, org.vfio4j.uapi.VfioUapi.VFIO_GROUP_GET_DEVICE_FD, name);
        return k.adopt(n, "device");
    }
}
