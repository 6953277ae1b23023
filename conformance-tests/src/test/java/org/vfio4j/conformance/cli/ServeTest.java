package org.vfio4j.conformance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.kernel.user.UnixSocketChannel;
import org.vfio4j.user.VfioUserCommand;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

/**
 * {@code vfio4j serve} end to end on this machine, without QEMU: the command listens on a real
 * UNIX socket, a Java client speaks vfio-user to it, and the answers come from the simulated edu
 * through the simulated kernel.
 */
class ServeTest {

    private static VfioUserMessage command(int id, VfioUserCommand command, byte[] payload) {
        return new VfioUserMessage(new VfioUserHeader(id, command.code(), VfioUserHeader.SIZE + payload.length, 0, 0), payload, List.of());
    }

    private static byte[] regionRead(long offset, int region, int count) {
        MemorySegment p = MemorySegment.ofArray(new byte[16]);
        p.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, offset);
        p.set(ValueLayout.JAVA_INT_UNALIGNED, 8, region);
        p.set(ValueLayout.JAVA_INT_UNALIGNED, 12, count);
        return p.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void servesTheSimulatedEdu_toAClientOnTheSocket_andEndsWhenItLeaves(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("edu.sock");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(() -> {
            try {
                return Main.run(new String[] {"serve", "--device", "edu", "--socket", socket.toString()},
                        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(out, true, StandardCharsets.UTF_8));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // the command prints its first line once it listens (the socket file appears a moment before)
        for (int i = 0; i < 1000 && !out.toString(StandardCharsets.UTF_8).contains("connect QEMU with"); i++) {
            Thread.sleep(10);
        }
        try (UnixSocketChannel client = UnixSocketChannel.connect(socket)) {
            byte[] json = "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576}}\0".getBytes(StandardCharsets.UTF_8);
            byte[] version = new byte[4 + json.length];
            System.arraycopy(json, 0, version, 4, json.length);
            client.send(command(1, VfioUserCommand.VERSION, version));
            VfioUserMessage reply = client.receive();
            assertThat(reply.header().type()).isEqualTo(VfioUserHeader.TYPE_REPLY);
            assertThat(reply.header().isError()).as("VERSION answered without error").isFalse();
            assertThat(reply.header().id()).isEqualTo(1);

            client.send(command(2, VfioUserCommand.REGION_READ, regionRead(0, 7, 4))); // config space: vendor and device
            reply = client.receive();
            assertThat(reply.header().isError()).isFalse();
            MemorySegment p = MemorySegment.ofArray(reply.payload());
            assertThat(p.byteSize()).isEqualTo(16 + 4);
            assertThat(p.get(ValueLayout.JAVA_INT_UNALIGNED, 16)).as("edu's IDs").isEqualTo(0x11e8_1234);

            client.send(command(3, VfioUserCommand.REGION_READ, regionRead(0x1000, 7, 4))); // past the 256-byte config space
            reply = client.receive();
            assertThat(reply.header().isError()).isTrue();
            assertThat(reply.header().error()).as("EFAULT, as pread past config space").isEqualTo(14);
            assertThat(reply.payload()).isEmpty();

            client.send(new VfioUserMessage(new VfioUserHeader(4, 99, VfioUserHeader.SIZE, 0, 0), new byte[0], List.of()));
            reply = client.receive();
            assertThat(reply.header().error()).as("an unknown command: ENOSYS").isEqualTo(38);
        }
        assertThat(serving.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("vfio4j serve: edu (0000:00:03.0, simulated Linux 6.1) on " + socket)
                .contains("connection 1 accepted")
                .contains("connection 1 ended; 2 request(s) failed");
    }
}
