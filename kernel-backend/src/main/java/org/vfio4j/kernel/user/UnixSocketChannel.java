package org.vfio4j.kernel.user;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.vfio4j.Errno;
import org.vfio4j.kernel.internal.ErrnoCalls.CallState;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserChannel;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;
import org.vfio4j.kernel.internal.PosixCalls;

/**
 * A {@link VfioUserChannel} over a connected AF_UNIX stream socket, the transport QEMU's
 * {@code vfio-user-pci} speaks. Messages are framed by their header's size; descriptors travel as
 * SCM_RIGHTS ancillary data, are received close-on-exec, and stay this channel's until the receiver
 * closes them (a {@link #close()} closes the rest).
 *
 * <p>One thread may receive while another sends; concurrent receives (or sends) take turns. A
 * {@link #close()} from another thread wakes a blocked {@link #receive()}, which then fails with
 * "closed". A peer that closed the connection is an end of file even when it left bytes of ours
 * unread (recvmsg's ECONNRESET, as when a VMM is killed before it reads a reply). After a framing
 * error (a size below the header, above {@link #MAX_MESSAGE_SIZE}, an end of file inside a message,
 * truncated descriptors) the byte stream can no longer be trusted: every later receive fails naming
 * the first error.
 */
public final class UnixSocketChannel implements VfioUserChannel {
    /**
     * The largest message {@link #receive()} accepts: 16 header bytes, 1 MiB of data and 64 KiB of
     * slack. 1 MiB is the {@code max_data_xfer_size} QEMU proposes (and the most a REGION_READ reply,
     * REGION_WRITE or DMA_WRITE carries); the slack covers the fixed fields before such data and the
     * JSON of a VERSION message. Without a limit a peer's 32-bit size could make a server allocate
     * 4 GiB before seeing a byte of it.
     */
    public static final int MAX_MESSAGE_SIZE = VfioUserHeader.SIZE + (1 << 20) + (64 << 10);

    /** Control-buffer bytes for one recvmsg: room for the most descriptors the kernel passes at once. */
    private static final long CONTROL_SPACE = SocketLibc.cmsgSpace(4L * SocketLibc.SCM_MAX_FD);

    private record Mapping(long address, long length, Arena arena) {}

    private final SocketFd socket;
    private final ReentrantLock receiveLock = new ReentrantLock();
    private final ReentrantLock sendLock = new ReentrantLock();
    /** The receive path's msghdr, iovec, header and control buffer; guarded by {@link #receiveLock}. */
    private final MemorySegment receiveScratch;
    private final Set<HeldFd> received = new LinkedHashSet<>(); // guarded by itself
    private final Map<Long, Mapping> mappings = new HashMap<>(); // guarded by itself
    private final Set<EventfdWatch> watches = new LinkedHashSet<>(); // guarded by itself
    private volatile String broken;

    private UnixSocketChannel(int number, String description) {
        this.socket = new SocketFd(number, "vfio-user channel on socket fd " + number + " (" + description + ")");
        // the GC frees it: a close while a receive uses it cannot free memory under the kernel
        this.receiveScratch = Arena.ofAuto().allocate(SocketLibc.MSGHDR_SIZE + SocketLibc.IOVEC_SIZE
                + VfioUserHeader.SIZE + CONTROL_SPACE, 8);
    }

    /** A connected pair of channels ({@code socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC)}), for tests. */
    public static UnixSocketChannel[] pair() throws IOException {
        CallState s = SocketLibc.state();
        MemorySegment fds = s.scratch.asSlice(0, 8);
        if (SocketLibc.socketpair(s, SocketLibc.AF_UNIX, SocketLibc.SOCK_STREAM | SocketLibc.SOCK_CLOEXEC, 0, fds) < 0) {
            throw SocketLibc.failure("socketpair", "AF_UNIX SOCK_STREAM", s.errno(), null);
        }
        int a = fds.get(ValueLayout.JAVA_INT, 0);
        int b = fds.get(ValueLayout.JAVA_INT, 4);
        return new UnixSocketChannel[] {new UnixSocketChannel(a, "socketpair with fd " + b),
                new UnixSocketChannel(b, "socketpair with fd " + a)};
    }

