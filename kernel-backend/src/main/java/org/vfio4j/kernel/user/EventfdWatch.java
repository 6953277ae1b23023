package org.vfio4j.kernel.user;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.vfio4j.Errno;
import org.vfio4j.kernel.internal.ErrnoCalls.CallState;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserChannel;

/**
 * One {@link VfioUserChannel#watch}: a thread of its own that waits in {@code poll(2)} for the
 * watched eventfd to become readable, reads its counter (one 8-byte read, which resets it) and runs
 * the callback once per read. A second eventfd of its own wakes that poll when the watch is closed:
 * closing a descriptor another thread waits on does not wake that thread on Linux, so the watched
 * descriptor is never what ends the wait. The wake-up eventfd is written once and never read, so it
 * stays readable; the thread closes it as it exits, and {@link #close()} writes it only while the
 * thread still runs, so neither side touches a number the other has released.
 *
 * <p>The watched eventfd's file is shared with the peer, so its flags are left alone: if it is a
 * blocking eventfd and another reader empties it between the poll and the read, the read waits for
 * the next signal, and a close meanwhile does not wait for the thread longer than a few seconds (it
 * leaves without running the callback once the read returns).
 *
 * <p>One thread per watch rather than one poller for all: a vfio-user server watches one unmask
 * eventfd per INTx function, so there are few, and each thread's life is that of its watch, which
 * makes stopping one independent of the others.
 */
final class EventfdWatch implements VfioUserChannel.Watch {
    /** How long {@link #close()} waits for the thread to leave after waking it; it normally takes microseconds. */
    private static final long EXIT_WAIT_MILLIS = 5_000;

    private final PassedFd eventfd;
    private final Runnable onSignal;
    private final Consumer<EventfdWatch> onClose;
    private final int wake;
    private final Thread thread;
    /** Held while the callback runs, so that {@link #close()} can wait for one in flight. */
    private final ReentrantLock running = new ReentrantLock();
    private final Object state = new Object();
    private volatile boolean closed;
    private boolean exited; // guarded by state
    private volatile String ended;

    private EventfdWatch(PassedFd eventfd, Runnable onSignal, Consumer<EventfdWatch> onClose, int wake, String owner) {
        this.eventfd = eventfd;
        this.onSignal = onSignal;
        this.onClose = onClose;
        this.wake = wake;
        this.thread = Thread.ofPlatform().daemon().name("vfio-user eventfd watch fd " + eventfd.number() + " (" + owner + ")")
                .unstarted(this::run); // a platform thread: it blocks in native poll, which would pin a virtual one's carrier
    }

    /**
     * Starts watching {@code eventfd}; {@code onClose} runs once when the watch is closed. Fails
     * when the descriptor is not an eventfd (a regular file would poll readable forever).
     */
    static EventfdWatch start(PassedFd eventfd, Runnable onSignal, Consumer<EventfdWatch> onClose, String owner) throws IOException {
        Objects.requireNonNull(eventfd, "eventfd");
        Objects.requireNonNull(onSignal, "onSignal");
        requireEventfd(eventfd);
        CallState s = SocketLibc.state();
        int wake = SocketLibc.eventfd(s, 0, SocketLibc.EFD_CLOEXEC | SocketLibc.EFD_NONBLOCK);
        if (wake < 0) {
            throw SocketLibc.failure("eventfd", "the wake-up eventfd of a watch of " + eventfd, s.errno(), null);
        }
        EventfdWatch w = new EventfdWatch(eventfd, onSignal, onClose, wake, owner);
        w.thread.start();
        return w;
    }

    private static void requireEventfd(PassedFd fd) throws IOException {
        String target;
        try {
            target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd.number())).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return; // no /proc: the first read will tell
        }
        if (!target.equals("anon_inode:[eventfd]")) {
            throw SocketLibc.failure("poll", fd.toString(), Errno.EINVAL.number(), "only an eventfd can be watched, this is " + target);
        }
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(2 * SocketLibc.POLLFD_SIZE, 8);
            MemorySegment counter = arena.allocate(8, 8);
            CallState s = SocketLibc.state();
            while (!closed) {
                fds.fill((byte) 0);
                fds.set(ValueLayout.JAVA_INT, 0, eventfd.number());
                fds.set(ValueLayout.JAVA_SHORT, 4, SocketLibc.POLLIN);
                fds.set(ValueLayout.JAVA_INT, SocketLibc.POLLFD_SIZE, wake);
                fds.set(ValueLayout.JAVA_SHORT, SocketLibc.POLLFD_SIZE + 4, SocketLibc.POLLIN);
                if (SocketLibc.poll(s, fds, 2, -1) < 0) {
                    if (s.errno() == Errno.EINTR.number()) {
                        continue;
                    }
                    ended = SocketLibc.failure("poll", eventfd.toString(), s.errno(), null).getMessage();
                    return;
                }
                if (fds.get(ValueLayout.JAVA_SHORT, SocketLibc.POLLFD_SIZE + 6) != 0) {
                    return; // close() wrote the wake-up eventfd
                }
                short revents = fds.get(ValueLayout.JAVA_SHORT, 6);
                if ((revents & (SocketLibc.POLLERR | SocketLibc.POLLHUP | SocketLibc.POLLNVAL)) != 0) {
                    ended = "poll on " + eventfd + " reported revents 0x" + Integer.toHexString(revents & 0xffff)
                            + ((revents & SocketLibc.POLLNVAL) != 0 ? " (the descriptor was closed while watched)" : "");
                    return;
                }
                if ((revents & SocketLibc.POLLIN) == 0) {
                    continue;
                }
                long n = SocketLibc.read(s, eventfd.number(), counter, 8);
                if (n == 8) {
                    deliver();
                } else if (n < 0 && (s.errno() == Errno.EAGAIN.number() || s.errno() == Errno.EINTR.number())) {
                    continue; // another reader of the same eventfd emptied it first
                } else {
                    ended = n < 0 ? SocketLibc.failure("read", eventfd.toString(), s.errno(), null).getMessage()
                            : "read on " + eventfd + " returned " + n + " bytes, not an eventfd's 8";
                    return;
                }
            }
        } finally {
            synchronized (state) {
                exited = true;
                SocketLibc.close(SocketLibc.state(), wake);
            }
        }
    }

    private void deliver() {
        running.lock();
        try {
            if (!closed) {
                onSignal.run();
            }
        } catch (RuntimeException e) {
            // the callback's own failure: the watch goes on (the callback should report what it cannot do)
        } finally {
            running.unlock();
        }
    }

    @Override
    public void close() {
        synchronized (state) {
            if (closed) {
                return;
            }
            closed = true;
            if (!exited) {
                CallState s = SocketLibc.state();
                MemorySegment one = s.scratch.asSlice(0, 8);
                one.set(ValueLayout.JAVA_LONG, 0, 1L);
                SocketLibc.write(s, wake, one, 8); // cannot fail: a fresh non-blocking eventfd written once
            }
        }
        if (Thread.currentThread() != thread) {
            running.lock(); // a callback in flight finishes; none starts after, as closed is set
            running.unlock();
            try {
                thread.join(EXIT_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the thread still leaves on its own; it runs no callback any more
            }
        }
        onClose.accept(this);
    }

    /** Whether the watch's thread is still alive (for tests). */
    boolean isRunning() {
        return thread.isAlive();
    }

    /** Why the watch stopped on its own (the descriptor failed), or null. */
    String ended() {
        return ended;
    }

    @Override
    public String toString() {
        return "watch of " + eventfd + (closed ? ", closed" : ended != null ? ", ended: " + ended : "");
    }
}
