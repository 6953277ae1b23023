package org.vfio4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import org.vfio4j.kernel.internal.PosixCalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/**
 * On the kernel backend, closing while another thread is blocked in read(2) on an eventfd does what
 * Linux does (docs/safety.md, "Concurrency"): the read holds the file, so closing the handle, or
 * the whole backend, wakes nothing; the descriptor number stays taken until the read returns, so
 * it cannot be reused under the reader; and the handle refuses every later call with EBADF. The
 * simulator differs only where Linux has no counterpart: its kernel's own close wakes the reader.
 */
class CloseWhileWaitingTest {

    @Test
    void closingTheBackend_leavesTheReaderWaiting_andItsNumberTaken_untilTheReadReturns() throws Exception {
        VfioKernel k = KernelBackend.open();
        Fd eventfd = k.eventfd(0, 0);
        int number = eventfd.number();
        CompletableFuture<Object> reader = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                reader.complete(k.readEventCounter(eventfd));
            } catch (Throwable e) {
                reader.complete(e);
            }
        });
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t.getState() != Thread.State.RUNNABLE || !isBlockedInRead(t)) {
            assertThat(System.nanoTime()).as("the reader blocks in read(2)").isLessThan(until);
            Thread.sleep(1);
        }

        k.close();
        Thread.sleep(200);
        assertThat(reader).as("closing wakes no reader, as on Linux").isNotDone();
        assertThat(Files.exists(Path.of("/proc/self/fd/" + number))).as("the number stays taken while the read holds it").isTrue();
        VfioException later = org.junit.jupiter.api.Assertions.assertThrows(VfioException.class, () -> k.readEventCounter(eventfd));
        assertThat(later.errno()).isEqualTo(Errno.EBADF);

        try (Arena arena = Arena.ofConfined()) { // what a device's interrupt would do: signal the eventfd the kernel holds
            MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 5);
            assertThat(PosixCalls.write(Libc.state(), number, one, 8)).isEqualTo(8);
        }
        assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(5L);
        until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (Files.exists(Path.of("/proc/self/fd/" + number)) && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertThat(Files.exists(Path.of("/proc/self/fd/" + number))).as("released when the read returned").isFalse();
    }

    private static boolean isBlockedInRead(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals("read") && e.getClassName().endsWith("PosixCalls")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aClosedHandle_neverReachesTheFileThatReusedItsNumber() throws Exception {
        try (VfioKernel k = KernelBackend.open(); Arena arena = Arena.ofConfined()) {
            Fd first = k.eventfd(0, LinuxAbi.EFD_NONBLOCK);
            int number = first.number();
            k.close(first);
            Fd second = k.eventfd(7, LinuxAbi.EFD_NONBLOCK);
            assertThat(second.number()).as("Linux hands out the lowest free number").isEqualTo(number);

            VfioException e = org.junit.jupiter.api.Assertions.assertThrows(VfioException.class, () -> k.readEventCounter(first));
            assertThat(e.errno()).isEqualTo(Errno.EBADF);
            assertThat(k.readEventCounter(second)).as("the new eventfd kept its count").isEqualTo(7L);
        }
    }
}