    /**
     * Binds and listens on an AF_UNIX stream socket at {@code path}, as a vfio-user server does before
     * QEMU connects. A socket file already there that nobody listens on (left by a server that died)
     * is removed first; a live one, or a file that is not a socket, is an {@link IOException}.
     */
    public static UnixSocketListener listen(Path path) throws IOException {
        return UnixSocketListener.bind(path);
    }

    /** Connects to a server listening at {@code path} (a client's side, for tests and tools). */
    public static UnixSocketChannel connect(Path path) throws IOException {
        int fd = newSocket();
        CallState s = SocketLibc.state();
        try (Arena arena = Arena.ofConfined()) {
            UnixAddress a = UnixAddress.of(arena, path);
            if (SocketLibc.connect(s, fd, a.address(), a.length()) < 0) {
                int errno = s.errno();
                throw SocketLibc.failure("connect", path.toString(), errno,
                        errno == Errno.ECONNREFUSED.number() ? "a socket file is there but nobody listens on it" : null);
            }
        } catch (IOException | RuntimeException e) {
            PosixCalls.close(s, fd);
            throw e;
        }
        return new UnixSocketChannel(fd, "connected to " + path);
    }

    /** A channel for a socket {@code accept} returned; the channel owns it. */
    static UnixSocketChannel accepted(int fd, Path path) {
        return new UnixSocketChannel(fd, "accepted at " + path);
    }

    /** A new AF_UNIX stream socket, close-on-exec. */
    static int newSocket() throws IOException {
        CallState s = SocketLibc.state();
        int fd = SocketLibc.socket(s, SocketLibc.AF_UNIX, SocketLibc.SOCK_STREAM | SocketLibc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw SocketLibc.failure("socket", "AF_UNIX SOCK_STREAM", s.errno(), null);
        }
        return fd;
    }

    /**
     * A {@link PassedFd} of a descriptor this process owns (an eventfd, a memfd of device memory),
     * to send beside a message or to {@link #map}. The returned handle owns the descriptor: its
     * {@code close()} closes the number. Fails (EBADF) when no such descriptor is open.
     */
    public static PassedFd adopt(int number) throws IOException {
        CallState s = SocketLibc.state();
        if (PosixCalls.fcntl(s, number, SocketLibc.F_GETFD) < 0) {
            throw SocketLibc.failure("fcntl(F_GETFD)", "fd " + number, s.errno(), "adopt needs an open descriptor");
        }
        return new HeldFd(number, "adopted", fd -> {});
    }

    // ---- receive ----------------------------------------------------------------------------------

    @Override
    public VfioUserMessage receive() throws IOException {
        receiveLock.lock();
        try {
            int fd = socket.enter();
            try {
                if (broken != null) {
                    throw new IOException(socket + " lost its message framing earlier: " + broken);
                }
                return receiveOne(fd);
            } catch (MalformedMessage e) {
                broken = e.getMessage();
                throw e;
            } finally {
                socket.exit();
            }
        } finally {
            receiveLock.unlock();
        }
    }

    /** A framing error: the stream's position no longer falls on a message boundary. */
    private static final class MalformedMessage extends IOException {
        MalformedMessage(String message) {
            super(message);
        }
    }

