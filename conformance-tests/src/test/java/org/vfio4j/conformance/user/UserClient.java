package org.vfio4j.conformance.user;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserChannel;
import org.vfio4j.user.VfioUserCommand;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

/**
 * The tests' vfio-user client: sends commands as QEMU's {@code vfio-user-pci} does and reads the
 * server's answers, never waiting longer than {@link #RECEIVE_TIMEOUT} for one. It speaks over the
 * client's end of a {@code UnixSocketChannel} (descriptors travel beside messages) or over a plain
 * JDK socket that can also write bytes that are no valid message ({@link #writeRaw}).
 */
final class UserClient implements AutoCloseable {
    /** The longest wait for one message from the server. */
    static final Duration RECEIVE_TIMEOUT = Duration.ofSeconds(5);
    /** Region index of PCI config space (VFIO_PCI_CONFIG_REGION_INDEX). */
    static final int CONFIG = 7;
    /** Region index of BAR0. */
    static final int BAR0 = 0;

    /** How messages travel: a UnixSocketChannel, or a JDK socket. */
    private interface Wire extends AutoCloseable {
        void send(VfioUserMessage message) throws IOException;

        VfioUserMessage receive() throws IOException;

        @Override
        void close();
    }

    private final Wire wire;
    private final SocketChannel raw;
    private final ExecutorService receiver = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vfio-user test client receiver");
        t.setDaemon(true);
        return t;
    });
    private int nextId = 1;

    private UserClient(Wire wire, SocketChannel raw) {
        this.wire = wire;
        this.raw = raw;
    }

    /** A client on {@code channel}, the client's end of a socketpair; descriptors can travel. */
    static UserClient over(VfioUserChannel channel) {
        return new UserClient(new Wire() {
            @Override
            public void send(VfioUserMessage message) throws IOException {
                channel.send(message);
            }

            @Override
            public VfioUserMessage receive() throws IOException {
                return channel.receive();
            }

            @Override
            public void close() {
                channel.close();
            }
        }, null);
    }

    /**
     * A client connected to a server listening at {@code path} through a JDK socket: it frames
     * messages itself (so it also checks the server's bytes independently of the channel under test)
     * and can write any bytes; no descriptors.
     */
    static UserClient connectRaw(Path path) throws IOException {
        SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX);
        socket.connect(UnixDomainSocketAddress.of(path));
        return new UserClient(new Wire() {
            @Override
            public void send(VfioUserMessage message) throws IOException {
                if (!message.fds().isEmpty()) {
                    throw new IllegalArgumentException("a JDK socket cannot pass descriptors");
                }
                byte[] header = new byte[VfioUserHeader.SIZE];
                message.header().encode(MemorySegment.ofArray(header));
                writeFully(socket, Requests.concat(header, message.payload()));
            }

            @Override
            public VfioUserMessage receive() throws IOException {
                ByteBuffer header = ByteBuffer.allocate(VfioUserHeader.SIZE);
                if (!readFully(socket, header)) {
                    return null;
                }
                VfioUserHeader h = VfioUserHeader.decode(MemorySegment.ofArray(header.array()));
                ByteBuffer payload = ByteBuffer.allocate((int) (h.size() - VfioUserHeader.SIZE));
                if (!readFully(socket, payload) && payload.capacity() > 0) {
                    throw new EOFException("the server closed the connection inside message " + h);
                }
                return new VfioUserMessage(h, payload.array(), List.of());
            }

            @Override
            public void close() {
                try {
                    socket.close();
                } catch (IOException e) {
                    // nothing left to release
                }
            }
        }, socket);
    }

    private static void writeFully(SocketChannel socket, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            socket.write(b);
        }
    }

    /** Fills {@code b}; false at an end of file before its first byte, EOFException at one after it. */
    private static boolean readFully(SocketChannel socket, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (socket.read(b) < 0) {
                if (b.position() == 0) {
                    return false;
                }
                throw new EOFException("the server closed the connection " + b.position() + " bytes into " + b.capacity());
            }
        }
        return true;
    }

    // ---- sending

    /** Sends a command with {@code flags} (NO_REPLY, or bits a test sets on purpose); returns its id. */
    int send(int command, int flags, byte[] payload, PassedFd... fds) throws IOException {
        return sendWithError(command, flags, 0, payload, fds);
    }

    /** Sends a command whose Error field (reserved in a command) is {@code error}; returns its id. */
    int sendWithError(int command, int flags, int error, byte[] payload, PassedFd... fds) throws IOException {
        int id = nextId++ & 0xffff;
        wire.send(new VfioUserMessage(new VfioUserHeader(id, command, VfioUserHeader.SIZE + payload.length, flags, error), payload,
                List.of(fds)));
        return id;
    }

    /** Sends a command wanting a reply; returns its id. */
    int send(VfioUserCommand command, byte[] payload, PassedFd... fds) throws IOException {
        return send(command.code(), VfioUserHeader.TYPE_COMMAND, payload, fds);
    }

    /** Writes bytes to the socket as they are (only a {@link #connectRaw} client can). */
    void writeRaw(byte[] bytes) throws IOException {
        if (raw == null) {
            throw new IllegalStateException("only a client on a JDK socket writes raw bytes");
        }
        writeFully(raw, bytes);
    }

    /** Ends the client's side of the connection (the server reads an end of file) but keeps reading. */
    void shutdownOutput() throws IOException {
        if (raw == null) {
            throw new IllegalStateException("only a client on a JDK socket half-closes");
        }
        raw.shutdownOutput();
    }

    /**
     * Waits until bytes from the server are waiting to be read, without reading them (only a
     * {@link #connectRaw} client can; its socket stays non-blocking afterwards, for a close that
     * leaves them unread).
     */
    boolean bytesWaiting(Duration timeout) throws IOException {
        if (raw == null) {
            throw new IllegalStateException("only a client on a JDK socket waits without reading");
        }
        raw.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            raw.register(selector, SelectionKey.OP_READ);
            return selector.select(timeout.toMillis()) > 0;
        }
    }

    // ---- receiving

    /**
     * The next message from the server, or null when it closed the connection. Fails the test when
     * nothing comes within {@link #RECEIVE_TIMEOUT} (and closes the connection, so nothing hangs).
     */
    VfioUserMessage next() throws IOException {
        Future<VfioUserMessage> f = receiver.submit(wire::receive);
        try {
            return f.get(RECEIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            wire.close();
            throw new AssertionError("no message from the server within " + RECEIVE_TIMEOUT);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new AssertionError("receiving failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            wire.close();
            throw new AssertionError("interrupted while receiving", e);
        }
    }

    /** The next message, which must be the reply to message {@code id} of {@code command}. */
    VfioUserMessage replyTo(int id, int command) throws IOException {
        VfioUserMessage m = next();
        assertThat(m).as("a reply to message %d, not the end of the connection", id).isNotNull();
        assertThat(m.header().id()).as("the next reply answers message %d", id).isEqualTo(id);
        assertThat(m.header().command()).as("the reply repeats the command").isEqualTo(command);
        assertThat(m.header().type()).as("a reply").isEqualTo(VfioUserHeader.TYPE_REPLY);
        assertThat(m.fds()).as("no descriptors come back").isEmpty();
        return m;
    }

    /** Sends a command and returns its reply. */
    VfioUserMessage call(int command, int flags, byte[] payload, PassedFd... fds) throws IOException {
        return replyTo(send(command, flags, payload, fds), command);
    }

    /** Sends a command and returns its reply. */
    VfioUserMessage call(VfioUserCommand command, byte[] payload, PassedFd... fds) throws IOException {
        return call(command.code(), VfioUserHeader.TYPE_COMMAND, payload, fds);
    }

    /** The payload of a successful reply: flags say reply only, errno 0, size = 16 + payload. */
    static byte[] ok(VfioUserMessage reply) {
        assertThat(reply.header().isError()).as("success, not errno %d", reply.header().error()).isFalse();
        assertThat(reply.header().flags()).as("reply flags").isEqualTo(VfioUserHeader.TYPE_REPLY);
        assertThat(reply.header().error()).isZero();
        assertThat(reply.header().size()).isEqualTo(VfioUserHeader.SIZE + (long) reply.payload().length);
        return reply.payload();
    }

    /** The errno of an error reply, which is the header alone with REPLY and ERROR set. */
    static int errno(VfioUserMessage reply) {
        assertThat(reply.header().isError()).as("an error reply").isTrue();
        assertThat(reply.header().flags()).as("reply flags").isEqualTo(VfioUserHeader.TYPE_REPLY | VfioUserHeader.ERROR);
        assertThat(reply.header().size()).as("the header alone").isEqualTo(VfioUserHeader.SIZE);
        assertThat(reply.payload()).isEmpty();
        return reply.header().error();
    }

    // ---- conversations

    /** QEMU's VERSION; returns the reply's payload after checking it succeeded. */
    byte[] handshake() throws IOException {
        return ok(call(VfioUserCommand.VERSION, Requests.version(0, 0, Requests.QEMU_CAPABILITIES)));
    }

    /** A REGION_READ of {@code size} bytes that must succeed; the value read, little bytes first. */
    long read(int region, long offset, int size) throws IOException {
        byte[] p = ok(call(VfioUserCommand.REGION_READ, Requests.access(offset, region, size, new byte[0])));
        assertThat(p).as("offset, region, count and the data").hasSize(16 + size);
        MemorySegment s = MemorySegment.ofArray(p);
        assertThat(s.get(Requests.U64, 0)).as("offset echoed").isEqualTo(offset);
        assertThat(s.get(Requests.U32, 8)).as("region echoed").isEqualTo(region);
        assertThat(s.get(Requests.U32, 12)).as("count read").isEqualTo(size);
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (p[16 + i] & 0xff);
        }
        return v;
    }

    /** A REGION_WRITE of {@code size} bytes that must succeed; the reply echoes offset and region and counts the bytes. */
    void write(int region, long offset, int size, long value) throws IOException {
        byte[] p = ok(call(VfioUserCommand.REGION_WRITE, Requests.access(offset, region, size, Requests.bytes(value, size))));
        assertThat(p).hasSize(16);
        MemorySegment s = MemorySegment.ofArray(p);
        assertThat(s.get(Requests.U64, 0)).as("offset echoed").isEqualTo(offset);
        assertThat(s.get(Requests.U32, 8)).as("region echoed").isEqualTo(region);
        assertThat(s.get(Requests.U32, 12)).as("count written").isEqualTo(size);
    }

    /** A posted REGION_WRITE (NO_REPLY); returns its id. */
    int post(int region, long offset, int size, long value) throws IOException {
        return send(VfioUserCommand.REGION_WRITE.code(), VfioUserHeader.NO_REPLY,
                Requests.access(offset, region, size, Requests.bytes(value, size)));
    }

    /** Closes the connection and stops waiting for replies. */
    @Override
    public void close() {
        wire.close();
        receiver.shutdownNow();
    }
}
