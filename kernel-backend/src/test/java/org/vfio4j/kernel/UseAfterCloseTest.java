package org.vfio4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.vfio4j.spi.LinuxAbi.EFD_NONBLOCK;
import static org.vfio4j.spi.LinuxAbi.MAP_SHARED;
import static org.vfio4j.spi.LinuxAbi.O_RDWR;
import static org.vfio4j.spi.LinuxAbi.POLLIN;
import static org.vfio4j.spi.LinuxAbi.PROT_READ;
import static org.vfio4j.spi.LinuxAbi.PROT_WRITE;
import static org.vfio4j.testsupport.ClosedHandles.assertClosed;
import static org.vfio4j.testsupport.ClosedHandles.failure;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.EventNotifier;
import org.vfio4j.Vfio;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.PollFd;
import org.vfio4j.spi.VfioKernel;
import org.vfio4j.testsupport.ClosedHandles.Call;
import org.vfio4j.uapi.VfioUapi;

/**
 * Use after close on the kernel backend, where a closed descriptor's number goes to the next file
 * opened: every call on a closed handle fails with {@code EBADF} naming the handle and never
 * reaches the file that now has its number; a mapping after munmap (or after the backend closed)
 * is refused without touching memory, even when a later mmap got its address; a closed {@link
 * Vfio} makes nothing more. The VFIO handles themselves need {@code /dev/vfio}: the simulator's
 * UseAfterCloseTest covers them.
 */
class UseAfterCloseTest {
    private final VfioKernel kernel = KernelBackend.open();

    @TempDir
    Path dir;

    @AfterEach
    void closeBackend() {
        kernel.close();
    }

    @Test
    void aClosedEventfd_isRefused_andTheEventfdThatGotItsNumberIsUntouched() throws Exception {
        Fd old = kernel.eventfd(0, EFD_NONBLOCK);
        kernel.close(old);
        Fd reused = kernel.eventfd(0, EFD_NONBLOCK);
        assertThat(reused.number()).as("the kernel gives the lowest free number again").isEqualTo(old.number());

        assertClosed(failure(() -> kernel.writeEventCounter(old, 5)), "write", old);
        assertClosed(failure(() -> kernel.readEventCounter(old)), "read", old);
        assertClosed(failure(() -> kernel.poll(List.of(PollFd.readable(old)), 0)), "poll", old);
        assertClosed(failure(() -> kernel.ioctl(old, VfioUapi.VFIO_GET_API_VERSION, 0L)), "ioctl", old);
        assertClosed(failure(() -> kernel.close(old)), "close", old);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment eight = arena.allocate(8);
            eight.set(ValueLayout.JAVA_LONG, 0, 1);
            assertClosed(failure(() -> kernel.write(old, eight)), "write", old);
            assertClosed(failure(() -> kernel.read(old, eight)), "read", old);
        }

