package org.vfio4j.conformance.user;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The payloads of vfio-user commands as QEMU's client lays them out (vfio-user.rst, host byte
 * order), built field by field for the tests' client, and the wire form of a header for frames
 * that are no valid message.
 */
final class Requests {
    private Requests() {}

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    /** The capabilities QEMU 10.1's {@code vfio-user-pci} proposes in its VERSION. */
    static final String QEMU_CAPABILITIES = "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,"
            + "\"pgsizes\":4096,\"max_dma_maps\":65535,\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":1048576},"
            + "\"write_multiple\":true}}";

    /** VERSION: major, minor, then the JSON and its NUL. */
    static byte[] version(int major, int minor, String json) {
        byte[] text = json.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[4 + text.length + 1];
        MemorySegment s = MemorySegment.ofArray(p);
        s.set(U16, 0, (short) major);
        s.set(U16, 2, (short) minor);
        System.arraycopy(text, 0, p, 4, text.length);
        return p;
    }

    /** 32-bit fields in a row: the VFIO info structs (argsz, flags, index, ...). */
    static byte[] ints(int... values) {
        byte[] p = new byte[4 * values.length];
        for (int i = 0; i < values.length; i++) {
            MemorySegment.ofArray(p).set(U32, 4L * i, values[i]);
        }
        return p;
    }

    /** REGION_READ or REGION_WRITE: offset, region, count, then the data of a write. */
    static byte[] access(long offset, int region, int count, byte[] data) {
        byte[] p = new byte[16 + data.length];
        MemorySegment s = MemorySegment.ofArray(p);
        s.set(U64, 0, offset);
        s.set(U32, 8, region);
        s.set(U32, 12, count);
        System.arraycopy(data, 0, p, 16, data.length);
        return p;
    }

    /** The low {@code size} bytes of {@code value}, in host byte order. */
    static byte[] bytes(long value, int size) {
        byte[] data = new byte[size];
        MemorySegment.copy(MemorySegment.ofArray(new long[] {value}), 0, MemorySegment.ofArray(data), 0, size);
        return data;
    }

    /** DMA_MAP: argsz 32, flags (1 read, 2 write), offset into the fd, the client's address, size. */
    static byte[] dmaMap(int flags, long offset, long iova, long size) {
        byte[] p = new byte[32];
        MemorySegment s = MemorySegment.ofArray(p);
        s.set(U32, 0, 32);
        s.set(U32, 4, flags);
        s.set(U64, 8, offset);
        s.set(U64, 16, iova);
        s.set(U64, 24, size);
        return p;
    }

    /** DMA_UNMAP: argsz 24, flags, address, size. */
    static byte[] dmaUnmap(int flags, long iova, long size) {
        byte[] p = new byte[24];
        MemorySegment s = MemorySegment.ofArray(p);
        s.set(U32, 0, 24);
        s.set(U32, 4, flags);
        s.set(U64, 8, iova);
        s.set(U64, 16, size);
        return p;
    }

    /** DEVICE_SET_IRQS without data after the struct: argsz 20, flags, index, start, count. */
    static byte[] setIrqs(int flags, int index, int start, int count) {
        return ints(20, flags, index, start, count);
    }

    /** A header as the wire has it: id u16, command u16, size u32, flags u32, error u32, in host byte order. */
    static byte[] rawHeader(int id, int command, long size, int flags, int error) {
        return ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                .putShort((short) id).putShort((short) command).putInt((int) size).putInt(flags).putInt(error).array();
    }

    /** {@code a} then {@code b}. */
    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
