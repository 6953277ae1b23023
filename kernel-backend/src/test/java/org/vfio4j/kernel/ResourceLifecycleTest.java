package org.vfio4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.spi.LinuxAbi.EFD_CLOEXEC;
import static org.vfio4j.spi.LinuxAbi.EFD_NONBLOCK;
import static org.vfio4j.spi.LinuxAbi.MAP_SHARED;
import static org.vfio4j.spi.LinuxAbi.O_CLOEXEC;
import static org.vfio4j.spi.LinuxAbi.O_RDONLY;
import static org.vfio4j.spi.LinuxAbi.O_RDWR;
import static org.vfio4j.spi.LinuxAbi.POLLIN;
import static org.vfio4j.spi.LinuxAbi.POLLOUT;
import static org.vfio4j.spi.LinuxAbi.PROT_READ;
import static org.vfio4j.spi.LinuxAbi.PROT_WRITE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.EventNotifier;
import org.vfio4j.Vfio;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.PollFd;
import org.vfio4j.testsupport.ProcessFootprint;

/**
 * Resources over time on the kernel backend, without VFIO: eventfds (raw and as {@link
 * EventNotifier}s) and files (a temporary file read, written and mapped, {@code /dev/zero} read)
 * opened, used and closed over and over, each lifecycle on a backend of its own, leave the process
 * as they found it. Sizes follow {@code vfio4j.scale}: {@value #SMALL} lifecycles in {@code mvn
 * verify}, {@value #LARGE} with {@code -Preliability}.
 *
 * <p>After {@value #WARM_UP} lifecycles of warm-up and after collecting garbage (docs/safety.md,
 * "Resources over time"): no more descriptors, at most {@value #MAPS_SLACK} more lines in {@code
 * /proc/self/maps} (each lifecycle maps and unmaps a file: a leaked mapping is a line each), NMT
 * committed outside the heap and JIT within {@value #NMT_SLACK_KIB} KiB plus {@value
 * #NMT_PER_LIFECYCLE} bytes a lifecycle, live heap within {@value #HEAP_SLACK_KIB} KiB plus {@value
 * #HEAP_PER_LIFECYCLE} bytes a lifecycle, no more threads, and the backend's own tables of open
 * handles and live mappings empty after each lifecycle.
 */
class ResourceLifecycleTest {
    static final int SMALL = 5_000;
    static final int LARGE = 100_000;
    static final int WARM_UP = 2_000;
    static final int MAPS_SLACK = 16;
    static final int NMT_SLACK_KIB = 512;
    static final int NMT_PER_LIFECYCLE = 8;
    static final int HEAP_SLACK_KIB = 256;
    static final int HEAP_PER_LIFECYCLE = 4;

    static final long FILE_SIZE = 8192;

    @TempDir
    static Path dir;

    static int lifecycles() {
        return "large".equals(System.getProperty("vfio4j.scale", "small")) ? LARGE : SMALL;
    }

    @Test
    void eventfdsAndFiles_openedUsedAndClosed_leaveTheProcessAsTheyFoundIt() throws Exception {
        Path file = dir.resolve("region");
        Files.write(file, new byte[(int) FILE_SIZE]);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(8, 8);
            for (int i = 0; i < WARM_UP; i++) {
                lifecycle(file, buf, i);
            }
            ProcessFootprint noGcBefore = ProcessFootprint.measure(false);
            ProcessFootprint before = ProcessFootprint.measure(true);
            int n = lifecycles();
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                lifecycle(file, buf, i);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            ProcessFootprint noGcAfter = ProcessFootprint.measure(false);
            ProcessFootprint after = ProcessFootprint.measure(true);
            System.out.printf("[resources] kernel backend: %d lifecycles in %d ms%n  after GC: %s%n  without GC: %s%n", n, millis,
                    after.against(before), noGcAfter.against(noGcBefore));
            after.assertGrewWithin(before, n, new ProcessFootprint.Bounds(MAPS_SLACK, NMT_SLACK_KIB, NMT_PER_LIFECYCLE, HEAP_SLACK_KIB,
                    HEAP_PER_LIFECYCLE));
        }
    }

    /**
     * One lifecycle on a backend of its own: an eventfd written, polled and read; a notifier
     * signalled and polled; the file written and read at an offset, mapped, stored to and loaded
     * from, unmapped; {@code /dev/zero} read. Three in four close each descriptor (and the mapping)
     * in turn, the fourth only the backend, which closes the rest.
     */
    static void lifecycle(Path file, MemorySegment buf, int i) throws VfioException {
        LinuxKernel k = (LinuxKernel) KernelBackend.open();
        Vfio vfio = Vfio.over(k);
        Fd efd = k.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        k.writeEventCounter(efd, i + 1L);
        assertThat(k.poll(List.of(new PollFd(efd, (short) (POLLIN | POLLOUT))), 0)).containsExactly((short) (POLLIN | POLLOUT));
        assertThat(k.readEventCounter(efd)).isEqualTo(i + 1L);
        EventNotifier notifier = vfio.eventNotifier();
        notifier.signal(2);
        assertThat(notifier.poll()).isEqualTo(OptionalLong.of(2));

        Fd f = k.open(file.toString(), O_RDWR | O_CLOEXEC);
        long at = (i % 2) * 4096L + 8;
        buf.set(ValueLayout.JAVA_LONG, 0, i);
        assertThat(k.pwrite(f, buf, at)).isEqualTo(8);
        buf.set(ValueLayout.JAVA_LONG, 0, -1);
        assertThat(k.pread(f, buf, at)).isEqualTo(8);
        assertThat(buf.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(i);
        MemorySegment map = k.mmap(f, 0, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
        assertThat(k.load(map, at, 8)).as("the mapping shows what pwrite wrote").isEqualTo(i);
        k.store(map, at + 8, 8, ~i);
        Fd zero = k.open("/dev/zero", O_RDONLY | O_CLOEXEC);
        assertThat(k.pread(zero, buf, 0)).isEqualTo(8);
        assertThat(buf.get(ValueLayout.JAVA_LONG, 0)).isZero();

        if (i % 4 == 3) {
            vfio.close();
        } else {
            k.munmap(map);
            assertThat(k.pread(f, buf, at + 8)).isEqualTo(8);
            assertThat(buf.get(ValueLayout.JAVA_LONG, 0)).as("the store reached the file").isEqualTo(~i);
            k.close(zero);
            k.close(f);
            notifier.close();
            k.close(efd);
            assertThat(k.openCount()).as("lifecycle %d, each closed", i).isZero();
            vfio.close();
        }
        assertThat(k.openCount()).as("lifecycle %d: open handles", i).isZero();
        assertThat(k.mappingCount()).as("lifecycle %d: live mappings", i).isZero();
        for (Fd each : List.of(efd, notifier.fd(), f, zero)) {
            assertThat(each.isOpen()).isFalse();
        }
    }
}
