package org.vfio4j.sim;

import static org.vfio4j.uapi.VfioUapi.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.vfio4j.VfioException;
import org.vfio4j.sim.core.Container;
import org.vfio4j.sim.core.ContainerFile;
import org.vfio4j.sim.core.Group;
import org.vfio4j.sim.core.GroupFile;
import org.vfio4j.sim.pci.PciFunction;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.PollFd;
import org.vfio4j.uapi.VfioUapi;

/**
 * A seeded random walk over the raw system-call seam of {@link SimulatedKernel}: every request of
 * {@code VfioUapi} with random and near-valid struct bytes on every kind of descriptor (container,
 * group, device, eventfd, dma-buf, closed, foreign), region accesses at offsets around every edge,
 * mmap/munmap, poll, eventfds, user addresses, adopt and close. Each episode boots a fresh host,
 * makes calls, then closes everything it opened and checks the kernel is back in its fresh state.
 *
 * <p>Every exception that leaves the seam is classified: documented ({@code VfioException}; {@code
 * IllegalArgumentException} for a foreign handle, a heap segment given to userAddress or a segment
 * that is not a live mapping, and for a null buffer; {@code IllegalStateException} after the kernel
 * was closed), or a finding, kept with the call that raised it. The same seed makes the same calls.
 */
final class SeamFuzzer {

    /** The kinds of descriptors the fuzzer holds. */
    enum Kind { CONTAINER, GROUP, DEVICE, EVENTFD, DMABUF }

    private record Handle(Fd fd, Kind kind) {}

    /** A new finding: an undocumented exception, first seen at {@code call}, seen {@code count} times. */
    static final class Finding {
        final String signature;
        final String call;
        final long index;
        final String stackTrace;
        long count;

        Finding(String signature, String call, long index, Throwable t) {
            this.signature = signature;
            this.call = call;
            this.index = index;
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            this.stackTrace = w.toString();
        }
    }

    /** What a run found. */
    static final class Report {
        long seed;
        long calls;
        int episodes;
        long elapsedNanos;
        long longestHoldNanos;
        long warmUpHoldNanos;
        String warmUpHoldCall = "";
        String longestHoldCall = "";
        long longestCallNanos;
        String longestCall = "";
        final Map<String, Long> documented = new TreeMap<>();
        final Map<String, Finding> findings = new LinkedHashMap<>();
        final List<String> freshStateViolations = new ArrayList<>();
        long successes;
        /** Successful calls by operation (ioctls by request), to see how deep the walk got. */
        final Map<String, Long> succeeded = new TreeMap<>();

        long escapes() {
            return findings.values().stream().mapToLong(f -> f.count).sum();
        }

        void merge(Report o) {
            calls += o.calls;
            successes += o.successes;
            o.documented.forEach((k, v) -> documented.merge(k, v, Long::sum));
            o.succeeded.forEach((k, v) -> succeeded.merge(k, v, Long::sum));
            o.findings.forEach((k, f) -> findings.merge(k, f, (a, b) -> {
                a.count += b.count;
                return a;
            }));
            freshStateViolations.addAll(o.freshStateViolations);
            if (o.longestCallNanos > longestCallNanos) {
                longestCallNanos = o.longestCallNanos;
                longestCall = o.longestCall;
            }
        }

