package org.vfio4j.sim.user;

import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_GET_INFO;
import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_GET_IRQ_INFO;
import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_GET_REGION_INFO;
import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_RESET;
import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_SET_IRQS;
import static org.vfio4j.uapi.VfioUapi.VFIO_DMA_MAP_FLAG_READ;
import static org.vfio4j.uapi.VfioUapi.VFIO_DMA_MAP_FLAG_WRITE;
import static org.vfio4j.uapi.VfioUapi.VFIO_DMA_UNMAP_FLAG_ALL;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_MAP_DMA;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_UNMAP_DMA;
import static org.vfio4j.uapi.VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER;
import static org.vfio4j.uapi.VfioUapi.VFIO_IRQ_SET_ACTION_TYPE_MASK;
import static org.vfio4j.uapi.VfioUapi.VFIO_IRQ_SET_DATA_BOOL;
import static org.vfio4j.uapi.VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD;
import static org.vfio4j.uapi.VfioUapi.VFIO_IRQ_SET_DATA_NONE;
import static org.vfio4j.uapi.VfioUapi.VFIO_IRQ_SET_DATA_TYPE_MASK;
import static org.vfio4j.uapi.VfioUapi.VFIO_REGION_INFO_CAP_SPARSE_MMAP;
import static org.vfio4j.uapi.VfioUapi.VFIO_REGION_INFO_FLAG_CAPS;
import static org.vfio4j.uapi.VfioUapi.VFIO_REGION_INFO_FLAG_MMAP;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.vfio4j.Errno;
import org.vfio4j.IommuGroupInfo;
import org.vfio4j.IommuInfo;
import org.vfio4j.IommuType;
import org.vfio4j.PciAddress;
import org.vfio4j.PciDeviceInfo;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.device.RemoteMemory;
import org.vfio4j.spi.Fd;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserChannel;
import org.vfio4j.user.VfioUserCommand;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

/**
 * Serves one PCI function of a {@link SimulatedKernel} to a vfio-user client (QEMU's {@code
 * vfio-user-pci}) over one {@link VfioUserChannel} (QEMU's {@code docs/interop/vfio-user.rst}).
 *
 * <p>The server is a userspace VFIO driver of the simulated kernel: {@link #open} opens the
 * container, the function's group and the device exactly as a program would (set the container,
 * type1v2 IOMMU, GET_DEVICE_FD), and every request becomes the same VFIO call on those
 * descriptors. So every rule the simulator models (config space virtualization, region clipping,
 * memory-decode gating, the MSI-X table shield, SET_IRQS validation, IOMMU translation) applies to
 * what the client sees, and the kernel's trace shows each call. A failed call's errno is the error
 * reply's errno.
 *
 * <p><b>Guest memory.</b> DMA_MAP with an fd maps the client's memory ({@link
 * VfioUserChannel#map}) and gives it to the kernel's IOMMU (VFIO_IOMMU_MAP_DMA), so the device's DMA
 * lands in the guest's pages. DMA_MAP without an fd (QEMU sends it for ROM, and for all RAM that
 * is not fd-backed) gives the kernel a range of remote memory ({@link SimulatedKernel#mapRemote})
 * and maps that: the device's DMA there, still translated and checked by the simulated IOMMU
 * (bus mastering, permissions, unmapped holes), becomes DMA_READ and DMA_WRITE messages to the
 * client, one per piece of at most the negotiated {@code max_data_xfer_size}, each waiting for its
 * reply. An error reply, a reply of the wrong size or for another address or count, the end of the
 * connection, {@link #close()}, or no reply within {@link #dmaReplyTimeout} (5 s by default, QEMU's
 * own {@code x-msg-timeout}) is an IOMMU fault for the device ({@code DmaFaultException}, recorded in
 * {@link SimulatedKernel#iommuFaults()} and the trace), with the errno and a sentence.
 *
 * <p><b>Threads, and why a DMA waiting for the client cannot deadlock with it.</b> Every device
 * callback, and so every DMA, runs under the simulated kernel's lock (a reentrant monitor), on the
 * thread that handles a client command or on the kernel's device thread (scheduled work: the
 * fixtures' NVMe controller fetches commands there). Three rules:
 * <ol>
 *   <li>One thread of the server's own receives ({@link #serve()} starts it). It only sorts what
 *       arrives: a reply to a request of the server goes to its waiter, anything else joins a queue
 *       of commands. It never takes the kernel lock, so a reply always reaches its waiter.</li>
 *   <li>A command is taken off the queue only by a thread that holds the kernel lock, and handled
 *       there and then: the serve thread takes the lock first, one command per step ({@link
 *       SimulatedKernel#locked}); a serve thread blocked on the lock has taken nothing yet.</li>
 *   <li>A DMA waiting for its reply holds the kernel lock, so it is the only thread that can take
 *       commands: it handles and answers each command that arrives before its reply, in order,
 *       nested on its own thread (the lock is reentrant), on whichever thread the DMA runs.</li>
 * </ol>
 * QEMU answers DMA_READ and DMA_WRITE in its main loop, which needs its big lock, while a vCPU
 * holds that lock as it waits for the server's answer to a non-posted access (a config read, a BAR
 * read). By rule 3 such an access is answered while the DMA waits; the vCPU lets the lock go, and
 * QEMU's reply comes. The one cycle left is a device that does DMA synchronously while handling the
 * very non-posted access the vCPU waits for (a config write, or a BAR read or non-posted BAR write
 * whose handler does DMA): the answer comes after the DMA, and QEMU answers the DMA after the
 * answer. Only a timeout ends that: QEMU's {@code x-msg-timeout} fails the vCPU's access, or this
 * server's {@link #dmaReplyTimeout} faults the DMA. Devices therefore start DMA from posted BAR
 * writes (QEMU posts BAR writes unless a region is mmap-ed, and this server offers none for mmap)
 * or, better, from scheduled work, as the fixtures do. A command handled during a wait reaches the
 * device model while its DMA is in flight, as MMIO reaches real hardware; waits nest at most
 * {@value #MAX_NESTED_WAITS} deep.
 *
 * <p>What this version does not do:
 * <ul>
 *   <li>No region is offered for mmap: a region info reply has {@code VFIO_REGION_INFO_FLAG_MMAP}
 *       cleared and its sparse-mmap capability unlinked from the chain, and carries no fd, so the
 *       client reaches every BAR through REGION_READ and REGION_WRITE.</li>
 *   <li>No twin socket: DMA_READ, DMA_WRITE and their replies share the client's socket.</li>
 *   <li>DEVICE_FEATURE, GET_REGION_IO_FDS, REGION_WRITE_MULTI and migration are answered
 *       {@code ENOSYS}.</li>
 * </ul>
 *
 * <p>A command with NO_REPLY is never answered, not even when it fails; its failure goes to
 * {@link #log()}. A malformed message is an error reply ({@code EINVAL}) and the server goes on.
 * One thread runs {@link #serve()}; the device's interrupts reach {@link VfioUserChannel#signal}
 * on whatever thread raised them.
 */
