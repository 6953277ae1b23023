package org.vfio4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.vfio4j.spi.LinuxAbi.EFD_NONBLOCK;
import static org.vfio4j.spi.LinuxAbi.EFD_SEMAPHORE;
import static org.vfio4j.spi.LinuxAbi.MAP_SHARED;
import static org.vfio4j.spi.LinuxAbi.O_RDONLY;
import static org.vfio4j.spi.LinuxAbi.O_RDWR;
import static org.vfio4j.spi.LinuxAbi.POLLIN;
import static org.vfio4j.spi.LinuxAbi.POLLOUT;
import static org.vfio4j.spi.LinuxAbi.PROT_READ;
import static org.vfio4j.spi.LinuxAbi.PROT_WRITE;
import org.vfio4j.kernel.internal.PosixCalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.kernel.internal.ErrnoCalls.CallState;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.PollFd;
import org.vfio4j.spi.VfioKernel;
import org.vfio4j.uapi.VfioIoctls;
import org.vfio4j.uapi.VfioUapi;

/** The libc layer against the real kernel, with files and eventfds (no VFIO needed). */
class LinuxKernelTest {

    private final VfioKernel kernel = KernelBackend.open();

    @AfterEach
    void closeBackend() {
        kernel.close();
    }

    private static Errno errnoOf(ThrowingCall call) {
        try {
            call.run();
        } catch (VfioException e) {
            return e.errno();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the call succeeded");
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Exception;
    }

    // ---- eventfd(2) counter semantics ----

    @Test
    void eventfd_writesAddUp_andReadReturnsAndClears() throws Exception {
        Fd efd = kernel.eventfd(2, EFD_NONBLOCK);
        kernel.writeEventCounter(efd, 3);
        kernel.writeEventCounter(efd, 4);
        assertThat(kernel.readEventCounter(efd)).isEqualTo(9);
        assertThat(errnoOf(() -> kernel.readEventCounter(efd))).as("empty, non-blocking").isEqualTo(Errno.EAGAIN);
    }

    @Test
    void eventfd_semaphore_readDecrementsByOne() throws Exception {
        Fd efd = kernel.eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
        assertThat(kernel.readEventCounter(efd)).isEqualTo(1);
        assertThat(kernel.readEventCounter(efd)).isEqualTo(1);
        assertThat(errnoOf(() -> kernel.readEventCounter(efd))).isEqualTo(Errno.EAGAIN);
    }

    @Test
    void eventfd_counterLimits_andBufferSizes() throws Exception {
        Fd efd = kernel.eventfd(0, EFD_NONBLOCK);
        assertThat(errnoOf(() -> kernel.writeEventCounter(efd, -1L))).as("0xffffffffffffffff is not a valid add").isEqualTo(Errno.EINVAL);
        kernel.writeEventCounter(efd, -2L); // the largest counter value, 0xfffffffffffffffe
        assertThat(errnoOf(() -> kernel.writeEventCounter(efd, 1))).as("would overflow, non-blocking").isEqualTo(Errno.EAGAIN);
        try (Arena arena = Arena.ofConfined()) {
            assertThat(errnoOf(() -> kernel.read(efd, arena.allocate(4)))).as("reads need 8 bytes").isEqualTo(Errno.EINVAL);
            assertThat(errnoOf(() -> kernel.write(efd, arena.allocate(4)))).as("writes need 8 bytes").isEqualTo(Errno.EINVAL);
        }
        assertThat(kernel.readEventCounter(efd)).isEqualTo(-2L);
    }

    @Test
    void poll_reportsReadableOnlyWhileTheCounterIsNonZero() throws Exception {
        Fd efd = kernel.eventfd(0, EFD_NONBLOCK);
        List<PollFd> request = List.of(new PollFd(efd, (short) (POLLIN | POLLOUT)));
        assertThat(kernel.poll(request, 0)).containsExactly(POLLOUT);
        kernel.writeEventCounter(efd, 1);
        assertThat(kernel.poll(request, 0)).containsExactly((short) (POLLIN | POLLOUT));
        kernel.readEventCounter(efd);
        assertThat(kernel.poll(List.of(PollFd.readable(efd)), 10)).as("times out").containsExactly((short) 0);
    }

    @Test
    void blockingRead_wakesWhenAnotherThreadWrites() throws Exception {
        Fd efd = kernel.eventfd(0, 0);
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(20);
                kernel.writeEventCounter(efd, 5);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(kernel.readEventCounter(efd)).isEqualTo(5);
        writer.join();
    }

    // ---- errno from the real kernel ----

    @Test
    void ioctl_onDevNull_isEnotty() throws Exception {
        Fd devNull = kernel.open("/dev/null", O_RDWR);
        assertThat(errnoOf(() -> kernel.ioctl(devNull, LinuxAbi.FIONREAD, 0L))).isEqualTo(Errno.ENOTTY);
        VfioException notVfio = (VfioException) catchThrowable(() -> kernel.ioctl(devNull, LinuxAbi.FIONREAD, 0L));
        assertThat(notVfio.operation()).isEqualTo("ioctl(0x541b)");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment arg = arena.allocate(8);
            VfioException e = (VfioException) catchThrowable(() -> kernel.ioctl(devNull, 0x3B64, arg));
            assertThat(e.errno()).isEqualTo(Errno.ENOTTY);
            assertThat(e.target()).contains(devNull.toString());
            assertThat(e.operation()).isEqualTo("VFIO_GET_API_VERSION"); // only the container has this number
            VfioException aliased = (VfioException) catchThrowable(() -> kernel.ioctl(devNull, VfioUapi.VFIO_IOMMU_MAP_DMA, arg));
            assertThat(aliased.operation()).isEqualTo("ioctl(0x3b71)"); // also VFIO_DEVICE_PCI_HOT_RESET: /dev/null is neither
        }
    }

