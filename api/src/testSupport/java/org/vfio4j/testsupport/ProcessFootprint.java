package org.vfio4j.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the JVM process holds at one moment, seen from outside the code under test: open
 * descriptors ({@code /proc/self/fd}), mappings ({@code /proc/self/maps} lines), native memory
 * committed as Native Memory Tracking counts it, the heap in use and live threads.
 *
 * <p>NMT needs {@code -XX:NativeMemoryTracking=summary}; the build passes it with {@code
 * -Dvfio4j.nmt=required}, and then a JVM without it fails the measurement instead of skipping it.
 * The MBeans of {@code java.management} are reached reflectively: the modules under test do not
 * read it. Test support shared by the backends' tests (each adds {@code api/src/testSupport/java}
 * to its test sources).
 *
 * @param descriptors  entries of {@code /proc/self/fd}
 * @param mapsLines    lines of {@code /proc/self/maps}
 * @param nmtCommitted NMT's committed total in KiB, or -1 without NMT
 * @param nmtOffHeap   the part of it outside the Java heap, the GC's own structures, the JIT's
 *                     arenas (Compiler, Arena Chunk) and the code cache, which follow heap sizing
 *                     and compilation rather than the program, in KiB, or -1 without NMT
 * @param heapUsed     bytes of heap in use: of live objects when measured after a collection
 * @param threads      live threads
 */
public record ProcessFootprint(long descriptors, long mapsLines, long nmtCommitted, long nmtOffHeap, long heapUsed, int threads) {

    /** The NMT categories left out of {@link #nmtOffHeap}. */
    static final List<String> NOT_THE_PROGRAM = List.of("Java Heap", "GC", "GCCardSet", "Compiler", "Arena Chunk", "Code");

    /**
     * How much a run of lifecycles may grow the process: no descriptor and no thread more, at most
     * {@code mapsSlack} lines of maps, NMT outside the heap and JIT by {@code nmtSlackKib} KiB plus
     * {@code nmtPerLifecycle} bytes a lifecycle, live heap by {@code heapSlackKib} KiB plus {@code
     * heapPerLifecycle} bytes a lifecycle.
     *
     * @param mapsSlack        lines of {@code /proc/self/maps}
     * @param nmtSlackKib      KiB of NMT outside the heap and JIT, whatever the count
     * @param nmtPerLifecycle  bytes of it a lifecycle
     * @param heapSlackKib     KiB of live heap, whatever the count
     * @param heapPerLifecycle bytes of it a lifecycle
     */
    public record Bounds(int mapsSlack, int nmtSlackKib, int nmtPerLifecycle, int heapSlackKib, int heapPerLifecycle) {}

    private static final Pattern TOTAL = Pattern.compile("Total: reserved=\\d+KB, committed=(\\d+)KB");
    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("^Total\\s+\\d+\\s+(\\d+)", Pattern.MULTILINE);
    private static final Pattern CATEGORY = Pattern.compile("^-\\s+(.+?) \\(reserved=\\d+KB, committed=(\\d+)KB", Pattern.MULTILINE);

    /** Measures now; after collecting garbage and counting live objects when {@code gc}. */
    public static ProcessFootprint measure(boolean gc) {
        long heap = gc ? settledHeap() : usedHeap();
        Map<String, Long> nmt = nativeMemory();
        long total = nmt.getOrDefault("Total", -1L);
        long offHeap = total < 0 ? -1 : total - NOT_THE_PROGRAM.stream().mapToLong(c -> nmt.getOrDefault(c, 0L)).sum();
        return new ProcessFootprint(count(Path.of("/proc/self/fd")), lines(Path.of("/proc/self/maps")), total, offHeap, heap,
                Thread.getAllStackTraces().size());
    }

    /** Whether the build asked for NMT ({@code -Dvfio4j.nmt=required}): then it must be on. */
    public static boolean nmtRequired() {
        return "required".equals(System.getProperty("vfio4j.nmt"));
    }

