package org.vfio4j.sim.user;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserChannel;
import org.vfio4j.user.VfioUserCommand;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

/**
 * A vfio-user channel in memory: the test queues the client's messages, reads what the server sent,
 * sees the guest memory a DMA_MAP fd stands for and counts the signals of each passed eventfd.
 *
 * <p>It also plays the client's side of in-band DMA: guest memory that came without an fd ({@link
 * #inBand}) answers the server's DMA_READ and DMA_WRITE as QEMU 11.1.3 does (vfio-user.rst's
 * layout: address u64 at 0, count u64 at 8, data from 16; a DMA_WRITE is answered with the header
 * alone), unless {@link #answer} says otherwise.
 * Its answers join the incoming queue while the server sends, so a single-threaded test steps
 * through a DMA too.
 *
 * <p>An empty queue is the end of file, unless the channel is {@link #blocking}: then receive waits
 * for a message or {@link #hangUp()} (for a server whose reader thread runs while the test waits).
 */
final class FakeChannel implements VfioUserChannel {
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    /** Marks the end of file in a blocking channel's queue. */
    private static final VfioUserMessage EOF = new VfioUserMessage(new VfioUserHeader(0, 0, VfioUserHeader.SIZE, 0, 0), new byte[0],
            List.of());

    final LinkedBlockingDeque<VfioUserMessage> incoming = new LinkedBlockingDeque<>();
    /** The server's replies, in order. */
    final List<VfioUserMessage> sent = Collections.synchronizedList(new ArrayList<>());
    /** The server's own commands (DMA_READ, DMA_WRITE), in order. */
    final List<VfioUserMessage> requests = Collections.synchronizedList(new ArrayList<>());
    /** Everything the server sent, replies and commands, in order. */
    final List<VfioUserMessage> wire = Collections.synchronizedList(new ArrayList<>());
    /** Guest memory behind a memory fd, by fd number (allocated on first map). */
    final Map<Integer, MemorySegment> memory = new HashMap<>();
    final Map<Integer, AtomicInteger> signals = new ConcurrentHashMap<>();
    final List<MemorySegment> unmapped = new ArrayList<>();
    /** The server's live watches, by fd number: {@link #clientSignals} runs one. */
    final Map<Integer, Runnable> watches = new HashMap<>();
    /** Descriptors the server closed while it still watched them (a defect). */
    final List<Integer> closedWhileWatched = new ArrayList<>();
    final Arena arena = Arena.ofShared();
    /** Guest memory that came without an fd, by DMA address. */
    private final Map<Long, MemorySegment> inBand = new ConcurrentHashMap<>();
    /** Messages to send once the server has answered the client message with the key's id. */
    private final Map<Integer, List<VfioUserMessage>> afterReplyTo = new ConcurrentHashMap<>();
    /** What the client sends back for each server request; {@link #fromGuest} by default. */
    volatile Function<VfioUserMessage, List<VfioUserMessage>> answer = m -> List.of(fromGuest(m));
    volatile boolean blocking;
    private int nextFd = 100;
    private final AtomicInteger nextId = new AtomicInteger(1);

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
        VfioUserMessage m = command(command, flags, payload, fds);
        incoming.add(m);
        return m.header().id();
    }

    /** A command of the client with the next id, not queued. */
    VfioUserMessage command(int command, int flags, byte[] payload, PassedFd... fds) {
        return new VfioUserMessage(new VfioUserHeader(nextId.getAndIncrement(), command, VfioUserHeader.SIZE + payload.length, flags, 0),
                payload, List.of(fds));
    }

    /** {@code size} bytes of guest memory at DMA address {@code iova} that the server reaches only by messages. */
    MemorySegment inBand(long iova, long size) {
        MemorySegment m = arena.allocate(size, 8);
        inBand.put(iova, m);
        return m;
    }

    /** Queues {@code messages} once the server has sent its reply to client message {@code id}. */
    void afterReplyTo(int id, List<VfioUserMessage> messages) {
        afterReplyTo.put(id, messages);
    }

    /** The end of file for a blocking channel (a non-blocking one ends where its queue does). */
    void hangUp() {
        incoming.add(EOF);
    }

    /** The client's correct answer to a DMA request from its in-band guest memory, as QEMU builds it. */
    VfioUserMessage fromGuest(VfioUserMessage request) {
        VfioUserHeader h = request.header();
        MemorySegment p = MemorySegment.ofArray(request.payload());
        long address = p.get(U64, 0);
        int count = Math.toIntExact(p.get(U64, 8));
        MemorySegment guest = guest(address, count);
        if (h.command() == VfioUserCommand.DMA_READ.code()) {
            byte[] out = new byte[16 + count];
            MemorySegment o = MemorySegment.ofArray(out);
            o.set(U64, 0, address);
            o.set(U64, 8, count);
            MemorySegment.copy(guest, 0, o, 16, count);
            return reply(request, out);
        }
        if (request.payload().length != 16 + count) {
            throw new AssertionError("a DMA_WRITE of " + count + " bytes with " + request.payload().length + " bytes of payload");
        }
        MemorySegment.copy(p, 16, guest, 0, count);
        return reply(request, new byte[0]);
    }

    /** The client's reply to a server request with {@code payload}. */
    static VfioUserMessage reply(VfioUserMessage request, byte[] payload) {
        return new VfioUserMessage(request.header().reply(payload.length), payload, List.of());
    }

    /** The client's error reply to a server request. */
    static VfioUserMessage error(VfioUserMessage request, int errno) {
        return new VfioUserMessage(request.header().errorReply(errno), new byte[0], List.of());
    }

    private MemorySegment guest(long address, int count) {
        for (Map.Entry<Long, MemorySegment> e : inBand.entrySet()) {
            long offset = address - e.getKey();
            if (offset >= 0 && offset + count <= e.getValue().byteSize()) {
                return e.getValue().asSlice(offset, count);
            }
        }
        throw new AssertionError(String.format("the server asked for 0x%x bytes at 0x%x, which is no in-band guest memory", count, address));
    }

    int signalsOf(PassedFd fd) {
        AtomicInteger n = signals.get(fd.number());
        return n == null ? 0 : n.get();
    }

    @Override
    public VfioUserMessage receive() {
        try {
            VfioUserMessage m = blocking ? incoming.take() : incoming.poll();
            return m == EOF ? null : m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public void send(VfioUserMessage message) {
        wire.add(message);
        VfioUserHeader h = message.header();
        if (h.type() == VfioUserHeader.TYPE_COMMAND) {
            requests.add(message);
            incoming.addAll(answer.apply(message));
            return;
        }
        sent.add(message);
        List<VfioUserMessage> then = afterReplyTo.remove(h.id());
        if (then != null) {
            incoming.addAll(then);
        }
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
