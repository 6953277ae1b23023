package org.vfio4j.conformance.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.conformance.user.Requests.U32;
import static org.vfio4j.conformance.user.UserClient.CONFIG;
import static org.vfio4j.conformance.user.UserClient.errno;
import static org.vfio4j.conformance.user.UserClient.ok;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.Errno;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.kernel.user.UnixSocketChannel;
import org.vfio4j.kernel.user.UnixSocketListener;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.spi.Fd;
import org.vfio4j.user.VfioUserCommand;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

/**
 * What the vfio-user server does with messages a client should not send, over a real socket: a
 * whole message it cannot take (wrong type, a payload shorter or longer than the command's struct,
 * a command it does not know or does not serve, descriptors where none belong) is an error reply
 * and the server goes on, the device still working; a frame that breaks the byte stream (a size
 * below the header or above the channel's limit, the peer closing inside a message) ends {@code
 * serve()} with an {@link IOException} naming the rule, with the device released as at a clean end
 * and the kernel ready for the next connection.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MalformedMessagesTest {
    private final ClientFds fds = new ClientFds();
    private ServedDevice edu;
    private UserClient client;

    @AfterEach
    void closeAll() throws IOException {
        if (client != null) {
            client.close();
        }
        if (edu != null) {
            edu.close();
        }
        fds.close();
    }

    /** The edu served over a socketpair, handshake done. */
    private void serveOverSocketpair() throws Exception {
        UnixSocketChannel[] pair = UnixSocketChannel.pair();
        edu = ServedDevice.start(ServedDevice.eduHost(), Topologies.EDU, pair[1]);
        client = UserClient.over(pair[0]);
        client.handshake();
    }

    /** The edu served to a JDK socket that can write any bytes, handshake done. */
    private void serveOverRawSocket(Path dir) throws Exception {
        try (UnixSocketListener listener = UnixSocketChannel.listen(dir.resolve("edu.sock"))) {
            client = UserClient.connectRaw(listener.path());
            edu = ServedDevice.start(ServedDevice.eduHost(), Topologies.EDU, listener.accept());
        }
        client.handshake();
    }

    /** The device still answers: config dword 0 has edu's IDs. */
    private void eduStillAnswers() throws IOException {
        assertThat(client.read(CONFIG, 0, 4)).as("edu's IDs after the bad message").isEqualTo(ServedMessagesTest.EDU_IDS);
    }

    // ---- whole messages the server refuses, and goes on

    @Test
    void aReplyOrAnUndefinedTypeFromTheClientIsEinval() throws Exception {
        serveOverSocketpair();
        for (int type : new int[] {VfioUserHeader.TYPE_REPLY, 2, 0xf}) {
            VfioUserMessage reply = client.call(VfioUserCommand.DEVICE_GET_INFO.code(), type, Requests.ints(16, 0, 0, 0));
            assertThat(errno(reply)).as("type %d", type).isEqualTo(Errno.EINVAL.number());
            eduStillAnswers();
        }
    }

    @Test
    void undefinedFlagBitsAndTheReservedErrorFieldOfACommandAreIgnored() throws Exception {
        serveOverSocketpair();
        // vfio-user.rst defines bits 0-5 of the flags (type, No_reply, Error); the server reads the type and No_reply only
        for (int flags : new int[] {0x40, 0x8000_0000, VfioUserHeader.ERROR}) {
            byte[] p = ok(client.call(VfioUserCommand.REGION_READ.code(), flags, Requests.access(0, CONFIG, 4, new byte[0])));
            assertThat(MemorySegment.ofArray(p).get(U32, 16)).as("flags 0x%x", flags).isEqualTo((int) ServedMessagesTest.EDU_IDS);
        }
        // the Error field "is reserved in a command message"
        int id = client.sendWithError(VfioUserCommand.REGION_READ.code(), 0, 0x2a, Requests.access(0, CONFIG, 4, new byte[0]));
        byte[] p = ok(client.replyTo(id, VfioUserCommand.REGION_READ.code()));
        assertThat(MemorySegment.ofArray(p).get(U32, 16)).isEqualTo((int) ServedMessagesTest.EDU_IDS);
    }

    @Test
    void payloadsShorterOrLongerThanTheCommandsStructAreEinval() throws Exception {
        serveOverSocketpair();
        List<Object[]> cases = List.of(
                new Object[] {VfioUserCommand.REGION_READ, new byte[8]},
                new Object[] {VfioUserCommand.REGION_READ, new byte[20]},
                new Object[] {VfioUserCommand.REGION_WRITE, new byte[12]},
                new Object[] {VfioUserCommand.REGION_WRITE, Requests.access(4, CONFIG, 8, new byte[4])}, // count 8, 4 bytes
                new Object[] {VfioUserCommand.REGION_WRITE, Requests.access(4, CONFIG, 2, new byte[4])}, // count 2, 4 bytes
                new Object[] {VfioUserCommand.DMA_MAP, new byte[16]},
                new Object[] {VfioUserCommand.DMA_UNMAP, new byte[8]},
                new Object[] {VfioUserCommand.DEVICE_GET_INFO, new byte[3]},
                new Object[] {VfioUserCommand.DEVICE_GET_REGION_INFO, new byte[8]},
                new Object[] {VfioUserCommand.DEVICE_GET_IRQ_INFO, new byte[4]},
                new Object[] {VfioUserCommand.DEVICE_SET_IRQS, new byte[12]},
                new Object[] {VfioUserCommand.DEVICE_RESET, new byte[1]});
        for (Object[] c : cases) {
            VfioUserCommand command = (VfioUserCommand) c[0];
            byte[] payload = (byte[]) c[1];
            assertThat(errno(client.call(command, payload))).as("%s with %d bytes", command, payload.length)
                    .isEqualTo(Errno.EINVAL.number());
            eduStillAnswers();
        }
    }

    @Test
    void descriptorsThatCameWithARefusedMessageAreClosed() throws Exception {
        serveOverSocketpair();
        Fd ram = fds.memfd("guest-ram", 0x4000);
        Fd eventfd = fds.eventfd();
        List<String> before = ClientFds.openDescriptors();

        assertThat(errno(client.call(VfioUserCommand.DMA_MAP, new byte[16], ClientFds.lent(ram)))).as("DMA_MAP of 16 bytes")
                .isEqualTo(Errno.EINVAL.number());
        assertThat(errno(client.call(VfioUserCommand.REGION_READ, Requests.access(0, CONFIG, 4, new byte[0]), ClientFds.lent(eventfd))))
                .as("a command that carries no descriptors").isEqualTo(Errno.EINVAL.number());
        assertThat(errno(client.call(VfioUserCommand.DEVICE_SET_IRQS, Requests.setIrqs(0x24, 1, 0, 2), ClientFds.lent(eventfd))))
                .as("two vectors, one eventfd").isEqualTo(Errno.EINVAL.number());
        assertThat(errno(client.call(99, 0, new byte[0], ClientFds.lent(eventfd)))).as("an unknown command").isEqualTo(Errno.ENOSYS.number());
        assertThat(errno(client.call(VfioUserCommand.DEVICE_GET_INFO.code(), VfioUserHeader.TYPE_REPLY, Requests.ints(16, 0, 0, 0),
                ClientFds.lent(ram)))).as("a reply").isEqualTo(Errno.EINVAL.number());

        assertThat(ClientFds.openDescriptors()).as("the server kept none of the descriptors").isEqualTo(before);
        eduStillAnswers();
    }

    @Test
    void unknownAndUnservedCommandsAreEnosysAndTheServerGoesOn() throws Exception {
        serveOverSocketpair();
        for (int command : new int[] {0, 14, 19, 99, 0xffff}) { // numbers the protocol does not assign
            assertThat(errno(client.call(command, 0, new byte[8]))).as("command %d", command).isEqualTo(Errno.ENOSYS.number());
            eduStillAnswers();
        }
        for (VfioUserCommand command : List.of(VfioUserCommand.DEVICE_GET_REGION_IO_FDS, VfioUserCommand.DMA_READ,
                VfioUserCommand.DMA_WRITE, VfioUserCommand.REGION_WRITE_MULTI, VfioUserCommand.DEVICE_FEATURE,
                VfioUserCommand.MIG_DATA_READ, VfioUserCommand.MIG_DATA_WRITE)) {
            assertThat(errno(client.call(command, Requests.ints(16, 0, 0, 0)))).as("%s", command).isEqualTo(Errno.ENOSYS.number());
            eduStillAnswers();
        }
    }

    @Test
    void anUnknownCommandWithNoReplyIsNotAnswered() throws Exception {
        serveOverSocketpair();
        client.send(99, VfioUserHeader.NO_REPLY, new byte[0]);
        int read = client.send(VfioUserCommand.REGION_READ, Requests.access(0, CONFIG, 4, new byte[0]));

        byte[] p = ok(client.replyTo(read, VfioUserCommand.REGION_READ.code()));

        assertThat(MemorySegment.ofArray(p).get(U32, 16)).isEqualTo((int) ServedMessagesTest.EDU_IDS);
    }

    // ---- frames that break the byte stream: serve() ends, the device is released

    @Test
    void aSizeBelowTheHeaderEndsServing(@TempDir Path dir) throws Exception {
        serveOverRawSocket(dir);

        client.writeRaw(Requests.rawHeader(9, VfioUserCommand.REGION_READ.code(), 8, 0, 0));

        assertThat(edu.outcome()).isInstanceOf(IOException.class)
                .hasMessage("vfio-user message 9 (command 9) says 8 bytes, less than its own 16-byte header");
        assertReleasedAndReusable();
    }

    @Test
    void aSizeAboveTheChannelsLimitEndsServingWithoutWaitingForTheBytes(@TempDir Path dir) throws Exception {
        serveOverRawSocket(dir);

        client.writeRaw(Requests.rawHeader(10, VfioUserCommand.REGION_WRITE.code(), UnixSocketChannel.MAX_MESSAGE_SIZE + 1L, 0, 0));

        assertThat(edu.outcome()).isInstanceOf(IOException.class).hasMessageStartingWith("vfio-user message 10 (command 10) says "
                + (UnixSocketChannel.MAX_MESSAGE_SIZE + 1) + " bytes, more than the " + UnixSocketChannel.MAX_MESSAGE_SIZE);
        assertReleasedAndReusable();
    }

    @Test
    void thePeerClosingInsideAMessageEndsServingWithoutAReply(@TempDir Path dir) throws Exception {
        serveOverRawSocket(dir);
        client.write(CONFIG, ServedMessagesTest.PCI_COMMAND, 2, ServedMessagesTest.MEMORY_AND_BUS_MASTER);

        // a REGION_WRITE of 4 bytes at BAR0 0x04 promises 36 bytes; 26 arrive, then the end of file
        byte[] whole = Requests.concat(Requests.rawHeader(11, VfioUserCommand.REGION_WRITE.code(), 36, 0, 0),
                Requests.access(4, 0, 4, Requests.bytes(0x1234_5678L, 4)));
        client.writeRaw(Arrays.copyOf(whole, 26));
        client.shutdownOutput();

        assertThat(edu.outcome()).isInstanceOf(IOException.class)
                .hasMessage("vfio-user message 11 (command 10) says 36 bytes, but the peer closed the connection after 26");
        assertReleasedAndReusable();
    }

    @Test
    void thePeerClosingInsideAHeaderEndsServingWithoutAReply(@TempDir Path dir) throws Exception {
        serveOverRawSocket(dir);

        client.writeRaw(new byte[5]);
        client.shutdownOutput();

        assertThat(edu.outcome()).isInstanceOf(IOException.class)
                .hasMessage("the peer closed the connection 5 bytes into a vfio-user header, which has 16");
        assertReleasedAndReusable();
    }

    @Test
    void aClientKilledWithAReplyUnreadIsAnEndOfTheConnection(@TempDir Path dir) throws Exception {
        serveOverRawSocket(dir);
        client.send(VfioUserCommand.REGION_READ, Requests.access(0, CONFIG, 4, new byte[0]));
        assertThat(client.bytesWaiting(UserClient.RECEIVE_TIMEOUT)).as("the reply arrived").isTrue();

        client.close(); // Linux resets the connection: the server's recvmsg says ECONNRESET

        assertThat(edu.outcome()).as("serve() returns as at an end of file").isNull();
        assertThat(edu.kernel.resources().isEmpty()).as("%s", edu.kernel.resources()).isTrue();
    }

    @Test
    void aClientGoneBeforeItsAnswerEndsTheSessionAsAnEndOfFile() throws Exception {
        // the answer's sendmsg fails with EPIPE: the session ends as at an end of file, and the server's
        // log says which reply was lost
        UnixSocketChannel[] pair = UnixSocketChannel.pair();
        pair[0].send(new VfioUserMessage(new VfioUserHeader(7, VfioUserCommand.VERSION.code(), VfioUserHeader.SIZE + 4, 0, 0),
                new byte[4], List.of()));
        pair[0].close();
        try (ServedDevice gone = ServedDevice.start(ServedDevice.eduHost(), Topologies.EDU, pair[1])) {
            assertThat(gone.outcome()).as("serve() returns normally").isNull();
            assertThat(gone.server.log()).anySatisfy(l -> assertThat(l).startsWith("the reply to message 7 command 1 was not sent"));
            assertThat(gone.kernel.resources().isEmpty()).as("%s", gone.kernel.resources()).isTrue();
        }
    }

    /**
     * After a framing error: the server sent nothing more (the client reads the end of the connection
     * once the server's end is closed), gave back everything it held in the kernel, and the same
     * kernel serves the edu to a new connection, registers as before the broken one.
     */
    private void assertReleasedAndReusable() throws Exception {
        edu.hangUp();
        assertThat(client.next()).as("no reply to the broken frame, then the end of the connection").isNull();
        SimulatedKernel kernel = edu.kernel;
        assertThat(kernel.resources().isEmpty()).as("%s", kernel.resources()).isTrue();

        UnixSocketChannel[] pair = UnixSocketChannel.pair();
        try (ServedDevice again = ServedDevice.on(kernel, Topologies.EDU, pair[1]); UserClient next = UserClient.over(pair[0])) {
            next.handshake();
            assertThat(next.read(CONFIG, 0, 4)).isEqualTo(ServedMessagesTest.EDU_IDS);
            assertThat(next.read(0, 0x04, 4)).as("liveness as at power-on: no cut write reached it").isZero();
            assertThat(next.read(0, 0x00, 4)).as("BAR0 identification").isEqualTo(ServedMessagesTest.EDU_IDENTIFICATION);
            next.write(0, 0x04, 4, 0x0000_ffffL);
            assertThat(next.read(0, 0x04, 4)).as("liveness").isEqualTo(0xffff_0000L);
        }
    }
}