    /**
     * Asserts that this measurement, taken after {@code lifecycles} lifecycles, grew from {@code
     * before} within {@code bounds}; every figure is in the failure message.
     */
    public void assertGrewWithin(ProcessFootprint before, int lifecycles, Bounds bounds) {
        String figures = lifecycles + " lifecycles: " + against(before);
        assertThat(descriptors).as("descriptors, " + figures).isLessThanOrEqualTo(before.descriptors);
        assertThat(mapsLines - before.mapsLines).as("maps lines, " + figures).isLessThanOrEqualTo(bounds.mapsSlack());
        assertThat(threads).as("threads, " + figures).isLessThanOrEqualTo(before.threads);
        if (nmtOffHeap >= 0) {
            assertThat((nmtOffHeap - before.nmtOffHeap) * 1024).as("NMT outside the heap, " + figures)
                    .isLessThanOrEqualTo(bounds.nmtSlackKib() * 1024L + (long) bounds.nmtPerLifecycle() * lifecycles);
        }
        assertThat(heapUsed - before.heapUsed).as("heap used, " + figures)
                .isLessThanOrEqualTo(bounds.heapSlackKib() * 1024L + (long) bounds.heapPerLifecycle() * lifecycles);
    }

    /** One line for a report: each figure, and its change from {@code before}. */
    public String against(ProcessFootprint before) {
        return String.format("descriptors %d -> %d, maps lines %d -> %d, NMT committed %d -> %d KiB (outside heap/GC/JIT %d -> %d KiB),"
                        + " heap used %d -> %d KiB, threads %d -> %d", before.descriptors, descriptors, before.mapsLines, mapsLines,
                before.nmtCommitted, nmtCommitted, before.nmtOffHeap, nmtOffHeap, before.heapUsed >> 10, heapUsed >> 10,
                before.threads, threads);
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    /**
     * The bytes of live objects: collects twice (the Cleaner frees automatic arenas in between),
     * then sums the class histogram, which a full collection precedes. The collector's own count
     * of used heap would include the unused ends of regions it did not compact.
     */
    private static long settledHeap() {
        for (int i = 0; i < 2; i++) {
            System.gc();
            try {
                Thread.sleep(50); // lets the Cleaner thread free what the collection found unreachable
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Matcher total = HISTOGRAM_TOTAL.matcher(diagnosticCommand("gcClassHistogram"));
        if (!total.find()) {
            throw new AssertionError("the class histogram has no Total line");
        }
        return Long.parseLong(total.group(1));
    }

    /** NMT's summary: "Total" and each category's committed KiB; empty when NMT is off. */
    public static Map<String, Long> nativeMemory() {
        String summary = diagnosticCommand("vmNativeMemory", "summary");
        Map<String, Long> out = new LinkedHashMap<>();
        Matcher total = TOTAL.matcher(summary);
        if (!total.find()) {
            if (nmtRequired()) {
                throw new AssertionError("the build runs this test with -XX:NativeMemoryTracking=summary (-Dvfio4j.nmt=required),"
                        + " but NMT answered: " + summary.strip());
            }
            return out;
        }
        out.put("Total", Long.parseLong(total.group(1)));
        Matcher c = CATEGORY.matcher(summary);
        while (c.find()) {
            out.put(c.group(1).strip(), Long.parseLong(c.group(2)));
        }
        return out;
    }

    /** What {@code jcmd <pid> <command> <arguments>} prints, through the DiagnosticCommand MBean ({@code vmNativeMemory}: VM.native_memory). */
    private static String diagnosticCommand(String operation, String... arguments) {
        try {
            Object server = Class.forName("java.lang.management.ManagementFactory").getMethod("getPlatformMBeanServer").invoke(null);
            Class<?> objectName = Class.forName("javax.management.ObjectName");
            Object name = objectName.getConstructor(String.class).newInstance("com.sun.management:type=DiagnosticCommand");
            Object r = Class.forName("javax.management.MBeanServerConnection")
                    .getMethod("invoke", objectName, String.class, Object[].class, String[].class)
                    .invoke(server, name, operation, new Object[] {arguments}, new String[] {String[].class.getName()});
            return String.valueOf(r);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("the DiagnosticCommand MBean did not answer " + operation, e);
        }
    }

    private static long count(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long lines(Path file) {
        try (Stream<String> s = Files.lines(file)) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
