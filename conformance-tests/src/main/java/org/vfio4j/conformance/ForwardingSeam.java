package org.vfio4j.conformance;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.PollFd;
import org.vfio4j.spi.VfioKernel;

/**
 * A seam that passes every call to another one, for subclasses that watch or refuse some of them.
 * It owns the handles it gives out, as a backend must ({@link Fd}: the typed layer checks that a
 * handle in an argument belongs to the seam it calls), each standing for one handle of the seam
 * below with the same number; a call is bracketed on the outer handle ({@link Fd#enter}/{@link
 * Fd#exit}) and made on the inner one, and closing the outer handle closes the inner one.
 */
abstract class ForwardingSeam implements VfioKernel {
    /** The seam calls go to. */
    protected final VfioKernel kernel;
    private final Map<Fd, Fd> inner = new ConcurrentHashMap<>();

    /** Forwards to {@code kernel}. */
    protected ForwardingSeam(VfioKernel kernel) {
        this.kernel = kernel;
    }

    /** A call on an inner handle. */
    @FunctionalInterface
    protected interface OnInner<T> {
        /** Makes the call on {@code fd}, a handle of the seam below. */
        T call(Fd fd) throws VfioException;
    }

    /** This seam's handle for {@code in}, a handle the seam below just made. */
    protected final Fd wrap(Fd in) {
        Fd[] self = new Fd[1];
        Fd out = new Fd(this, in.number(), in.description(), n -> {
            inner.remove(self[0]);
            try {
                kernel.close(in);
                return 0;
            } catch (VfioException e) {
                return e.errnoNumber();
            }
        });
        self[0] = out;
        inner.put(out, in);
        return out;
    }

    /** Makes {@code call} on the inner handle of {@code fd}, bracketed on {@code fd} as {@code operation}. */
    protected final <T> T on(Fd fd, String operation, OnInner<T> call) throws VfioException {
        fd.enter(this, operation);
        try {
            Fd in = inner.get(fd);
            if (in == null) {
                throw new VfioException(Errno.EBADF, operation, fd.toString(), "the handle was released");
            }
            return call.call(in);
        } finally {
            fd.exit();
        }
    }

    /** The handles this seam gave out that are still open. */
    protected final List<Fd> openHandles() {
        return new ArrayList<>(inner.keySet().stream().filter(Fd::isOpen).toList());
    }

    @Override
    public String name() {
        return kernel.name();
    }

    @Override
    public Fd open(String path, int flags) throws VfioException {
        return wrap(kernel.open(path, flags));
    }

    @Override
    public void close(Fd fd) throws VfioException {
        int errno = fd.close(this);
        if (errno != 0) {
            throw new VfioException(errno, "close", fd.toString(), null);
        }
    }

    @Override
    public Fd adopt(int number, String description) throws VfioException {
        return wrap(kernel.adopt(number, description));
    }

    @Override
    public int ioctl(Fd fd, long request, MemorySegment arg) throws VfioException {
        return on(fd, "ioctl", in -> kernel.ioctl(in, request, arg));
    }

    @Override
    public int ioctl(Fd fd, long request, long value) throws VfioException {
        return on(fd, "ioctl", in -> kernel.ioctl(in, request, value));
    }

    @Override
    public long pread(Fd fd, MemorySegment dst, long offset) throws VfioException {
        return on(fd, "pread", in -> kernel.pread(in, dst, offset));
    }

    @Override
    public long pwrite(Fd fd, MemorySegment src, long offset) throws VfioException {
        return on(fd, "pwrite", in -> kernel.pwrite(in, src, offset));
    }

    @Override
    public long read(Fd fd, MemorySegment dst) throws VfioException {
        return on(fd, "read", in -> kernel.read(in, dst));
    }

    @Override
    public long write(Fd fd, MemorySegment src) throws VfioException {
        return on(fd, "write", in -> kernel.write(in, src));
    }

    @Override
    public MemorySegment mmap(Fd fd, long offset, long length, int prot, int flags) throws VfioException {
        return on(fd, "mmap", in -> kernel.mmap(in, offset, length, prot, flags));
    }

    @Override
    public void munmap(MemorySegment mapping) throws VfioException {
        kernel.munmap(mapping);
    }

    @Override
    public long load(MemorySegment mapping, long offset, int size) throws VfioException {
        return kernel.load(mapping, offset, size);
    }

    @Override
    public void store(MemorySegment mapping, long offset, int size, long value) throws VfioException {
        kernel.store(mapping, offset, size, value);
    }

    @Override
    public long userAddress(MemorySegment memory) {
        return kernel.userAddress(memory);
    }

    @Override
    public Fd eventfd(int initialValue, int flags) throws VfioException {
        return wrap(kernel.eventfd(initialValue, flags));
    }

    @Override
    public short[] poll(List<PollFd> fds, int timeoutMillis) throws VfioException {
        List<Fd> entered = new ArrayList<>();
        try {
            List<PollFd> in = new ArrayList<>();
            for (PollFd p : fds) {
                p.fd().enter(this, "poll");
                entered.add(p.fd());
                Fd i = inner.get(p.fd());
                if (i == null) {
                    throw new VfioException(Errno.EBADF, "poll", p.fd().toString(), "the handle was released");
                }
                in.add(new PollFd(i, p.events()));
            }
            return kernel.poll(in, timeoutMillis);
        } finally {
            entered.forEach(Fd::exit);
        }
    }

    @Override
    public Path root() {
        return kernel.root();
    }

    @Override
    public long readEventCounter(Fd eventfd) throws VfioException {
        return on(eventfd, "read", in -> kernel.readEventCounter(in));
    }

    @Override
    public void writeEventCounter(Fd eventfd, long value) throws VfioException {
        on(eventfd, "write", in -> {
            kernel.writeEventCounter(in, value);
            return null;
        });
    }

    @Override
    public Optional<String> diagnose(Fd eventfd) {
        Fd in = eventfd.owner() == this ? inner.get(eventfd) : null;
        return in == null ? Optional.empty() : kernel.diagnose(in);
    }
}
