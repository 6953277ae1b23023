package org.vfio4j.sim.core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
 *
 * <p>Each eventfd has its own wait queue, as {@code eventfd_ctx.wqh}: a thread that must wait (a
 * blocking read of a zero counter, a blocking write at the maximum, a poll with nothing ready)
 * queues a {@link Waiter} on the eventfds it waits for while it holds the kernel lock, lets the lock
 * go and parks; a change of an eventfd's counter wakes only that eventfd's waiters, unparked after
 * the waker lets the lock go. A woken waiter takes the lock again, leaves every queue it joined and
 * checks again. The kernel also keeps every waiter in one registry, so that its close can wake them
 * all.
 */
public final class EventFds {
    private final KernelLock lock;
    /** Whether an irqfd reads the counter when it wakes (Linux 6.0+); before, the count stays. */
    private final boolean virqfdConsumes;
    /** Set when the kernel closes: no wait may outlive it (guarded by the kernel lock's monitor). */
    private boolean shutDown;
    /** Every waiter of this kernel, queued or woken and not yet back (guarded by the kernel lock's monitor). */
    private final Set<Waiter> waiting = new HashSet<>();
    /** Entries in the wait queues of all eventfds, for leak checks (guarded by the monitor). */
    private long queued;
    /** Waiters unparked because their eventfd changed or the kernel closed, for tests (guarded by the monitor). */
    private long wakeUps;

    /**
     * A thread waiting on one or more eventfds: in their wait queues and in the kernel's registry
     * until it takes the lock again after its park ({@code wait_queue_entry}; poll has one per file,
     * here one waiter sits in several queues).
     */
    static final class Waiter {
        final Thread thread = Thread.currentThread();
        /** The eventfds whose queues it joined, once per time it joined. */
        final List<EventFdFile> queues = new ArrayList<>(1);
    }

    /**
     * A blocking read or write that must wait, thrown under the kernel lock with its waiter queued:
     * the seam carries the call, still in flight, out of the lock, {@link #park}s and runs the
     * read or write again under the lock after {@link #leave}.
     */
    public static final class MustWait extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Waiter waiter;

