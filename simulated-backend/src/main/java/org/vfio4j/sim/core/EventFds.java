package org.vfio4j.sim.core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.PollFd;
import org.vfio4j.spi.VfioKernel;

/**
 * The eventfd semantics of {@code fs/eventfd.c} on {@link EventFdFile}s: the 64-bit counter that a
 * write adds to and a read takes (all of it, or 1 in semaphore mode), blocking reads and writes
 * that wait without holding the kernel lock (EAGAIN when non-blocking), the 2^64-2 maximum, the
 * kernel's own {@code eventfd_signal}, the kernel consumers attached to an eventfd ({@code virqfd}),
 * and poll, where an eventfd is the only file whose readiness changes.
 */
public final class EventFds {
    private final KernelLock lock;
    /** Whether an irqfd reads the counter when it wakes (Linux 6.0+); before, the count stays. */
    private final boolean virqfdConsumes;
    /** Set when the kernel closes: no wait may outlive it (guarded by the kernel lock's monitor). */
    private boolean shutDown;

    /** The eventfds of one kernel; {@code virqfdConsumes} as {@code KernelProfile.virqfdConsumesSignals}. */
    public EventFds(KernelLock lock, boolean virqfdConsumes) {
        this.lock = lock;
        this.virqfdConsumes = virqfdConsumes;
    }

    /** {@code do_eventfd}: a new eventfd file, or EINVAL for unknown flag bits. */
    public static EventFdFile create(int initialValue, int flags) throws KernelError {
        int known = LinuxAbi.EFD_SEMAPHORE | LinuxAbi.EFD_NONBLOCK | LinuxAbi.EFD_CLOEXEC;
        if ((flags & ~known) != 0) {
            throw KernelError.of(Errno.EINVAL, "eventfd flags 0x" + Integer.toHexString(flags) + " has unknown bits (do_eventfd)");
        }
        return new EventFdFile(Integer.toUnsignedLong(initialValue), (flags & LinuxAbi.EFD_SEMAPHORE) != 0,
                (flags & LinuxAbi.EFD_NONBLOCK) != 0);
    }

