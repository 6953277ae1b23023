package org.vfio4j.kernel.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.vfio4j.kernel.internal.ErrnoCalls.CallState;

/**
 * The descriptor calls both the VFIO calls ({@code org.vfio4j.kernel.Libc}) and the vfio-user
 * socket calls ({@code org.vfio4j.kernel.user.SocketLibc}) make: close, read and write, eventfd,
 * poll, fcntl, mmap and munmap, each capturing errno into the caller's {@link CallState}. Each
 * returns what libc returned (-1 with errno in the capture on failure).
 *
 * <p>SAFETY (every call): a segment passed as a pointer is native and at least as long as the count
 * passed with it; the caller owns the descriptors it passes.
 */
public final class PosixCalls {
    private PosixCalls() {}

    /** {@code MAP_FAILED}, {@code (void *) -1}. */
    public static final long MAP_FAILED = -1L;

    private static final MethodHandle close$mh = ErrnoCalls.downcall("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle read$mh = ErrnoCalls.downcall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle write$mh = ErrnoCalls.downcall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle eventfd$mh = ErrnoCalls.downcall("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle poll$mh = ErrnoCalls.downcall("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle fcntl$mh = ErrnoCalls.downcall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle fcntlInt$mh = ErrnoCalls.downcall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle mmap$mh = ErrnoCalls.downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle munmap$mh = ErrnoCalls.downcall("munmap",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));

    /** {@code close(2)}. */
    public static int close(CallState s, int fd) {
        try {
            return (int) close$mh.invokeExact(s.capture, fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code read(2)} of at most {@code count} bytes into {@code buf}. */
    public static long read(CallState s, int fd, MemorySegment buf, long count) {
        try {
            return (long) read$mh.invokeExact(s.capture, fd, buf, count);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code write(2)} of {@code count} bytes of {@code buf}. */
    public static long write(CallState s, int fd, MemorySegment buf, long count) {
        try {
            return (long) write$mh.invokeExact(s.capture, fd, buf, count);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code eventfd(2)}. */
    public static int eventfd(CallState s, int initval, int flags) {
        try {
            return (int) eventfd$mh.invokeExact(s.capture, initval, flags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code poll(2)} over {@code nfds} consecutive {@code struct pollfd}; a negative timeout waits without limit. */
    public static int poll(CallState s, MemorySegment fds, long nfds, int timeoutMillis) {
        try {
            return (int) poll$mh.invokeExact(s.capture, fds, nfds, timeoutMillis);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code fcntl(2)} with a command that takes no argument ({@code F_GETFD}). */
    public static int fcntl(CallState s, int fd, int command) {
        try {
            return (int) fcntl$mh.invokeExact(s.capture, fd, command);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code fcntl(2)} with an int argument ({@code F_DUPFD_CLOEXEC}). */
    public static int fcntl(CallState s, int fd, int command, int argument) {
        try {
            return (int) fcntlInt$mh.invokeExact(s.capture, fd, command, argument);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code mmap(2)} at an address of the kernel's choice; returns the mapping's address, or {@link #MAP_FAILED}. */
    public static long mmap(CallState s, long length, int prot, int flags, int fd, long offset) {
        try {
            MemorySegment addr = (MemorySegment) mmap$mh.invokeExact(s.capture, MemorySegment.NULL, length, prot, flags, fd, offset);
            return addr.address();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code munmap(2)}. */
    public static int munmap(CallState s, long address, long length) {
        try {
            return (int) munmap$mh.invokeExact(s.capture, MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
