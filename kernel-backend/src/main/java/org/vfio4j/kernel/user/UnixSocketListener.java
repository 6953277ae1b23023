package org.vfio4j.kernel.user;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import org.vfio4j.Errno;
import org.vfio4j.kernel.internal.ErrnoCalls.CallState;
import org.vfio4j.kernel.internal.PosixCalls;

/**
 * A listening AF_UNIX stream socket bound to a path: where a vfio-user server waits for its client
 * (QEMU connects to the {@code socket} path of its {@code vfio-user-pci} device). Made by
 * {@link UnixSocketChannel#listen(Path)}; {@link #close()} unlinks the path if it is still this
 * socket's.
 */
public final class UnixSocketListener implements AutoCloseable {
    /** {@code S_IFMT} and {@code S_IFSOCK} (sys/stat.h). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final SocketFd socket;
    private final Path path;
    private final Object fileKey;

    private UnixSocketListener(SocketFd socket, Path path, Object fileKey) {
        this.socket = socket;
        this.path = path;
        this.fileKey = fileKey;
    }

    static UnixSocketListener bind(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        removeStaleSocket(path);
        int fd = UnixSocketChannel.newSocket();
        CallState s = SocketLibc.state();
        try (Arena arena = Arena.ofConfined()) {
            UnixAddress a = UnixAddress.of(arena, path);
            if (SocketLibc.bind(s, fd, a.address(), a.length()) < 0) {
                int errno = s.errno();
                throw SocketLibc.failure("bind", path.toString(), errno,
                        errno == Errno.EADDRINUSE.number() ? "the path exists (another server bound it meanwhile)" : null);
            }
            if (SocketLibc.listen(s, fd, 8) < 0) {
                int errno = s.errno();
                Files.deleteIfExists(path);
                throw SocketLibc.failure("listen", path.toString(), errno, null);
            }
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return new UnixSocketListener(new SocketFd(fd, "vfio-user listener on socket fd " + fd + " at " + path), path, key);
        } catch (IOException | RuntimeException e) {
            PosixCalls.close(s, fd);
            throw e;
        }
    }

    /**
     * Removes a socket file nobody listens on (a connect is refused); a live socket or a file of
     * another kind stays and is an {@link IOException}, so that a server never steals or deletes
     * what is not its own.
     */
    private static void removeStaleSocket(Path path) throws IOException {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IOException("cannot listen at " + path + ": a file that is not a socket is there (mode 0"
                    + Integer.toOctalString(mode) + "), and it is not this server's to delete");
        }
        try {
            UnixSocketChannel.connect(path).close(); // connected: a server is alive there
        } catch (IOException e) {
            if (e.getMessage().contains(Errno.ECONNREFUSED.name())) {
                Files.deleteIfExists(path); // stale: left by a server that exited without unlinking it
                return;
            }
            throw e;
        }
        throw new IOException("cannot listen at " + path + ": another server is listening there");
    }

    /** The path this listener is bound to. */
    public Path path() {
        return path;
    }

    /**
     * Waits for a client and returns the channel to it ({@code accept4} with {@code SOCK_CLOEXEC}).
     * A {@link #close()} from another thread ends the wait with an {@link IOException}.
     */
    public UnixSocketChannel accept() throws IOException {
        int fd = socket.enter();
        try {
            CallState s = SocketLibc.state();
            while (true) {
                int client = SocketLibc.accept4(s, fd, SocketLibc.SOCK_CLOEXEC);
                if (client >= 0) {
                    if (socket.isClosed()) {
                        PosixCalls.close(s, client);
                        throw socket.closedException();
                    }
                    return UnixSocketChannel.accepted(client, path);
                }
                int errno = s.errno();
                if (socket.isClosed()) {
                    throw socket.closedException(); // a close's shutdown ends a blocked accept with EINVAL (unix_accept)
                }
                if (errno != Errno.EINTR.number() && errno != Errno.ECONNABORTED.number()) {
                    throw SocketLibc.failure("accept4", socket.toString(), errno, null);
                }
            }
        } finally {
            socket.exit();
        }
    }

    /** Closes the socket (ending a blocked {@link #accept()}) and unlinks the path if it is still this socket. */
    @Override
    public void close() throws IOException {
        if (!socket.close()) {
            return;
        }
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (Objects.equals(key, fileKey)) {
                Files.deleteIfExists(path);
            }
        } catch (NoSuchFileException e) {
            // someone removed it already
        }
    }

    @Override
    public String toString() {
        return socket.toString();
    }
}