public final class VfioUserServer implements AutoCloseable {
    /** How long a device's DMA waits for the client's reply to DMA_READ or DMA_WRITE by default (QEMU's x-msg-timeout). */
    public static final Duration DEFAULT_DMA_REPLY_TIMEOUT = Duration.ofSeconds(5);
    /** How deep DMA waits may nest (a command handled while waiting whose device DMA waits again). */
    static final int MAX_NESTED_WAITS = 16;
    /** The largest struct an info request may ask the kernel to fill (argsz beyond it is capped). */
    static final int MAX_INFO_ARGSZ = 64 * 1024;
    /** Region index i's offset on the device fd is i << 40 (VFIO_PCI_OFFSET_SHIFT). */
    static final int REGION_OFFSET_SHIFT = 40;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final SimulatedKernel kernel;
    private final PciAddress address;
    private final VfioUserChannel channel;
    private final VfioContainer container;
    private final VfioGroup group;
    private final VfioDevice device;
    private final int numRegions;
    private final IommuInfo iommu;
    private final IrqForwards irqs;
    private final Mailbox mailbox;
    /** The client's DMA ranges; guarded by the kernel lock (every handler runs under it). */
    private final List<DmaEntry> dma = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private volatile VersionCaps.Answer caps;
    private volatile Duration dmaReplyTimeout = DEFAULT_DMA_REPLY_TIMEOUT;
    /** How many DMA waits are nested on the thread holding the kernel lock; guarded by it. */
    private int waiting;
    private boolean closed;

    /**
     * A DMA range the client gave: with its mapping of the client's fd, or in-band (no fd: {@code
     * mapping} and {@code fd} null, and {@code remote} the user address of its {@link InBandMemory}
     * in the kernel).
     */
    private record DmaEntry(long iova, long size, MemorySegment mapping, PassedFd fd, long remote) {
        boolean overlaps(long otherIova, long otherSize) {
            return Long.compareUnsigned(iova, otherIova + otherSize) < 0 && Long.compareUnsigned(otherIova, iova + size) < 0;
        }
    }

    /**
     * A DMA range the client gave without an fd: the device's DMA there becomes DMA_READ and
     * DMA_WRITE messages to the client.
     *
     * @param iova the client's DMA address
     * @param size its length in bytes
     */
    public record InBandRange(long iova, long size) {}

    private VfioUserServer(SimulatedKernel kernel, PciAddress address, VfioUserChannel channel, VfioContainer container,
            VfioGroup group, VfioDevice device) throws VfioException {
        this.kernel = kernel;
        this.address = address;
        this.channel = channel;
        this.container = container;
        this.group = group;
        this.device = device;
        this.numRegions = device.info().numRegions();
        this.iommu = container.iommuInfo();
        this.irqs = new IrqForwards(kernel, channel, this::note);
        this.mailbox = new Mailbox(channel, this::note);
    }

    /**
     * Opens the container, the group of {@code address} (found in the kernel's sysfs) and the
     * device, as a VFIO program does, and returns a server for them on {@code channel}. On a failure
     * whatever was opened is closed again.
     *
     * @throws VfioException the kernel's error (no such function, group not viable, busy, ...)
     */
    public static VfioUserServer open(SimulatedKernel kernel, PciAddress address, VfioUserChannel channel) throws VfioException {
        if (kernel == null || address == null || channel == null) {
            throw new IllegalArgumentException("a vfio-user server needs a kernel, an address and a channel");
        }
        Vfio vfio = Vfio.over(kernel);
        int groupId = groupOf(vfio, address);
        VfioContainer container = null;
        VfioGroup group = null;
        VfioDevice device = null;
        try {
            container = vfio.openContainer();
            group = vfio.openGroup(groupId);
            group.setContainer(container);
            container.setIommu(IommuType.TYPE1V2);
            device = group.openDevice(address);
            return new VfioUserServer(kernel, address, channel, container, group, device);
        } catch (VfioException | RuntimeException e) {
            closeQuietly(device);
            closeQuietly(group);
            closeQuietly(container);
            throw e;
        }
    }

    private static int groupOf(Vfio vfio, PciAddress address) throws VfioException {
        try {
            for (IommuGroupInfo g : vfio.iommuGroups()) {
                for (PciDeviceInfo d : g.devices()) {
                    if (d.address().equals(address)) {
                        return g.id();
                    }
                }
            }
        } catch (IOException e) {
            throw new VfioException(Errno.EIO, "open", address.toString(), "reading the kernel's sysfs failed: " + e.getMessage());
        }
        throw new VfioException(Errno.ENODEV, "open", address.toString(), "no IOMMU group holds this PCI function");
    }

