package org.vfio4j.sim.user;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserChannel;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

/**
 * A vfio-user channel in memory: the test queues the client's messages, reads what the server sent,
 * sees the guest memory a DMA_MAP fd stands for and counts the signals of each passed eventfd.
 */
final class FakeChannel implements VfioUserChannel {
    final Queue<VfioUserMessage> incoming = new ArrayDeque<>();
    final List<VfioUserMessage> sent = new ArrayList<>();
    /** Guest memory behind a memory fd, by fd number (allocated on first map). */
    final Map<Integer, MemorySegment> memory = new HashMap<>();
    final Map<Integer, AtomicInteger> signals = new ConcurrentHashMap<>();
    final List<MemorySegment> unmapped = new ArrayList<>();
    /** The server's live watches, by fd number: {@link #clientSignals} runs one. */
    final Map<Integer, Runnable> watches = new HashMap<>();
    /** Descriptors the server closed while it still watched them (a defect). */
    final List<Integer> closedWhileWatched = new ArrayList<>();
    final Arena arena = Arena.ofShared();
    private int nextFd = 100;
    private int nextId = 1;

    /** A descriptor "passed" by the client; records whether the receiver closed it. */
    final class Passed implements PassedFd {
        final int number = nextFd++;
        boolean closed;

        @Override
        public int number() {
            return number;
        }

        @Override
        public void close() {
            if (watches.containsKey(number)) {
                closedWhileWatched.add(number); // the receiver must stop watching before it closes
            }
            closed = true;
        }
    }

    Passed fd() {
        return new Passed();
    }

    /** Queues a command and returns its id. */
    int queue(int command, int flags, byte[] payload, PassedFd... fds) {
        int id = nextId++;
        incoming.add(new VfioUserMessage(new VfioUserHeader(id, command, VfioUserHeader.SIZE + payload.length, flags, 0), payload,
                List.of(fds)));
        return id;
    }

    int signalsOf(PassedFd fd) {
        AtomicInteger n = signals.get(fd.number());
        return n == null ? 0 : n.get();
    }

    @Override
    public VfioUserMessage receive() {
        return incoming.poll();
    }

    @Override
    public void send(VfioUserMessage message) {
        sent.add(message);
    }

    @Override
    public MemorySegment map(PassedFd fd, long offset, long length, boolean writable) {
        MemorySegment whole = memory.computeIfAbsent(fd.number(), n -> arena.allocate(offset + length, 4096));
        return whole.asSlice(offset, length);
    }

    @Override
    public void unmap(MemorySegment mapping) {
        unmapped.add(mapping);
    }

    @Override
    public void signal(PassedFd eventfd) {
        signals.computeIfAbsent(eventfd.number(), n -> new AtomicInteger()).incrementAndGet();
    }

    /** Scripted: the watch is live until closed; the test plays the client's signals with {@link #clientSignals}. */
    @Override
    public Watch watch(PassedFd eventfd, Runnable onSignal) {
        if (watches.putIfAbsent(eventfd.number(), onSignal) != null) {
            throw new IllegalStateException("fd " + eventfd.number() + " is watched twice");
        }
        return () -> watches.remove(eventfd.number(), onSignal);
    }

    /**
     * The client signals an eventfd it passed (KVM writes the resample eventfd at the guest's EOI):
     * the server's watch of it runs, on this thread; false when nothing watches it.
     */
    boolean clientSignals(PassedFd eventfd) {
        Runnable watch = watches.get(eventfd.number());
        if (watch == null) {
            return false;
        }
        watch.run();
        return true;
    }

    @Override
    public void close() {
        arena.close();
    }
}
