package org.vfio4j.sim.user;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.LongSupplier;
import org.vfio4j.Errno;
import org.vfio4j.sim.device.RemoteMemory;
import org.vfio4j.user.VfioUserCommand;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

/**
 * One DMA range the client gave without an fd, as the simulated kernel's IOMMU reaches it: every
 * access becomes DMA_READ or DMA_WRITE messages to the client (vfio-user.rst, "VFIO_USER_DMA_READ",
 * "VFIO_USER_DMA_WRITE"), one per piece of at most the negotiated {@code max_data_xfer_size}, each
 * sent and awaited by {@link Exchange} (which keeps serving the client meanwhile). A reply that is an
 * error, or whose size, address or count is not the request's, ends the access with {@link
 * RemoteMemory.Unreachable}: the device sees an IOMMU fault.
 *
 * <p>The layout is the specification's, which QEMU 11.1.3 speaks: the address as a u64 at 0, the
 * count as a u64 at 8, the data from byte 16 on (checked against QEMU's replies by {@code
 * vfio-user-smoke --ram anonymous}). QEMU answers a DMA_WRITE with the header alone; a reply that
 * echoes the address and the count (as a u32, the specification's reply table, or a u64) is taken
 * too.
 */
final class InBandMemory implements RemoteMemory {
    /** Bytes of the address and count before the data. */
    static final int DATA_AT = 16;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    /** Sends a request to the client and returns its reply, serving the client meanwhile. */
    @FunctionalInterface
    interface Exchange {
        /**
         * The client's reply to {@code command} with {@code payload} ({@code what} names the request in
         * failures).
         *
         * @throws RemoteMemory.Unreachable when no reply comes (end of connection, timeout, close)
         */
        VfioUserMessage request(VfioUserCommand command, byte[] payload, String what) throws RemoteMemory.Unreachable;
    }

    private final long iova;
    private final Exchange exchange;
    private final LongSupplier maxTransfer;

    /**
     * The range starting at the client's DMA address {@code iova}; {@code maxTransfer} gives the
     * negotiated largest data of one message.
     */
    InBandMemory(long iova, Exchange exchange, LongSupplier maxTransfer) {
        this.iova = iova;
        this.exchange = exchange;
        this.maxTransfer = maxTransfer;
    }

    @Override
    public void read(long offset, MemorySegment dst) throws Unreachable {
        inPieces(offset, dst.byteSize(), (address, n, done) -> {
            String what = String.format("DMA_READ of 0x%x bytes at 0x%x", n, address);
            VfioUserMessage reply = exchange.request(VfioUserCommand.DMA_READ, request(address, n, 0), what);
            byte[] p = checked(reply, what, DATA_AT + n);
            check(p, address, n, what);
            MemorySegment.copy(MemorySegment.ofArray(p), DATA_AT, dst, done, n);
        });
    }

    @Override
    public void write(long offset, MemorySegment src) throws Unreachable {
        inPieces(offset, src.byteSize(), (address, n, done) -> {
            String what = String.format("DMA_WRITE of 0x%x bytes at 0x%x", n, address);
            byte[] p = request(address, n, n);
            MemorySegment.copy(src, done, MemorySegment.ofArray(p), DATA_AT, n);
            byte[] r = checked(exchange.request(VfioUserCommand.DMA_WRITE, p, what), what, -1);
            if (r.length != 0) {
                if (r.length != 12 && r.length != DATA_AT) {
                    throw new Unreachable("the vfio-user client's reply to " + what + " has " + r.length + " bytes of payload; a"
                            + " DMA_WRITE reply has none, 12 or " + DATA_AT);
                }
                check(r, address, n, what);
            }
        });
    }

    /** One message's worth of a transfer: {@code n} bytes at the client's {@code address}, {@code done} bytes into it. */
    @FunctionalInterface
    private interface Piece {
        void move(long address, int n, long done) throws Unreachable;
    }

    /** Runs {@code piece} for each piece of at most max_data_xfer_size bytes of {@code size} bytes at {@code offset}, in order. */
    private void inPieces(long offset, long size, Piece piece) throws Unreachable {
        long most = Math.max(1, Math.min(maxTransfer.getAsLong(), Integer.MAX_VALUE - DATA_AT));
        for (long done = 0; done < size; done += most) {
            piece.move(iova + offset + done, (int) Math.min(most, size - done), done);
        }
    }

    @Override
    public String describe(boolean write) {
        return write ? "into the vfio-user client's memory by DMA_WRITE" : "out of the vfio-user client's memory by DMA_READ";
    }

    /** A request's payload: the address, the count and room for {@code data} bytes. */
    private static byte[] request(long address, int count, int data) {
        byte[] p = new byte[DATA_AT + data];
        MemorySegment s = MemorySegment.ofArray(p);
        s.set(U64, 0, address);
        s.set(U64, 8, count);
        return p;
    }

    /** The reply's payload after the checks every reply gets: not an error, the request's command, {@code size} bytes (-1: any). */
    private static byte[] checked(VfioUserMessage reply, String what, int size) throws Unreachable {
        reply.fds().forEach(org.vfio4j.user.PassedFd::close);
        VfioUserHeader h = reply.header();
        if (h.isError()) {
            Errno e = Errno.of(h.error());
            throw new Unreachable("the vfio-user client answered " + what + " with errno " + h.error()
                    + (e == Errno.UNKNOWN ? "" : " (" + e.name() + ", " + e.description() + ")")
                    + (h.error() == Errno.ENODEV.number() ? "; QEMU answers so while bus mastering is off in its view of the device" : ""));
        }
        if (size >= 0 && reply.payload().length != size) {
            throw new Unreachable("the vfio-user client's reply to " + what + " has " + reply.payload().length + " bytes of payload, not "
                    + size);
        }
        return reply.payload();
    }

    /** The reply echoes the request's address and count (a u32 in a 12-byte reply, else a u64). */
    private static void check(byte[] p, long address, int count, String what) throws Unreachable {
        MemorySegment s = MemorySegment.ofArray(p);
        long a = s.get(U64, 0);
        long c = p.length == 12 ? Integer.toUnsignedLong(s.get(U32, 8)) : s.get(U64, 8);
        if (a != address || c != count) {
            throw new Unreachable(String.format("the vfio-user client's reply to %s says 0x%x bytes at 0x%x", what, c, a));
        }
    }
}