        String summary() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("seam fuzz: seed %d, %d calls in %d episodes, %.1f s; %d succeeded%n", seed, calls, episodes,
                    elapsedNanos / 1e9, successes));
            sb.append(String.format("longest kernel-lock hold %.3f ms (%s), %.3f ms in the first episode (%s); longest call %.3f ms"
                    + " wall clock (%s)%n", longestHoldNanos / 1e6, longestHoldCall, warmUpHoldNanos / 1e6, warmUpHoldCall,
                    longestCallNanos / 1e6, longestCall));
            sb.append("succeeded: ").append(succeeded).append('\n');
            sb.append("documented exceptions: ").append(documented).append('\n');
            sb.append("new findings: ").append(findings.size()).append('\n');
            for (Finding f : findings.values()) {
                sb.append("  ").append(f.signature).append(" x").append(f.count).append(", first at call #").append(f.index)
                        .append(": ").append(f.call).append('\n');
            }
            sb.append("fresh-state violations: ").append(freshStateViolations.size()).append('\n');
            for (String v : freshStateViolations) {
                sb.append("  ").append(v).append('\n');
            }
            return sb.toString();
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws Exception;
    }

    private static final long[] REQUESTS = {
        VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU,
        VFIO_GROUP_GET_STATUS, VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_UNSET_CONTAINER, VFIO_GROUP_GET_DEVICE_FD,
        VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET,
        VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, VFIO_DEVICE_PCI_HOT_RESET, VFIO_DEVICE_QUERY_GFX_PLANE, VFIO_DEVICE_GET_GFX_DMABUF,
        VFIO_DEVICE_IOEVENTFD, VFIO_DEVICE_FEATURE,
        VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_ENABLE, VFIO_IOMMU_DISABLE,
        VFIO_IOMMU_SPAPR_TCE_GET_INFO, VFIO_EEH_PE_OP, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY,
        VFIO_IOMMU_SPAPR_TCE_CREATE, VFIO_IOMMU_SPAPR_TCE_REMOVE,
    };
    private static final long[] CONTAINER_REQUESTS = {VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU, VFIO_IOMMU_GET_INFO,
        VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_ENABLE, VFIO_EEH_PE_OP, VFIO_IOMMU_SPAPR_TCE_CREATE};
    private static final long[] GROUP_REQUESTS = {VFIO_GROUP_GET_STATUS, VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_SET_CONTAINER,
        VFIO_GROUP_UNSET_CONTAINER, VFIO_GROUP_GET_DEVICE_FD, VFIO_GROUP_GET_DEVICE_FD};
    private static final long[] DEVICE_REQUESTS = {VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_GET_IRQ_INFO,
        VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, VFIO_DEVICE_PCI_HOT_RESET,
        VFIO_DEVICE_QUERY_GFX_PLANE, VFIO_DEVICE_GET_GFX_DMABUF, VFIO_DEVICE_IOEVENTFD, VFIO_DEVICE_FEATURE};
    private static final String[] DEVICE_NAMES = {FuzzHosts.MSIX_DEVICE, FuzzHosts.DISPLAY_DEVICE, FuzzHosts.PF, FuzzHosts.VF,
        FuzzHosts.SHARED, "0000:00:04.0", "0000:01:00.0", "0000:02:00.0", "0000:02:00.1"};
    private static final String[] TOKENS = {"6c5b2a60-3b36-4f4e-a0e5-1b1c0d7f9a11", "00000000-0000-0000-0000-000000000000"};
    private static final long PAGE = 4096;

    private final long seed;
    private final Random rnd;
    private final long maxCalls;
    private final long deadline;
    private final boolean wrappingSegments;
    private final Report report = new Report();

    // the episode
    private SimulatedHost host;
    private SimulatedKernel kernel;
    private boolean kernelClosed;
    private final List<Handle> handles = new ArrayList<>();
    private final List<MemorySegment> mapped = new ArrayList<>();
    private final List<MemorySegment> unmapped = new ArrayList<>();
    private final List<MemorySegment> buffers = new ArrayList<>();
    private final List<long[]> dmaRanges = new ArrayList<>();
    private final List<Integer> dmabufIds = new ArrayList<>();
    private Arena arena;
    private MemorySegment deadSegment;
    private MemorySegment otherThreadSegment;
    private final SimulatedKernel foreign = SimulatedHost.x86Type1().boot();
    private final Fd foreignFd;
    private final LongSupplier holdClock;

    SeamFuzzer(long seed, long maxCalls, long maxNanos, boolean wrappingSegments, LongSupplier holdClock)
            throws VfioException {
        this.holdClock = holdClock;
        this.seed = seed;
        this.rnd = new Random(seed);
        this.maxCalls = maxCalls;
        this.deadline = System.nanoTime() + maxNanos;
        this.wrappingSegments = wrappingSegments;
        this.foreignFd = foreign.eventfd(0, LinuxAbi.EFD_NONBLOCK);
        report.seed = seed;
    }

    Report run() throws Exception {
        long start = System.nanoTime();
        try {
            while (report.calls < maxCalls && System.nanoTime() < deadline) {
                int r = rnd.nextInt(10);
                episode(r < 5 ? 0 : r < 7 ? 1 : r < 8 ? 2 : 3, 100 + rnd.nextInt(900));
            }
        } finally {
            foreign.close();
        }
        report.elapsedNanos = System.nanoTime() - start;
        return report;
    }

    // ---- an episode ----

    private void episode(int hostNumber, int calls) throws Exception {
        report.episodes++;
        host = FuzzHosts.host(hostNumber);
        kernel = host.boot();
        kernel.recordTrace(rnd.nextBoolean()); // with the trace on, every call's decoded arguments are formatted too
        kernel.measureLockHolds(holdClock);
        startWalk();
        String where = "episode " + report.episodes + " (host " + hostNumber + ")";
        try {
            for (int i = 0; i < calls && report.calls < maxCalls; i++) {
                step();
            }
            cleanUp();
            checkFresh(where);
            closeKernel();
        } finally {
            if (!kernelClosed) {
                kernel.close();
            }
            long hold = kernel.longestLockHoldNanos();
            if (report.episodes == 1) {
                // the first episode loads and interprets the simulator's classes: reported, not bounded
                report.warmUpHoldNanos = hold;
                report.warmUpHoldCall = kernel.longestLockHoldCall();
            } else if (hold > report.longestHoldNanos) {
                report.longestHoldNanos = hold;
                report.longestHoldCall = kernel.longestLockHoldCall() + " (" + where + ")";
            }
            arena.close();
        }
    }

    /** Unmaps and closes everything this walker made. */
    private void cleanUp() {
        for (MemorySegment m : List.copyOf(mapped)) {
            invoke("munmap", () -> "munmap(" + m + ")", () -> {
                kernel.munmap(m);
                return null;
            });
        }
        mapped.clear();
        invoke("traceText", () -> "traceText()", kernel::traceText);
        kernel.clearTrace();
        List<Handle> open = new ArrayList<>(handles.stream().filter(h -> h.fd().isOpen()).toList());
        Collections.shuffle(open, rnd);
        for (Handle h : open) {
            invoke("close", () -> "close(" + h.fd() + ")", () -> {
                kernel.close(h.fd());
                return null;
            });
        }
    }

    // ---- several walkers on one kernel ----

    /**
     * {@code threads} walkers on each booted kernel at once, each with its own descriptors, memory
     * and random sequence ({@code seed + i}); after all have closed what they opened, the kernel
     * must be fresh. Interleavings are not reproducible by the seed: a finding here comes with its
     * stack trace and call.
     */
    static Report concurrent(long seed, int threads, long maxCalls, long maxNanos, boolean wrapping,
                             LongSupplier holdClock) throws Exception {
        List<SeamFuzzer> walkers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            walkers.add(new SeamFuzzer(seed + i, maxCalls / threads, maxNanos, wrapping, holdClock));
        }
        SeamFuzzer lead = walkers.get(0);
        Random episodes = new Random(seed);
        long start = System.nanoTime();
        int episode = 0;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            while (lead.report.calls < maxCalls / threads && System.nanoTime() < lead.deadline) {
                episode++;
                int r = episodes.nextInt(10);
                int hostNumber = r < 5 ? 0 : r < 7 ? 1 : r < 8 ? 2 : 3;
                SimulatedHost host = FuzzHosts.host(hostNumber);
                SimulatedKernel kernel = host.boot();
                kernel.recordTrace(episodes.nextBoolean());
                kernel.measureLockHolds(holdClock);
                int calls = 100 + episodes.nextInt(900);
                List<CompletableFuture<Void>> runs = new ArrayList<>();
                for (SeamFuzzer w : walkers) {
                    runs.add(CompletableFuture.runAsync(() -> w.walk(host, kernel, calls), pool));
                }
                for (CompletableFuture<Void> run : runs) {
                    run.join();
                }
                String where = "concurrent episode " + episode + " (host " + hostNumber + ", " + threads + " walkers)";
                lead.kernel = kernel;
                lead.host = host;
                lead.checkFresh(where);
                kernel.close();
                long hold = kernel.longestLockHoldNanos();
                if (episode == 1) {
                    lead.report.warmUpHoldNanos = hold;
                    lead.report.warmUpHoldCall = kernel.longestLockHoldCall();
                } else if (hold > lead.report.longestHoldNanos) {
                    lead.report.longestHoldNanos = hold;
                    lead.report.longestHoldCall = kernel.longestLockHoldCall() + " (" + where + ")";
                }
            }
        } finally {
            pool.shutdownNow();
            for (SeamFuzzer w : walkers) {
                w.foreign.close();
            }
        }
        Report merged = lead.report;
        merged.episodes = episode;
        for (SeamFuzzer w : walkers.subList(1, walkers.size())) {
            merged.merge(w.report);
        }
        merged.seed = seed;
        merged.elapsedNanos = System.nanoTime() - start;
        return merged;
    }

    /** Forgets the last walk and makes this walk's memory: buffers, a dead segment, another thread's segment. */
    private void startWalk() {
        kernelClosed = false;
        handles.clear();
        mapped.clear();
        unmapped.clear();
        buffers.clear();
        dmaRanges.clear();
        dmabufIds.clear();
        arena = Arena.ofShared();
        try (Arena gone = Arena.ofConfined()) {
            deadSegment = gone.allocate(PAGE, PAGE);
        }
        otherThreadSegment = CompletableFuture.supplyAsync(() -> Arena.ofConfined().allocate(PAGE, PAGE)).join();
        for (long size : new long[] {PAGE, PAGE, 4 * PAGE, 16 * PAGE, 64 * PAGE, 128}) {
            buffers.add(arena.allocate(size, PAGE));
        }
    }

    /** One walker's share of a concurrent episode: calls, then closing what it opened. */
    private void walk(SimulatedHost host, SimulatedKernel kernel, int calls) {
        this.host = host;
        this.kernel = kernel;
        startWalk();
        try {
            for (int i = 0; i < calls; i++) {
                step();
            }
            cleanUp();
        } catch (RuntimeException | Error e) {
            report.findings.computeIfAbsent("walker died: " + e, x -> new Finding(x, "a walker", report.calls, e)).count++;
        } finally {
            arena.close();
        }
    }

    private void checkFresh(String where) {
        List<String> v = new ArrayList<>();
        if (kernel.openDescriptorCount() != 0) {
            v.add(kernel.openDescriptorCount() + " descriptors still open");
        }
        if (kernel.liveMappingCount() != 0) {
            v.add(kernel.liveMappingCount() + " mappings still live");
        }
        if (kernel.lockedPages() != 0) {
            v.add("lockedPages() = " + kernel.lockedPages());
        }
        synchronized (kernel.lock()) {
            for (Group g : kernel.groupStates()) {
                if (g.opened() != null || g.container() != null || g.containerUsers() != 0) {
                    v.add(g + ": opened=" + g.opened() + ", container=" + g.container() + ", containerUsers=" + g.containerUsers());
                }
                if (kernel.dmaMappingCount(g.id()).isPresent()) {
                    v.add(g + " still has a type1 IOMMU with " + kernel.dmaMappingCount(g.id()).get() + " mappings");
                }
                for (PciFunction f : g.devices.stream().map(PciFunction.class::cast).toList()) {
                    if (f.openCount() != 0 || f.enabled() || !f.irqs.typeName().equals("none")) {
                        v.add(f + ": openCount=" + f.openCount() + ", irqs=" + f.irqs.typeName());
                    }
                }
            }
        }
        // every group opens again, as on a fresh kernel (a leaked reference would leave it EBUSY)
        for (Group g : kernel.groupStates()) {
            String path = "/dev/vfio/" + g.nodeName();
            try {
                kernel.close(kernel.open(path, LinuxAbi.O_RDWR));
            } catch (VfioException e) {
                v.add(path + " does not open again: " + e.getMessage());
            }
        }
        for (String s : v) {
            report.freshStateViolations.add(where + ", seed " + seed + ": " + s);
        }
    }

    /** Closes the kernel and makes a few calls on it: open and eventfd are refused, handles are closed. */
    private void closeKernel() {
        kernel.close();
        kernelClosed = true;
        for (int i = 0; i < 8; i++) {
            step();
        }
    }

    // ---- one call ----

    private void step() {
        if (!kernelClosed && rnd.nextInt(100) < 25) {
            guided();
            return;
        }
        int r = rnd.nextInt(100);
        if (r < 6) {
            open();
        } else if (r < 9) {
            close();
        } else if (r < 11) {
            adopt();
        } else if (r < 45) {
            ioctl();
        } else if (r < 48) {
            ioctlValue();
        } else if (r < 62) {
            rw(true);
        } else if (r < 70) {
            rw(false);
        } else if (r < 74) {
            readWrite();
        } else if (r < 80) {
            mmap();
        } else if (r < 83) {
            munmap();
        } else if (r < 86) {
            poll();
        } else if (r < 91) {
            eventfd();
        } else if (r < 96) {
            userAddress();
        } else {
            counter();
        }
    }

    private <T> T invoke(String op, Supplier<String> describe, Call<T> call) {
        long index = ++report.calls;
        long t0 = System.nanoTime();
        T result = null;
        Throwable thrown = null;
        try {
            result = call.run();
        } catch (Throwable t) {
            thrown = t;
        }
        long took = System.nanoTime() - t0;
        if (took > report.longestCallNanos) {
            report.longestCallNanos = took;
            report.longestCall = describe.get();
        }
        if (thrown != null) {
            classify(op, describe, index, thrown);
            return null;
        }
        report.successes++;
        report.succeeded.merge(op.equals("ioctl") ? lastRequest : op, 1L, Long::sum);
        return result;
    }

    private void classify(String op, Supplier<String> describe, long index, Throwable t) {
        String message = String.valueOf(t.getMessage());
        String documented = null;
        if (t instanceof VfioException e) {
            documented = "VfioException";
            if (e.explanation().filter(x -> !x.isBlank()).isEmpty()) {
                contract(describe, e.errno() + " without an explanation of the rule");
            }
        } else if (t instanceof IllegalArgumentException && message.contains("belongs to")) {
            documented = "IllegalArgumentException (foreign handle)";
        } else if (t instanceof IllegalArgumentException && op.equals("userAddress") && message.contains("heap segment")) {
            documented = "IllegalArgumentException (heap segment has no address)";
        } else if (t instanceof IllegalArgumentException && (op.equals("munmap") || op.equals("load") || op.equals("store"))
                && message.contains("not a live mapping")) {
            documented = "IllegalArgumentException (not a live mapping)";
        } else if (t instanceof IllegalArgumentException && (op.equals("load") || op.equals("store"))
                && (message.contains("1, 2, 4 or 8") || message.contains("leaves the") || message.contains("not aligned to its size"))) {
            documented = "IllegalArgumentException (a mapped access outside its mapping, of another width, or unaligned)";
        } else if (t instanceof IllegalArgumentException && message.contains("not null")) {
            documented = "IllegalArgumentException (null buffer or segment)";
        } else if (t instanceof IllegalStateException && kernelClosed) {
            documented = "IllegalStateException (closed kernel)";
        }
        if (documented != null) {
            report.documented.merge(documented, 1L, Long::sum);
        } else {
            String signature = t.getClass().getName() + " from " + op + " at " + firstFrame(t);
            report.findings.computeIfAbsent(signature, s -> new Finding(s, describe.get() + " -> " + t, index, t)).count++;
        }
    }

    /** A call that returned something its contract rules out: a finding like an escaping exception. */
    private void contract(Supplier<String> call, String what) {
        String signature = "contract: " + call.get().replaceAll("\\(.*", "") + " " + what.replaceAll("[0-9]+", "N");
        report.findings.computeIfAbsent(signature, s -> new Finding(s, call.get() + " " + what, report.calls,
                new AssertionError(what))).count++;
    }

    private static String firstFrame(Throwable t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().startsWith("org.vfio4j.sim") && !e.getClassName().contains("SeamFuzzer")) {
                return e.getClassName().substring(e.getClassName().lastIndexOf('.') + 1) + "." + e.getMethodName() + ":" + e.getLineNumber();
            }
        }
        return t.getStackTrace().length > 0 ? t.getStackTrace()[0].toString() : "?";
    }

    // ---- the seam calls ----

    private void open() {
        String path = switch (rnd.nextInt(12)) {
            case 0, 1, 2, 3 -> "/dev/vfio/vfio";
            case 4, 5, 6, 7, 8 -> "/dev/vfio/" + groupNode();
            case 9 -> "/dev/vfio/";
            case 10 -> "/dev/vfio/../vfio/vfio";
            default -> "/sys/kernel/iommu_groups/" + groupNode();
        };
        int flags = rnd.nextInt(8) == 0 ? rnd.nextInt() : LinuxAbi.O_RDWR;
        Fd fd = invoke("open", () -> "open(\"" + path + "\", 0x" + Integer.toHexString(flags) + ")", () -> kernel.open(path, flags));
        if (fd != null) {
            handles.add(new Handle(fd, path.equals("/dev/vfio/vfio") ? Kind.CONTAINER : Kind.GROUP));
        }
    }

    private String groupNode() {
        List<String> nodes = new ArrayList<>();
        for (HostGroup g : host.groups()) {
            nodes.add((host.isNoIommu() ? "noiommu-" : "") + g.id());
        }
        nodes.add("99");
        nodes.add("noiommu-7");
        return nodes.get(rnd.nextInt(nodes.size()));
    }

    private void close() {
        Fd fd = anyFd();
        invoke("close", () -> "close(" + fd + ")", () -> {
            kernel.close(fd);
            return null;
        });
    }

    private void adopt() {
        int n = fdNumber(null);
        invoke("adopt", () -> "adopt(" + n + ")", () -> kernel.adopt(n, "adopted"));
    }

    private void ioctl() {
        Kind kind = rnd.nextInt(10) < 8 ? pickKind() : null;
        Fd fd = kind == null ? anyFd() : fdOf(kind);
        long request = kind == null || rnd.nextInt(10) == 0 ? REQUESTS[rnd.nextInt(REQUESTS.length)]
                : switch (kind) {
                    case CONTAINER -> CONTAINER_REQUESTS[rnd.nextInt(CONTAINER_REQUESTS.length)];
                    case GROUP -> GROUP_REQUESTS[rnd.nextInt(GROUP_REQUESTS.length)];
                    case DEVICE -> DEVICE_REQUESTS[rnd.nextInt(DEVICE_REQUESTS.length)];
                    default -> REQUESTS[rnd.nextInt(REQUESTS.length)];
                };
        long req = rnd.nextInt(40) == 0 ? rnd.nextLong() : request;
        lastRequest = requestName(req, kind);
        byte[] bytes = struct(req);
        MemorySegment arg = argumentSegment(bytes);
        String shown = describe(arg);
        Supplier<String> call = () -> "ioctl(" + fd + ", 0x" + Long.toHexString(req) + ", " + shown + " " + hex(bytes) + ")";
        Integer result = invoke("ioctl", call, () -> kernel.ioctl(fd, req, arg));
        if (result != null && result < 0) {
            contract(call, "returned " + result);
        }
        if (result != null && result > 0 && (req == VFIO_GROUP_GET_DEVICE_FD || req == VFIO_DEVICE_GET_GFX_DMABUF)) {
            Kind made = req == VFIO_GROUP_GET_DEVICE_FD ? Kind.DEVICE : Kind.DMABUF;
            Fd adopted = invoke("adopt", () -> "adopt(" + result + ")", () -> kernel.adopt(result, made.name()));
            if (adopted != null) {
                handles.add(new Handle(adopted, made));
            }
        }
        if (result != null && req == VFIO_DEVICE_QUERY_GFX_PLANE && arg != null && arg.byteSize() >= 60) {
            dmabufIds.add(arg.get(ValueLayout.JAVA_INT_UNALIGNED, 56));
        }
        if (result != null && req == VFIO_IOMMU_MAP_DMA && bytes.length >= 32) {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            dmaRanges.add(new long[] {b.getLong(16), b.getLong(24)});
        }
    }

    private void ioctlValue() {
        Kind kind = rnd.nextInt(10) < 8 ? Kind.CONTAINER : null;
        Fd fd = kind == null ? anyFd() : fdOf(kind);
        long request = rnd.nextBoolean() ? (rnd.nextBoolean() ? VFIO_CHECK_EXTENSION : VFIO_SET_IOMMU) : REQUESTS[rnd.nextInt(REQUESTS.length)];
        long value = rnd.nextInt(4) == 0 ? anyLong() : rnd.nextInt(12);
        lastRequest = requestName(request) + " (value)";
        invoke("ioctl", () -> "ioctl(" + fd + ", 0x" + Long.toHexString(request) + ", value " + value + ")", () -> kernel.ioctl(fd, request, value));
    }

    private void rw(boolean read) {
        Fd fd = rnd.nextInt(10) < 8 ? fdOf(Kind.DEVICE) : anyFd();
        long offset = regionOffset();
        MemorySegment buf = buffer(read ? 16 : 16);
        if (!read && fillable(buf) && rnd.nextBoolean()) {
            fillWrite(buf, offset);
        }
        String shown = describe(buf);
        Supplier<String> call = () -> (read ? "pread(" : "pwrite(") + fd + ", " + shown + ", 0x" + Long.toHexString(offset) + ")";
        Long n = invoke(read ? "pread" : "pwrite", call, () -> read ? kernel.pread(fd, buf, offset) : kernel.pwrite(fd, buf, offset));
        if (n != null && (n < 0 || n > buf.byteSize())) {
            contract(call, "returned " + n + " for a " + buf.byteSize() + "-byte buffer");
        }
    }

    /** Whether the walk itself can write the buffer before handing it over. */
    private boolean fillable(MemorySegment buf) {
        return buf != null && !buf.isReadOnly() && buf != deadSegment && buf != otherThreadSegment;
    }

    /** Writes that move the device: enable decode and mastering, program the copy engine, raise interrupts. */
    private void fillWrite(MemorySegment buf, long offset) {
        long v = switch (rnd.nextInt(8)) {
            case 0 -> 0x7; // PCI_COMMAND: I/O, memory, bus master
            case 1 -> 0x1 | (long) rnd.nextInt(8) << 8; // copy, or MSI vector
            case 2 -> 2 | (long) rnd.nextInt(8) << 8;
            case 3 -> 3 + rnd.nextInt(2);
            case 4 -> dmaRanges.isEmpty() ? 0 : dmaRanges.get(rnd.nextInt(dmaRanges.size()))[0];
            case 5 -> 0x8000_0000L | 0x4000_0000L; // MSI-X enable (and mask all) in the message control word's top bits
            default -> rnd.nextLong();
        };
        long n = Math.min(8, buf.byteSize());
        for (int i = 0; i < n; i++) {
            buf.set(ValueLayout.JAVA_BYTE, i, (byte) (v >>> (8 * i)));
        }
    }

    private void readWrite() {
        boolean read = rnd.nextBoolean();
        Fd fd = rnd.nextInt(10) < 7 ? fdOf(Kind.EVENTFD) : anyFd();
        MemorySegment buf = rnd.nextInt(4) == 0 ? buffer(16) : arena.allocate(8 + (rnd.nextInt(8) == 0 ? rnd.nextInt(3) - 1 : 0));
        if (!read && fillable(buf) && buf.byteSize() >= 8) {
            buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, rnd.nextInt(4) == 0 ? anyLong() : rnd.nextInt(5));
        }
        String shown = describe(buf);
        Supplier<String> call = () -> (read ? "read(" : "write(") + fd + ", " + shown + ")";
        Long n = invoke(read ? "read" : "write", call, () -> read ? kernel.read(fd, buf) : kernel.write(fd, buf));
        if (n != null && (n < 0 || n > buf.byteSize())) {
            contract(call, "returned " + n + " for a " + buf.byteSize() + "-byte buffer");
        }
    }

    private void counter() {
        Fd fd = rnd.nextInt(10) < 8 ? fdOf(Kind.EVENTFD) : anyFd();
        if (rnd.nextBoolean()) {
            invoke("read", () -> "readEventCounter(" + fd + ")", () -> kernel.readEventCounter(fd));
        } else {
            long v = rnd.nextInt(3) == 0 ? anyLong() : rnd.nextInt(3);
            invoke("write", () -> "writeEventCounter(" + fd + ", " + v + ")", () -> {
                kernel.writeEventCounter(fd, v);
                return null;
            });
        }
    }

    private void mmap() {
        Fd fd = rnd.nextInt(10) < 6 ? fdOf(Kind.DEVICE) : rnd.nextInt(3) == 0 ? fdOf(Kind.DMABUF) : anyFd();
        long offset = rnd.nextInt(4) == 0 ? anyLong() : (long) pick(0, 2, 2, 2, 9, 9, 4, 7, 6, 10) << 40 | pickLong(0, 0, PAGE, 2 * PAGE, 3 * PAGE, 1);
        long length = switch (rnd.nextInt(10)) {
            case 0 -> 0;
            case 1 -> -PAGE;
            case 2 -> Long.MAX_VALUE;
            case 3 -> -offset + PAGE; // offset + length wraps to a small value
            case 4 -> anyLong();
            default -> PAGE * pick(1, 1, 2, 3, 4, 5);
        };
        int prot = rnd.nextInt(6) == 0 ? rnd.nextInt() : LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE;
        int flags = rnd.nextInt(6) == 0 ? LinuxAbi.MAP_PRIVATE : LinuxAbi.MAP_SHARED;
        MemorySegment m = invoke("mmap", () -> String.format("mmap(%s, 0x%x, 0x%x, 0x%x, 0x%x)", fd, offset, length, prot, flags),
                () -> kernel.mmap(fd, offset, length, prot, flags));
        if (m != null) {
            mapped.add(m);
            if (m.byteSize() > 0 && rnd.nextBoolean()) {
                long at = rnd.nextLong(m.byteSize());
                invoke("load", () -> "a load at " + at + " of " + m, () -> m.get(ValueLayout.JAVA_BYTE, at)); // as a driver makes one
            }
        }
        mappedAccess();
    }

    /** A load or store through the seam on a live, unmapped or made-up mapping, at offsets around its ends. */
    private void mappedAccess() {
        List<MemorySegment> pool = rnd.nextInt(4) == 0 && !unmapped.isEmpty() ? unmapped : mapped;
        if (pool.isEmpty()) {
            return;
        }
        MemorySegment m = pool.get(rnd.nextInt(pool.size()));
        int size = rnd.nextInt(8) == 0 ? rnd.nextInt(10) : pick(1, 2, 4, 8);
        long at = switch (rnd.nextInt(5)) {
            case 0 -> -size;
            case 1 -> m.byteSize() - size + rnd.nextInt(3);
            case 2 -> anyLong();
            default -> m.byteSize() > 8 ? rnd.nextLong(m.byteSize() - 8) : 0;
        };
        long value = anyLong();
        if (rnd.nextBoolean()) {
            invoke("load", () -> String.format("load(%s, 0x%x, %d)", m, at, size), () -> kernel.load(m, at, size));
        } else {
            invoke("store", () -> String.format("store(%s, 0x%x, %d, 0x%x)", m, at, size, value), () -> {
                kernel.store(m, at, size, value);
                return null;
            });
        }
    }

    private void munmap() {
        MemorySegment m;
        int r = rnd.nextInt(10);
        if (r < 6 && !mapped.isEmpty()) {
            m = mapped.remove(rnd.nextInt(mapped.size()));
            unmapped.add(m);
        } else if (r < 8 && !unmapped.isEmpty()) {
            m = unmapped.get(rnd.nextInt(unmapped.size()));
        } else {
            m = buffers.get(rnd.nextInt(buffers.size()));
        }
        invoke("munmap", () -> "munmap(" + m + ")", () -> {
            kernel.munmap(m);
            return null;
        });
    }

    private void poll() {
        int n = rnd.nextInt(4);
        List<PollFd> fds = new ArrayList<>();
        boolean closed = false;
        for (int i = 0; i < n; i++) {
            Fd fd = rnd.nextInt(3) == 0 ? fdOf(Kind.EVENTFD) : anyFd();
            closed |= !fd.isOpen() && fd.owner() == kernel;
            fds.add(new PollFd(fd, (short) (rnd.nextInt(4) == 0 ? rnd.nextInt() : LinuxAbi.POLLIN)));
        }
        boolean anyClosed = closed;
        short[] r = invoke("poll", () -> "poll(" + fds + ", 0)", () -> kernel.poll(fds, 0));
        if (r != null && r.length != fds.size()) {
            contract(() -> "poll(" + fds + ", 0)", r.length + " revents for " + fds.size() + " descriptors");
        }
        if (r != null && anyClosed) {
            contract(() -> "poll(" + fds + ", 0)", "answered a closed handle instead of failing EBADF");
        }
    }

    private void eventfd() {
        int initial = rnd.nextInt(4) == 0 ? rnd.nextInt() : rnd.nextInt(3);
        // always non-blocking: a blocking read or write would wait forever in a single-threaded walk
        int flags = LinuxAbi.EFD_NONBLOCK | (rnd.nextBoolean() ? LinuxAbi.EFD_SEMAPHORE : 0)
                | (rnd.nextInt(8) == 0 ? rnd.nextInt() & ~LinuxAbi.EFD_NONBLOCK : 0) | (rnd.nextBoolean() ? LinuxAbi.EFD_CLOEXEC : 0);
        Fd fd = invoke("eventfd", () -> "eventfd(" + initial + ", 0x" + Integer.toHexString(flags) + ")", () -> kernel.eventfd(initial, flags));
        if (fd != null) {
            handles.add(new Handle(fd, Kind.EVENTFD));
        }
    }

    private void userAddress() {
        MemorySegment s;
        int r = rnd.nextInt(12);
        if (r == 0) {
            s = MemorySegment.ofArray(new byte[64]);
        } else if (r == 1) {
            s = deadSegment;
        } else if (r == 2 && wrappingSegments) {
            s = MemorySegment.ofAddress(-PAGE).reinterpret(2 * PAGE); // its end wraps past 2^64
        } else if (r == 3) {
            MemorySegment b = buffers.get(rnd.nextInt(buffers.size()));
            s = b.asSlice(rnd.nextLong(b.byteSize()));
        } else if (r == 4) {
            s = buffers.get(rnd.nextInt(buffers.size())).asReadOnly();
        } else if (r == 5) {
            s = MemorySegment.ofAddress(rnd.nextLong() & -PAGE);
        } else {
            s = buffers.get(rnd.nextInt(buffers.size()));
        }
        invoke("userAddress", () -> "userAddress(" + describe(s) + ")", () -> kernel.userAddress(s));
    }

    private String lastRequest = "";

    private static final Map<Long, String> REQUEST_NAMES = new HashMap<>();

    static {
        for (Field f : VfioUapi.class.getFields()) {
            if (f.getType() == long.class) {
                try {
                    REQUEST_NAMES.merge(f.getLong(null), f.getName(), (a, b) -> a + "/" + b);
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
    }

    private static String requestName(long request) {
        return REQUEST_NAMES.getOrDefault(request, "ioctl 0x" + Long.toHexString(request));
    }

    /** The request's name among those of the fd kind (container, group and device numbers overlap). */
    private static String requestName(long request, Kind kind) {
        String all = requestName(request);
        String prefix = kind == Kind.DEVICE ? "VFIO_DEVICE_" : kind == Kind.GROUP ? "VFIO_GROUP_" : kind == Kind.CONTAINER ? "VFIO_" : null;
        if (prefix == null || !all.contains("/")) {
            return all;
        }
        for (String name : all.split("/")) {
            if (name.startsWith(prefix) && (kind != Kind.CONTAINER || !name.startsWith("VFIO_DEVICE_") && !name.startsWith("VFIO_GROUP_"))) {
                return name;
            }
        }
        return all;
    }

    // ---- guided steps: valid calls that take the kernel to its deeper states ----

    private List<Handle> openOf(Kind kind) {
        return handles.stream().filter(h -> h.kind() == kind && h.fd().isOpen()).toList();
    }

    private <T> T any(List<T> list) {
        return list.get(rnd.nextInt(list.size()));
    }

    /** The next valid step: container, group, attach, IOMMU, device, then something a driver does with a device. */
    private void guided() {
        List<Handle> containers = openOf(Kind.CONTAINER);
        List<Handle> groups = openOf(Kind.GROUP);
        List<Handle> devices = openOf(Kind.DEVICE);
        if (containers.isEmpty()) {
            openPath("/dev/vfio/vfio", Kind.CONTAINER);
            return;
        }
        if (groups.isEmpty() || rnd.nextInt(10) == 0) {
            openPath("/dev/vfio/" + groupNode(), Kind.GROUP);
            return;
        }
        Handle g = any(groups);
        Group group;
        Container attached;
        boolean hasIommu;
        synchronized (kernel.lock()) {
            group = kernel.fileOf(g.fd().number()) instanceof GroupFile f ? f.group : null;
            attached = group == null ? null : group.container();
            hasIommu = attached != null && attached.hasIommu();
        }
        if (group == null) {
            return;
        }
        if (attached == null) {
            ioctlBytes(g.fd(), VFIO_GROUP_SET_CONTAINER, new Struct(4).u32(0, any(containers).fd().number()).bytes());
            return;
        }
        if (!hasIommu) {
            for (Handle c : containers) {
                boolean same;
                synchronized (kernel.lock()) {
                    same = kernel.fileOf(c.fd().number()) instanceof ContainerFile cf && cf.container() == attached;
                }
                if (same) {
                    long type = host.isNoIommu() ? VFIO_NOIOMMU_IOMMU : pick(VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU);
                    lastRequest = "VFIO_SET_IOMMU (value)";
                    invoke("ioctl", () -> "ioctl(" + c.fd() + ", VFIO_SET_IOMMU, " + type + ")", () -> kernel.ioctl(c.fd(), VFIO_SET_IOMMU, type));
                    return;
                }
            }
            return;
        }
        if (devices.size() < 2 || rnd.nextInt(8) == 0) {
            if (!group.devices.isEmpty()) {
                String name = any(group.devices).address().toString();
                if (rnd.nextInt(3) == 0) {
                    name += " vf_token=" + TOKENS[0];
                }
                byte[] b = (name + "\0").getBytes(StandardCharsets.ISO_8859_1);
                Integer n = ioctlBytes(g.fd(), VFIO_GROUP_GET_DEVICE_FD, b);
                if (n != null && n > 0) {
                    Fd d = invoke("adopt", () -> "adopt(" + n + ")", () -> kernel.adopt(n, "device"));
                    if (d != null) {
                        handles.add(new Handle(d, Kind.DEVICE));
                    }
                }
            }
            return;
        }
        deviceAction(any(devices).fd(), any(containers).fd());
    }

    private Kind kindOf(Fd fd) {
        for (Handle h : handles) {
            if (h.fd() == fd) {
                return h.kind();
            }
        }
        return null;
    }

    private void openPath(String path, Kind kind) {
        Fd fd = invoke("open", () -> "open(\"" + path + "\")", () -> kernel.open(path, LinuxAbi.O_RDWR));
        if (fd != null) {
            handles.add(new Handle(fd, kind));
        }
    }

    private Integer ioctlBytes(Fd fd, long request, byte[] bytes) {
        MemorySegment arg = arena.allocate(Math.max(1, bytes.length), 8);
        MemorySegment.copy(bytes, 0, arg, ValueLayout.JAVA_BYTE, 0, bytes.length);
        lastRequest = requestName(request, kindOf(fd));
        String name = lastRequest;
        return invoke("ioctl", () -> "ioctl(" + fd + ", " + name + ", " + hex(bytes) + ")", () -> kernel.ioctl(fd, request, arg));
    }

    private void pwriteValue(Fd fd, long offset, int size, long value) {
        MemorySegment b = arena.allocate(size);
        for (int i = 0; i < size; i++) {
            b.set(ValueLayout.JAVA_BYTE, i, (byte) (value >>> (8 * i)));
        }
        invoke("pwrite", () -> String.format("pwrite(%s, %d bytes 0x%x, 0x%x)", fd, size, value, offset), () -> kernel.pwrite(fd, b, offset));
    }

    private Fd newEventfd() {
        Fd e = invoke("eventfd", () -> "eventfd(0, EFD_NONBLOCK)", () -> kernel.eventfd(0, LinuxAbi.EFD_NONBLOCK));
        if (e != null) {
            handles.add(new Handle(e, Kind.EVENTFD));
        }
        return e;
    }

    private void deviceAction(Fd device, Fd container) {
        switch (rnd.nextInt(13)) {
            case 0, 1 -> pwriteValue(device, (7L << 40) + 4, 2, pick(0x7, 0x7, 0x6, 0x2, 0x406)); // command: decode, mastering, DisINTx
            case 2, 3 -> {
                MemorySegment b = buffers.get(rnd.nextInt(buffers.size() - 1));
                Long vaddr = invoke("userAddress", () -> "userAddress(" + describe(b) + ")", () -> kernel.userAddress(b));
                if (vaddr != null) {
                    long iova = PAGE * 16 * rnd.nextInt(8);
                    byte[] map = new Struct(32).u32(0, 32).u32(4, pick(3, 3, 1)).u64(8, vaddr).u64(16, iova).u64(24, b.byteSize()).bytes();
                    if (ioctlBytes(container, VFIO_IOMMU_MAP_DMA, map) != null) {
                        dmaRanges.add(new long[] {iova, b.byteSize()});
                    }
                }
            }
            case 4 -> {
                long[] d = dmaRanges.isEmpty() ? new long[] {0, PAGE} : any(dmaRanges);
                ioctlBytes(container, VFIO_IOMMU_UNMAP_DMA, new Struct(24).u32(0, 24).u64(8, d[0]).u64(16, d[1]).bytes());
            }
            case 5, 6 -> {
                int index = pick(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_ERR_IRQ_INDEX,
                        VFIO_PCI_REQ_IRQ_INDEX);
                int count = index == VFIO_PCI_MSIX_IRQ_INDEX || index == VFIO_PCI_MSI_IRQ_INDEX ? 1 + rnd.nextInt(4) : 1;
                Struct s = new Struct(20 + 4 * count).u32(0, 20 + 4 * count).u32(4, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
                        .u32(8, index).u32(12, 0).u32(16, count);
                for (int i = 0; i < count; i++) {
                    Fd e = newEventfd();
                    s.u32(20 + 4 * i, e == null ? -1 : e.number());
                }
                ioctlBytes(device, VFIO_DEVICE_SET_IRQS, s.bytes());
            }
            case 7, 8 -> {
                long[] from = dmaRanges.isEmpty() ? new long[] {0, PAGE} : any(dmaRanges);
                long[] to = dmaRanges.isEmpty() ? new long[] {PAGE, PAGE} : any(dmaRanges);
                pwriteValue(device, 0x00, 4, from[0]);
                pwriteValue(device, 0x08, 4, to[0]);
                pwriteValue(device, 0x10, 4, Math.min(from[1], to[1]));
                pwriteValue(device, 0x18, 4, pick(1, 1, 2 | rnd.nextInt(8) << 8, 3, 4));
            }
            case 9 -> {
                pwriteValue(device, (7L << 40) + 4, 2, 0x7);
                pwriteValue(device, 0x30, 4, 1 + rnd.nextInt(64));
                pwriteValue(device, 0x34, 4, 1 + rnd.nextInt(64));
                byte[] q = new Struct(64).u32(0, 64).u32(4, VFIO_GFX_PLANE_TYPE_DMABUF).u32(8, 1).bytes();
                MemorySegment arg = arena.allocate(64);
                MemorySegment.copy(q, 0, arg, ValueLayout.JAVA_BYTE, 0, 64);
                lastRequest = "VFIO_DEVICE_QUERY_GFX_PLANE";
                if (invoke("ioctl", () -> "ioctl(" + device + ", VFIO_DEVICE_QUERY_GFX_PLANE)",
                        () -> kernel.ioctl(device, VFIO_DEVICE_QUERY_GFX_PLANE, arg)) != null) {
                    int id = arg.get(ValueLayout.JAVA_INT_UNALIGNED, 56);
                    dmabufIds.add(id);
                    Integer n = ioctlBytes(device, VFIO_DEVICE_GET_GFX_DMABUF, new Struct(4).u32(0, id).bytes());
                    if (n != null && n > 0) {
                        Fd b = invoke("adopt", () -> "adopt(" + n + ")", () -> kernel.adopt(n, "dma-buf"));
                        if (b != null) {
                            handles.add(new Handle(b, Kind.DMABUF));
                            MemorySegment m = invoke("mmap", () -> "mmap(" + b + ")", () -> kernel.mmap(b, 0, PAGE, 3, LinuxAbi.MAP_SHARED));
                            if (m != null) {
                                mapped.add(m);
                            }
                        }
                    }
                }
            }
            case 10 -> {
                long offset = (long) pick(2, 2, 9, 0) << 40;
                MemorySegment m = invoke("mmap", () -> "mmap(" + device + ", 0x" + Long.toHexString(offset) + ")",
                        () -> kernel.mmap(device, offset, PAGE * (1 + rnd.nextInt(2)), 3, LinuxAbi.MAP_SHARED));
                if (m != null) {
                    mapped.add(m);
                }
            }
            case 11 -> {
                Fd e = newEventfd();
                ioctlBytes(device, VFIO_DEVICE_IOEVENTFD, new Struct(32).u32(0, 32).u32(4, pick(4, 8, 2, 1)).u64(8, pickLong(0x18, 0x20, 2L << 40))
                        .u64(16, rnd.nextInt(4)).u32(24, e == null ? -1 : e.number()).bytes());
                if (e != null && rnd.nextBoolean()) {
                    invoke("write", () -> "writeEventCounter(" + e + ", 1)", () -> {
                        kernel.writeEventCounter(e, 1);
                        return null;
                    });
                }
            }
            default -> {
                UUID u = UUID.fromString(TOKENS[0]);
                ioctlBytes(device, VFIO_DEVICE_FEATURE, new Struct(24).u32(0, 24).u32(4, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN)
                        .u64(8, Long.reverseBytes(u.getMostSignificantBits())).u64(16, Long.reverseBytes(u.getLeastSignificantBits())).bytes());
                List<Handle> groups = openOf(Kind.GROUP);
                Struct s = new Struct(12 + 4 * groups.size()).u32(0, 12 + 4 * groups.size()).u32(8, groups.size());
                for (int i = 0; i < groups.size(); i++) {
                    s.u32(12 + 4 * i, groups.get(i).fd().number());
                }
                ioctlBytes(device, rnd.nextBoolean() ? VFIO_DEVICE_PCI_HOT_RESET : VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, s.bytes());
            }
        }
    }

    // ---- argument generators ----

    private Kind pickKind() {
        int r = rnd.nextInt(10);
        return r < 3 ? Kind.CONTAINER : r < 5 ? Kind.GROUP : Kind.DEVICE;
    }

    private Fd anyFd() {
        int r = rnd.nextInt(20);
        if (r == 0) {
            return foreignFd;
        }
        if (handles.isEmpty()) {
            return foreignFd;
        }
        return handles.get(rnd.nextInt(handles.size())).fd();
    }

    /** Mostly an open handle of the kind, else any handle (closed ones included). */
    private Fd fdOf(Kind kind) {
        List<Handle> open = handles.stream().filter(h -> h.kind() == kind && h.fd().isOpen()).toList();
        if (!open.isEmpty() && rnd.nextInt(10) < 9) {
            return open.get(rnd.nextInt(open.size())).fd();
        }
        return anyFd();
    }

    /** A descriptor number for a struct field: mostly one of the kind, else closed, foreign, -1 or any number. */
    private int fdNumber(Kind kind) {
        int r = rnd.nextInt(20);
        if (r < 12 && kind != null) {
            List<Handle> open = handles.stream().filter(h -> h.kind() == kind && h.fd().isOpen()).toList();
            if (!open.isEmpty()) {
                return open.get(rnd.nextInt(open.size())).fd().number();
            }
        }
        if (r < 15 && !handles.isEmpty()) {
            return handles.get(rnd.nextInt(handles.size())).fd().number();
        }
        return switch (r) {
            case 15 -> -1;
            case 16 -> foreignFd.number();
            case 17 -> Integer.MAX_VALUE;
            case 18 -> Integer.MIN_VALUE;
            default -> rnd.nextInt(40);
        };
    }

    private int pick(int... values) {
        return values[rnd.nextInt(values.length)];
    }

    private long pickLong(long... values) {
        return values[rnd.nextInt(values.length)];
    }

    private long anyLong() {
        return switch (rnd.nextInt(10)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> Long.MAX_VALUE;
            case 3 -> Long.MIN_VALUE;
            case 4 -> Long.MAX_VALUE - rnd.nextInt(8);
            case 5 -> 0xffffffffL;
            case 6 -> 1L << rnd.nextInt(64);
            case 7 -> -(1L << rnd.nextInt(63));
            default -> rnd.nextLong();
        };
    }

    private int anyInt() {
        return switch (rnd.nextInt(8)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> Integer.MAX_VALUE;
            case 3 -> Integer.MIN_VALUE;
            case 4 -> 1 << rnd.nextInt(32);
            default -> rnd.nextInt();
        };
    }

    /** An offset into a device fd: a region index and a position around the region's edges. */
    private long regionOffset() {
        if (rnd.nextInt(12) == 0) {
            return anyLong();
        }
        long index = pick(0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 7, 7, 7, 8, 9, 10, 11, 12, 255);
        long pos = switch (rnd.nextInt(16)) {
            case 0 -> 0;
            case 1 -> rnd.nextInt(0x40);
            case 2 -> 0x4 + rnd.nextInt(2);
            case 3 -> 0x10 + 8 * rnd.nextInt(8);
            case 4 -> 0x2000 + 16 * rnd.nextInt(10); // the MSI-X table
            case 5 -> 0x3000 + rnd.nextInt(8);
            case 6 -> 0xa0000 + rnd.nextInt(0x20000);
            case 7 -> 0x3b0 + rnd.nextInt(0x30);
            case 8 -> (1L << 40) - 1 - rnd.nextInt(8);
            case 9 -> pickLong(0xfff, 0x1000, 0x1ffe, 0x3ffe, 0x4000, 0xff, 0x100, 0xffc, 0xffe);
            case 10 -> rnd.nextInt(0x100); // config header and capabilities
            case 11 -> 0x100 + rnd.nextInt(0xf00); // extended config
            default -> rnd.nextInt(0x5000);
        };
        return index << 40 | pos;
    }

    /** A buffer for pread/pwrite/read/write: native, slices, read-only, heap, empty, null, closed, another thread's. */
    private MemorySegment buffer(int usualMax) {
        int r = rnd.nextInt(40);
        return switch (r) {
            case 0 -> null;
            case 1 -> MemorySegment.NULL;
            case 2 -> arena.allocate(1).asSlice(0, 0);
            case 3, 4 -> arena.allocate(usualMax).asReadOnly();
            case 5, 6 -> MemorySegment.ofArray(new byte[1 + rnd.nextInt(usualMax)]);
            case 7 -> deadSegment;
            case 8 -> otherThreadSegment;
            case 9 -> arena.allocate(rnd.nextInt(8) == 0 ? 1 << 20 : 0x10000);
            case 10 -> buffers.get(rnd.nextInt(buffers.size())).asSlice(1, 1 + rnd.nextInt(7));
            default -> arena.allocate(pick(1, 2, 3, 4, 4, 4, 4, 8, 8, 2, 1, 6, 16, usualMax, 5, 7));
        };
    }

    /** Puts an ioctl's bytes in user memory: native mostly; heap, read-only, short, empty or null sometimes. */
    private MemorySegment argumentSegment(byte[] bytes) {
        int r = rnd.nextInt(40);
        if (r == 0) {
            return null;
        }
        if (r == 1) {
            return MemorySegment.NULL;
        }
        if (r == 2) {
            return deadSegment;
        }
        if (r == 3) {
            return otherThreadSegment;
        }
        if (r < 7) {
            return MemorySegment.ofArray(bytes.clone());
        }
        MemorySegment s = arena.allocate(Math.max(1, bytes.length), 8);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        if (r < 10) {
            return s.asReadOnly();
        }
        if (r < 13 && bytes.length > 0) {
            return s.asSlice(0, rnd.nextInt(bytes.length)); // shorter than the struct says
        }
        return s.asSlice(0, bytes.length);
    }

    /** Little-endian struct bytes. */
    private static final class Struct {
        final ByteBuffer b;

        Struct(int size) {
            b = ByteBuffer.allocate(Math.max(0, size)).order(ByteOrder.LITTLE_ENDIAN);
        }

        Struct u32(int at, int v) {
            if (at + 4 <= b.capacity()) {
                b.putInt(at, v);
            }
            return this;
        }

        Struct u64(int at, long v) {
            if (at + 8 <= b.capacity()) {
                b.putLong(at, v);
            }
            return this;
        }

        Struct u8(int at, int v) {
            if (at < b.capacity()) {
                b.put(at, (byte) v);
            }
            return this;
        }

        byte[] bytes() {
            return b.array();
        }
    }

    /** An argsz around {@code minsz}: the right size mostly, one less, one more, zero, huge. */
    private int argsz(int minsz, int full) {
        return switch (rnd.nextInt(12)) {
            case 0 -> minsz - 1;
            case 1 -> minsz + 1;
            case 2 -> 0;
            case 3 -> -1;
            case 4 -> full + rnd.nextInt(256);
            case 5 -> minsz;
            default -> full;
        };
    }

    /** The bytes of an ioctl's argument: near-valid for known requests, with random corruption. */
    private byte[] struct(long request) {
        byte[] b = nearValid(request);
        int r = rnd.nextInt(10);
        if (r == 0 && b.length > 0) {
            for (int i = rnd.nextInt(4); i >= 0; i--) {
                b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            }
        } else if (r == 1) {
            b = new byte[rnd.nextInt(80)];
            rnd.nextBytes(b);
        }
        return b;
    }

    private byte[] nearValid(long request) {
        if (request == VFIO_GROUP_GET_STATUS) {
            return new Struct(8).u32(0, argsz(8, 8)).bytes();
        }
        if (request == VFIO_GROUP_SET_CONTAINER) {
            return new Struct(4).u32(0, fdNumber(Kind.CONTAINER)).bytes();
        }
        if (request == VFIO_GROUP_GET_DEVICE_FD) {
            String name = DEVICE_NAMES[rnd.nextInt(DEVICE_NAMES.length)];
            name = switch (rnd.nextInt(10)) {
                case 0 -> name + " vf_token=" + TOKENS[rnd.nextInt(TOKENS.length)];
                case 1 -> name + "x";
                case 2 -> name + " vf_token=nope";
                case 3 -> name.substring(0, rnd.nextInt(name.length()));
                default -> name;
            };
            byte[] s = name.getBytes(StandardCharsets.ISO_8859_1);
            byte[] out = new byte[s.length + (rnd.nextInt(10) == 0 ? 0 : 1)]; // sometimes no NUL
            System.arraycopy(s, 0, out, 0, s.length);
            return out;
        }
        if (request == VFIO_DEVICE_GET_INFO) {
            return new Struct(20).u32(0, argsz(16, 20)).bytes();
        }
        if (request == VFIO_DEVICE_GET_REGION_INFO) {
            int size = rnd.nextBoolean() ? 32 : 32 + 8 * rnd.nextInt(16);
            return new Struct(size).u32(0, rnd.nextBoolean() ? size : argsz(32, size)).u32(8, rnd.nextInt(8) == 0 ? anyInt() : rnd.nextInt(12))
                    .bytes();
        }
        if (request == VFIO_DEVICE_GET_IRQ_INFO) {
            return new Struct(16).u32(0, argsz(16, 16)).u32(8, rnd.nextInt(8) == 0 ? anyInt() : rnd.nextInt(6)).bytes();
        }
        if (request == VFIO_DEVICE_SET_IRQS) {
            return setIrqs();
        }
        if (request == VFIO_DEVICE_GET_PCI_HOT_RESET_INFO) {
            int size = 12 + 8 * rnd.nextInt(4);
            return new Struct(size).u32(0, rnd.nextBoolean() ? size : argsz(12, size)).bytes();
        }
        if (request == VFIO_DEVICE_PCI_HOT_RESET) {
            int count = rnd.nextInt(8) == 0 ? anyInt() : rnd.nextInt(4);
            int n = Math.max(0, Math.min(count, 4));
            Struct s = new Struct(12 + 4 * n).u32(0, argsz(12, 12 + 4 * n)).u32(4, rnd.nextInt(10) == 0 ? 1 : 0).u32(8, count);
            for (int i = 0; i < n; i++) {
                s.u32(12 + 4 * i, fdNumber(Kind.GROUP));
            }
            return s.bytes();
        }
        if (request == VFIO_DEVICE_QUERY_GFX_PLANE) {
            int flags = pick(VFIO_GFX_PLANE_TYPE_DMABUF, VFIO_GFX_PLANE_TYPE_DMABUF, VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF,
                    VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION, VFIO_GFX_PLANE_TYPE_REGION, anyInt());
            return new Struct(64).u32(0, argsz(60, 64)).u32(4, flags).u32(8, pick(1, 1, 2, 0, anyInt())).bytes();
        }
        if (request == VFIO_DEVICE_GET_GFX_DMABUF) {
            int id = !dmabufIds.isEmpty() && rnd.nextBoolean() ? dmabufIds.get(rnd.nextInt(dmabufIds.size())) : pick(0, 1, -1, anyInt());
            return new Struct(4).u32(0, id).bytes();
        }
        if (request == VFIO_DEVICE_IOEVENTFD) {
            int size = pick(1, 2, 4, 8, 8, 4, 3, 0, 16);
            long offset = rnd.nextInt(6) == 0 ? regionOffset() : (long) pick(0, 0, 2, 4, 1) << 40 | pickLong(0, 0x18, 0x20, 0x2000, 0x3000, 0xffc, 0x1);
            return new Struct(32).u32(0, argsz(28, 32)).u32(4, rnd.nextInt(8) == 0 ? anyInt() : size).u64(8, offset)
                    .u64(16, rnd.nextBoolean() ? rnd.nextInt(5) : anyLong()).u32(24, rnd.nextInt(6) == 0 ? -1 : fdNumber(Kind.EVENTFD)).bytes();
        }
        if (request == VFIO_DEVICE_FEATURE) {
            int feature = pick(0, 0, 3, 4, 5, 1, 2, anyInt() & 0xffff);
            int op = pick(VFIO_DEVICE_FEATURE_SET, VFIO_DEVICE_FEATURE_SET, VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_PROBE
                    | VFIO_DEVICE_FEATURE_SET, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET, 0, anyInt() & ~0xffff);
            int data = pick(0, 8, 16, 16, 4);
            Struct s = new Struct(8 + data).u32(0, argsz(8, 8 + data)).u32(4, feature | op);
            if (feature == 4) {
                s.u32(8, fdNumber(Kind.EVENTFD)).u32(12, rnd.nextInt(8) == 0 ? 1 : 0);
            } else if (data == 16) {
                UUID u = UUID.fromString(TOKENS[rnd.nextInt(TOKENS.length)]);
                s.u64(8, Long.reverseBytes(u.getMostSignificantBits())).u64(16, Long.reverseBytes(u.getLeastSignificantBits()));
            }
            return s.bytes();
        }
        if (request == VFIO_IOMMU_GET_INFO) {
            int size = pick(16, 20, 24, 64, 128, 256);
            return new Struct(size).u32(0, rnd.nextBoolean() ? size : argsz(16, size)).bytes();
        }
        if (request == VFIO_IOMMU_MAP_DMA) {
            return mapDma();
        }
        if (request == VFIO_IOMMU_UNMAP_DMA) {
            return unmapDma();
        }
        if (request == VFIO_EEH_PE_OP) {
            return new Struct(40).u32(0, argsz(12, 40)).u32(8, rnd.nextInt(12)).bytes();
        }
        if (request == VFIO_IOMMU_SPAPR_REGISTER_MEMORY || request == VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY) {
            return new Struct(24).u32(0, argsz(24, 24)).u64(8, vaddr()).u64(16, PAGE * rnd.nextInt(4)).bytes();
        }
        if (request == VFIO_IOMMU_SPAPR_TCE_CREATE) {
            return new Struct(40).u32(0, argsz(40, 40)).u32(8, pick(12, 16, 24)).u64(16, 1L << rnd.nextInt(40)).u32(24, rnd.nextInt(5)).bytes();
        }
        if (request == VFIO_IOMMU_SPAPR_TCE_REMOVE) {
            return new Struct(16).u32(0, argsz(16, 16)).u64(8, anyLong()).bytes();
        }
        byte[] b = new byte[rnd.nextInt(48)];
        rnd.nextBytes(b);
        return b;
    }

    private byte[] setIrqs() {
        int index = rnd.nextInt(10) == 0 ? anyInt() : pick(0, 1, 2, 2, 3, 4);
        int data = pick(VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_EVENTFD, 0,
                VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_DATA_EVENTFD);
        int action = pick(VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK,
                0, VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_TRIGGER);
        int flags = rnd.nextInt(12) == 0 ? anyInt() : data | action;
        int start = rnd.nextInt(8) == 0 ? anyInt() : rnd.nextInt(3) == 0 ? rnd.nextInt(8) : 0;
        int count = rnd.nextInt(8) == 0 ? anyInt() : pick(0, 1, 1, 2, 4, 8, 9);
        int n = Math.max(0, Math.min(count, 16));
        int per = data == VFIO_IRQ_SET_DATA_EVENTFD ? 4 : data == VFIO_IRQ_SET_DATA_BOOL ? 1 : 0;
        Struct s = new Struct(20 + per * n).u32(0, argsz(20, 20 + per * n)).u32(4, flags).u32(8, index).u32(12, start).u32(16, count);
        for (int i = 0; i < n; i++) {
            if (per == 4) {
                s.u32(20 + 4 * i, rnd.nextInt(5) == 0 ? -1 : fdNumber(Kind.EVENTFD));
            } else if (per == 1) {
                s.u8(20 + i, rnd.nextInt(3) == 0 ? rnd.nextInt(256) : rnd.nextInt(2));
            }
        }
        return s.bytes();
    }

    /** A vaddr: a registered buffer's address (with an offset sometimes), or any value. */
    private long vaddr() {
        if (rnd.nextInt(6) == 0) {
            return anyLong();
        }
        MemorySegment b = buffers.get(rnd.nextInt(buffers.size()));
        if (rnd.nextInt(3) == 0) {
            // the kernel learns the address, as the typed API does before MAP_DMA
            invoke("userAddress", () -> "userAddress(" + describe(b) + ")", () -> kernel.userAddress(b));
        }
        return b.address() + pickLong(0, 0, 0, PAGE, -PAGE, 1, b.byteSize());
    }

    private long iova() {
        return switch (rnd.nextInt(10)) {
            case 0 -> anyLong();
            case 1 -> 0xfee00000L;
            case 2 -> (1L << 48) - PAGE;
            case 3 -> !dmaRanges.isEmpty() ? dmaRanges.get(rnd.nextInt(dmaRanges.size()))[0] : 0;
            default -> PAGE * rnd.nextInt(64);
        };
    }

    private long dmaSize() {
        return switch (rnd.nextInt(10)) {
            case 0 -> anyLong();
            case 1 -> 0;
            case 2 -> 1;
            case 3 -> 64 * PAGE;
            default -> PAGE * (1 + rnd.nextInt(4));
        };
    }

    private byte[] mapDma() {
        int flags = rnd.nextInt(8) == 0 ? anyInt() : pick(3, 3, 3, 1, 2, 0, 4, 7);
        return new Struct(32).u32(0, argsz(32, 32)).u32(4, flags).u64(8, vaddr()).u64(16, iova()).u64(24, dmaSize()).bytes();
    }

    private byte[] unmapDma() {
        int flags = rnd.nextInt(8) == 0 ? anyInt() : pick(0, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, VFIO_DMA_UNMAP_FLAG_VADDR,
                VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR);
        long iova;
        long size;
        if (!dmaRanges.isEmpty() && rnd.nextBoolean()) {
            long[] d = dmaRanges.get(rnd.nextInt(dmaRanges.size()));
            iova = d[0];
            size = rnd.nextInt(4) == 0 ? d[1] / 2 : d[1];
        } else if ((flags & VFIO_DMA_UNMAP_FLAG_ALL) != 0 && rnd.nextBoolean()) {
            iova = 0;
            size = 0;
        } else {
            iova = iova();
            size = dmaSize();
        }
        int full = (flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) != 0 ? 48 : 24;
        return new Struct(full).u32(0, argsz(24, full)).u32(4, flags).u64(8, iova).u64(16, size).u64(24, PAGE).u64(32, 8)
                .u64(40, vaddr()).bytes();
    }

    // ---- descriptions ----

    private String describe(MemorySegment s) {
        if (s == null) {
            return "null";
        }
        String kind = s == deadSegment ? "closed-arena " : s == otherThreadSegment ? "other-thread " : s.isNative() ? "" : "heap ";
        return kind + (s.isReadOnly() ? "read-only " : "") + s.byteSize() + "-byte segment";
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(b.length, 64); i++) {
            sb.append(String.format("%02x", b[i]));
        }
        return sb.append(b.length > 64 ? "...]" : "]").toString();
    }
}
