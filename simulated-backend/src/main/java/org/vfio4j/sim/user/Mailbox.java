package org.vfio4j.sim.user;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserChannel;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

/**
 * What the client sent and nobody has handled yet: its commands in arrival order, and the replies to
 * the server's own requests (DMA_READ, DMA_WRITE) by message id. One reader fills it: a thread of
 * its own ({@link #startReader}), which only receives and sorts and never takes the kernel lock, or,
 * when none runs, whoever asks for the next message reads the channel itself (single-threaded
 * stepping, for tests). Commands are taken out only by the thread that holds the kernel lock (the
 * server's rule, see {@link VfioUserServer}), so they are handled one at a time and in order.
 *
 * <p>A reply whose id the server awaits goes to its waiter; one to a request the server gave up on
 * (timed out) is dropped with a log line, so a late reply is never answered; any other reply is
 * queued like a command, and the server refuses it (EINVAL) as it always did.
 */
final class Mailbox {
    /** How many given-up request ids are remembered, to drop their late replies. */
    private static final int ABANDONED_KEPT = 64;

    /** What {@link #next} found. */
    sealed interface Next {}

    /** The reply the caller waits for. */
    record Reply(VfioUserMessage message) implements Next {}

    /** A command to handle first (it came before the awaited reply). */
    record Command(VfioUserMessage message) implements Next {}

    /** No reply will come: the connection ended, failed, or the server was closed. */
    record Ended(String why) implements Next {}

    /** The deadline passed. */
    record TimedOut() implements Next {}

    private record Entry(long seq, VfioUserMessage message) {}

    private final Object lock = new Object();
    private final VfioUserChannel channel;
    private final Consumer<String> log;
    private final ArrayDeque<Entry> commands = new ArrayDeque<>();
    private final Map<Integer, Entry> replies = new HashMap<>();
    private final Set<Integer> awaited = new HashSet<>();
    private final Set<Integer> abandoned = new LinkedHashSet<>();
    private long seq;
    private int nextId = 1;
    private Thread reader;
    /** Set once the connection ended (end of file or a receive failure) while a reader thread ran. */
    private String ended;
    private IOException failure;
    private boolean closed;

    Mailbox(VfioUserChannel channel, Consumer<String> log) {
        this.channel = channel;
        this.log = log;
    }

    /**
     * Starts the one thread that receives from now on: it sorts each message into this mailbox until
     * the end of file, a receive failure, or the channel's close (which fails the blocked receive).
     */
    void startReader(String name) {
        synchronized (lock) {
            if (reader != null) {
                return;
            }
            reader = Thread.ofPlatform().daemon().name(name).unstarted(this::readAll);
            reader.start();
        }
    }

    private void readAll() {
        try {
            VfioUserMessage m;
            do {
                m = channel.receive();
                accept(m);
            } while (m != null);
        } catch (IOException e) {
            fail(e);
        } catch (RuntimeException e) { // a defect of the channel: the connection is over either way
            fail(new IOException("receiving failed: " + e, e));
        }
    }

    /** Reads one message on this thread (no reader thread runs); false at end of file. */
    boolean readInline() throws IOException {
        VfioUserMessage m = channel.receive();
        if (m == null) {
            return false;
        }
        accept(m);
        return true;
    }

    /** Sorts one received message; null is the end of file. */
    private void accept(VfioUserMessage m) {
        synchronized (lock) {
            if (m == null) {
                ended = "the client closed the connection";
            } else if (closed) {
                closeFds(m);
            } else {
                VfioUserHeader h = m.header();
                boolean reply = h.type() == VfioUserHeader.TYPE_REPLY;
                if (reply && awaited.contains(h.id()) && !replies.containsKey(h.id())) {
                    replies.put(h.id(), new Entry(seq++, m));
                } else if (reply && abandoned.remove(h.id())) {
                    log.accept("a reply to server request " + h.id() + " (command " + h.command() + ") came after the server gave up"
                            + " waiting for it; dropped");
                    closeFds(m);
                } else {
                    commands.addLast(new Entry(seq++, m));
                }
            }
            lock.notifyAll();
        }
    }

