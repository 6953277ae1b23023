package org.vfio4j.kernel.user;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The tests' own libc calls, independent of the transport under test: memfds, eventfds, raw reads
 * and writes, and whether a descriptor number is open. Each returns the result or throws with the
 * errno; {@link #isOpen} answers fcntl(F_GETFD)'s EBADF.
 */
final class TestFds {
    private TestFds() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle MEMFD_CREATE = handle("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle EVENTFD = handle("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle FTRUNCATE = handle("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle PREAD = handle("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = handle("pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle READ = handle("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = handle("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle FCNTL = LINKER.downcallHandle(LINKER.defaultLookup().find("fcntl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    static final int EFD_NONBLOCK = 04000;
    static final int EFD_CLOEXEC = 02000000;
    static final int MFD_CLOEXEC = 1;
    static final int EAGAIN = 11;
    static final int EBADF = 9;

    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d, Linker.Option.captureCallState("errno"));
    }

    /** A failed call and its errno. */
    static final class Failed extends RuntimeException {
        final int errno;

        Failed(String call, int errno) {
            super(call + " failed with errno " + errno);
            this.errno = errno;
        }
    }

    private static long check(String call, long r, MemorySegment capture) {
        if (r < 0) {
            throw new Failed(call, (int) ERRNO.get(capture, 0L));
        }
        return r;
    }

    /** A memfd of {@code size} bytes. */
    static int memfd(String name, long size) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE);
            int fd = (int) check("memfd_create", (int) MEMFD_CREATE.invokeExact(c, a.allocateFrom(name), MFD_CLOEXEC), c);
            check("ftruncate", (int) FTRUNCATE.invokeExact(c, fd, size), c);
            return fd;
        }
    }

    /** A non-blocking eventfd with counter 0. */
    static int eventfd() throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE);
            return (int) check("eventfd", (int) EVENTFD.invokeExact(c, 0, EFD_NONBLOCK | EFD_CLOEXEC), c);
        }
    }

    /** Reads an eventfd's counter (resetting it); throws {@link Failed} with EAGAIN when it is 0. */
    static long readCounter(int fd) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE);
            MemorySegment v = a.allocate(8);
            check("read", (long) READ.invokeExact(c, fd, v, 8L), c);
            return v.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    static void pwrite(int fd, byte[] bytes, long offset) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE);
            long n = check("pwrite", (long) PWRITE.invokeExact(c, fd, a.allocateFrom(ValueLayout.JAVA_BYTE, bytes), (long) bytes.length, offset), c);
            if (n != bytes.length) {
                throw new AssertionError("short pwrite " + n);
            }
        }
    }

    static byte[] pread(int fd, int count, long offset) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE);
            MemorySegment b = a.allocate(count);
            long n = check("pread", (long) PREAD.invokeExact(c, fd, b, (long) count, offset), c);
            return b.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** Writes all of {@code bytes} to a descriptor (a socket: raw bytes that need not be a message). */
    static void writeAll(int fd, byte[] bytes) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE);
            MemorySegment b = a.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
            long done = 0;
            while (done < bytes.length) {
                done += check("write", (long) WRITE.invokeExact(c, fd, b.asSlice(done), bytes.length - done), c);
            }
        }
    }

    /** Reads exactly {@code count} bytes from a descriptor (a socket), or fewer at end of file. */
    static byte[] readUpTo(int fd, int count) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE);
            MemorySegment b = a.allocate(count);
            long done = 0;
            while (done < count) {
                long n = check("read", (long) READ.invokeExact(c, fd, b.asSlice(done), count - done), c);
                if (n == 0) {
                    break;
                }
                done += n;
            }
            return b.asSlice(0, done).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** Whether a descriptor number is open: fcntl(F_GETFD) fails with EBADF when not. */
    static boolean isOpen(int fd) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE);
            if ((int) FCNTL.invokeExact(c, fd, 1) >= 0) {
                return true;
            }
            int errno = (int) ERRNO.get(c, 0L);
            if (errno != EBADF) {
                throw new Failed("fcntl", errno);
            }
            return false;
        }
    }

    /** Whether a descriptor has FD_CLOEXEC. */
    static boolean isCloseOnExec(int fd) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE);
            return ((int) check("fcntl", (int) FCNTL.invokeExact(c, fd, 1), c) & 1) != 0;
        }
    }

    /** The numbers open in this process, as /proc/self/fd lists them, sorted. */
    static List<String> openDescriptors() throws IOException {
        try (var list = Files.list(Path.of("/proc/self/fd"))) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static void close(int fd) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE);
            check("close", (int) CLOSE.invokeExact(c, fd), c);
        }
    }
}
