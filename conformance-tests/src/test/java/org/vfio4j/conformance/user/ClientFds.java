package org.vfio4j.conformance.user;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.vfio4j.VfioException;
import org.vfio4j.kernel.KernelBackend;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.PollFd;
import org.vfio4j.spi.VfioKernel;
import org.vfio4j.user.PassedFd;

/**
 * The descriptors a vfio-user client (QEMU) passes, made real on this machine: eventfds for
 * interrupts and memfds of guest RAM (QEMU's {@code memory-backend-memfd,share=on}), held through
 * the kernel backend's seam, which closes them all with {@link #close()}.
 */
final class ClientFds implements AutoCloseable {
    private static final MethodHandle MEMFD_CREATE = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("memfd_create").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    /** {@code MFD_CLOEXEC} of {@code <linux/memfd.h>}. */
    private static final int MFD_CLOEXEC = 1;

    private final VfioKernel linux = KernelBackend.open();

    /** A non-blocking eventfd with counter 0. */
    Fd eventfd() throws VfioException {
        return linux.eventfd(0, LinuxAbi.EFD_NONBLOCK | LinuxAbi.EFD_CLOEXEC);
    }

    /** A memfd of {@code size} zero bytes. */
    Fd memfd(String name, int size) throws VfioException {
        int number;
        try (Arena arena = Arena.ofConfined()) {
            number = (int) MEMFD_CREATE.invokeExact(arena.allocateFrom(name), MFD_CLOEXEC);
        } catch (Throwable t) {
            throw new AssertionError("memfd_create could not be called", t);
        }
        if (number < 0) {
            throw new AssertionError("memfd_create failed");
        }
        Fd fd = linux.adopt(number, "memfd " + name);
        write(fd, 0, new byte[size]); // the file grows to size
        return fd;
    }

    /** {@code fd} as a descriptor to pass beside a message; this side keeps it (the receiver gets a duplicate). */
    static PassedFd lent(Fd fd) {
        return new Lent(fd.number());
    }

    /** A descriptor number passed without giving it up: closing it does nothing. */
    private record Lent(int number) implements PassedFd {
        @Override
        public void close() {
            // the kernel backend's handle owns the number
        }
    }

    /** Whether the eventfd's counter becomes non-zero within {@code millis} (poll for POLLIN). */
    boolean readable(Fd eventfd, int millis) throws VfioException {
        short revents = linux.poll(List.of(new PollFd(eventfd, LinuxAbi.POLLIN)), millis)[0];
        return (revents & LinuxAbi.POLLIN) != 0;
    }

    /** Reads (and resets) an eventfd's counter: 0 when nothing was signalled (the non-blocking read's EAGAIN). */
    long takeCount(Fd eventfd) throws VfioException {
        if (!readable(eventfd, 0)) {
            return 0;
        }
        return linux.readEventCounter(eventfd);
    }

    /** Bytes of a file at an offset, as the client (the guest) sees them. */
    byte[] read(Fd fd, long offset, int count) throws VfioException {
        MemorySegment bytes = MemorySegment.ofArray(new byte[count]);
        long got = linux.pread(fd, bytes, offset);
        if (got != count) {
            throw new AssertionError("pread of " + count + " bytes returned " + got);
        }
        return bytes.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Writes bytes into a file at an offset, as the guest would into its RAM. */
    void write(Fd fd, long offset, byte[] bytes) throws VfioException {
        long put = linux.pwrite(fd, MemorySegment.ofArray(bytes), offset);
        if (put != bytes.length) {
            throw new AssertionError("pwrite of " + bytes.length + " bytes wrote " + put);
        }
    }

    /** The descriptor numbers open in this process (to see that the server closed what it was passed). */
    static List<String> openDescriptors() throws IOException {
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Closes every eventfd and memfd made here. */
    @Override
    public void close() {
        linux.close();
    }
}