    private void fail(IOException e) {
        synchronized (lock) {
            failure = e;
            ended = "receiving from the client failed: " + e.getMessage();
            lock.notifyAll();
        }
    }

    /**
     * The serve loop's wait: true once a command is queued, false when none will come (the connection
     * ended and everything queued was taken, or the mailbox was closed).
     */
    boolean awaitCommand() throws InterruptedIOException {
        synchronized (lock) {
            while (commands.isEmpty() && ended == null && !closed) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the client");
                }
            }
            return !closed && !commands.isEmpty();
        }
    }

    /** Whether a command is queued. */
    boolean hasCommand() {
        synchronized (lock) {
            return !commands.isEmpty();
        }
    }

    /** The oldest queued command, or null; the caller holds the kernel lock. */
    VfioUserMessage pollCommand() {
        synchronized (lock) {
            Entry e = commands.pollFirst();
            return e == null ? null : e.message();
        }
    }

    /** The failure that ended the reader thread, if one did. */
    IOException failure() {
        synchronized (lock) {
            return failure;
        }
    }

    /** A message id for a new request of the server, not used by one still awaited; its reply will be kept for {@link #next}. */
    int newRequest() {
        synchronized (lock) {
            int id;
            do {
                id = nextId;
                nextId = nextId == 0xffff ? 1 : nextId + 1;
            } while (awaited.contains(id));
            awaited.add(id);
            abandoned.remove(id);
            return id;
        }
    }

    /**
     * The request {@code id} is over: its reply is no longer kept; {@code gaveUp} (no reply came) makes
     * a late reply be dropped rather than queued.
     */
    void finish(int id, boolean gaveUp) {
        synchronized (lock) {
            awaited.remove(id);
            replies.remove(id);
            if (gaveUp) {
                abandoned.add(id);
                if (abandoned.size() > ABANDONED_KEPT) {
                    abandoned.remove(abandoned.iterator().next());
                }
            }
        }
    }

    /**
     * What a waiter for the reply to request {@code id} must do next: take the reply, handle a command
     * that came before it, or give up ({@code deadline} in {@link System#nanoTime}). Without a reader
     * thread the caller reads the channel itself, and the deadline cannot cut a receive short.
     */
    Next next(int id, long deadline) {
        while (true) {
            synchronized (lock) {
                Entry r = replies.get(id);
                Entry c = commands.peekFirst();
                if (r != null && (c == null || r.seq() < c.seq())) {
                    replies.remove(id);
                    return new Reply(r.message());
                }
                if (c != null) {
                    commands.removeFirst();
                    return new Command(c.message());
                }
                if (closed) {
                    return new Ended("the server was closed");
                }
                if (ended != null) {
                    return new Ended(ended);
                }
                if (reader != null) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return new TimedOut();
                    }
                    try {
                        lock.wait(left / 1_000_000, (int) (left % 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return new Ended("the thread waiting for the reply was interrupted");
                    }
                    continue;
                }
            }
            try { // no reader thread: this thread reads (stepping)
                if (!readInline()) {
                    return new Ended("the client closed the connection");
                }
            } catch (IOException e) {
                return new Ended("receiving from the client failed: " + e.getMessage());
            }
        }
    }

    /** No message is kept or taken any more; waiters end, queued messages' descriptors are closed. */
    void close() {
        synchronized (lock) {
            closed = true;
            commands.forEach(e -> closeFds(e.message()));
            commands.clear();
            replies.values().forEach(e -> closeFds(e.message()));
            replies.clear();
            lock.notifyAll();
        }
    }

    private static void closeFds(VfioUserMessage m) {
        m.fds().forEach(PassedFd::close);
    }
}
