package org.vfio4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/** Errno is captured per call: eight threads failing with eight different errnos each see their own. */
class ErrnoCaptureConcurrencyTest {

    @FunctionalInterface
    interface Failing {
        void run() throws VfioException;
    }

    @Test
    void eightThreads_eachSeeTheirOwnErrno(@TempDir Path dir) throws Exception {
        try (VfioKernel k = KernelBackend.open(); Arena arena = Arena.ofShared()) {
            Fd devNull = k.open("/dev/null", LinuxAbi.O_RDWR);
            Fd empty = k.eventfd(0, LinuxAbi.EFD_NONBLOCK);
            Fd file = k.open(dir.toString(), LinuxAbi.O_RDONLY);
            MemorySegment eight = arena.allocate(8);
            MemorySegment four = arena.allocate(4);
            Map<Errno, Failing> cases = Map.of(
                    Errno.ENOENT, () -> k.open(dir.resolve("missing").toString(), LinuxAbi.O_RDONLY),
                    Errno.ENOTTY, () -> k.ioctl(devNull, LinuxAbi.FIONREAD, eight),
                    Errno.EAGAIN, () -> k.readEventCounter(empty),
                    Errno.EINVAL, () -> k.read(empty, four),
                    Errno.ESPIPE, () -> k.pread(empty, eight, 0),
                    Errno.EISDIR, () -> k.open(dir.toString(), LinuxAbi.O_RDWR),
                    Errno.ENOTDIR, () -> k.open("/dev/null/x", LinuxAbi.O_RDONLY),
                    Errno.EBADF, () -> k.write(file, eight));

            int iterations = 20_000;
            CyclicBarrier start = new CyclicBarrier(cases.size());
            Map<Errno, List<Errno>> wrong = new ConcurrentHashMap<>();
            List<Thread> threads = new ArrayList<>();
            cases.forEach((expected, call) -> threads.add(Thread.ofPlatform().start(() -> {
                List<Errno> seen = new ArrayList<>();
                try {
                    start.await();
                    for (int i = 0; i < iterations; i++) {
                        try {
                            call.run();
                            seen.add(null);
                        } catch (VfioException e) {
                            if (e.errno() != expected) {
                                seen.add(e.errno());
                            }
                        }
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                wrong.put(expected, seen);
            })));
            for (Thread t : threads) {
                t.join();
            }
            assertThat(wrong).hasSize(8);
            wrong.forEach((expected, seen) -> assertThat(seen).as("other errnos seen by the %s thread", expected).isEmpty());
        }
    }
}