    /** {@code eventfd_read}: 8 bytes; blocks (releasing the kernel lock) unless non-blocking. */
    long read(EventFdFile e, MemorySegment dst) throws KernelError {
        if (dst.byteSize() < 8) {
            throw KernelError.of(Errno.EINVAL, "an eventfd read needs an 8-byte buffer (eventfd_read)");
        }
        while (e.counter == 0) {
            if (e.nonblocking) {
                throw KernelError.of(Errno.EAGAIN, "the eventfd counter is 0 and the fd is non-blocking (eventfd_read)");
            }
            checkNotShutDown("read(2) on the eventfd");
            try {
                lock.await(0);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw KernelError.of(Errno.EINTR, "interrupted while waiting for the eventfd");
            }
        }
        long v = e.semaphore ? 1 : e.counter;
        e.counter -= v;
        dst.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, v);
        lock.monitor().notifyAll();
        return 8;
    }

    /** {@code eventfd_write}: adds; the counter tops out at 2^64-2. */
    long write(EventFdFile e, MemorySegment src) throws KernelError {
        if (src.byteSize() < 8) {
            throw KernelError.of(Errno.EINVAL, "an eventfd write needs an 8-byte buffer (eventfd_write)");
        }
        long v = src.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        if (v == -1L) {
            throw KernelError.of(Errno.EINVAL, "0xffffffffffffffff cannot be added to an eventfd (eventfd_write)");
        }
        while (Long.compareUnsigned(-1L - 1 - e.counter, v) < 0) {
            if (e.nonblocking) {
                throw KernelError.of(Errno.EAGAIN, "adding " + Long.toUnsignedString(v) + " would pass the eventfd maximum 2^64-2 (eventfd_write)");
            }
            checkNotShutDown("write(2) on the eventfd");
            try {
                lock.await(0);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw KernelError.of(Errno.EINTR, "interrupted while waiting for room in the eventfd");
            }
        }
        add(e, v);
        return 8;
    }

    /**
     * {@code eventfd_signal} from inside the kernel (interrupts, loop-back triggers): adds 1, wakes
     * readers and kernel consumers. The counter saturates instead of blocking.
     */
    public void signal(EventFdFile e) {
        synchronized (lock.monitor()) {
            e.history.delivered();
            add(e, Long.compareUnsigned(e.counter, -2L) < 0 ? 1 : 0);
        }
    }

    private void add(EventFdFile e, long v) {
        e.counter += v;
        if (!e.virqfds.isEmpty()) {
            // virqfd_wakeup: the kernel consumer reads the counter (6.0+: eventfd_ctx_do_read; 5.x leaves
            // it, verified on 5.10), then its handler runs
            if (virqfdConsumes) {
                e.counter = e.semaphore ? e.counter - 1 : 0;
            }
            for (Runnable r : List.copyOf(e.virqfds)) {
                r.run();
            }
        }
        lock.monitor().notifyAll();
    }

    /**
     * The kernel closes: every thread waiting in a read, write or poll wakes and fails with EBADF.
     * Linux has no such moment short of the process exiting, which ends its threads too; a test
     * double must not leave them waiting on a kernel that is gone. Waits on an eventfd whose own
     * descriptor was closed, or on one whose device was closed, stay waiting, as on Linux.
     */
    public void shutDown() {
        synchronized (lock.monitor()) {
            shutDown = true;
            lock.monitor().notifyAll();
        }
    }

    /** Before each wait: EBADF once the kernel is closed (the loop around the wait comes back here when woken). */
    private void checkNotShutDown(String call) throws KernelError {
        if (shutDown) {
            throw KernelError.of(Errno.EBADF, shutDownSentence(call));
        }
    }

    private static String shutDownSentence(String call) {
        return "the simulated kernel was closed while this thread waited in " + call
                + "; every descriptor it made is gone (on Linux the process would have exited)";
    }

    /** The eventfd's last fd closed (EPOLLHUP): attached ioeventfds stop firing, waiters wake. */
    public void hangUp(EventFdFile e) {
        e.virqfds.clear();
        lock.monitor().notifyAll();
    }

    /**
     * {@code poll(2)}: which of {@code fds} are ready, waiting (without the kernel lock) until one
     * is or the timeout passes (negative: no limit). An eventfd is readable while its counter is
     * not 0 and writable below the maximum; other files are always ready; a closed number is POLLNVAL.
     */
    public short[] poll(VfioKernel owner, FdTable table, List<PollFd> fds, int timeoutMillis) throws VfioException {
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (lock.monitor()) {
            while (true) {
                short[] revents = new short[fds.size()];
                boolean any = false;
                for (int i = 0; i < fds.size(); i++) {
                    PollFd p = fds.get(i);
                    if (p.fd().owner() != owner) {
                        throw new IllegalArgumentException(p.fd() + " belongs to the " + p.fd().owner().name() + " backend");
                    }
                    if (!p.fd().isOpen()) { // its number may belong to another file by now: never poll it
                        throw new VfioException(Errno.EBADF, "poll", p.fd().toString(),
                                "the handle was closed; its number may already belong to another file");
                    }
                    OpenFile f = table.file(p.fd().number());
                    short ready = switch (f) {
                        case null -> LinuxAbi.POLLNVAL;
                        case EventFdFile e -> (short) ((e.counter != 0 ? LinuxAbi.POLLIN : 0) | (e.counter != -2L ? LinuxAbi.POLLOUT : 0));
                        default -> (short) (LinuxAbi.POLLIN | LinuxAbi.POLLOUT);
                    };
                    revents[i] = (short) (ready & (p.events() | LinuxAbi.POLLERR | LinuxAbi.POLLHUP | LinuxAbi.POLLNVAL));
                    any |= revents[i] != 0;
                }
                long left = deadline - System.nanoTime();
                if (any || left <= 0) {
                    return revents;
                }
                if (shutDown) {
                    throw new VfioException(Errno.EBADF, "poll", null, shutDownSentence("poll(2)"));
                }
                try {
                    lock.await(Math.max(1, Math.min(left / 1_000_000L, Integer.MAX_VALUE)));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new VfioException(Errno.EINTR, "poll", null, "interrupted");
                }
            }
        }
    }
}
