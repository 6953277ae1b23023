package org.vfio4j.kernel.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

/** A server listening at a path, a client connecting to it, and what happens to the path. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UnixSocketListenerTest {

    private static VfioUserMessage message(int id, String text) {
        byte[] payload = text.getBytes(StandardCharsets.US_ASCII);
        return new VfioUserMessage(new VfioUserHeader(id, 1, 16 + payload.length, 0, 0), payload, List.of());
    }

    @Test
    void aClientConnectsAndTheyExchangeMessages(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("device.sock");
        try (UnixSocketListener listener = UnixSocketChannel.listen(path)) {
            CompletableFuture<String> clientSide = CompletableFuture.supplyAsync(() -> {
                try (UnixSocketChannel client = UnixSocketChannel.connect(path)) {
                    client.send(message(1, "hello server"));
                    return new String(client.receive().payload(), StandardCharsets.US_ASCII);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (UnixSocketChannel server = listener.accept()) {
                VfioUserMessage request = server.receive();
                assertThat(request.header().id()).isEqualTo(1);
                assertThat(new String(request.payload(), StandardCharsets.US_ASCII)).isEqualTo("hello server");
                byte[] answer = "hello client".getBytes(StandardCharsets.US_ASCII);
                server.send(new VfioUserMessage(request.header().reply(answer.length), answer, List.of()));
                assertThat(clientSide.get(10, TimeUnit.SECONDS)).isEqualTo("hello client");
                assertThat(server.receive()).as("the client closed").isNull();
            }
            assertThat(Files.exists(path)).isTrue();
        }
        assertThat(Files.exists(path)).as("close unlinks the socket file").isFalse();
    }

    @Test
    void aStaleSocketFileIsReplaced(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("stale.sock");
        // java.nio leaves the file behind when its server closes: a socket nobody listens on
        try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            old.bind(UnixDomainSocketAddress.of(path));
        }
        assertThat(Files.exists(path)).isTrue();

        try (UnixSocketListener listener = UnixSocketChannel.listen(path);
                UnixSocketChannel client = UnixSocketChannel.connect(path);
                UnixSocketChannel server = listener.accept()) {
            client.send(message(2, "after the stale one"));
            assertThat(server.receive().header().id()).isEqualTo(2);
        }
    }

    @Test
    void aLiveSocketOrAnotherFileIsNotTaken(@TempDir Path dir) throws IOException {
        Path live = dir.resolve("live.sock");
        Path file = dir.resolve("notes.txt");
        Files.writeString(file, "keep me");
        try (UnixSocketListener first = UnixSocketChannel.listen(live)) {
            assertThatThrownBy(() -> UnixSocketChannel.listen(live)).isInstanceOf(IOException.class)
                    .hasMessageContaining("another server is listening");
            assertThat(first.path()).isEqualTo(live);
        }
        assertThatThrownBy(() -> UnixSocketChannel.listen(file)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a socket");
        assertThat(Files.readString(file)).isEqualTo("keep me");
    }

    @Test
    void closeEndsABlockedAccept(@TempDir Path dir) throws Exception {
        UnixSocketListener listener = UnixSocketChannel.listen(dir.resolve("wait.sock"));
        CompletableFuture<UnixSocketChannel> accepting = CompletableFuture.supplyAsync(() -> {
            try {
                return listener.accept();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(200);
        assertThat(accepting).isNotDone();

        listener.close();

        assertThatThrownBy(() -> accepting.get(10, TimeUnit.SECONDS)).rootCause().isInstanceOf(IOException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(listener::accept).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void connectingWhereNobodyListensNamesTheErrno(@TempDir Path dir) {
        assertThatThrownBy(() -> UnixSocketChannel.connect(dir.resolve("nobody.sock"))).isInstanceOf(IOException.class)
                .hasMessageContaining("connect").hasMessageContaining("ENOENT");
    }

    @Test
    void aPathTooLongForSunPathIsRefused(@TempDir Path dir) {
        Path path = dir.resolve("x".repeat(120));

        assertThatThrownBy(() -> UnixSocketChannel.listen(path)).isInstanceOf(IOException.class)
                .hasMessageContaining("at most 107 bytes");
    }
}
