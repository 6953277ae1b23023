package org.vfio4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.kernel.internal.ErrnoCalls.CallState;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.MappedAccess;
import org.vfio4j.spi.PollFd;
import org.vfio4j.spi.Scalar;
import org.vfio4j.spi.VfioKernel;
import org.vfio4j.uapi.VfioIoctls;
import org.vfio4j.kernel.internal.PosixCalls;

/**
 * The seam on real Linux: each call is one libc call through {@link Libc}, bracketed by the
 * handle's {@link Fd#enter}/{@link Fd#exit} so that a closed handle never reaches the kernel.
 * A failing call throws {@link VfioException} with the captured errno, the operation, and the
 * handle; the kernel's own reasons are not known here, so there is no explanation.
 *
 * <p>Arguments in heap segments are copied to the thread's native scratch buffer (or a
 * temporary arena when larger) and back, since a downcall can only pass native memory.
 * Mappings get a shared arena each: {@link #munmap} closes it before unmapping, so a stale
 * segment throws instead of touching unmapped memory.
 */
final class LinuxKernel implements VfioKernel {

    private record Mapping(long address, long length, Arena arena) {}

    private final Set<Fd> open = ConcurrentHashMap.newKeySet();
    private final Map<Long, Mapping> mappings = new ConcurrentHashMap<>();
    private volatile boolean closed;

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public Fd open(String path, int flags) throws VfioException {
        if (path == null) {
            throw new IllegalArgumentException("open needs a path, not null");
        }
        checkOpen();
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        CallState s = Libc.state();
        int n;
        if (bytes.length < Libc.SCRATCH) {
            MemorySegment.copy(bytes, 0, s.scratch, ValueLayout.JAVA_BYTE, 0, bytes.length);
            s.scratch.set(ValueLayout.JAVA_BYTE, bytes.length, (byte) 0);
            n = Libc.open(s, s.scratch, flags, 0);
        } else {
            try (Arena arena = Arena.ofConfined()) {
                n = Libc.open(s, arena.allocateFrom(path), flags, 0);
            }
        }
        if (n < 0) {
            throw new VfioException(s.errno(), "open", path, null);
        }
        return track(n, path);
    }

