package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.EventNotifier;
import org.vfio4j.IommuType;
import org.vfio4j.Region;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.BarRange;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.DmaFaultException;
import org.vfio4j.sim.device.MmioHandler;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.uapi.VfioUapi;

/**
 * The simulated kernel used the way a multi-threaded driver uses Linux, all at once, checked against
 * naive models (docs/safety.md, "Concurrency"):
 * <ul>
 *   <li>mapper threads MAP_DMA and UNMAP_DMA on one type1v2 container. Each owns a block of slots
 *       and predicts every answer (success or EEXIST, the unmapped size) from a plain array, since no
 *       other thread touches its block; two more race on a shared block, where only conservation
 *       can be checked: bytes mapped = bytes unmapped + bytes still mapped;</li>
 *   <li>a device model's DMA engine, on the kernel's device thread, reads slots (a success must
 *       return that slot's own bytes) and writes a home mapping no one unmaps (it must never fault),
 *       and raises an MSI after each job;</li>
 *   <li>a thread blocked in read(2) on vector 0's eventfd and one polling vector 1's, while another
 *       triggers vector 1 by loop-back: every interrupt produced is consumed exactly once;</li>
 *   <li>a thread opening, using and closing a second device, and its group, on the same container,
 *       and mapping, using and unmapping the first device's memory BAR.</li>
 * </ul>
 * At the end the kernel's live mappings must equal the owners' arrays exactly, locked pages must
 * equal the pages mapped, no interrupt may be left undelivered, and closing everything must leave
 * nothing held. A watchdog fails the test with every thread's stack on a deadlock or a thread that
 * does not finish in time.
 *
 * <p>{@code mvn verify} runs a few seconds ({@code vfio4j.scale=small}); {@code -Preliability} runs
 * the large size. The seed ({@code -Dstress.seed=N}) fixes each thread's choices, not how the
 * threads interleave.
 */
class ConcurrentUseTest {
    private static final long PAGE = 4096;
    private static final long SLOT = 16 * PAGE;
    private static final long SLOT_BASE = 0x1_0000_0000L;
    private static final long HOME_IOVA = 0x10_0000L;
    private static final int HOME_WORDS = 1024;
    private static final long SENTINEL = 1L << 40;
    private static final String BDF_A = "0000:03:00.0";
    private static final String BDF_B = "0000:04:00.0";
    private static final int GROUP_A = 5;
    private static final int GROUP_B = 6;

    /** How much the run does: mapper threads and their slots, operations per thread, and the time cap. */
    record Size(int ownedMappers, int slotsPerOwner, int contestedMappers, int contestedSlots, int mapOps, int dmaJobs,
                int loopBacks, int churns, Duration cap) {
        static Size fromScale() {
            return "large".equals(System.getProperty("vfio4j.scale", "small"))
                    ? new Size(4, 256, 2, 128, 250_000, 200_000, 100_000, 3_000, Duration.ofSeconds(150))
                    : new Size(2, 32, 2, 16, 8_000, 5_000, 4_000, 100, Duration.ofSeconds(20));
        }

        int slots() {
            return ownedMappers * slotsPerOwner + contestedSlots;
        }
    }

    @Test
    void mapsDmaInterruptsAndOpens_fromManyThreads_agreeWithTheModels() throws Exception {
        Rig rig = new Rig(Size.fromScale(), Long.getLong("stress.seed", System.nanoTime()));
        try {
            rig.startAll();
            long grace = rig.size.cap().toNanos() / 2; // past the cap, only the last calls and the engine's queue are left
            rig.watchdog.awaitProducers(Set.of(rig.waiter0, rig.waiter1), rig.deadline + grace);
            rig.watchdog.awaitQuiet(() -> rig.engineA.scheduled.get() == rig.engineA.completed.get(), rig.deadline + grace,
                    "the DMA engine's jobs");
            rig.msi0.signal(SENTINEL);
            rig.stop.set(true);
            rig.watchdog.awaitAll(rig.deadline + grace);
            rig.consumed.addAndGet(1, rig.msi1.poll().orElse(0));
            rig.consumed.addAndGet(0, rig.msi0.poll().orElse(0));
            rig.checkAgainstModels();
            rig.regs.close();
        } finally {
            rig.vfio.close();
            rig.arena.close();
        }
        assertThat(rig.kernel.resources().isEmpty()).as(rig.kernel.resources().describe()).isTrue();
    }

