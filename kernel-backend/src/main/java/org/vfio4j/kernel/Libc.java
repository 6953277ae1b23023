package org.vfio4j.kernel;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import org.vfio4j.kernel.internal.ErrnoCalls;
import org.vfio4j.kernel.internal.ErrnoCalls.CallState;

/**
 * The raw libc calls of the kernel backend, C-shaped: each takes the calling thread's {@link
 * CallState} and returns what libc returns ({@code -1} on failure, with the errno in {@link
 * CallState#errno()}). No policy and no exceptions for errno: {@link LinuxKernel} interprets them.
 *
 * <p>Every downcall captures errno through {@code Linker.Option.captureCallState("errno")} into the
 * thread's own state segment, so concurrent failing calls each see their own errno. {@code ioctl}
 * and {@code open} are declared variadic, with one handle per argument kind (pointer, integer), as
 * the C calling convention for variadic arguments may differ from fixed ones. No handle is {@code
 * critical}: VFIO ioctls can sleep and pin memory.
 */
final class Libc {
    private Libc() {}

    private static final MethodHandle open$mh = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle ioctlPtr$mh = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle ioctlLong$mh = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle pread$mh = downcall("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle pwrite$mh = downcall("pwrite",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));


    /** {@code struct pollfd}: fd, events, revents. */
    static final StructLayout POLLFD$layout = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"),
            JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents"));

    /** Bytes of per-thread scratch: an eventfd counter, a path of common length, a small ioctl argument. */
    static final int SCRATCH = 4096;

    private static final ThreadLocal<CallState> STATE = ThreadLocal.withInitial(() -> new CallState(SCRATCH));

    /** The calling thread's call state. */
    static CallState state() {
        return STATE.get();
    }

    // SAFETY (all calls below): a segment passed as a pointer is native and at least as long as the
    // length passed with it; LinuxKernel checks this before calling.

    static int open(CallState s, MemorySegment path, int flags, int mode) {
        try {
            return (int) open$mh.invokeExact(s.capture, path, flags, mode);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int ioctl(CallState s, int fd, long request, MemorySegment arg) {
        try {
            return (int) ioctlPtr$mh.invokeExact(s.capture, fd, request, arg);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code ioctl} with a caller-provided capture segment (for measuring per-call allocation). */
    static int ioctlWithCapture(MemorySegment capture, int fd, long request, MemorySegment arg) {
        try {
            int r = (int) ioctlPtr$mh.invokeExact(capture, fd, request, arg);
            return r < 0 ? ErrnoCalls.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int ioctl(CallState s, int fd, long request, long value) {
        try {
            return (int) ioctlLong$mh.invokeExact(s.capture, fd, request, value);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static long pread(CallState s, int fd, MemorySegment buf, long count, long offset) {
        try {
            return (long) pread$mh.invokeExact(s.capture, fd, buf, count, offset);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static long pwrite(CallState s, int fd, MemorySegment buf, long count, long offset) {
        try {
            return (long) pwrite$mh.invokeExact(s.capture, fd, buf, count, offset);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        return ErrnoCalls.downcall(name, descriptor, extra);
    }
}