    @Test
    void ioctlNames_followTheKindOfFileTheHandleWasOpenedAs() {
        assertThat(LinuxKernel.fileKind("/dev/vfio/vfio")).isEqualTo(VfioIoctls.FileKind.CONTAINER);
        assertThat(LinuxKernel.fileKind("/dev/vfio/7")).isEqualTo(VfioIoctls.FileKind.GROUP);
        assertThat(LinuxKernel.fileKind("/dev/vfio/noiommu-0")).isEqualTo(VfioIoctls.FileKind.GROUP);
        assertThat(LinuxKernel.fileKind("device 0000:01:00.0")).isEqualTo(VfioIoctls.FileKind.DEVICE);
        assertThat(LinuxKernel.fileKind("/dev/vfio/devices/vfio0")).isEqualTo(VfioIoctls.FileKind.DEVICE);
        assertThat(LinuxKernel.fileKind("eventfd")).isNull();
        assertThat(LinuxKernel.fileKind("/dev/null")).isNull();
    }

    @Test
    void open_ofAMissingPath_isEnoent() {
        VfioException e = (VfioException) catchThrowable(() -> kernel.open("/dev/vfio/does-not-exist", O_RDWR));
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e.operation()).isEqualTo("open");
        assertThat(e.getMessage()).isEqualTo("open on /dev/vfio/does-not-exist failed: ENOENT (No such file or directory)");
    }

    @Test
    void close_ofAClosedDescriptor_isEbadf_inLibcAndThroughTheHandle() throws Exception {
        CallState s = Libc.state();
        int raw = PosixCalls.eventfd(s, 0, 0);
        assertThat(PosixCalls.close(s, raw)).isZero();
        assertThat(PosixCalls.close(s, raw)).isEqualTo(-1);
        assertThat(s.errno()).isEqualTo(Errno.EBADF.number());

        Fd efd = kernel.eventfd(0, 0);
        kernel.close(efd);
        assertThat(errnoOf(() -> kernel.close(efd))).isEqualTo(Errno.EBADF);
        assertThat(errnoOf(() -> kernel.readEventCounter(efd))).as("use after close").isEqualTo(Errno.EBADF);
    }

    @Test
    void handleOfAnotherBackend_isRejected() throws Exception {
        try (VfioKernel other = KernelBackend.open()) {
            Fd foreign = other.eventfd(0, 0);
            assertThatThrownBy(() -> kernel.readEventCounter(foreign))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("belongs to another instance of the kernel backend");
        }
    }

    // ---- files: pread, pwrite, mmap ----

    @Test
    void preadPwrite_onATemporaryFile_roundTripAtOffsets(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("region");
        Files.write(file, new byte[8192]);
        Fd fd = kernel.open(file.toString(), O_RDWR);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocateFrom("vfio4j", StandardCharsets.US_ASCII);
            assertThat(kernel.pwrite(fd, out, 4096)).isEqualTo(out.byteSize());
            MemorySegment in = arena.allocate(out.byteSize());
            assertThat(kernel.pread(fd, in, 4096)).isEqualTo(out.byteSize());
            assertThat(in.getString(0, StandardCharsets.US_ASCII)).isEqualTo("vfio4j");
            assertThat(kernel.pread(fd, arena.allocate(16), 8190)).as("short read at the end").isEqualTo(2);
            assertThat(kernel.pread(fd, arena.allocate(16), 9000)).as("past the end").isZero();
        }
        byte[] heap = new byte[6];
        assertThat(kernel.pread(fd, MemorySegment.ofArray(heap), 4096)).as("heap segments are copied").isEqualTo(6);
        assertThat(new String(heap, StandardCharsets.US_ASCII)).isEqualTo("vfio4j");
        Fd eventfd = kernel.eventfd(0, 0);
        try (Arena arena = Arena.ofConfined()) {
            assertThat(errnoOf(() -> kernel.pread(eventfd, arena.allocate(8), 0))).isEqualTo(Errno.ESPIPE);
        }
    }

    @Test
    void mmap_ofAFile_sharesItsBytes_andMunmapEndsTheSegment(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bar");
        Files.write(file, new byte[4096]);
        Fd fd = kernel.open(file.toString(), O_RDWR);
        MemorySegment map = kernel.mmap(fd, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
        map.set(ValueLayout.JAVA_INT_UNALIGNED, 8, 0x11223344);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(4);
            kernel.pread(fd, in, 8);
            assertThat(in.get(ValueLayout.JAVA_INT_UNALIGNED, 0)).isEqualTo(0x11223344);
        }
        kernel.close(fd);
        assertThat(map.get(ValueLayout.JAVA_INT_UNALIGNED, 8)).as("a mapping outlives its descriptor").isEqualTo(0x11223344);
        kernel.munmap(map);
        assertThatThrownBy(() -> map.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> kernel.munmap(map)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void mmap_errorsComeFromTheKernel(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ro");
        Files.write(file, new byte[4096]);
        Fd readOnly = kernel.open(file.toString(), O_RDONLY);
        assertThat(errnoOf(() -> kernel.mmap(readOnly, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED)))
                .as("writable shared mapping of a read-only descriptor").isEqualTo(Errno.EACCES);
        assertThat(errnoOf(() -> kernel.mmap(readOnly, 1, 4096, PROT_READ, MAP_SHARED)))
                .as("unaligned offset").isEqualTo(Errno.EINVAL);
    }

    @Test
    void close_ofTheBackend_closesItsDescriptorsAndMappings(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("f");
        Files.write(file, new byte[4096]);
        VfioKernel k = KernelBackend.open();
        Fd efd = k.eventfd(0, 0);
        MemorySegment map = k.mmap(k.open(file.toString(), O_RDWR), 0, 4096, PROT_READ, MAP_SHARED);
        k.close();
        assertThat(efd.isOpen()).isFalse();
        assertThatThrownBy(() -> map.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    private static Throwable catchThrowable(ThrowingCall call) {
        try {
            call.run();
        } catch (Throwable t) {
            return t;
        }
        throw new AssertionError("the call succeeded");
    }
}
