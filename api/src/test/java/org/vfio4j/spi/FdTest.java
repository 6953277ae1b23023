package org.vfio4j.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;

class FdTest {

    private final StubKernel kernel = new StubKernel("stub");
    private final List<Integer> released = new ArrayList<>();

    private Fd fd(int number) {
        return new Fd(kernel, number, "/dev/vfio/vfio", n -> {
            synchronized (released) {
                released.add(n);
            }
            return 0;
        });
    }

    @Test
    void enter_withAnotherBackendsHandle_isRejected() {
        Fd fd = fd(3);
        StubKernel other = new StubKernel("other");
        assertThatThrownBy(() -> fd.enter(other, "ioctl"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("fd 3 (/dev/vfio/vfio) belongs to the stub backend, not to the other backend");
        assertThatThrownBy(() -> fd.close(other)).isInstanceOf(IllegalArgumentException.class);
        assertThat(fd.isOpen()).isTrue();
    }

    @Test
    void close_releasesOnce_andUseAfterCloseIsEbadf() throws Exception {
        Fd fd = fd(4);
        assertThat(fd.close(kernel)).isZero();
        assertThat(released).containsExactly(4);
        assertThat(fd.isOpen()).isFalse();
        assertThatThrownBy(() -> fd.enter(kernel, "VFIO_GET_API_VERSION"))
                .isInstanceOfSatisfying(VfioException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EBADF);
                    assertThat(e.operation()).isEqualTo("VFIO_GET_API_VERSION");
                });
        assertThatThrownBy(() -> fd.close(kernel))
                .isInstanceOfSatisfying(VfioException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        assertThat(released).containsExactly(4);
    }

    @Test
    void close_whileACallIsInFlight_defersTheReleaseToItsEnd() throws Exception {
        Fd fd = fd(5);
        fd.enter(kernel, "read");
        assertThat(fd.close(kernel)).isZero();
        assertThat(released).as("still held by the call in flight").isEmpty();
        assertThatThrownBy(() -> fd.enter(kernel, "read")).isInstanceOf(VfioException.class);
        fd.exit();
        assertThat(released).containsExactly(5);
    }

    @Test
    void releaser_errno_isReturnedByClose() throws Exception {
        Fd fd = new Fd(kernel, 6, "x", n -> Errno.EIO.number());
        assertThat(fd.close(kernel)).isEqualTo(Errno.EIO.number());
    }

    @RepeatedTest(20)
    void concurrentCallsAndClose_releaseExactlyOnce_afterTheLastCall() throws Exception {
        Fd fd = fd(7);
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        CountDownLatch done = new CountDownLatch(threads);
        AtomicInteger afterRelease = new AtomicInteger();
        for (int t = 0; t < threads; t++) {
            Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 10_000; i++) {
                        try {
                            fd.enter(kernel, "ioctl");
                        } catch (VfioException closed) {
                            break;
                        }
                        synchronized (released) {
                            if (!released.isEmpty()) {
                                afterRelease.incrementAndGet();
                            }
                        }
                        fd.exit();
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                } finally {
                    done.countDown();
                }
            });
        }
        start.await();
        fd.close(kernel);
        done.await();
        assertThat(released).containsExactly(7);
        assertThat(afterRelease).as("calls that ran after the number was released").hasValue(0);
    }
}
