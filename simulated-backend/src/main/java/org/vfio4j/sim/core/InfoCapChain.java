package org.vfio4j.sim.core;

import static org.vfio4j.uapi.VfioStructs.vfio_info_cap_header;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The capability chain of a VFIO info ioctl, one writer for all of them ({@code
 * drivers/vfio/vfio_main.c}): {@code vfio_info_cap_add} appends a capability with its header (id,
 * version, next), {@code vfio_info_cap_shift} turns each {@code next} into an offset from the start
 * of the info struct, and {@link #place} is the tail every GET_INFO handler shares: the chain goes
 * right after the struct when {@code argsz} has room for it, else {@code argsz} grows to what it
 * needs and {@code cap_offset} is 0. Used by type1's IOMMU_GET_INFO and vfio-pci's
 * GET_REGION_INFO.
 *
 * <p>Up to 6.1 capabilities are packed at their exact sizes, unaligned (verified on 6.1: type1's
 * 12-byte DMA_AVAIL puts IOVA_RANGE at offset 68); from 6.6 {@code vfio_info_cap_add} rounds each
 * up to 8 bytes with zeros ("vfio: align capability structures", verified on 6.12: IOVA_RANGE at 72).
 */
public final class InfoCapChain {
    private final List<byte[]> caps = new ArrayList<>();
    private final boolean aligned;

    /** A chain whose capabilities are rounded up to 8 bytes when {@code aligned} ({@code KernelProfile.copiesWholeInfoStructs}). */
    public InfoCapChain(boolean aligned) {
        this.aligned = aligned;
    }

    /** Where the chain went, for the handler to write back: the (maybe grown) argsz and cap_offset. */
    public record Placement(int argsz, int capOffset) {
        /** Whether the chain was copied out after the struct. */
        public boolean written() {
            return capOffset != 0;
        }
    }

    /**
     * {@code vfio_info_cap_add}: appends a capability of {@code size} bytes, header included, and
     * returns it in native byte order with id and version set, for the caller to fill the fields
     * after the header at their struct offsets.
     */
    public ByteBuffer add(int id, int version, int size) {
        byte[] bytes = new byte[aligned ? (size + 7) & ~7 : size];
        caps.add(bytes);
        return ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder())
                .putShort(vfio_info_cap_header.id, (short) id)
                .putShort(vfio_info_cap_header.version, (short) version);
    }

    /** {@code vfio_info_add_capability}: appends a capability given its header fields and the bytes after the header. */
    public void add(int id, int version, byte[] body) {
        add(id, version, vfio_info_cap_header.SIZE + body.length).put(vfio_info_cap_header.SIZE, body);
    }

    public boolean isEmpty() {
        return caps.isEmpty();
    }

    /** The chain's length in bytes. */
    int size() {
        int size = 0;
        for (byte[] c : caps) {
            size += c.length;
        }
        return size;
    }

    /** The chain as it is copied out at offset {@code base} of the info struct, each {@code next} relative to the struct (0 ends it). */
    byte[] bytes(int base) {
        byte[] out = new byte[size()];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.nativeOrder());
        int at = 0;
        for (int i = 0; i < caps.size(); i++) {
            byte[] c = caps.get(i);
            System.arraycopy(c, 0, out, at, c.length);
            b.putInt(at + vfio_info_cap_header.next, i + 1 < caps.size() ? base + at + c.length : 0);
            at += c.length;
        }
        return out;
    }

    /**
     * The shared tail of the GET_INFO handlers: with room in {@code argsz} for an {@code infoSize}-byte
     * struct and the chain, copies the chain out right after the struct ({@code copy_to_user}, EFAULT
     * naming {@code what} if it cannot) and answers cap_offset = {@code infoSize}; without room,
     * copies nothing and answers the argsz the chain needs and cap_offset 0. An empty chain copies
     * nothing and leaves argsz as it came.
     */
    public Placement place(UserArg arg, int argsz, int infoSize, String what) throws KernelError {
        if (caps.isEmpty()) {
            return new Placement(argsz, 0);
        }
        int needed = infoSize + size();
        if (Integer.compareUnsigned(argsz, needed) < 0) {
            return new Placement(needed, 0); // tell the caller how much room the chain needs
        }
        byte[] chain = bytes(infoSize);
        arg.checkWritable(infoSize, chain.length, what);
        arg.putBytes(infoSize, chain);
        return new Placement(argsz, infoSize);
    }
}
