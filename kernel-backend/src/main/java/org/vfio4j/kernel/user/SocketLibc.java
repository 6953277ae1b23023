package org.vfio4j.kernel.user;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.vfio4j.Errno;
import org.vfio4j.kernel.internal.ErrnoCalls;
import org.vfio4j.kernel.internal.ErrnoCalls.CallState;

/**
 * The raw libc calls of the vfio-user transport, C-shaped like {@code org.vfio4j.kernel.Libc}: each
 * takes the calling thread's {@link CallState} and returns what libc returns ({@code -1} on failure,
 * with the errno captured per thread by {@link ErrnoCalls}, the mechanism {@code Libc} uses too).
 *
 * <p>The struct layouts are those of LP64 Linux (x86-64 and arm64 agree): {@code struct msghdr} is
 * 56 bytes, {@code struct iovec} 16, {@code struct cmsghdr} 16 before its data.
 */
final class SocketLibc {
    private SocketLibc() {}

    // sys/socket.h, bits/socket.h, bits/socket_type.h (glibc, Linux generic ABI)
    /** {@code AF_UNIX}. */
    static final int AF_UNIX = 1;
    /** {@code SOCK_STREAM}. */
    static final int SOCK_STREAM = 1;
    /** {@code SOCK_CLOEXEC} (= {@code O_CLOEXEC}, 02000000). */
    static final int SOCK_CLOEXEC = 0x80000;
    /** {@code MSG_CTRUNC}: ancillary data did not fit the control buffer. */
    static final int MSG_CTRUNC = 0x8;
    /** {@code MSG_NOSIGNAL}: a write to a closed peer fails with EPIPE instead of raising SIGPIPE. */
    static final int MSG_NOSIGNAL = 0x4000;
    /** {@code MSG_CMSG_CLOEXEC}: received descriptors are close-on-exec from the start. */
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    /** {@code SOL_SOCKET}. */
    static final int SOL_SOCKET = 1;
    /** {@code SCM_RIGHTS}: the ancillary data is an array of int descriptors. */
    static final int SCM_RIGHTS = 1;
    /** {@code SHUT_RDWR}. */
    static final int SHUT_RDWR = 2;
    /** {@code SCM_MAX_FD} (include/net/scm.h): the most descriptors one message can carry. */
    static final int SCM_MAX_FD = 253;
    // sys/mman.h, fcntl.h
    /** {@code PROT_READ}. */
    static final int PROT_READ = 1;
    /** {@code PROT_WRITE}. */
    static final int PROT_WRITE = 2;
    /** {@code MAP_SHARED}. */
    static final int MAP_SHARED = 1;
    /** {@code F_GETFD}. */
    static final int F_GETFD = 1;
    /** fcntl: a duplicate at the lowest free number from the argument on, close-on-exec (asm-generic/fcntl.h). */
    static final int F_DUPFD_CLOEXEC = 1030;
    // sys/eventfd.h, poll.h
    /** {@code EFD_CLOEXEC} (= {@code O_CLOEXEC}). */
    static final int EFD_CLOEXEC = 0x80000;
    /** {@code EFD_NONBLOCK} (= {@code O_NONBLOCK}, 04000). */
    static final int EFD_NONBLOCK = 0x800;
    /** {@code POLLIN}: there is data to read (an eventfd's counter is not 0). */
    static final short POLLIN = 0x1;
    /** {@code POLLERR}. */
    static final short POLLERR = 0x8;
    /** {@code POLLHUP}. */
    static final short POLLHUP = 0x10;
    /** {@code POLLNVAL}: the descriptor is not open. */
    static final short POLLNVAL = 0x20;
    /** {@code sizeof(struct pollfd)}: fd (int) at 0, events (short) at 4, revents (short) at 6. */
    static final long POLLFD_SIZE = 8;