    @Override
    public Fd adopt(int number, String description) throws VfioException {
        CallState s = Libc.state();
        // F_GETFD through ioctl is not possible; poll with a zero timeout tells whether the number is open
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(Libc.POLLFD$layout);
            p.set(ValueLayout.JAVA_INT, 0, number);
            if (PosixCalls.poll(s, p, 1, 0) < 0) {
                throw new VfioException(s.errno(), "adopt", "fd " + number, null);
            }
            if ((p.get(ValueLayout.JAVA_SHORT, 6) & org.vfio4j.spi.LinuxAbi.POLLNVAL) != 0) {
                throw new VfioException(Errno.EBADF, "adopt", "fd " + number, "no such descriptor is open");
            }
        }
        for (Fd fd : open) {
            if (fd.number() == number && fd.isOpen()) {
                throw new IllegalStateException(fd + " already has a handle");
            }
        }
        return track(number, description);
    }

    @Override
    public void close(Fd fd) throws VfioException {
        int errno = fd.close(this);
        open.remove(fd);
        if (errno != 0) {
            throw new VfioException(errno, "close", fd.toString(), null);
        }
    }

    @Override
    public int ioctl(Fd fd, long request, MemorySegment arg) throws VfioException {
        int n = fd.enter(this, "ioctl");
        try {
            CallState s = Libc.state();
            int r;
            if (arg == null) {
                r = Libc.ioctl(s, n, request, MemorySegment.NULL); // a NULL pointer: the kernel answers (EFAULT, mostly)
            } else if (!arg.scope().isAlive() || !arg.isAccessibleBy(Thread.currentThread())) {
                throw new VfioException(Errno.EFAULT, requestName(fd, request), fd.toString(),
                        "the argument's memory is unreachable: its arena was closed, or it is confined to another thread");
            } else if (arg.isReadOnly()) {
                r = readOnlyIoctl(s, n, request, arg, fd);
            } else if (arg.isNative()) {
                r = Libc.ioctl(s, n, request, arg);
            } else {
                r = (int) withNativeCopy(s, arg, b -> Libc.ioctl(s, n, request, b));
            }
            if (r < 0) {
                throw failure(s, requestName(fd, request), fd);
            }
            return r;
        } finally {
            fd.exit();
        }
    }

    /**
     * An ioctl on memory the caller made read-only: the kernel gets a private copy, and if it wrote
     * results back (which a truly read-only page would refuse with EFAULT in copy_to_user) the call
     * fails with EFAULT instead of changing the caller's read-only bytes.
     */
    private static int readOnlyIoctl(CallState s, int n, long request, MemorySegment arg, Fd fd) throws VfioException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment copy = arena.allocate(Math.max(1, arg.byteSize()), 8).asSlice(0, arg.byteSize());
            copy.copyFrom(arg);
            int r = Libc.ioctl(s, n, request, copy);
            if (r >= 0 && copy.mismatch(arg) >= 0) {
                throw new VfioException(Errno.EFAULT, requestName(fd, request), fd.toString(),
                        "the kernel wrote results back into the argument, which is a read-only segment (copy_to_user faults)");
            }
            return r;
        }
    }

    @Override
    public int ioctl(Fd fd, long request, long value) throws VfioException {
        int n = fd.enter(this, "ioctl");
        try {
            CallState s = Libc.state();
            int r = Libc.ioctl(s, n, request, value);
            if (r < 0) {
                throw failure(s, requestName(fd, request), fd);
            }
            return r;
        } finally {
            fd.exit();
        }
    }

    @Override
    public long pread(Fd fd, MemorySegment dst, long offset) throws VfioException {
        checkDestination(dst, fd, "pread");
        return transfer(fd, "pread", dst, (st, n, b) -> Libc.pread(st, n, b, b.byteSize(), offset));
    }

    @Override
    public long pwrite(Fd fd, MemorySegment src, long offset) throws VfioException {
        checkSource(src, fd, "pwrite");
        return transfer(fd, "pwrite", src, (st, n, b) -> Libc.pwrite(st, n, b, b.byteSize(), offset));
    }

    @Override
    public long read(Fd fd, MemorySegment dst) throws VfioException {
        checkDestination(dst, fd, "read");
        return transfer(fd, "read", dst, (st, n, b) -> PosixCalls.read(st, n, b, b.byteSize()));
    }

    @Override
    public long write(Fd fd, MemorySegment src) throws VfioException {
        checkSource(src, fd, "write");
        return transfer(fd, "write", src, (st, n, b) -> PosixCalls.write(st, n, b, b.byteSize()));
    }

    /**
     * A buffer the kernel must write is EFAULT when it cannot be written: read-only (as copy_to_user
     * into a read-only page), or unreachable ({@link #checkSource}). Checked before the call.
     */
    private static void checkDestination(MemorySegment dst, Fd fd, String operation) throws VfioException {
        checkSource(dst, fd, operation);
        if (dst.isReadOnly()) {
            throw new VfioException(Errno.EFAULT, operation, fd.toString(), "the destination segment is read-only (copy_to_user faults)");
        }
    }

    /**
     * A buffer must be one the call can reach: memory of a closed arena is unmapped and memory
     * confined to another thread is not this call's, so both are EFAULT (as the simulator answers)
     * instead of the FFM's exception escaping from the downcall; null is a Java programming error.
     */
    private static void checkSource(MemorySegment src, Fd fd, String operation) throws VfioException {
        if (src == null) {
            throw new IllegalArgumentException(operation + " needs a buffer segment, not null");
        }
        if (!src.scope().isAlive()) {
            throw new VfioException(Errno.EFAULT, operation, fd.toString(), "the buffer's arena was closed, so its memory is unmapped");
        }
        if (!src.isAccessibleBy(Thread.currentThread())) {
            throw new VfioException(Errno.EFAULT, operation, fd.toString(), "the buffer is confined to another thread's arena");
        }
    }

    /** A libc call moving the bytes of a native buffer: pread, pwrite, read or write. */
    @FunctionalInterface
    private interface Transfer {
        long call(CallState state, int fd, MemorySegment nativeBuffer);
    }

    /** Runs one transfer on {@code fd}, through a native copy when {@code buffer} is on the heap. */
    private long transfer(Fd fd, String operation, MemorySegment buffer, Transfer transfer) throws VfioException {
        int n = fd.enter(this, operation);
        try {
            CallState s = Libc.state();
            long r = buffer.isNative()
                    ? transfer.call(s, n, buffer)
                    : withNativeCopy(s, buffer, b -> transfer.call(s, n, b));
            if (r < 0) {
                throw failure(s, operation, fd);
            }
            return r;
        } finally {
            fd.exit();
        }
    }

    @Override
    public MemorySegment mmap(Fd fd, long offset, long length, int prot, int flags) throws VfioException {
        // a length of 0 or one past the address space is the kernel's to refuse (EINVAL, ENOMEM in do_mmap)
        int n = fd.enter(this, "mmap");
        try {
            CallState s = Libc.state();
            long address = PosixCalls.mmap(s, length, prot, flags, n, offset);
            if (address == PosixCalls.MAP_FAILED) {
                throw failure(s, "mmap", fd);
            }
            Arena arena = Arena.ofShared();
            mappings.put(address, new Mapping(address, length, arena));
            // SAFETY: the kernel mapped [address, address + length); the arena ends the segment's life before munmap.
            return MemorySegment.ofAddress(address).reinterpret(length, arena, null);
        } finally {
            fd.exit();
        }
    }

    @Override
    public long load(MemorySegment mapping, long offset, int size) throws VfioException {
        return Scalar.get(mapped(mapping, offset, size), offset, size); // one load instruction of the access's width
    }

    @Override
    public void store(MemorySegment mapping, long offset, int size, long value) throws VfioException {
        Scalar.put(mapped(mapping, offset, size), offset, size, value); // one store instruction of the access's width
    }

    /** The live mapping an access of {@code size} bytes at {@code offset} goes through, or the documented refusal. */
    private MemorySegment mapped(MemorySegment mapping, long offset, int size) {
        MappedAccess.requireShape(mapping, offset, size);
        if (live(mapping) == null) {
            throw new IllegalArgumentException("not a live mapping made by this backend's mmap (unmapped, or a slice): " + mapping);
        }
        MappedAccess.requireInside(mapping, offset, size);
        return mapping;
    }

    @Override
    public void munmap(MemorySegment mapping) throws VfioException {
        if (mapping == null) {
            throw new IllegalArgumentException("munmap needs the segment mmap returned, not null");
        }
        Mapping m = live(mapping);
        if (m == null) {
            throw new IllegalArgumentException("not a whole live mapping made by this backend's mmap (unmapped, or a slice): " + mapping);
        }
        if (!mappings.remove(mapping.address(), m)) {
            throw new VfioException(Errno.EINVAL, "munmap", null, "the mapping was already unmapped");
        }
        try {
            m.arena().close();
        } catch (IllegalStateException inUse) {
            mappings.put(m.address(), m); // still in use by a call in flight: keep it mapped
            throw inUse;
        }
        CallState s = Libc.state();
        if (PosixCalls.munmap(s, m.address(), m.length()) < 0) {
            throw new VfioException(s.errno(), "munmap", null, null);
        }
    }

    /**
     * The live mapping {@code segment} is, or null: found by address, and it must be that very
     * mapping (its arena), not an unmapped one whose address a later mmap was given.
     */
    private Mapping live(MemorySegment segment) {
        Mapping m = mappings.get(segment.address());
        return m != null && m.length() == segment.byteSize() && m.arena().scope().equals(segment.scope()) ? m : null;
    }

    @Override
    public long userAddress(MemorySegment memory) {
        if (memory == null) {
            throw new IllegalArgumentException("userAddress needs a segment, not null");
        }
        if (!memory.isNative()) {
            throw new IllegalArgumentException("a heap segment has no stable address for the kernel to use: " + memory);
        }
        return memory.address();
    }

    @Override
    public Fd eventfd(int initialValue, int flags) throws VfioException {
        checkOpen();
        CallState s = Libc.state();
        int n = PosixCalls.eventfd(s, initialValue, flags);
        if (n < 0) {
            throw new VfioException(s.errno(), "eventfd", null, null);
        }
        return track(n, "eventfd");
    }

    @Override
    public long readEventCounter(Fd eventfd) throws VfioException {
        int n = eventfd.enter(this, "read");
        try {
            CallState s = Libc.state();
            long r = PosixCalls.read(s, n, s.scratch, Long.BYTES);
            if (r < 0) {
                throw failure(s, "read", eventfd);
            }
            if (r != Long.BYTES) {
                throw new VfioException(Errno.EIO, "read", eventfd.toString(), "an eventfd read returned " + r + " bytes, not 8");
            }
            return s.scratch.get(ValueLayout.JAVA_LONG, 0);
        } finally {
            eventfd.exit();
        }
    }

    @Override
    public void writeEventCounter(Fd eventfd, long value) throws VfioException {
        int n = eventfd.enter(this, "write");
        try {
            CallState s = Libc.state();
            s.scratch.set(ValueLayout.JAVA_LONG, 0, value);
            if (PosixCalls.write(s, n, s.scratch, Long.BYTES) < 0) {
                throw failure(s, "write", eventfd);
            }
        } finally {
            eventfd.exit();
        }
    }

    @Override
    public short[] poll(List<PollFd> fds, int timeoutMillis) throws VfioException {
        int count = fds.size();
        int entered = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment array = arena.allocate(Libc.POLLFD$layout, Math.max(1, count));
            long stride = Libc.POLLFD$layout.byteSize();
            for (PollFd p : fds) {
                int n = p.fd().enter(this, "poll");
                array.set(ValueLayout.JAVA_INT, entered * stride, n);
                array.set(ValueLayout.JAVA_SHORT, entered * stride + 4, p.events());
                entered++;
            }
            CallState s = Libc.state();
            if (PosixCalls.poll(s, array, count, timeoutMillis) < 0) {
                throw new VfioException(s.errno(), "poll", count + " descriptors", null);
            }
            short[] revents = new short[count];
            for (int i = 0; i < count; i++) {
                revents[i] = array.get(ValueLayout.JAVA_SHORT, i * stride + 6);
            }
            return revents;
        } finally {
            for (int i = 0; i < entered; i++) {
                fds.get(i).fd().exit();
            }
        }
    }

    @Override
    public Path root() {
        return Path.of("/");
    }

    /** Like a closed file system, a closed backend makes no new descriptors. */
    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this kernel backend was closed; open a new one (Vfio.kernel() or KernelBackend.open())");
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Long address : List.copyOf(mappings.keySet())) {
            Mapping m = mappings.remove(address);
            if (m != null) {
                m.arena().close();
                PosixCalls.munmap(Libc.state(), m.address(), m.length());
            }
        }
        for (Fd fd : List.copyOf(open)) {
            try {
                close(fd);
            } catch (VfioException ignored) {
                // closing everything on the way out: a descriptor closed elsewhere is already gone
            }
        }
    }

    /** Handles this backend tracks as open (closed by its {@link #close()}), for leak checks. */
    int openCount() {
        return open.size();
    }

    /** Mappings this backend tracks as live (unmapped by its {@link #close()}), for leak checks. */
    int mappingCount() {
        return mappings.size();
    }

    private Fd track(int number, String description) {
        Fd fd = new Fd(this, number, description, this::release);
        open.add(fd);
        return fd;
    }

    private int release(int number) {
        CallState s = Libc.state();
        return PosixCalls.close(s, number) < 0 ? s.errno() : 0;
    }

    /**
     * How a failed ioctl is named: by {@code <linux/vfio.h>}'s name for the kind of VFIO file the
     * handle was opened as (the simulator names it the same way), {@code ioctl(0x…)} for others.
     */
    private static String requestName(Fd fd, long request) {
        return VfioIoctls.name(fileKind(fd.description()), request);
    }

    /**
     * The kind of VFIO file a handle refers to, from what it was opened or adopted as: the
     * container node, a group node, or a device fd (adopted as {@code "device …"}); null otherwise.
     */
    static VfioIoctls.FileKind fileKind(String description) {
        if (description.equals(KernelBackend.CONTAINER_NODE)) {
            return VfioIoctls.FileKind.CONTAINER;
        }
        if (description.startsWith("/dev/vfio/devices/") || description.startsWith("device")) {
            return VfioIoctls.FileKind.DEVICE; // the device cdev of newer kernels, or an fd from GET_DEVICE_FD
        }
        return description.startsWith("/dev/vfio/") ? VfioIoctls.FileKind.GROUP : null;
    }

    private static VfioException failure(CallState s, String operation, Fd fd) {
        return new VfioException(s.errno(), operation, fd.toString(), null);
    }

    @FunctionalInterface
    private interface NativeCall {
        long call(MemorySegment nativeBuffer);
    }

    /**
     * Runs {@code call} on a native copy of a heap segment and copies the result back: the whole
     * buffer both ways, so bytes the call did not write keep their values.
     */
    private static long withNativeCopy(CallState s, MemorySegment heap, NativeCall call) {
        long size = heap.byteSize();
        if (size <= Libc.SCRATCH) {
            return copyAround(heap, s.scratch.asSlice(0, size), call);
        }
        try (Arena arena = Arena.ofConfined()) {
            return copyAround(heap, arena.allocate(size, 8), call);
        }
    }

    private static long copyAround(MemorySegment heap, MemorySegment buf, NativeCall call) {
        buf.copyFrom(heap);
        long r = call.call(buf);
        heap.copyFrom(buf);
        return r;
    }
}