    /**
     * Closing the Vfio while every worker is busy: each thread ends, within the watchdog's bound,
     * with EBADF or with an exception that says the kernel or the object it used was closed; none
     * hangs, and none fails with anything else (a NullPointerException, a corrupted table).
     */
    @Test
    void closingTheVfioUnderLoad_endsEveryThreadWithAClearError() throws Exception {
        Size small = new Size(2, 32, 2, 16, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE,
                Duration.ofSeconds(20));
        Rig rig = new Rig(small, Long.getLong("stress.seed", System.nanoTime()));
        try {
            rig.startAll();
            Thread.sleep(300);
            rig.vfio.close();
            rig.watchdog.awaitAll(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        } finally {
            rig.vfio.close();
            rig.arena.close();
        }
        assertThat(rig.watchdog.thrown).as("workers that met the close (the rest stopped at the first one's report)").isNotEmpty();
        for (Map.Entry<String, Throwable> e : rig.watchdog.thrown) {
            Throwable t = e.getValue();
            System.out.println("after the close, " + e.getKey() + ": " + t);
            boolean clear = t instanceof VfioException v ? v.errno() == Errno.EBADF
                    : t instanceof IllegalStateException && t.getMessage() != null && t.getMessage().contains("closed");
            assertThat(clear).as("%s ended with %s", e.getKey(), t).isTrue();
        }
        assertThat(rig.violations).as("data violations before the close").allMatch(v -> v.contains(" threw "));
        assertThat(rig.kernel.resources().isEmpty()).as(rig.kernel.resources().describe()).isTrue();
    }

    /** One host, one container, two devices and the workers of a run. */
    final class Rig {
        final Size size;
        final long seed;
        final Engine engineA = new Engine();
        final SimulatedKernel kernel;
        final Vfio vfio;
        final Arena arena = Arena.ofShared();
        final VfioContainer container;
        final VfioDevice deviceA;
        final EventNotifier msi0;
        final EventNotifier msi1;
        final VfioGroup groupB;
        final MemorySegment slotMemory;
        final MemorySegment home;
        final Region regs;
        final Queue<String> violations = new ConcurrentLinkedQueue<>();
        final Ledger ledger = new Ledger();
        final long[][] owned;
        final Map<Long, Set<Long>> contestedSizes = new ConcurrentHashMap<>();
        final AtomicLong loopBacksDone = new AtomicLong();
        final AtomicLongArray consumed = new AtomicLongArray(2);
        final AtomicBoolean stop = new AtomicBoolean();
        final Watchdog watchdog = new Watchdog(violations);
        final int contestedFirst;
        long deadline;
        Thread waiter0;
        Thread waiter1;

        Rig(Size size, long seed) throws VfioException {
            this.size = size;
            this.seed = seed;
            System.out.println("ConcurrentUseTest " + size + " seed " + seed);
            SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups().memlockLimit(1L << 40)
                    .group(GROUP_A, HostDevice.ofInstance(BDF_A, engineA).boundTo(HostDevice.VFIO_PCI))
                    .group(GROUP_B, HostDevice.ofInstance(BDF_B, new Engine()).boundTo(HostDevice.VFIO_PCI))
                    .build();
            kernel = host.boot();
            kernel.recordTrace(false);
            vfio = Vfio.over(kernel);
            container = vfio.openContainer();
            VfioGroup groupA = vfio.openGroup(GROUP_A);
            groupA.setContainer(container);
            container.setIommu(IommuType.TYPE1V2);
            deviceA = groupA.openDevice(BDF_A);
            deviceA.config().write16(0x04, deviceA.config().read16(0x04) | 0x6); // memory decode, bus mastering
            msi0 = vfio.eventNotifier();
            msi1 = vfio.eventNotifier();
            deviceA.enableIrq(VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, List.of(msi0, msi1));
            groupB = vfio.openGroup(GROUP_B);
            groupB.setContainer(container);
            regs = deviceA.region(0);

            slotMemory = arena.allocate(size.slots() * SLOT, PAGE);
            for (long at = 0; at < slotMemory.byteSize(); at += 8) {
                slotMemory.set(ValueLayout.JAVA_LONG_UNALIGNED, at, pattern(at));
            }
            home = arena.allocate(HOME_WORDS * 8L, PAGE);
            container.mapDma(home, HOME_IOVA);
            engineA.violations = violations;
            engineA.slots = size.slots();
            owned = new long[size.ownedMappers()][size.slotsPerOwner()];
            contestedFirst = size.ownedMappers() * size.slotsPerOwner();
        }

        void startAll() {
            deadline = System.nanoTime() + size.cap().toNanos();
            for (int t = 0; t < size.ownedMappers(); t++) {
                long[] model = owned[t];
                int first = t * size.slotsPerOwner();
                SplittableRandom r = new SplittableRandom(seed + t);
                watchdog.start("owned mapper " + t, () -> ownedMapper(container, slotMemory, first, model, size.mapOps(), r,
                        deadline, ledger, violations));
            }
            for (int t = 0; t < size.contestedMappers(); t++) {
                SplittableRandom r = new SplittableRandom(seed + 100 + t);
                watchdog.start("contested mapper " + t, () -> contestedMapper(container, slotMemory, contestedFirst, size.contestedSlots(),
                        size.mapOps(), r, deadline, ledger, contestedSizes, violations));
            }
            SplittableRandom dmaRandom = new SplittableRandom(seed + 200);
            watchdog.start("DMA driver", () -> {
                for (int i = 0; i < size.dmaJobs() && System.nanoTime() < deadline && violations.isEmpty(); i++) {
                    int slot = dmaRandom.nextInt(size.slots());
                    int pages = 1 + dmaRandom.nextInt(16);
                    int vector = dmaRandom.nextInt(2);
                    boolean toHome = dmaRandom.nextInt(5) == 0;
                    regs.writeInt(0, slot | (pages - 1) << 12 | vector << 16 | (toHome ? 1 << 17 : 0));
                }
            });
            watchdog.start("loop-back", () -> {
                for (int i = 0; i < size.loopBacks() && System.nanoTime() < deadline && violations.isEmpty(); i++) {
                    deviceA.triggerIrq(VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, 1, 1);
                    loopBacksDone.incrementAndGet();
                }
            });
            SplittableRandom churnRandom = new SplittableRandom(seed + 300);
            watchdog.start("open/close", () -> churn(vfio, container, deviceA, groupB, size.churns(), churnRandom, deadline, violations));
            waiter0 = watchdog.start("waiter in read(2), vector 0", () -> {
                while (true) {
                    long v = msi0.await();
                    if (v >= SENTINEL) {
                        consumed.addAndGet(0, v - SENTINEL);
                        return;
                    }
                    consumed.addAndGet(0, v);
                }
            });
            waiter1 = watchdog.start("waiter in poll(2), vector 1", () -> {
                while (!stop.get()) {
                    OptionalLong v = msi1.await(Duration.ofMillis(20));
                    if (v.isPresent()) {
                        consumed.addAndGet(1, v.getAsLong());
                    }
                }
            });
        }

        /** After a quiet end: every model agrees with the kernel. */
        void checkAgainstModels() throws VfioException {
            assertThat(violations).as("violations (seed %d)", seed).isEmpty();
            System.out.printf("%d threads: %d map/unmap calls (%d mapped, %d unmapped bytes), %d DMA jobs (%d faulted), %d loop-backs,"
                            + " %d interrupts consumed, %d opens%n", watchdog.threads.size(), ledger.calls.get(), ledger.mapped.get(),
                    ledger.unmapped.get(), engineA.completed.get(), engineA.faults.get(), loopBacksDone.get(),
                    consumed.get(0) + consumed.get(1), churnsDone.get());

            // every interrupt produced is consumed exactly once
            assertThat(consumed.get(0)).as("vector 0: consumed = raised by the engine").isEqualTo(engineA.raised.get(0));
            assertThat(consumed.get(1)).as("vector 1: consumed = raised by the engine + loop-back triggers")
                    .isEqualTo(engineA.raised.get(1) + loopBacksDone.get());
            assertThat(kernel.undeliveredInterrupts()).as("interrupts that reached no eventfd").isEmpty();

            // the home mapping holds what the engine wrote last at each word
            for (int w = 0; w < HOME_WORDS; w++) {
                assertThat(home.get(ValueLayout.JAVA_LONG_UNALIGNED, w * 8L)).as("home word %d", w).isEqualTo(engineA.homeModel[w]);
            }

            // the live mappings are the owners' arrays exactly, and conserve bytes in the shared block
            long liveBytes = 0;
            long[][] seen = new long[size.ownedMappers()][size.slotsPerOwner()];
            for (KernelResources.DmaRange d : kernel.resources().dmaMappings()) {
                if (d.iova() == HOME_IOVA) {
                    continue;
                }
                long offset = d.iova() - SLOT_BASE;
                assertThat(offset % SLOT).as("%s starts at a slot", d).isZero();
                int slot = (int) (offset / SLOT);
                liveBytes += d.size();
                if (slot < contestedFirst) {
                    seen[slot / size.slotsPerOwner()][slot % size.slotsPerOwner()] = d.size();
                } else {
                    assertThat(contestedSizes.getOrDefault((long) slot, Set.of())).as("%s was mapped by someone", d).contains(d.size());
                }
            }
            for (int t = 0; t < size.ownedMappers(); t++) {
                assertThat(seen[t]).as("owned block %d: the kernel's mappings = the owner's model", t).containsExactly(owned[t]);
            }
            assertThat(ledger.mapped.get()).as("bytes mapped = bytes unmapped + bytes still mapped")
                    .isEqualTo(ledger.unmapped.get() + liveBytes);
            assertThat(kernel.lockedPages()).as("locked pages = pages mapped").isEqualTo((liveBytes + home.byteSize()) / PAGE);

            assertThat(container.unmapAllDma()).isEqualTo(liveBytes + home.byteSize());
            assertThat(kernel.lockedPages()).isZero();
        }
    }

    /** The 8 bytes at {@code offset} of the slot memory: the offset itself, so a read from the wrong place shows. */
    private static long pattern(long offset) {
        return offset * 0x9E3779B97F4A7C15L + 1;
    }

    /** Totals of every mapper's successful calls. */
    static final class Ledger {
        final AtomicLong mapped = new AtomicLong();
        final AtomicLong unmapped = new AtomicLong();
        final AtomicLong calls = new AtomicLong();
    }

    private final AtomicLong churnsDone = new AtomicLong();

    private static void ownedMapper(VfioContainer c, MemorySegment memory, int first, long[] model, int ops, SplittableRandom r,
                                    long deadline, Ledger ledger, Queue<String> violations) throws VfioException {
        for (int i = 0; i < ops && System.nanoTime() < deadline && violations.isEmpty(); i++) {
            ledger.calls.incrementAndGet();
            if (r.nextInt(10) < 6) {
                int s = r.nextInt(model.length);
                long bytes = (1 + r.nextInt(16)) * PAGE;
                try {
                    c.mapDma(memory.asSlice((first + s) * SLOT, bytes), SLOT_BASE + (first + s) * SLOT);
                    if (model[s] != 0) {
                        violations.add("slot " + (first + s) + " held " + model[s] + " bytes, yet mapping over it succeeded");
                    }
                    model[s] = bytes;
                    ledger.mapped.addAndGet(bytes);
                } catch (VfioException e) {
                    if (e.errno() == Errno.EBADF) {
                        throw e; // the container was closed under the thread (the close-under-load test)
                    }
                    if (e.errno() != Errno.EEXIST || model[s] == 0) {
                        violations.add("map of free slot " + (first + s) + " (model " + model[s] + "): " + e.getMessage());
                    }
                }
            } else {
                int s = r.nextInt(model.length);
                int n = Math.min(1 + r.nextInt(4), model.length - s);
                long expected = 0;
                for (int k = s; k < s + n; k++) {
                    expected += model[k];
                    model[k] = 0;
                }
                long got = c.unmapDma(SLOT_BASE + (first + s) * SLOT, n * SLOT);
                if (got != expected) {
                    violations.add("unmap of slots " + (first + s) + ".." + (first + s + n - 1) + " returned " + got + " bytes; the model says "
                            + expected);
                }
                ledger.unmapped.addAndGet(got);
            }
        }
    }

    private static void contestedMapper(VfioContainer c, MemorySegment memory, int first, int slots, int ops, SplittableRandom r,
                                        long deadline, Ledger ledger, Map<Long, Set<Long>> sizes, Queue<String> violations)
            throws VfioException {
        for (int i = 0; i < ops && System.nanoTime() < deadline && violations.isEmpty(); i++) {
            ledger.calls.incrementAndGet();
            int s = first + r.nextInt(slots);
            if (r.nextBoolean()) {
                long bytes = (1 + r.nextInt(16)) * PAGE;
                sizes.computeIfAbsent((long) s, k -> ConcurrentHashMap.newKeySet()).add(bytes); // before: the check may see it live
                try {
                    c.mapDma(memory.asSlice(s * SLOT, bytes), SLOT_BASE + s * SLOT);
                    ledger.mapped.addAndGet(bytes);
                } catch (VfioException e) {
                    if (e.errno() == Errno.EBADF) {
                        throw e;
                    }
                    if (e.errno() != Errno.EEXIST) {
                        violations.add("map of shared slot " + s + ": " + e.getMessage());
                    }
                }
            } else {
                int n = Math.min(1 + r.nextInt(4), first + slots - s);
                long got = c.unmapDma(SLOT_BASE + s * SLOT, n * SLOT);
                if (got < 0 || got > n * SLOT || got % PAGE != 0) {
                    violations.add("unmap of shared slots " + s + "+" + n + " returned " + got + " bytes");
                }
                ledger.unmapped.addAndGet(got);
            }
        }
    }

    private void churn(Vfio vfio, VfioContainer container, VfioDevice deviceA, VfioGroup firstGroupB, int churns, SplittableRandom r,
                       long deadline, Queue<String> violations) throws VfioException {
        VfioGroup groupB = firstGroupB;
        for (int i = 0; i < churns && System.nanoTime() < deadline && violations.isEmpty(); i++) {
            try (VfioDevice b = groupB.openDevice(BDF_B); EventNotifier n = vfio.eventNotifier()) {
                b.config().write16(0x04, b.config().read16(0x04) | 0x4);
                b.enableIrq(VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, List.of(n));
                b.triggerIrq(VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, 0, 1);
                long got = n.expectSignal(Duration.ofSeconds(10));
                if (got != 1) {
                    violations.add("device B's loop-back interrupt counted " + got);
                }
                b.disableIrq(VfioUapi.VFIO_PCI_MSI_IRQ_INDEX);
            }
            try (Region bar2 = deviceA.region(2)) {
                long value = r.nextLong();
                long offset = 8L * r.nextInt(1024);
                bar2.writeLong(offset, value);
                if (bar2.readLong(offset) != value) {
                    violations.add("BAR2 of device A did not keep what was written at " + offset);
                }
            }
            if (r.nextInt(8) == 0) { // the group leaves the container and joins it again, mappings live
                groupB.close();
                groupB = vfio.openGroup(GROUP_B);
                groupB.setContainer(container);
            }
            churnsDone.incrementAndGet();
        }
    }

    /**
     * A function with a DMA engine: a 32-bit write to BAR0 offset 0 queues a job (slot in bits 0-11,
     * pages - 1 in 12-15, MSI vector in 16, bit 17: write the home mapping instead of reading the
     * slot), which the kernel's device thread runs: the DMA, then the MSI. Reads check the bytes
     * against the slot pattern; writes keep a model of the home mapping.
     */
    static final class Engine implements PciDeviceModel {
        DeviceContext context;
        volatile Queue<String> violations = new ConcurrentLinkedQueue<>();
        volatile int slots;
        final AtomicLong scheduled = new AtomicLong();
        final AtomicLong completed = new AtomicLong();
        final AtomicLong faults = new AtomicLong();
        final AtomicLongArray raised = new AtomicLongArray(2);
        final long[] homeModel = new long[HOME_WORDS];
        private long sequence;

        @Override
        public ConfigSpace config() {
            return ConfigSpace.builder(0x1af4, 0x10f1, 0x00ff00).pcie(true).msi(2, true, true).build();
        }

        @Override
        public List<Bar> bars() {
            MmioHandler regs = new MmioHandler() {
                @Override
                public long read(long offset, int size) {
                    return 0;
                }

                @Override
                public void write(long offset, int size, long value) {
                    if (offset == 0) {
                        long job = ++sequence; // under the kernel lock, as every model callback
                        scheduled.incrementAndGet();
                        context.schedule(Duration.ZERO, () -> run(job, (int) value));
                    }
                }
            };
            return List.of(Bar.registers(0, 0x1000, BarKind.MEMORY32, regs),
                    new Bar(2, 0x2000, BarKind.MEMORY64, false, List.of(new BarRange.Memory(0, 0x2000))));
        }

        @Override
        public void attach(DeviceContext context) {
            this.context = context;
        }

        private void run(long job, int command) {
            int slot = command & 0xfff;
            long bytes = ((command >>> 12 & 0xf) + 1) * PAGE;
            int vector = command >>> 16 & 1;
            boolean toHome = (command & 1 << 17) != 0;
            try {
                if (toHome) {
                    int word = (int) (job % HOME_WORDS);
                    MemorySegment v = MemorySegment.ofArray(new long[] {job});
                    context.dmaWrite(HOME_IOVA + word * 8L, v);
                    homeModel[word] = job;
                } else if (slot < slots) {
                    MemorySegment got = MemorySegment.ofArray(new long[(int) (bytes / 8)]);
                    context.dmaRead(SLOT_BASE + slot * SLOT, got);
                    for (long at = 0; at < bytes; at += 8) {
                        if (got.get(ValueLayout.JAVA_LONG_UNALIGNED, at) != pattern(slot * SLOT + at)) {
                            violations.add("job " + job + ": a DMA read of slot " + slot + " returned other bytes at +" + at);
                            break;
                        }
                    }
                }
            } catch (DmaFaultException e) {
                if (toHome) {
                    violations.add("job " + job + ": a DMA write to the home mapping faulted: " + e.getMessage());
                }
                faults.incrementAndGet();
            }
            context.signalMsi(vector);
            raised.incrementAndGet(vector);
            completed.incrementAndGet();
        }

        @Override
        public void reset() {
        }
    }

    /**
     * Runs the workers; fails the test with every thread's state and stack when a worker is not done
     * by its deadline (a deadlock shows as threads BLOCKED on each other's monitors, a lost wake-up
     * as a thread WAITING with nothing left to wake it).
     */
    static final class Watchdog {
        final List<Thread> threads = new ArrayList<>();
        final Queue<Map.Entry<String, Throwable>> thrown = new ConcurrentLinkedQueue<>();
        private final Queue<String> violations;

        Watchdog(Queue<String> violations) {
            this.violations = violations;
        }

        @FunctionalInterface
        interface Work {
            void run() throws Exception;
        }

        Thread start(String name, Work work) {
            Thread t = Thread.ofPlatform().name(name).daemon().unstarted(() -> {
                try {
                    work.run();
                } catch (Throwable e) {
                    thrown.add(Map.entry(name, e));
                    violations.add(name + " threw " + e);
                }
            });
            threads.add(t);
            t.start();
            return t;
        }

        void awaitProducers(Set<Thread> except, long deadline) throws InterruptedException {
            for (Thread t : threads) {
                if (!except.contains(t)) {
                    join(t, deadline);
                }
            }
        }

        void awaitAll(long deadline) throws InterruptedException {
            for (Thread t : threads) {
                join(t, deadline);
            }
        }

        void awaitQuiet(java.util.function.BooleanSupplier done, long deadline, String what) throws InterruptedException {
            while (!done.getAsBoolean()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(what + " did not finish in time\n" + dump());
                }
                Thread.sleep(5);
            }
        }

        private void join(Thread t, long deadline) throws InterruptedException {
            while (t.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(t.getName() + " did not finish in time (a hang or a lost wake-up)\n" + dump());
                }
                t.join(Math.max(1, Math.min(250, left / 1_000_000)));
            }
        }

        /** Every thread's state and whole stack. */
        String dump() {
            StringBuilder b = new StringBuilder();
            for (Map.Entry<Thread, StackTraceElement[]> i : Thread.getAllStackTraces().entrySet()) {
                b.append('"').append(i.getKey().getName()).append("\" ").append(i.getKey().getState()).append('\n');
                for (StackTraceElement e : i.getValue()) {
                    b.append("\tat ").append(e).append('\n');
                }
            }
            System.out.println(b);
            return b.toString();
        }
    }
}