    /**
     * How long a device's DMA waits for the client's reply to one DMA_READ or DMA_WRITE before it
     * gives up and faults (default {@link #DEFAULT_DMA_REPLY_TIMEOUT}, as QEMU's own {@code
     * x-msg-timeout}); a late reply is dropped.
     *
     * @return this server
     * @throws IllegalArgumentException for a timeout that is not positive
     */
    public VfioUserServer dmaReplyTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the DMA reply timeout must be positive, not " + timeout);
        }
        this.dmaReplyTimeout = timeout;
        return this;
    }

    /**
     * Receives, handles and answers messages until the client closes the connection (returns
     * normally) or {@link #close()} was called; then closes the device, group, container and the
     * descriptors the client passed. The channel stays open: the caller owns it. A thread of the
     * server's own receives meanwhile (see the class comment); it ends with the connection, or when
     * the caller closes the channel.
     *
     * @throws IOException when the channel fails (a broken connection, a malformed header)
     */
    public void serve() throws IOException {
        try {
            mailbox.startReader("vfio4j vfio-user reader (" + address + ")");
            while (mailbox.awaitCommand()) {
                kernel.locked(this::handleNext);
            }
            IOException failed = mailbox.failure();
            if (failed != null && !isClosed()) {
                throw new IOException(failed.getMessage(), failed);
            }
        } finally {
            close();
        }
    }

    /**
     * Receives and handles one message; false at EOF or once closed (then nothing was received).
     * The session goes on: tests step through a conversation with it. No reader thread runs: a
     * device's DMA waiting for the client reads the channel itself, on this thread (a stepping test
     * is single-threaded).
     */
    boolean serveOne() throws IOException {
        if (isClosed()) {
            return false;
        }
        if (!mailbox.hasCommand() && !mailbox.readInline()) {
            return false; // EOF: the client went away
        }
        kernel.locked(this::handleNext);
        return true;
    }

    /** Under the kernel lock: handles the oldest queued command, if a DMA wait did not take it already. */
    private void handleNext() throws IOException {
        VfioUserMessage m = mailbox.pollCommand();
        if (m != null && !isClosed()) {
            handle(m);
        }
    }

    /** Handles one message under the kernel lock: answers it unless it is NO_REPLY. */
    private void handle(VfioUserMessage m) throws IOException {
        VfioUserHeader h = m.header();
        kernel.traceMarker("vfio-user", () -> describe(m)); // the calls that follow in the trace are what it became
        Reply r;
        try {
            r = dispatch(m);
        } catch (VfioException e) {
            r = Reply.error(e.errnoNumber(), e.getMessage());
        } catch (Malformed e) {
            r = Reply.error(Errno.EINVAL.number(), e.getMessage());
        } catch (RuntimeException e) { // a defect here must not take the server down: the client gets EINVAL
            r = Reply.error(Errno.EINVAL.number(), "the server could not handle the message: " + e);
        }
        if (r.errno != 0) {
            note("message " + h.id() + " command " + h.command() + (h.noReply() ? " (no reply)" : "") + " failed with errno "
                    + r.errno + ": " + r.why);
            Reply failed = r;
            kernel.traceMarker("vfio-user", () -> "message " + h.id() + (h.noReply() ? " failed (not answered: NO_REPLY)" : " answered")
                    + " with errno " + failed.errno + ": " + failed.why);
        }
        if (h.noReply()) {
            return; // vfio-user.rst, "Header": a NO_REPLY command is never answered, even when it fails
        }
        VfioUserMessage out = r.errno != 0 ? new VfioUserMessage(h.errorReply(r.errno), new byte[0], List.of())
                : new VfioUserMessage(h.reply(r.payload.length), r.payload, List.of());
        try {
            channel.send(out);
        } catch (IOException e) {
            // a client that went away before its answer (EPIPE): the reader sees the end of the
            // connection next and the session ends as at an end of file, not with an error
            note("the reply to message " + h.id() + " command " + h.command() + " was not sent: " + e.getMessage());
        }
    }

    /** One line for the trace: the message's id, command and the fields that say what it asks. */
    static String describe(VfioUserMessage m) {
        VfioUserHeader h = m.header();
        byte[] p = m.payload();
        String name = VfioUserCommand.of(h.command()).map(Enum::name).orElse("command " + h.command());
        StringBuilder sb = new StringBuilder("message ").append(h.id()).append(' ').append(name);
        MemorySegment s = seg(p);
        Optional<VfioUserCommand> c = VfioUserCommand.of(h.command());
        if (c.isPresent()) {
            switch (c.get()) {
                case REGION_READ, REGION_WRITE -> {
                    if (p.length >= 16) {
                        sb.append(String.format(" region %d +0x%x, %d bytes", s.get(U32, 8), s.get(U64, 0), Integer.toUnsignedLong(s.get(U32, 12))));
                        if (c.get() == VfioUserCommand.REGION_WRITE && p.length > 16) {
                            sb.append(": ").append(java.util.HexFormat.of().formatHex(p, 16, Math.min(p.length, 16 + 8)))
                                    .append(p.length > 24 ? "..." : "");
                        }
                    }
                }
                case DMA_MAP -> {
                    if (p.length >= 32) {
                        sb.append(String.format(" iova 0x%x, 0x%x bytes, flags 0x%x, offset 0x%x, %s", s.get(U64, 16), s.get(U64, 24),
                                s.get(U32, 4), s.get(U64, 8), m.fds().isEmpty() ? "in-band" : "with an fd"));
                    }
                }
                case DMA_UNMAP -> {
                    if (p.length >= 24) {
                        sb.append(String.format(" iova 0x%x, 0x%x bytes, flags 0x%x", s.get(U64, 8), s.get(U64, 16), s.get(U32, 4)));
                    }
                }
                case DEVICE_SET_IRQS -> {
                    if (p.length >= 20) {
                        sb.append(String.format(" flags 0x%x, index %d, start %d, count %d, %d fd(s)", s.get(U32, 4), s.get(U32, 8),
                                s.get(U32, 12), s.get(U32, 16), m.fds().size()));
                    }
                }
                case DEVICE_GET_REGION_INFO, DEVICE_GET_IRQ_INFO -> {
                    if (p.length >= 12) {
                        sb.append(" index ").append(s.get(U32, 8));
                    }
                }
                default -> sb.append(", ").append(p.length).append(" bytes of payload");
            }
        }
        return sb.append(h.noReply() ? " (no reply)" : "").toString();
    }

    private Reply dispatch(VfioUserMessage m) throws VfioException, IOException {
        VfioUserHeader h = m.header();
        if (h.type() != VfioUserHeader.TYPE_COMMAND) {
            closeAll(m.fds());
            throw new Malformed("a message of type " + h.type() + " where the server expects commands (only the server sends replies)");
        }
        Optional<VfioUserCommand> command = VfioUserCommand.of(h.command());
        if (command.isEmpty()) {
            closeAll(m.fds());
            return Reply.error(Errno.ENOSYS.number(), "command " + h.command() + " is not a vfio-user command");
        }
        VfioUserCommand c = command.get();
        if (c != VfioUserCommand.DMA_MAP && c != VfioUserCommand.DEVICE_SET_IRQS && !m.fds().isEmpty()) {
            closeAll(m.fds());
            throw new Malformed(c + " carries no file descriptors, but " + m.fds().size() + " came with it");
        }
        if (caps == null && c != VfioUserCommand.VERSION) {
            closeAll(m.fds());
            throw new Malformed(c + " before the VERSION handshake (vfio-user.rst: VERSION is the first message)");
        }
        byte[] p = m.payload();
        return switch (c) {
            case VERSION -> version(p);
            case DMA_MAP -> dmaMap(p, m.fds());
            case DMA_UNMAP -> dmaUnmap(p);
            case DEVICE_GET_INFO -> info(p, VFIO_DEVICE_GET_INFO, 16);
            case DEVICE_GET_REGION_INFO -> regionInfo(p);
            case DEVICE_GET_IRQ_INFO -> info(p, VFIO_DEVICE_GET_IRQ_INFO, 16);
            case DEVICE_SET_IRQS -> setIrqs(p, m.fds());
            case REGION_READ -> regionRead(p);
            case REGION_WRITE -> regionWrite(p);
            case DEVICE_RESET -> reset(p);
            default -> Reply.error(Errno.ENOSYS.number(), c + " is not served by this server");
        };
    }

    /** vfio-user.rst, "VFIO_USER_VERSION": major 0 only; the answer is minor 0 and a subset of the client's capabilities. */
    private Reply version(byte[] p) {
        if (caps != null) {
            throw new Malformed("a second VERSION: the version is negotiated once per connection");
        }
        need(p, 4, "VERSION");
        int major = Short.toUnsignedInt(seg(p).get(U16, 0));
        if (major != 0) {
            return Reply.error(Errno.EINVAL.number(), "protocol major " + major + " is not supported; this server speaks 0.0");
        }
        String json = p.length > 4 ? VersionCaps.text(p, 4) : null;
        VersionCaps.Answer a;
        try {
            a = VersionCaps.negotiate(json, iommu.pageSizes(), iommu.dmaAvailable().map(Integer::longValue).orElse(VersionCaps.DEFAULT_MAX_DMA_MAPS));
        } catch (IllegalArgumentException e) {
            throw new Malformed(e.getMessage());
        }
        caps = a;
        byte[] text = a.json().getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[4 + text.length + 1]; // major 0, minor 0, the JSON and its NUL
        System.arraycopy(text, 0, out, 4, text.length);
        return Reply.ok(out);
    }

    /**
     * GET_INFO and GET_IRQ_INFO: the client's struct, in a buffer of its argsz (capped), through the
     * same ioctl; the reply is what the kernel wrote back, as far as the buffer reaches.
     */
    private Reply info(byte[] p, long request, int minsz) throws VfioException {
        MemorySegment buf = infoBuffer(p, minsz);
        kernel.ioctl(device.fd(), request, buf);
        return Reply.ok(infoReply(buf, minsz));
    }

    /** GET_REGION_INFO: as {@link #info}, then without mmap: the MMAP flag cleared and the sparse-mmap capability unlinked. */
    private Reply regionInfo(byte[] p) throws VfioException {
        MemorySegment buf = infoBuffer(p, 32);
        kernel.ioctl(device.fd(), VFIO_DEVICE_GET_REGION_INFO, buf);
        withoutMmap(buf);
        return Reply.ok(infoReply(buf, 32));
    }

    private static MemorySegment infoBuffer(byte[] p, int minsz) {
        need(p, minsz, "the request's VFIO struct");
        long argsz = Integer.toUnsignedLong(seg(p).get(U32, 0));
        int size = (int) Math.max(minsz, Math.min(argsz, MAX_INFO_ARGSZ));
        MemorySegment buf = buffer(size);
        MemorySegment.copy(seg(p), 0, buf, 0, Math.min(p.length, size));
        if (argsz > size) {
            buf.set(U32, 0, size); // the kernel fills no more than the buffer the server has
        }
        return buf;
    }

    /** The bytes of {@code buf} the kernel's answer covers: its new argsz, within the buffer, at least minsz. */
    private static byte[] infoReply(MemorySegment buf, int minsz) {
        long argsz = Integer.toUnsignedLong(buf.get(U32, 0));
        int n = (int) Math.min(buf.byteSize(), Math.max(minsz, argsz));
        return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Clears VFIO_REGION_INFO_FLAG_MMAP and unlinks every sparse-mmap capability from the chain inside {@code buf}. */
    private static void withoutMmap(MemorySegment buf) {
        int flags = buf.get(U32, 4) & ~VFIO_REGION_INFO_FLAG_MMAP;
        buf.set(U32, 4, flags);
        if ((flags & VFIO_REGION_INFO_FLAG_CAPS) == 0) {
            return;
        }
        long link = 12; // where the offset of the next capability is kept: cap_offset, then each header's next
        long at = Integer.toUnsignedLong(buf.get(U32, 12));
        for (int steps = 0; at != 0 && at + 8 <= buf.byteSize() && steps < 64; steps++) {
            int id = Short.toUnsignedInt(buf.get(U16, at));
            long next = Integer.toUnsignedLong(buf.get(U32, at + 4));
            if (id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
                buf.set(U32, link, (int) next);
            } else {
                link = at + 4;
            }
            at = next;
        }
        if (buf.get(U32, 12) == 0) {
            buf.set(U32, 4, flags & ~VFIO_REGION_INFO_FLAG_CAPS);
        }
    }

    /**
     * vfio-user.rst, "VFIO_USER_DEVICE_SET_IRQS": the VFIO struct; with DATA_EVENTFD the client's
     * eventfds come beside it, one per vector (none: the vectors lose theirs). The kernel sees
     * simulated eventfds: for TRIGGER they forward to the client's; for MASK and UNMASK the client's
     * are watched and their signals written to them.
     */
    private Reply setIrqs(byte[] p, List<PassedFd> fds) throws VfioException {
        boolean keepFds = false;
        try {
            need(p, 20, "SET_IRQS");
            MemorySegment s = seg(p);
            int flags = s.get(U32, 4);
            int index = s.get(U32, 8);
            int start = s.get(U32, 12);
            int count = s.get(U32, 16);
            int data = flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
            int action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
            if (data != VFIO_IRQ_SET_DATA_EVENTFD && !fds.isEmpty()) {
                throw new Malformed("SET_IRQS without DATA_EVENTFD carries no eventfds, but " + fds.size() + " came with it");
            }
            if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
                if (!fds.isEmpty() && fds.size() != Integer.toUnsignedLong(count)) {
                    throw new Malformed("SET_IRQS count " + Integer.toUnsignedString(count) + " with " + fds.size() + " eventfds");
                }
                if (Integer.toUnsignedLong(count) > MAX_INFO_ARGSZ / 4) { // far above any index's vectors (MSI-X has 2048)
                    throw new Malformed("SET_IRQS for " + Integer.toUnsignedString(count) + " vectors");
                }
                keepFds = setIrqEventfds(flags, index, start, count, fds);
                return Reply.ok(new byte[0]);
            }
            int dataBytes = data == VFIO_IRQ_SET_DATA_BOOL ? count : 0;
            if (data == VFIO_IRQ_SET_DATA_BOOL && (count < 0 || p.length < 20L + count)) {
                throw new Malformed("SET_IRQS DATA_BOOL for " + Integer.toUnsignedString(count) + " vectors with " + (p.length - 20) + " bytes of data");
            }
            MemorySegment arg = buffer(20 + dataBytes);
            MemorySegment.copy(s, 0, arg, 0, 20 + dataBytes);
            arg.set(U32, 0, 20 + dataBytes);
            kernel.ioctl(device.fd(), VFIO_DEVICE_SET_IRQS, arg);
            if (data == VFIO_IRQ_SET_DATA_NONE && action == VFIO_IRQ_SET_ACTION_TRIGGER && count == 0) {
                irqs.releaseIndex(index); // count 0, DATA_NONE: the index is disabled and its eventfds released (vfio_pci_set_irqs_ioctl)
            }
            return Reply.ok(new byte[0]);
        } finally {
            if (!keepFds) {
                closeAll(fds);
            }
        }
    }

    /** Returns whether the client's fds are now held by forwards or watches. */
    private boolean setIrqEventfds(int flags, int index, int start, int count, List<PassedFd> fds) throws VfioException {
        int action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
        if (action != VFIO_IRQ_SET_ACTION_TRIGGER && !fds.isEmpty()) {
            // QEMU drops an INTx unmask eventfd by closing it, for the kernel's virqfd to see the hang-up
            // (vfio_intx_disable_kvm; virqfd_wakeup's EPOLLHUP). That close never reaches this server, which
            // holds its own copy, so the kernel would answer the next one EBUSY (vfio_virqfd_enable): a new
            // MASK or UNMASK eventfd therefore first removes the one held for its vector, as the hang-up would
            for (int i = 0; i < count; i++) {
                if (irqs.watching(action, index, start + i)) {
                    kernel.ioctl(device.fd(), VFIO_DEVICE_SET_IRQS, eventfdArg(flags, index, start + i, 1, List.of()));
                    irqs.replace(action, index, start + i, java.util.Arrays.asList((Fd) null), List.of());
                }
            }
        }
        List<Fd> made = irqs.create(action, fds);
        MemorySegment arg = eventfdArg(flags, index, start, count, made);
        try {
            kernel.ioctl(device.fd(), VFIO_DEVICE_SET_IRQS, arg);
        } catch (VfioException | RuntimeException e) {
            irqs.discard(made);
            throw e;
        }
        if (count == 0) {
            irqs.releaseIndex(index); // DATA_EVENTFD, count 0: the index is disabled, as with DATA_NONE (vfio_pci_set_msi_trigger)
            return false;
        }
        List<Fd> slots = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            slots.add(made.isEmpty() ? null : made.get(i));
        }
        irqs.replace(action, index, start, slots, made.isEmpty() ? List.of() : fds);
        return !made.isEmpty();
    }

    /** A DATA_EVENTFD {@code struct vfio_irq_set} for {@code count} vectors: {@code fds}' numbers, or -1 each when there are none (the vectors lose theirs). */
    private static MemorySegment eventfdArg(int flags, int index, int start, int count, List<Fd> fds) {
        MemorySegment arg = buffer(20 + 4L * count);
        arg.set(U32, 0, (int) arg.byteSize());
        arg.set(U32, 4, flags);
        arg.set(U32, 8, index);
        arg.set(U32, 12, start);
        arg.set(U32, 16, count);
        for (int i = 0; i < count; i++) {
            arg.set(U32, 20 + 4L * i, fds.isEmpty() ? -1 : fds.get(i).number());
        }
        return arg;
    }

    /** vfio-user.rst, "VFIO_USER_REGION_READ": pread of the region at its offset on the device fd. */
    private Reply regionRead(byte[] p) throws VfioException {
        if (p.length != 16) {
            throw new Malformed("REGION_READ has 16 bytes (offset, region, count), not " + p.length);
        }
        MemorySegment s = seg(p);
        long offset = s.get(U64, 0);
        int region = s.get(U32, 8);
        int count = s.get(U32, 12);
        long at = regionOffset(offset, region, count);
        MemorySegment data = buffer(count);
        long got = kernel.pread(device.fd(), data, at);
        byte[] out = new byte[16 + (int) got];
        MemorySegment o = seg(out);
        o.set(U64, 0, offset);
        o.set(U32, 8, region);
        o.set(U32, 12, (int) got);
        MemorySegment.copy(data, 0, o, 16, got);
        return Reply.ok(out);
    }

    /** vfio-user.rst, "VFIO_USER_REGION_WRITE": pwrite of the data; the reply repeats offset and region with the count written. */
    private Reply regionWrite(byte[] p) throws VfioException {
        need(p, 16, "REGION_WRITE");
        MemorySegment s = seg(p);
        long offset = s.get(U64, 0);
        int region = s.get(U32, 8);
        int count = s.get(U32, 12);
        if (Integer.toUnsignedLong(count) != p.length - 16L) {
            throw new Malformed("REGION_WRITE says " + Integer.toUnsignedString(count) + " bytes but carries " + (p.length - 16));
        }
        long at = regionOffset(offset, region, count);
        long put = kernel.pwrite(device.fd(), s.asSlice(16, count), at);
        byte[] out = new byte[16];
        MemorySegment o = seg(out);
        o.set(U64, 0, offset);
        o.set(U32, 8, region);
        o.set(U32, 12, (int) put);
        return Reply.ok(out);
    }

    /** The device fd offset of {@code offset} in {@code region}; the access must stay inside the region's 2^40-byte window. */
    private long regionOffset(long offset, int region, int count) {
        if (region < 0 || region >= numRegions) {
            throw new Malformed("region " + Integer.toUnsignedString(region) + " does not exist; the device has " + numRegions);
        }
        if (Integer.toUnsignedLong(count) > caps.maxDataXferSize()) {
            throw new Malformed("count " + Integer.toUnsignedString(count) + " is above max_data_xfer_size " + caps.maxDataXferSize());
        }
        long window = 1L << REGION_OFFSET_SHIFT;
        if (Long.compareUnsigned(offset, window) >= 0 || offset + count > window) {
            throw new Malformed("offset 0x" + Long.toHexString(offset) + " + " + count + " leaves region " + region);
        }
        return ((long) region << REGION_OFFSET_SHIFT) + offset;
    }

    /** vfio-user.rst, "VFIO_USER_DEVICE_RESET": VFIO_DEVICE_RESET; no payload either way. */
    private Reply reset(byte[] p) throws VfioException {
        if (p.length != 0) {
            throw new Malformed("DEVICE_RESET has no payload, but " + p.length + " bytes came");
        }
        kernel.ioctl(device.fd(), VFIO_DEVICE_RESET, 0L);
        return Reply.ok(new byte[0]);
    }

    /**
     * vfio-user.rst, "VFIO_USER_DMA_MAP": with an fd, the client's memory is mapped through the
     * channel and given to the kernel's IOMMU at the iova (VFIO_IOMMU_MAP_DMA); without one it is
     * mapped as memory reached by DMA_READ and DMA_WRITE messages. Overlapping a range already given
     * is EEXIST, as the spec says and {@code vfio_dma_do_map} answers.
     */
    private Reply dmaMap(byte[] p, List<PassedFd> fds) throws VfioException {
        boolean keep = false;
        try {
            need(p, 32, "DMA_MAP");
            MemorySegment s = seg(p);
            int argsz = s.get(U32, 0);
            int flags = s.get(U32, 4);
            long offset = s.get(U64, 8);
            long iova = s.get(U64, 16);
            long size = s.get(U64, 24);
            if (Integer.toUnsignedLong(argsz) < 32) {
                throw new Malformed("DMA_MAP argsz " + Integer.toUnsignedString(argsz) + " is below its 32-byte struct");
            }
            if (fds.size() > 1) {
                throw new Malformed("DMA_MAP carries at most one fd, not " + fds.size());
            }
            if ((flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) != 0) {
                throw new Malformed("DMA_MAP flags 0x" + Integer.toHexString(flags) + " have bits other than READ and WRITE");
            }
            if (size == 0 || Long.compareUnsigned(iova + size, iova) < 0) {
                throw new Malformed("DMA_MAP of " + Long.toUnsignedString(size) + " bytes at 0x" + Long.toHexString(iova));
            }
            for (DmaEntry e : dma) {
                if (e.overlaps(iova, size)) {
                    return Reply.error(Errno.EEXIST.number(), "0x" + Long.toHexString(iova) + "+0x" + Long.toHexString(size)
                            + " overlaps the range at 0x" + Long.toHexString(e.iova()));
                }
            }
            if (fds.isEmpty()) {
                long remote = kernel.mapRemote(new InBandMemory(iova, this::exchange, this::maxTransfer), size);
                try {
                    mapDma(flags, remote, iova, size);
                } catch (VfioException | RuntimeException e) {
                    kernel.unmapRemote(remote);
                    throw e;
                }
                dma.add(new DmaEntry(iova, size, null, null, remote));
                return Reply.ok(new byte[0]);
            }
            PassedFd fd = fds.get(0);
            MemorySegment mapping;
            try {
                mapping = channel.map(fd, offset, size, (flags & VFIO_DMA_MAP_FLAG_WRITE) != 0);
            } catch (IOException e) {
                return Reply.error(Errno.EFAULT.number(), "the client's fd " + fd.number() + " could not be mapped: " + e.getMessage());
            }
            try {
                mapDma(flags, kernel.userAddress(mapping), iova, size);
            } catch (VfioException | RuntimeException e) {
                unmapQuietly(mapping);
                throw e;
            }
            dma.add(new DmaEntry(iova, size, mapping, fd, 0));
            keep = true;
            return Reply.ok(new byte[0]);
        } finally {
            if (!keep) {
                closeAll(fds);
            }
        }
    }

    /** VFIO_IOMMU_MAP_DMA of {@code size} bytes of process memory at {@code vaddr} to {@code iova}. */
    private void mapDma(int flags, long vaddr, long iova, long size) throws VfioException {
        MemorySegment arg = buffer(32);
        arg.set(U32, 0, 32);
        arg.set(U32, 4, flags);
        arg.set(U64, 8, vaddr);
        arg.set(U64, 16, iova);
        arg.set(U64, 24, size);
        kernel.ioctl(container.fd(), VFIO_IOMMU_MAP_DMA, arg);
    }

    /**
     * vfio-user.rst, "VFIO_USER_DMA_UNMAP": every range inside the one given, as the kernel's
     * UNMAP_DMA does (see below), or all of them (flag ALL); the reply echoes the request's struct. The kernel's mapping goes before the channel's,
     * so no DMA can reach the memory once it is unmapped.
     */
    private Reply dmaUnmap(byte[] p) throws VfioException {
        need(p, 24, "DMA_UNMAP");
        MemorySegment s = seg(p);
        int flags = s.get(U32, 4);
        long iova = s.get(U64, 8);
        long size = s.get(U64, 16);
        if ((flags & ~VFIO_DMA_UNMAP_FLAG_ALL) != 0) {
            throw new Malformed("DMA_UNMAP flags 0x" + Integer.toHexString(flags) + ": only ALL (2) is served (no dirty bitmap)");
        }
        byte[] echo = java.util.Arrays.copyOf(p, 24);
        if (flags == VFIO_DMA_UNMAP_FLAG_ALL) {
            if (iova != 0 || size != 0) { // vfio_dma_do_unmap: ALL with an iova or size is EINVAL
                throw new Malformed("DMA_UNMAP ALL with iova 0x" + Long.toHexString(iova) + " and size " + Long.toUnsignedString(size));
            }
            if (!dma.isEmpty()) {
                MemorySegment arg = unmapArg(VFIO_DMA_UNMAP_FLAG_ALL, 0, 0);
                kernel.ioctl(container.fd(), VFIO_IOMMU_UNMAP_DMA, arg);
            }
            for (Iterator<DmaEntry> it = dma.iterator(); it.hasNext();) {
                release(it.next());
                it.remove();
            }
            return Reply.ok(echo);
        }
        // vfio-user.rst asks for the exact range of an earlier DMA_MAP, but QEMU with a vIOMMU (intel-iommu,
        // caching-mode) unmaps whole power-of-two blocks of the IOVA space when the guest switches the
        // device's domain (vtd_address_space_unmap): most hold nothing, some several mappings. So the
        // server does what VFIO_IOMMU_UNMAP_DMA does for QEMU's own container (vfio_dma_do_unmap, type1v2):
        // every mapping inside the range goes, one the range would cut is EINVAL, an empty range is no error
        kernel.ioctl(container.fd(), VFIO_IOMMU_UNMAP_DMA, unmapArg(0, iova, size));
        long last = iova + size - 1;
        for (Iterator<DmaEntry> it = dma.iterator(); it.hasNext();) {
            DmaEntry e = it.next();
            if (Long.compareUnsigned(e.iova(), iova) >= 0 && Long.compareUnsigned(e.iova() + e.size() - 1, last) <= 0) {
                release(e);
                it.remove();
            }
        }
        return Reply.ok(echo);
    }

    private static MemorySegment unmapArg(int flags, long iova, long size) {
        MemorySegment arg = buffer(32);
        arg.set(U32, 0, 32);
        arg.set(U32, 4, flags);
        arg.set(U64, 8, iova);
        arg.set(U64, 16, size);
        return arg;
    }

    private void release(DmaEntry e) {
        if (e.mapping() != null) {
            unmapQuietly(e.mapping());
            e.fd().close();
        } else {
            kernel.unmapRemote(e.remote());
        }
    }

    private void unmapQuietly(MemorySegment mapping) {
        try {
            channel.unmap(mapping);
        } catch (IOException | RuntimeException e) {
            note("unmapping client memory failed: " + e);
        }
    }

    /**
     * Sends a server request (DMA_READ, DMA_WRITE) and waits for its reply, handling the client's
     * commands that come before it; the caller (a device's DMA) holds the kernel lock. Gives up, and
     * the DMA faults, when the connection ends, the server closes, the reply does not come within
     * {@link #dmaReplyTimeout}, the reply is not for this command, or the waits nest too deep.
     */
    private VfioUserMessage exchange(VfioUserCommand command, byte[] payload, String what) throws RemoteMemory.Unreachable {
        if (waiting >= MAX_NESTED_WAITS) {
            throw new RemoteMemory.Unreachable(what + " was not sent: " + MAX_NESTED_WAITS + " DMA waits are already nested (each"
                    + " handling a client command whose device DMA waits again)");
        }
        Duration timeout = dmaReplyTimeout;
        int id = mailbox.newRequest();
        boolean answered = false;
        waiting++;
        try {
            channel.send(new VfioUserMessage(new VfioUserHeader(id, command.code(), VfioUserHeader.SIZE + payload.length,
                    VfioUserHeader.TYPE_COMMAND, 0), payload, List.of()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                switch (mailbox.next(id, deadline)) {
                    case Mailbox.Reply r -> {
                        answered = true;
                        if (r.message().header().command() != command.code()) {
                            r.message().fds().forEach(PassedFd::close);
                            throw new RemoteMemory.Unreachable("the vfio-user client answered " + what + " (message " + id
                                    + ") with a reply to command " + r.message().header().command());
                        }
                        return r.message();
                    }
                    case Mailbox.Command c -> handleWhileWaiting(c.message());
                    case Mailbox.Ended e -> {
                        answered = true; // nothing more will come
                        throw new RemoteMemory.Unreachable(what + " got no reply: " + e.why());
                    }
                    case Mailbox.TimedOut t -> throw new RemoteMemory.Unreachable("the vfio-user client did not answer " + what
                            + " (message " + id + ") within " + timeout.toMillis() + " ms");
                }
            }
        } catch (IOException e) {
            throw new RemoteMemory.Unreachable(what + " could not be sent: " + e.getMessage());
        } finally {
            waiting--;
            mailbox.finish(id, !answered);
        }
    }

    /** A command that came while a DMA waits: handled and answered now, on the waiting thread. */
    private void handleWhileWaiting(VfioUserMessage m) {
        if (isClosed()) {
            m.fds().forEach(PassedFd::close);
            return;
        }
        try {
            handle(m);
        } catch (IOException e) { // the answer could not be sent: the connection is broken, the DMA's reply will not come
            note("the answer to message " + m.header().id() + ", handled while a DMA waited, could not be sent: " + e.getMessage());
        }
    }

    /** The most data one DMA_READ or DMA_WRITE may carry: the negotiated max_data_xfer_size. */
    private long maxTransfer() {
        VersionCaps.Answer a = caps;
        return a == null ? VersionCaps.DEFAULT_MAX_DATA_XFER : a.maxDataXferSize();
    }

    /** The DMA ranges the client gave without an fd, which the device reaches by DMA_READ and DMA_WRITE. */
    public List<InBandRange> inBandRanges() {
        List<InBandRange> out = new ArrayList<>();
        kernel.locked(() -> dma.stream().filter(e -> e.mapping() == null).forEach(e -> out.add(new InBandRange(e.iova(), e.size()))));
        return List.copyOf(out);
    }

    /**
     * What went wrong that the client may not have been told: every failed command (with NO_REPLY
     * it is the only record) and interrupts that could not be forwarded; oldest first.
     */
    public synchronized List<String> log() {
        return List.copyOf(log);
    }

    /** The device this server serves (its descriptor in the simulated kernel). */
    public VfioDevice device() {
        return device;
    }

    private synchronized void note(String line) {
        if (log.size() < 10_000) {
            log.add(line);
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Closes the device, the simulated eventfds, the client's memory mappings and descriptors, the
     * group and the container (in the order a process's exit would release them); the channel stays
     * open. A second close does nothing. Called from another thread, it ends {@link #serve()} and
     * faults a DMA waiting for the client; the reader thread ends when the caller closes the channel.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        mailbox.close(); // a DMA waiting for the client gives up, so the kernel lock comes free
        closeQuietly(device); // vfio_pci_core_close_device: interrupts off, so nothing signals the eventfds below
        kernel.locked(() -> {
            try {
                irqs.closeAll();
            } catch (RuntimeException e) {
                // the kernel was closed under us: its eventfds went with it
            }
            dma.forEach(this::release);
            dma.clear();
        });
        closeQuietly(group);
        closeQuietly(container);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // already closed (the kernel was closed under us): nothing left to release
        }
    }

    private static void closeAll(List<PassedFd> fds) {
        fds.forEach(PassedFd::close);
    }

    private static void need(byte[] p, int size, String what) {
        if (p.length < size) {
            throw new Malformed(what + " needs " + size + " bytes of payload, not " + p.length);
        }
    }

    private static MemorySegment seg(byte[] p) {
        return MemorySegment.ofArray(p);
    }

    private static MemorySegment buffer(long size) {
        return MemorySegment.ofArray(new long[(int) ((size + 7) / 8)]).asSlice(0, size);
    }

    /** A message the protocol does not allow: answered EINVAL. */
    private static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String why) {
            super(why, null, false, false);
        }
    }

    /** What the server answers: a payload, or an errno with the reason for the log. */
    private record Reply(int errno, byte[] payload, String why) {
        static Reply ok(byte[] payload) {
            return new Reply(0, payload, null);
        }

        static Reply error(int errno, String why) {
            return new Reply(errno, null, why);
        }
    }
}