        MustWait(Waiter waiter) {
            super(null, null, false, false);
            this.waiter = waiter;
        }
    }

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

    /**
     * {@code eventfd_read}: 8 bytes; EAGAIN on a zero counter when non-blocking, else {@link MustWait}
     * (the caller waits without the kernel lock and reads again).
     */
    long read(EventFdFile e, MemorySegment dst) throws KernelError {
        if (dst.byteSize() < 8) {
            throw KernelError.of(Errno.EINVAL, "an eventfd read needs an 8-byte buffer (eventfd_read)");
        }
        if (e.counter == 0) {
            if (e.nonblocking) {
                throw KernelError.of(Errno.EAGAIN, "the eventfd counter is 0 and the fd is non-blocking (eventfd_read)");
            }
            checkNotShutDown("read(2) on the eventfd");
            checkNotInterrupted("interrupted while waiting for the eventfd");
            throw new MustWait(queue(new Waiter(), e));
        }
        long v = e.semaphore ? 1 : e.counter;
        e.counter -= v;
        dst.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, v);
        wake(e); // writers waiting for room
        return 8;
    }

    /**
     * {@code eventfd_write}: adds; the counter tops out at 2^64-2, where a blocking write throws
     * {@link MustWait} as a read does.
     */
    long write(EventFdFile e, MemorySegment src) throws KernelError {
        if (src.byteSize() < 8) {
            throw KernelError.of(Errno.EINVAL, "an eventfd write needs an 8-byte buffer (eventfd_write)");
        }
        long v = src.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        if (v == -1L) {
            throw KernelError.of(Errno.EINVAL, "0xffffffffffffffff cannot be added to an eventfd (eventfd_write)");
        }
        if (Long.compareUnsigned(-1L - 1 - e.counter, v) < 0) {
            if (e.nonblocking) {
                throw KernelError.of(Errno.EAGAIN, "adding " + Long.toUnsignedString(v) + " would pass the eventfd maximum 2^64-2 (eventfd_write)");
            }
            checkNotShutDown("write(2) on the eventfd");
            checkNotInterrupted("interrupted while waiting for room in the eventfd");
            throw new MustWait(queue(new Waiter(), e));
        }
        add(e, v);
        return 8;
    }

    /**
     * {@code eventfd_signal} from inside the kernel (interrupts, loop-back triggers): adds 1, wakes
     * readers and kernel consumers. The counter saturates instead of blocking.
     */
    public void signal(EventFdFile e) {
        lock.waking(() -> {
            e.history.delivered();
            add(e, Long.compareUnsigned(e.counter, -2L) < 0 ? 1 : 0);
        });
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
        wake(e);
    }

    /** Under the lock: {@code w} joins {@code e}'s wait queue and the kernel's registry. */
    private Waiter queue(Waiter w, EventFdFile e) {
        e.waitQueueOwner = this;
        e.waiters.add(w);
        w.queues.add(e);
        queued++;
        waiting.add(w);
        return w;
    }

    /**
     * Under the lock: {@code w}, back from its park, leaves every queue it joined and the registry
     * (every way out of a wait passes here before it checks again: a result, EINTR, EBADF, a timeout).
     */
    public void leave(MustWait w) {
        leave(w.waiter);
    }

    private void leave(Waiter w) {
        for (EventFdFile e : w.queues) {
            if (e.waiters.remove(w)) {
                queued--;
            }
        }
        w.queues.clear();
        waiting.remove(w);
    }

    /**
     * Under the lock: {@code e}'s counter changed ({@code wake_up_locked_poll}): its waiters leave its
     * queue and are unparked once the lock is let go; waiters of other eventfds sleep on.
     */
    private void wake(EventFdFile e) {
        if (e.waiters.isEmpty()) {
            return;
        }
        for (Waiter w : e.waiters) {
            lock.wakeAfterRelease(w.thread);
            wakeUps++;
        }
        queued -= e.waiters.size();
        e.waiters.clear();
    }

    /** Under the lock: something inside the kernel read {@code e}'s counter (an irqfd going away); its waiters re-check. */
    void consumed(EventFdFile e) {
        wake(e);
    }

    /** Outside the lock: the wait of a read or write that threw {@link MustWait}; then {@link #leave} and try again. */
    public void park(MustWait w) {
        lock.park(Long.MAX_VALUE); // w is in its queue: the waker unparks w.waiter.thread, this thread
    }

    /** Waiters unparked since boot because their eventfd changed or the kernel closed (a test's count). */
    public long wakeUps() {
        synchronized (lock.monitor()) {
            return wakeUps;
        }
    }

    /** Threads waiting on an eventfd or in poll, and their entries in eventfd wait queues (for leak checks). */
    public long[] waiterCounts() {
        synchronized (lock.monitor()) {
            return new long[] {waiting.size(), queued};
        }
    }

    /**
     * The kernel closes: every thread waiting in a read, write or poll wakes and fails with EBADF.
     * Linux has no such moment short of the process exiting, which ends its threads too; a test
     * double must not leave them waiting on a kernel that is gone. Waits on an eventfd whose own
     * descriptor was closed, or on one whose device was closed, stay waiting, as on Linux.
     */
    public void shutDown() {
        lock.waking(() -> {
            shutDown = true;
            for (Waiter w : waiting) {
                lock.wakeAfterRelease(w.thread);
                wakeUps++;
            }
        });
    }

    /** Before each wait: EBADF once the kernel is closed (the loop around the wait comes back here when woken). */
    private void checkNotShutDown(String call) throws KernelError {
        if (shutDown) {
            throw KernelError.of(Errno.EBADF, shutDownSentence(call));
        }
    }

    /** Before each wait: EINTR (the interrupt stays set) when the thread was interrupted, as a wait would see at once. */
    private static void checkNotInterrupted(String sentence) throws KernelError {
        if (Thread.currentThread().isInterrupted()) {
            throw KernelError.of(Errno.EINTR, sentence);
        }
    }

    private static String shutDownSentence(String call) {
        return "the simulated kernel was closed while this thread waited in " + call
                + "; every descriptor it made is gone (on Linux the process would have exited)";
    }

    /** The eventfd's last fd closed (EPOLLHUP): attached ioeventfds stop firing, waiters wake. */
    public void hangUp(EventFdFile e) {
        lock.waking(() -> {
            e.virqfds.clear();
            wake(e);
        });
    }

    /**
     * {@code poll(2)}: which of {@code fds} are ready, waiting (without the kernel lock) until one
     * is or the timeout passes (negative: no limit). An eventfd is readable while its counter is
     * not 0 and writable below the maximum; other files are always ready; a closed number is POLLNVAL.
     */
    public short[] poll(VfioKernel owner, FdTable table, List<PollFd> fds, int timeoutMillis) throws VfioException {
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        Waiter w = new Waiter();
        while (true) {
            short[] revents = lock.held(() -> "poll", () -> pollHeld(owner, table, fds, deadline, w));
            if (revents != null) {
                return revents;
            }
            lock.park(deadline);
        }
    }

    /** One look at {@code fds} under the lock: their events, or null with {@code w} queued on each (nothing ready yet). */
    private short[] pollHeld(VfioKernel owner, FdTable table, List<PollFd> fds, long deadline, Waiter w) throws VfioException {
        leave(w);
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
        if (any || deadline != Long.MAX_VALUE && deadline - System.nanoTime() <= 0) {
            return revents;
        }
        if (shutDown) {
            throw new VfioException(Errno.EBADF, "poll", null, shutDownSentence("poll(2)"));
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new VfioException(Errno.EINTR, "poll", null, "interrupted");
        }
        for (PollFd p : fds) {
            if (table.file(p.fd().number()) instanceof EventFdFile e) { // poll_wait on each file; only an eventfd can be not ready
                queue(w, e);
            }
        }
        return null;
    }
}
