package org.vfio4j.kernel.user;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;
import org.vfio4j.Errno;
import org.vfio4j.kernel.internal.ErrnoCalls.CallState;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserChannel;
import org.vfio4j.kernel.internal.PosixCalls;

/**
 * One {@link VfioUserChannel#watch}: a thread of its own that waits in {@code poll(2)} for the
 * watched eventfd to become readable, reads its counter (one 8-byte read, which resets it) and runs
 * the callback once per read. The thread polls and reads a duplicate of the descriptor, made at the
 * start and closed by the thread as it leaves, so the caller may close its own descriptor as soon as
 * {@link #close()} returns and a number the kernel hands out again is never read. A second eventfd
 * of the watch's own wakes the poll when the watch is closed (closing a descriptor another thread
 * waits on does not wake that thread on Linux); it is written once and never read, and the thread
 * closes it as it leaves.
 *
 * <p>{@link #close()} never waits for the thread: a callback may take a lock that the code closing
 * the watch holds (a vfio-user server closes watches under the simulated kernel's lock, which the
 * callback's write to the kernel takes). So a callback already running, or just starting, when
 * close is called may run to its end afterwards; after that the thread runs none. A caller that
 * must know that no effect of a callback lands after close guards that effect with state of its
 * own, checked under its own lock (the server's is the kernel lock).
 *
 * <p>The watched eventfd's file is shared with the peer, so its flags are left alone: if it is a
 * blocking eventfd and another reader empties it between the poll and the read, the read waits for
 * the next signal; the thread then leaves at the next wake-up without running the callback.
 *
 * <p>One thread per watch rather than one poller for all: a vfio-user server watches one unmask
 * eventfd per INTx function, so there are few, and each thread's life is that of its watch, which
 * makes stopping one independent of the others.
 */
final class EventfdWatch implements VfioUserChannel.Watch {
    private final PassedFd eventfd;
    private final Runnable onSignal;
    private final Consumer<EventfdWatch> onClose;
    private final int wake;
    /** The thread's own duplicate of the watched descriptor (closed by the thread as it leaves). */
    private final int watched;
    private final Thread thread;
    private final Object state = new Object();
    private volatile boolean closed;
    private boolean exited; // guarded by state
    private volatile String ended;

    private EventfdWatch(PassedFd eventfd, int watched, Runnable onSignal, Consumer<EventfdWatch> onClose, int wake, String owner) {
        this.eventfd = eventfd;
        this.watched = watched;
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
        int watched = PosixCalls.fcntl(s, eventfd.number(), SocketLibc.F_DUPFD_CLOEXEC, 0);
        if (watched < 0) {
            throw SocketLibc.failure("fcntl(F_DUPFD_CLOEXEC)", eventfd.toString(), s.errno(), null);
        }
        int wake = PosixCalls.eventfd(s, 0, SocketLibc.EFD_CLOEXEC | SocketLibc.EFD_NONBLOCK);
        if (wake < 0) {
            int errno = s.errno();
            PosixCalls.close(s, watched);
            throw SocketLibc.failure("eventfd", "the wake-up eventfd of a watch of " + eventfd, errno, null);
        }
        EventfdWatch w = new EventfdWatch(eventfd, watched, onSignal, onClose, wake, owner);
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
                fds.set(ValueLayout.JAVA_INT, 0, watched);
                fds.set(ValueLayout.JAVA_SHORT, 4, SocketLibc.POLLIN);
                fds.set(ValueLayout.JAVA_INT, SocketLibc.POLLFD_SIZE, wake);
                fds.set(ValueLayout.JAVA_SHORT, SocketLibc.POLLFD_SIZE + 4, SocketLibc.POLLIN);
                if (PosixCalls.poll(s, fds, 2, -1) < 0) {
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
                long n = PosixCalls.read(s, watched, counter, 8);
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
                PosixCalls.close(SocketLibc.state(), wake);
                PosixCalls.close(SocketLibc.state(), watched);
            }
        }
    }

    private void deliver() {
        if (closed) {
            return;
        }
        try {
            onSignal.run();
        } catch (RuntimeException e) {
            // the callback's own failure: the watch goes on (the callback should report what it cannot do)
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
                PosixCalls.write(s, wake, one, 8); // cannot fail: a fresh non-blocking eventfd written once
            }
        }
        onClose.accept(this); // the thread leaves on its own: close never waits for it (see the class comment)
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
