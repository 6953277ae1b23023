package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.VFIO_GROUP_GET_DEVICE_FD;
import static org.vfio4j.uapi.VfioUapi.VFIO_GROUP_GET_STATUS;
import static org.vfio4j.uapi.VfioUapi.VFIO_GROUP_SET_CONTAINER;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;

/**
 * An ioctl argument in memory the caller's process cannot reach (its arena was closed, or it is
 * confined to another thread) faults like an unmapped user address: {@code copy_from_user} fails
 * and the ioctl returns EFAULT, instead of the JDK's exception escaping from deep inside the
 * simulator (found by the seam fuzzer).
 */
class UnreachableUserMemoryTest {
    private final SimulatedKernel kernel = SimulatedHost.x86Type1().boot();

    @AfterEach
    void close() {
        kernel.close();
    }

    private static MemorySegment closedArenaSegment() {
        try (Arena gone = Arena.ofConfined()) {
            return gone.allocate(4096);
        }
    }

    private static MemorySegment otherThreadSegment() {
        return CompletableFuture.supplyAsync(() -> Arena.ofConfined().allocate(4096)).join();
    }

    @Test
    void aStructInAClosedArena_isEfault() throws Exception {
        Fd group = kernel.open("/dev/vfio/7", LinuxAbi.O_RDWR);
        MemorySegment gone = closedArenaSegment();
        assertThat(Errnos.of(() -> kernel.ioctl(group, VFIO_GROUP_GET_STATUS, gone))).isEqualTo(Errno.EFAULT);
        assertThat(Errnos.of(() -> kernel.ioctl(group, VFIO_GROUP_SET_CONTAINER, gone))).isEqualTo(Errno.EFAULT);
    }

    @Test
    void aStructConfinedToAnotherThread_isEfault() throws Exception {
        Fd group = kernel.open("/dev/vfio/7", LinuxAbi.O_RDWR);
        MemorySegment theirs = otherThreadSegment();
        assertThat(Errnos.of(() -> kernel.ioctl(group, VFIO_GROUP_GET_STATUS, theirs))).isEqualTo(Errno.EFAULT);
    }

    @Test
    void aDeviceNameTheKernelCannotRead_isEfault() throws Exception {
        Fd group = kernel.open("/dev/vfio/7", LinuxAbi.O_RDWR);
        assertThat(Errnos.of(() -> kernel.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, closedArenaSegment()))).isEqualTo(Errno.EFAULT);
        assertThat(Errnos.of(() -> kernel.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, otherThreadSegment()))).isEqualTo(Errno.EFAULT);
    }
}