    private VfioUserMessage receiveOne(int fd) throws IOException {
        List<HeldFd> fds = new ArrayList<>();
        boolean delivered = false;
        try {
            MemorySegment headerBytes = receiveScratch.asSlice(SocketLibc.MSGHDR_SIZE + SocketLibc.IOVEC_SIZE, VfioUserHeader.SIZE);
            long got = receiveInto(fd, headerBytes, fds, null);
            if (got == 0) {
                return null; // a clean end of file: the peer closed between messages
            }
            if (got < VfioUserHeader.SIZE) {
                throw new MalformedMessage("the peer closed the connection " + got + " bytes into a vfio-user header, which has "
                        + VfioUserHeader.SIZE);
            }
            VfioUserHeader header = VfioUserHeader.decode(headerBytes);
            String name = "vfio-user message " + header.id() + " (command " + header.command() + ")";
            if (header.size() < VfioUserHeader.SIZE) {
                throw new MalformedMessage(name + " says " + header.size() + " bytes, less than its own "
                        + VfioUserHeader.SIZE + "-byte header");
            }
            if (header.size() > MAX_MESSAGE_SIZE) {
                throw new MalformedMessage(name + " says " + header.size() + " bytes, more than the " + MAX_MESSAGE_SIZE
                        + " a message may have (the header, 1 MiB of data and 64 KiB for fixed fields)");
            }
            int length = (int) (header.size() - VfioUserHeader.SIZE);
            byte[] payload = new byte[length];
            if (length > 0) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment data = arena.allocate(length, 8);
                    long read = receiveInto(fd, data, fds, name);
                    if (read < length) {
                        throw new MalformedMessage(name + " says " + header.size() + " bytes, but the peer closed the connection after "
                                + (VfioUserHeader.SIZE + read));
                    }
                    MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, payload, 0, length);
                }
            }
            VfioUserMessage message = new VfioUserMessage(header, payload, List.copyOf(fds));
            delivered = true;
            return message;
        } finally {
            if (!delivered) {
                fds.forEach(HeldFd::close);
            }
        }
    }

    /**
     * Reads exactly {@code buffer}'s length unless the peer closes first, adding every descriptor that
     * arrives to {@code fds}; returns the bytes read. {@code message} names the message for errors
     * (null while reading its header).
     */
    private long receiveInto(int fd, MemorySegment buffer, List<HeldFd> fds, String message) throws IOException {
        CallState s = SocketLibc.state();
        MemorySegment msghdr = receiveScratch.asSlice(0, SocketLibc.MSGHDR_SIZE);
        MemorySegment iovec = receiveScratch.asSlice(SocketLibc.MSGHDR_SIZE, SocketLibc.IOVEC_SIZE);
        MemorySegment control = receiveScratch.asSlice(SocketLibc.MSGHDR_SIZE + SocketLibc.IOVEC_SIZE + VfioUserHeader.SIZE, CONTROL_SPACE);
        long want = buffer.byteSize();
        long done = 0;
        while (done < want) {
            msghdr.fill((byte) 0);
            iovec.set(ValueLayout.ADDRESS, 0, buffer.asSlice(done));
            iovec.set(ValueLayout.JAVA_LONG, 8, want - done);
            msghdr.set(ValueLayout.ADDRESS, SocketLibc.MSG_IOV, iovec);
            msghdr.set(ValueLayout.JAVA_LONG, SocketLibc.MSG_IOVLEN, 1);
            msghdr.set(ValueLayout.ADDRESS, SocketLibc.MSG_CONTROL, control);
            msghdr.set(ValueLayout.JAVA_LONG, SocketLibc.MSG_CONTROLLEN, CONTROL_SPACE);
            long r = SocketLibc.recvmsg(s, fd, msghdr, SocketLibc.MSG_CMSG_CLOEXEC);
            if (r < 0) {
                int errno = s.errno();
                if (socket.isClosed()) {
                    throw socket.closedException();
                }
                if (errno == Errno.EINTR.number()) {
                    continue;
                }
                if (errno == Errno.ECONNRESET.number()) {
                    // the peer closed with our bytes unread in its queue (unix_release_sock); everything it
                    // sent was read before this error (unix_stream_read_generic), so it is an end of file
                    return done;
                }
                throw SocketLibc.failure("recvmsg", socket.toString(), errno, null);
            }
            collectDescriptors(msghdr, control, fds);
            if (socket.isClosed()) {
                throw socket.closedException(); // the shutdown of a close() ends a blocked recvmsg with end of file
            }
            if ((msghdr.get(ValueLayout.JAVA_INT, SocketLibc.MSG_FLAGS) & SocketLibc.MSG_CTRUNC) != 0) {
                throw new MalformedMessage("recvmsg on " + socket + " truncated the descriptors passed with "
                        + (message == null ? "a vfio-user header" : message) + " (MSG_CTRUNC: more than "
                        + SocketLibc.SCM_MAX_FD + ", or ancillary data of another kind); the " + fds.size()
                        + " that arrived were closed");
            }
            if (r == 0) {
                return done;
            }
            done += r;
        }
        return done;
    }

    /** Adds the SCM_RIGHTS descriptors of one recvmsg's control data to {@code fds}, tracked by this channel. */
    private void collectDescriptors(MemorySegment msghdr, MemorySegment control, List<HeldFd> fds) {
        long length = Math.min(msghdr.get(ValueLayout.JAVA_LONG, SocketLibc.MSG_CONTROLLEN), control.byteSize());
        long offset = 0;
        while (offset + SocketLibc.CMSG_HEADER <= length) {
            long cmsgLen = control.get(ValueLayout.JAVA_LONG, offset);
            if (cmsgLen < SocketLibc.CMSG_HEADER || offset + cmsgLen > length) {
                break; // what CMSG_NXTHDR treats as the end
            }
            int level = control.get(ValueLayout.JAVA_INT, offset + 8);
            int type = control.get(ValueLayout.JAVA_INT, offset + 12);
            if (level == SocketLibc.SOL_SOCKET && type == SocketLibc.SCM_RIGHTS) {
                long count = (cmsgLen - SocketLibc.CMSG_HEADER) / 4;
                for (long i = 0; i < count; i++) {
                    fds.add(track(control.get(ValueLayout.JAVA_INT, offset + SocketLibc.CMSG_HEADER + 4 * i)));
                }
            }
            offset += SocketLibc.cmsgAlign(cmsgLen);
        }
    }

    /** A received descriptor, closed with this channel unless its receiver closes it first. */
    private HeldFd track(int number) {
        HeldFd fd = new HeldFd(number, "received on socket fd " + socket.number(), this::forget);
        synchronized (received) {
            received.add(fd);
        }
        return fd;
    }

    private void forget(HeldFd fd) {
        synchronized (received) {
            received.remove(fd);
        }
    }

    // ---- send -------------------------------------------------------------------------------------

    @Override
    public void send(VfioUserMessage message) throws IOException {
        Objects.requireNonNull(message, "message");
        List<PassedFd> fds = message.fds();
        for (PassedFd f : fds) {
            if (f instanceof HeldFd h && !h.isOpen()) {
                throw new IOException("sendmsg on " + socket + ": " + h + " cannot travel, it was closed");
            }
        }
        sendLock.lock();
        try {
            int fd = socket.enter();
            try (Arena arena = Arena.ofConfined()) {
                long total = message.header().size();
                MemorySegment bytes = arena.allocate(total, 8);
                message.header().encode(bytes);
                MemorySegment.copy(message.payload(), 0, bytes, ValueLayout.JAVA_BYTE, VfioUserHeader.SIZE, message.payload().length);
                MemorySegment control = MemorySegment.NULL;
                long controlLength = 0;
                if (!fds.isEmpty()) {
                    controlLength = SocketLibc.cmsgSpace(4L * fds.size());
                    control = arena.allocate(controlLength, 8);
                    control.set(ValueLayout.JAVA_LONG, 0, SocketLibc.CMSG_HEADER + 4L * fds.size());
                    control.set(ValueLayout.JAVA_INT, 8, SocketLibc.SOL_SOCKET);
                    control.set(ValueLayout.JAVA_INT, 12, SocketLibc.SCM_RIGHTS);
                    for (int i = 0; i < fds.size(); i++) {
                        control.set(ValueLayout.JAVA_INT, SocketLibc.CMSG_HEADER + 4L * i, fds.get(i).number());
                    }
                }
                MemorySegment msghdr = arena.allocate(SocketLibc.MSGHDR_SIZE, 8);
                MemorySegment iovec = arena.allocate(SocketLibc.IOVEC_SIZE, 8);
                CallState s = SocketLibc.state();
                long done = 0;
                while (done < total) {
                    iovec.set(ValueLayout.ADDRESS, 0, bytes.asSlice(done));
                    iovec.set(ValueLayout.JAVA_LONG, 8, total - done);
                    msghdr.fill((byte) 0);
                    msghdr.set(ValueLayout.ADDRESS, SocketLibc.MSG_IOV, iovec);
                    msghdr.set(ValueLayout.JAVA_LONG, SocketLibc.MSG_IOVLEN, 1);
                    if (done == 0) { // the descriptors go with the first bytes, once
                        msghdr.set(ValueLayout.ADDRESS, SocketLibc.MSG_CONTROL, control);
                        msghdr.set(ValueLayout.JAVA_LONG, SocketLibc.MSG_CONTROLLEN, controlLength);
                    }
                    long r = SocketLibc.sendmsg(s, fd, msghdr, SocketLibc.MSG_NOSIGNAL);
                    if (r < 0) {
                        int errno = s.errno();
                        if (socket.isClosed()) {
                            throw socket.closedException();
                        }
                        if (errno == Errno.EINTR.number()) {
                            continue; // nothing was sent (a signal before the first byte)
                        }
                        throw SocketLibc.failure("sendmsg", socket.toString(), errno, sendHint(errno, message));
                    }
                    done += r;
                }
            } finally {
                socket.exit();
            }
        } finally {
            sendLock.unlock();
        }
    }

    private static String sendHint(int errno, VfioUserMessage message) {
        String what = "vfio-user message " + message.header().id() + " (command " + message.header().command() + ")";
        if (errno == Errno.EPIPE.number() || errno == Errno.ECONNRESET.number()) {
            return "the peer closed the connection before " + what + " was sent";
        }
        if (errno == Errno.EBADF.number() && !message.fds().isEmpty()) {
            return "a descriptor passed with " + what + " is not open";
        }
        if (errno == Errno.EINVAL.number() && message.fds().size() > SocketLibc.SCM_MAX_FD) {
            return what + " passes " + message.fds().size() + " descriptors, more than the kernel's " + SocketLibc.SCM_MAX_FD;
        }
        return "while sending " + what;
    }

    // ---- mappings and eventfds -------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * <p>{@code mmap(MAP_SHARED)} with {@code PROT_READ} (and {@code PROT_WRITE} when {@code writable}).
     * A range past the end of a regular file (a memfd shorter than the client claims) is refused
     * before mapping: touching such pages would raise SIGBUS. A mapping that is not {@code writable}
     * is a read-only segment (a write throws instead of faulting). The segment has an arena of its own,
     * so after {@link #unmap} or {@link #close()} using it throws instead of touching unmapped memory.
     */
    @Override
    public MemorySegment map(PassedFd fd, long offset, long length, boolean writable) throws IOException {
        Objects.requireNonNull(fd, "fd");
        String on = fd.toString();
        checkUsable(fd, "mmap");
        if (offset < 0 || length <= 0) {
            throw SocketLibc.failure("mmap", on, Errno.EINVAL.number(), "offset " + offset + " and length " + length
                    + " must be a non-negative offset and a positive length");
        }
        checkWithinFile(fd, offset, length);
        CallState s = SocketLibc.state();
        int prot = SocketLibc.PROT_READ | (writable ? SocketLibc.PROT_WRITE : 0);
        long address = PosixCalls.mmap(s, length, prot, SocketLibc.MAP_SHARED, fd.number(), offset);
        if (address == PosixCalls.MAP_FAILED) {
            int errno = s.errno();
            throw SocketLibc.failure("mmap", on, errno, errno == Errno.EACCES.number() && writable
                    ? "a writable shared mapping needs a descriptor opened for writing" : "mapping " + length + " bytes at offset " + offset);
        }
        Arena arena = Arena.ofShared();
        synchronized (mappings) {
            if (socket.isClosed()) { // closed while mapping: nobody would unmap it later
                arena.close();
                PosixCalls.munmap(s, address, length);
                throw socket.closedException();
            }
            mappings.put(address, new Mapping(address, length, arena));
        }
        // SAFETY: the kernel mapped [address, address + length); the arena ends the segment's life before munmap.
        MemorySegment segment = MemorySegment.ofAddress(address).reinterpret(length, arena, null);
        return writable ? segment : segment.asReadOnly(); // a write to a PROT_READ page would crash the JVM
    }

    /** Refuses a range past the end of a regular file: its pages would fault (SIGBUS) when touched. */
    private static void checkWithinFile(PassedFd fd, long offset, long length) throws IOException {
        BasicFileAttributes attributes;
        try {
            // stat follows the /proc magic link to the open file itself, even an unlinked one (a memfd)
            attributes = Files.readAttributes(Path.of("/proc/self/fd/" + fd.number()), BasicFileAttributes.class);
        } catch (IOException e) {
            return; // no /proc: mmap itself will answer
        }
        if (attributes.isRegularFile() && (offset > attributes.size() || length > attributes.size() - offset)) {
            throw SocketLibc.failure("mmap", fd.toString(), Errno.EINVAL.number(), "bytes " + offset + " to " + (offset + length)
                    + " reach past the end of the file (" + attributes.size() + " bytes); touching them would raise SIGBUS");
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when {@code mapping} is not a whole live segment this channel's
     *                                  {@link #map} returned
     */
    @Override
    public void unmap(MemorySegment mapping) throws IOException {
        Objects.requireNonNull(mapping, "mapping");
        if (socket.isClosed()) {
            throw socket.closedException();
        }
        Mapping m;
        synchronized (mappings) {
            m = mappings.get(mapping.address());
            if (m == null || m.length() != mapping.byteSize()) {
                throw new IllegalArgumentException("not a whole live mapping made by this channel's map (unmapped, or a slice): " + mapping);
            }
            mappings.remove(m.address());
        }
        release(m);
    }

    /** Ends a mapping's segments, then unmaps it. */
    private static void release(Mapping m) throws IOException {
        m.arena().close();
        CallState s = SocketLibc.state();
        if (PosixCalls.munmap(s, m.address(), m.length()) < 0) {
            throw SocketLibc.failure("munmap", "0x" + Long.toHexString(m.address()), s.errno(), null);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A {@code write(2)} of the 8-byte value 1. EAGAIN means a non-blocking eventfd's counter cannot
     * take 1 more: the reader has not consumed 2^64-2 signals, so an interrupt is already pending and
     * one more adds nothing it would see; the signal is dropped without an error, as a device should
     * not fail for it.
     */
    @Override
    public void signal(PassedFd eventfd) throws IOException {
        Objects.requireNonNull(eventfd, "eventfd");
        checkUsable(eventfd, "write");
        CallState s = SocketLibc.state();
        MemorySegment one = s.scratch.asSlice(0, 8);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        while (true) {
            long r = PosixCalls.write(s, eventfd.number(), one, 8);
            if (r == 8) {
                return;
            }
            int errno = s.errno();
            if (r < 0 && errno == Errno.EINTR.number()) {
                continue;
            }
            if (r < 0 && errno == Errno.EAGAIN.number()) {
                return; // counter full: an interrupt is already pending (see above)
            }
            throw r < 0 ? SocketLibc.failure("write", eventfd.toString(), errno, errno == Errno.EINVAL.number()
                    ? "not an eventfd (an eventfd takes exactly 8 bytes)" : "signalling an eventfd")
                    : new IOException("write on " + eventfd + " wrote " + r + " of 8 bytes: not an eventfd");
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Each watch has a thread of its own, blocked in {@code poll(2)} on the eventfd and on a
     * wake-up eventfd of the watch's (one more descriptor while it lives); the watch's {@code close()}
     * writes that one, and waits for a callback in flight and for the thread to leave. A descriptor
     * that is not an eventfd is refused (EINVAL).
     */
    @Override
    public Watch watch(PassedFd eventfd, Runnable onSignal) throws IOException {
        Objects.requireNonNull(eventfd, "eventfd");
        Objects.requireNonNull(onSignal, "onSignal");
        checkUsable(eventfd, "poll");
        EventfdWatch w = EventfdWatch.start(eventfd, onSignal, this::forget, socket.toString());
        synchronized (watches) {
            if (!socket.isClosed()) {
                watches.add(w);
                return w;
            }
        }
        w.close(); // closed while starting: nobody would stop it later
        throw socket.closedException();
    }

    private void forget(EventfdWatch w) {
        synchronized (watches) {
            watches.remove(w);
        }
    }

    private void checkUsable(PassedFd fd, String call) throws IOException {
        if (socket.isClosed()) {
            throw socket.closedException();
        }
        if (fd instanceof HeldFd h && !h.isOpen()) {
            throw SocketLibc.failure(call, h.toString(), Errno.EBADF.number(), "the descriptor was closed");
        }
    }

    // ---- close ------------------------------------------------------------------------------------

    /**
     * Closes the socket (waking a blocked receive), stops every watch, unmaps every mapping still
     * mapped and closes every received descriptor not closed yet. A second close does nothing.
     */
    @Override
    public void close() {
        if (!socket.close()) {
            return;
        }
        List<EventfdWatch> watching;
        synchronized (watches) {
            watching = List.copyOf(watches);
        }
        watching.forEach(EventfdWatch::close); // before the descriptors they poll are closed below
        List<Mapping> live;
        synchronized (mappings) {
            live = List.copyOf(mappings.values());
            mappings.clear();
        }
        for (Mapping m : live) {
            try {
                release(m);
            } catch (IOException e) {
                // munmap of a range this channel mapped fails only if the range is not mapped any more
            }
        }
        List<HeldFd> open;
        synchronized (received) {
            open = List.copyOf(received);
        }
        open.forEach(HeldFd::close);
    }

    /** The socket's descriptor number (for tests that write raw bytes to a peer). */
    int socketNumber() {
        return socket.number();
    }

    @Override
    public String toString() {
        return socket.toString();
    }
}