    /** {@code sizeof(struct msghdr)} and its members' offsets. */
    static final long MSGHDR_SIZE = 56;
    static final long MSG_IOV = 16;
    static final long MSG_IOVLEN = 24;
    static final long MSG_CONTROL = 32;
    static final long MSG_CONTROLLEN = 40;
    static final long MSG_FLAGS = 48;
    /** {@code sizeof(struct iovec)}: base at 0, length at 8. */
    static final long IOVEC_SIZE = 16;
    /** {@code CMSG_LEN(0)}: len (size_t) at 0, level at 8, type at 12, data at 16. */
    static final long CMSG_HEADER = 16;
    /** {@code sizeof(struct sockaddr_un)}: family (u16) then 108 bytes of path. */
    static final int SOCKADDR_UN_SIZE = 110;
    /** {@code sizeof(sun_path)}. */
    static final int SUN_PATH_SIZE = 108;

    /** {@code CMSG_ALIGN}: rounds up to the size of a long. */
    static long cmsgAlign(long length) {
        return (length + 7) & ~7L;
    }

    /** {@code CMSG_SPACE(n)}: the control bytes one cmsg of {@code n} data bytes takes. */
    static long cmsgSpace(long dataBytes) {
        return CMSG_HEADER + cmsgAlign(dataBytes);
    }

    private static final MethodHandle socket$mh = downcall("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle socketpair$mh = downcall("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle bind$mh = downcall("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle connect$mh = downcall("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle listen$mh = downcall("listen",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle accept4$mh = downcall("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle shutdown$mh = downcall("shutdown",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle sendmsg$mh = downcall("sendmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle recvmsg$mh = downcall("recvmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));

    /** Bytes of per-thread scratch: a socket address, an eventfd counter, two descriptors. */
    static final int SCRATCH = 256;

    private static final ThreadLocal<CallState> STATE = ThreadLocal.withInitial(() -> new CallState(SCRATCH));

    /** The calling thread's call state. */
    static CallState state() {
        return STATE.get();
    }

    /**
     * The exception for a failed call: which call, on what, the errno's name and its meaning, and
     * (when known) what that errno means here.
     */
    static IOException failure(String call, String on, int errno, String why) {
        Errno e = Errno.of(errno);
        String name = e == Errno.UNKNOWN ? "errno " + errno : e.name() + " (" + e.description() + ")";
        return new IOException(call + " on " + on + " failed: " + name + (why == null ? "" : ": " + why));
    }

    // SAFETY (all calls below): a segment passed as a pointer is native and at least as long as the
    // length passed with it (or described inside the msghdr); the callers build them so.

    static int socket(CallState s, int domain, int type, int protocol) {
        try {
            return (int) socket$mh.invokeExact(s.capture, domain, type, protocol);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int socketpair(CallState s, int domain, int type, int protocol, MemorySegment twoInts) {
        try {
            return (int) socketpair$mh.invokeExact(s.capture, domain, type, protocol, twoInts);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int bind(CallState s, int fd, MemorySegment address, int length) {
        try {
            return (int) bind$mh.invokeExact(s.capture, fd, address, length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int connect(CallState s, int fd, MemorySegment address, int length) {
        try {
            return (int) connect$mh.invokeExact(s.capture, fd, address, length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int listen(CallState s, int fd, int backlog) {
        try {
            return (int) listen$mh.invokeExact(s.capture, fd, backlog);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code accept4} without the peer's address. */
    static int accept4(CallState s, int fd, int flags) {
        try {
            return (int) accept4$mh.invokeExact(s.capture, fd, MemorySegment.NULL, MemorySegment.NULL, flags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int shutdown(CallState s, int fd, int how) {
        try {
            return (int) shutdown$mh.invokeExact(s.capture, fd, how);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static long sendmsg(CallState s, int fd, MemorySegment msghdr, int flags) {
        try {
            return (long) sendmsg$mh.invokeExact(s.capture, fd, msghdr, flags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static long recvmsg(CallState s, int fd, MemorySegment msghdr, int flags) {
        try {
            return (long) recvmsg$mh.invokeExact(s.capture, fd, msghdr, flags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        return ErrnoCalls.downcall(name, descriptor, extra);
    }
}