        assertThat(kernel.poll(List.of(PollFd.readable(reused)), 0)).as("nothing was written to the new eventfd").containsExactly((short) 0);
        kernel.writeEventCounter(reused, 3);
        assertThat(kernel.readEventCounter(reused)).as("its counter is its own").isEqualTo(3);
    }

    @Test
    void aClosedFile_isRefused_andTheFileThatGotItsNumberKeepsItsOffsetAndBytes() throws Exception {
        Path first = dir.resolve("first");
        Path second = dir.resolve("second");
        Files.write(first, new byte[4096]);
        Files.writeString(second, "untouched");
        Fd old = kernel.open(first.toString(), O_RDWR);
        kernel.close(old);
        Fd reused = kernel.open(second.toString(), O_RDWR);
        assertThat(reused.number()).isEqualTo(old.number());

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment junk = arena.allocateFrom("XXXX", StandardCharsets.US_ASCII);
            assertClosed(failure(() -> kernel.write(old, junk)), "write", old); // write(2) would also move the offset
            assertClosed(failure(() -> kernel.pwrite(old, junk, 0)), "pwrite", old);
            assertClosed(failure(() -> kernel.pread(old, arena.allocate(4), 0)), "pread", old);
            assertClosed(failure(() -> kernel.read(old, arena.allocate(4))), "read", old);
            assertClosed(failure(() -> kernel.mmap(old, 0, 4096, PROT_READ, MAP_SHARED)), "mmap", old);

            MemorySegment in = arena.allocate(9);
            assertThat(kernel.read(reused, in)).as("read(2) from the new file's own offset, still 0").isEqualTo(9);
            assertThat(new String(in.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII)).isEqualTo("untouched");
        }
        assertThat(Files.readString(second)).isEqualTo("untouched");
    }

    @Test
    void aMappingAfterMunmap_isRefusedWithoutTouchingMemory_evenWhenALaterMmapGotItsAddress() throws Exception {
        Path file = dir.resolve("bar");
        Files.write(file, new byte[8192]);
        Fd fd = kernel.open(file.toString(), O_RDWR);
        MemorySegment old = kernel.mmap(fd, 0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED);
        kernel.munmap(old);
        assertThatThrownBy(() -> old.get(ValueLayout.JAVA_BYTE, 0)).as("the segment itself").isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> kernel.load(old, 0, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a live mapping made by this backend's mmap");
        assertThatThrownBy(() -> kernel.store(old, 0, 4, 7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a live mapping made by this backend's mmap");
        assertThatThrownBy(() -> kernel.munmap(old)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mapping made by this backend's mmap");

        MemorySegment reused = null;
        for (int i = 0; i < 16 && reused == null; i++) { // mmap hands a freed range out again, most often at once
            MemorySegment m = kernel.mmap(fd, 0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED);
            if (m.address() == old.address()) {
                reused = m;
            }
        }
        assertThat(reused).as("a later mmap of the same length got the unmapped address").isNotNull();
        kernel.store(reused, 0, 8, 0x1122334455667788L);
        MemorySegment newer = reused;
        assertThatThrownBy(() -> kernel.munmap(old)).as("munmap of the stale segment must not unmap the new mapping")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a whole live mapping");
        assertThatThrownBy(() -> kernel.load(old, 0, 8)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a live mapping");
        assertThat(kernel.load(newer, 0, 8)).as("the new mapping lives on").isEqualTo(0x1122334455667788L);
        kernel.munmap(newer);
    }

    @Test
    void aClosedVfio_makesNothingMore_andWhatItMadeIsClosed() throws Exception {
        Path file = dir.resolve("f");
        Files.write(file, new byte[4096]);
        Vfio vfio = Vfio.over(KernelBackend.open());
        EventNotifier notifier = vfio.eventNotifier();
        Fd fd = vfio.seam().open(file.toString(), O_RDWR);
        MemorySegment map = vfio.seam().mmap(fd, 0, 4096, PROT_READ, MAP_SHARED);
        vfio.close();

        assertClosed(failure(() -> notifier.signal(1)), "write", notifier.fd());
        assertClosed(failure(notifier::poll), "poll", notifier.fd());
        assertClosed(failure(() -> notifier.await(Duration.ofMillis(1))), "poll", notifier.fd());
        assertClosed(failure(() -> vfio.seam().pread(fd, MemorySegment.ofArray(new byte[4]), 0)), "pread", fd);
        assertThatThrownBy(() -> map.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        notifier.close(); // closing what the Vfio already closed does nothing
        vfio.close();

        for (Call call : List.<Call>of(vfio::eventNotifier, vfio::openContainer, () -> vfio.openGroup(1), vfio::iommuGroups,
                () -> vfio.userAddress(Arena.global().allocate(8)))) {
            assertThatThrownBy(call::run).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("on a closed Vfio (kernel backend)");
        }
    }

    @Test
    void aClosedNotifier_failsEveryCall_andANewOneWithItsNumberIsUntouched() throws Exception {
        try (Vfio vfio = Vfio.over(KernelBackend.open())) {
            EventNotifier old = vfio.eventNotifier();
            old.close();
            old.close(); // a second close does nothing
            EventNotifier reused = vfio.eventNotifier();
            assertThat(reused.fd().number()).isEqualTo(old.fd().number());
            assertClosed(failure(() -> old.signal(1)), "write", old.fd());
            assertClosed(failure(old::poll), "poll", old.fd());
            assertClosed(failure(() -> old.expectSignal(Duration.ofMillis(1))), "poll", old.fd());
            assertThat(reused.poll()).isEqualTo(OptionalLong.empty());
            assertThat(vfio.seam().poll(List.of(new PollFd(reused.fd(), POLLIN)), 0)).containsExactly((short) 0);
        }
    }
}
