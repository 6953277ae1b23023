package org.vfio4j.kernel.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

/** The transport over a socketpair: framing, descriptors, mappings, eventfds, malformed input, close. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UnixSocketChannelTest {
    private final UnixSocketChannel[] pair;
    private final UnixSocketChannel client;
    private final UnixSocketChannel server;

    UnixSocketChannelTest() throws IOException {
        pair = UnixSocketChannel.pair();
        client = pair[0];
        server = pair[1];
    }

    @AfterEach
    void closeBoth() {
        client.close();
        server.close();
    }

    private static VfioUserMessage message(int id, int command, byte[] payload, List<PassedFd> fds) {
        return new VfioUserMessage(new VfioUserHeader(id, command, VfioUserHeader.SIZE + payload.length, 0, 0), payload, fds);
    }

    /** A header as the wire has it: host byte order, id u16, command u16, size u32, flags u32, errno u32. */
    private static byte[] rawHeader(int id, int command, long size, int flags, int error) {
        return ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                .putShort((short) id).putShort((short) command).putInt((int) size).putInt(flags).putInt(error).array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void aMessageTravelsByteForByte() throws Throwable {
        byte[] payload = new byte[300];
        new Random(17).nextBytes(payload);
        client.send(new VfioUserMessage(new VfioUserHeader(0xfffe, 10, 16 + 300, VfioUserHeader.NO_REPLY, 0), payload.clone(), List.of()));

        byte[] wire = TestFds.readUpTo(server.socketNumber(), 316);

        assertThat(wire).isEqualTo(concat(rawHeader(0xfffe, 10, 316, 0x10, 0), payload));
    }

    @Test
    void rawBytesArriveAsTheMessageTheyEncode() throws Throwable {
        byte[] payload = "version 0.0 {\"capabilities\":{}}\0".getBytes(StandardCharsets.US_ASCII);
        TestFds.writeAll(client.socketNumber(), concat(rawHeader(3, 1, 16 + payload.length, 1, 0x2a), payload));

        VfioUserMessage m = server.receive();

        assertThat(m.header()).isEqualTo(new VfioUserHeader(3, 1, 16 + payload.length, 1, 0x2a));
        assertThat(m.payload()).isEqualTo(payload);
        assertThat(m.fds()).isEmpty();
    }

    @Test
    void aRoundTripKeepsEveryField() throws IOException {
        byte[] payload = new byte[4099];
        new Random(3).nextBytes(payload);
        client.send(message(7, 9, payload.clone(), List.of()));
        VfioUserMessage request = server.receive();
        server.send(new VfioUserMessage(request.header().errorReply(22), new byte[0], List.of()));
        VfioUserMessage reply = client.receive();

        assertThat(request.header()).isEqualTo(new VfioUserHeader(7, 9, 16 + 4099, 0, 0));
        assertThat(request.payload()).isEqualTo(payload);
        assertThat(reply.header()).isEqualTo(new VfioUserHeader(7, 9, 16, VfioUserHeader.TYPE_REPLY | VfioUserHeader.ERROR, 22));
        assertThat(reply.payload()).isEmpty();
    }

    @Test
    void aMemfdIsSharedBothWaysAndAnEventfdSignalsTheSender() throws Throwable {
        int memfd = TestFds.memfd("guest-ram", 8192);
        int eventfd = TestFds.eventfd();
        try (PassedFd memory = UnixSocketChannel.adopt(memfd); PassedFd irq = UnixSocketChannel.adopt(eventfd)) {
            TestFds.pwrite(memfd, "from the sender".getBytes(StandardCharsets.US_ASCII), 4096);
            client.send(message(1, 2, new byte[32], List.of(memory, irq)));

            VfioUserMessage m = server.receive();

            assertThat(m.fds()).hasSize(2);
            PassedFd ram = m.fds().get(0);
            PassedFd interrupt = m.fds().get(1);
            assertThat(ram.number()).isNotIn(memfd, eventfd);
            assertThat(TestFds.isCloseOnExec(ram.number())).as("MSG_CMSG_CLOEXEC").isTrue();
            MemorySegment mapped = server.map(ram, 4096, 4096, true);
            assertThat(new String(mapped.asSlice(0, 15).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII))
                    .isEqualTo("from the sender");
            mapped.asSlice(100).copyFrom(MemorySegment.ofArray("from the device".getBytes(StandardCharsets.US_ASCII)));
            assertThat(TestFds.pread(memfd, 15, 4196)).asString(StandardCharsets.US_ASCII).isEqualTo("from the device");

            assertThatThrownBy(() -> TestFds.readCounter(eventfd)).isInstanceOfSatisfying(TestFds.Failed.class,
                    f -> assertThat(f.errno).isEqualTo(TestFds.EAGAIN));
            server.signal(interrupt);
            assertThat(TestFds.readCounter(eventfd)).isEqualTo(1);
        }
    }

    @Test
    void aReadOnlyMappingRefusesWritesAndARangePastTheFileIsRefused() throws Throwable {
        int memfd = TestFds.memfd("small", 4096);
        try (PassedFd memory = UnixSocketChannel.adopt(memfd)) {
            MemorySegment ro = server.map(memory, 0, 4096, false);
            assertThat(ro.isReadOnly()).isTrue();
            assertThatThrownBy(() -> ro.set(ValueLayout.JAVA_BYTE, 0, (byte) 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> server.map(memory, 0, 8192, true)).isInstanceOf(IOException.class)
                    .hasMessageContaining("mmap").hasMessageContaining("EINVAL").hasMessageContaining("SIGBUS");
            assertThatThrownBy(() -> server.map(memory, 1, 100, true)).isInstanceOf(IOException.class)
                    .hasMessageContaining("mmap").hasMessageContaining("EINVAL");
        }
    }

    @Test
    void unmapEndsTheSegmentAndItsAddressRange() throws Throwable {
        int memfd = TestFds.memfd("unmap", 4096);
        try (PassedFd memory = UnixSocketChannel.adopt(memfd)) {
            MemorySegment mapped = server.map(memory, 0, 4096, true);
            long address = mapped.address();
            assertThat(mappedAt(address)).isTrue();

            server.unmap(mapped);

            assertThat(mappedAt(address)).isFalse();
            assertThatThrownBy(() -> mapped.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> server.unmap(mapped)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** Whether /proc/self/maps has a mapping starting at {@code address}. */
    private static boolean mappedAt(long address) throws IOException {
        String prefix = Long.toHexString(address) + "-";
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.startsWith(prefix));
    }

    @Test
    void aMebibyteArrivesWhole() throws Exception {
        byte[] payload = new byte[(1 << 20) + 16];
        new Random(5).nextBytes(payload);
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
            try {
                client.send(message(2, 10, payload.clone(), List.of()));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });

        VfioUserMessage m = server.receive();

        sent.get(20, TimeUnit.SECONDS);
        assertThat(m.header().size()).isEqualTo(16 + payload.length);
        assertThat(m.payload()).isEqualTo(payload);
    }

    @Test
    void endOfFileBeforeAHeaderIsNull() throws IOException {
        client.close();

        assertThat(server.receive()).isNull();
    }

    @Test
    void aPeerThatClosesWithBytesUnreadIsAnEndOfFileNotAnError() throws IOException {
        server.send(message(1, 9, new byte[20], List.of())); // a reply the client never reads
        client.send(message(2, 10, new byte[4], List.of()));
        client.close(); // Linux resets the connection: the server's next recvmsg after the data is ECONNRESET

        assertThat(server.receive().header().id()).as("what the peer sent still arrives").isEqualTo(2);
        assertThat(server.receive()).isNull();
    }

    @Test
    void aResetInsideAMessageIsAnEndOfFileInsideIt() throws Throwable {
        server.send(message(1, 9, new byte[20], List.of()));
        TestFds.writeAll(client.socketNumber(), rawHeader(5, 10, 116, 0, 0));
        client.close();

        assertThatThrownBy(server::receive).isInstanceOf(IOException.class)
                .hasMessage("vfio-user message 5 (command 10) says 116 bytes, but the peer closed the connection after 16");
    }

    @Test
    void endOfFileInsideAMessageNamesTheRule() throws Throwable {
        TestFds.writeAll(client.socketNumber(), concat(rawHeader(5, 10, 116, 0, 0), new byte[40]));
        client.close();

        assertThatThrownBy(server::receive).isInstanceOf(IOException.class)
                .hasMessage("vfio-user message 5 (command 10) says 116 bytes, but the peer closed the connection after 56");
        assertThatThrownBy(server::receive).isInstanceOf(IOException.class).hasMessageContaining("lost its message framing");
    }

    @Test
    void endOfFileInsideAHeaderNamesTheRule() throws Throwable {
        TestFds.writeAll(client.socketNumber(), new byte[5]);
        client.close();

        assertThatThrownBy(server::receive).isInstanceOf(IOException.class)
                .hasMessage("the peer closed the connection 5 bytes into a vfio-user header, which has 16");
    }

    @Test
    void aSizeBelowTheHeaderIsRefused() throws Throwable {
        TestFds.writeAll(client.socketNumber(), rawHeader(7, 9, 8, 0, 0));

        assertThatThrownBy(server::receive).isInstanceOf(IOException.class)
                .hasMessage("vfio-user message 7 (command 9) says 8 bytes, less than its own 16-byte header");
    }

    @Test
    void aSizeAboveTheLimitIsRefusedWithoutWaitingForItsBytes() throws Throwable {
        TestFds.writeAll(client.socketNumber(), rawHeader(8, 10, 0xffff_ffffL, 0, 0));

        assertThatThrownBy(server::receive).isInstanceOf(IOException.class)
                .hasMessageStartingWith("vfio-user message 8 (command 10) says 4294967295 bytes, more than the "
                        + UnixSocketChannel.MAX_MESSAGE_SIZE);
    }

    @Test
    void descriptorsThatArriveWithABrokenMessageAreClosed() throws Throwable {
        int eventfd = TestFds.eventfd();
        try (PassedFd irq = UnixSocketChannel.adopt(eventfd)) {
            // a header promising 100 bytes of data; 20 arrive (carrying a descriptor), then the end
            TestFds.writeAll(client.socketNumber(), rawHeader(6, 8, 116, 0, 0));
            client.send(message(1, 8, new byte[4], List.of(irq)));
            client.close();
            List<String> before = TestFds.openDescriptors();

            assertThatThrownBy(server::receive).isInstanceOf(IOException.class).hasMessageContaining("says 116 bytes");

            assertThat(TestFds.openDescriptors()).isEqualTo(before);
        }
    }

    @Test
    void closeClosesReceivedDescriptorsAndUnmaps() throws Throwable {
        int memfd = TestFds.memfd("close", 4096);
        int eventfd = TestFds.eventfd();
        try (PassedFd memory = UnixSocketChannel.adopt(memfd); PassedFd irq = UnixSocketChannel.adopt(eventfd)) {
            client.send(message(1, 2, new byte[0], List.of(memory, irq)));
            VfioUserMessage m = server.receive();
            int ram = m.fds().get(0).number();
            int interrupt = m.fds().get(1).number();
            MemorySegment mapped = server.map(m.fds().get(0), 0, 4096, true);
            assertThat(TestFds.isOpen(ram)).isTrue();
            assertThat(TestFds.isOpen(interrupt)).isTrue();

            server.close();

            assertThat(TestFds.isOpen(ram)).isFalse();
            assertThat(TestFds.isOpen(interrupt)).isFalse();
            assertThat(mappedAt(mapped.address())).isFalse();
            assertThatThrownBy(() -> mapped.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            assertThat(TestFds.isOpen(memfd)).as("the sender's own descriptor").isTrue();
            server.close(); // a second close does nothing
        }
    }

    @Test
    void aClosedChannelRefusesEveryCall() throws Throwable {
        int eventfd = TestFds.eventfd();
        try (PassedFd irq = UnixSocketChannel.adopt(eventfd)) {
            server.close();

            assertThatThrownBy(server::receive).isInstanceOf(IOException.class).hasMessageContaining("closed");
            assertThatThrownBy(() -> server.send(message(1, 1, new byte[0], List.of()))).isInstanceOf(IOException.class)
                    .hasMessageContaining("closed");
            assertThatThrownBy(() -> server.map(irq, 0, 8, true)).isInstanceOf(IOException.class).hasMessageContaining("closed");
            assertThatThrownBy(() -> server.signal(irq)).isInstanceOf(IOException.class).hasMessageContaining("closed");
            assertThat(client.receive()).as("the peer sees the end of the connection").isNull();
        }
    }

    @Test
    void closeFromAnotherThreadEndsABlockedReceive() throws Exception {
        CompletableFuture<VfioUserMessage> receiving = CompletableFuture.supplyAsync(() -> {
            try {
                return server.receive();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(200);
        assertThat(receiving).isNotDone();

        server.close();

        assertThatThrownBy(() -> receiving.get(10, TimeUnit.SECONDS)).hasRootCauseInstanceOf(IOException.class)
                .rootCause().hasMessageContaining("closed");
    }

    @Test
    void sendingToAClosedPeerIsEpipeNotASignal() throws IOException {
        server.close();

        assertThatThrownBy(() -> client.send(message(4, 10, new byte[64], List.of()))).isInstanceOf(IOException.class)
                .hasMessageContaining("sendmsg").hasMessageContaining("EPIPE");
    }

    @Test
    void adoptRefusesANumberThatIsNotOpen() throws Throwable {
        int eventfd = TestFds.eventfd();
        TestFds.close(eventfd);

        assertThatThrownBy(() -> UnixSocketChannel.adopt(eventfd)).isInstanceOf(IOException.class)
                .hasMessageContaining("fcntl(F_GETFD)").hasMessageContaining("EBADF");
    }

    @Test
    void aClosedPassedFdCannotBeSignalledOrSent() throws Throwable {
        PassedFd irq = UnixSocketChannel.adopt(TestFds.eventfd());
        irq.close();
        irq.close(); // idempotent

        assertThat(TestFds.isOpen(irq.number())).isFalse();
        assertThatThrownBy(() -> server.signal(irq)).isInstanceOf(IOException.class).hasMessageContaining("EBADF");
        assertThatThrownBy(() -> client.send(message(1, 8, new byte[0], List.of(irq)))).isInstanceOf(IOException.class)
                .hasMessageContaining("closed");
    }
}
