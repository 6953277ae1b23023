package org.vfio4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import org.vfio4j.uapi.CLayout;

/** Small helpers to fill and read ioctl argument structs in heap memory by member name offsets. */
final class Structs {
    private Structs() {}

    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    /** A zeroed buffer of {@code size} bytes, 8-byte aligned. */
    static MemorySegment buffer(long size) {
        return MemorySegment.ofArray(new long[(int) ((size + 7) / 8)]).asSlice(0, size);
    }

    /** A zeroed struct of {@code size} bytes whose first member, {@code argsz}, says so. */
    static MemorySegment withArgsz(long size) {
        MemorySegment s = buffer(size);
        s.set(U32, 0, (int) size);
        return s;
    }

    /** A little-endian value of {@code size} bytes (1, 2, 4 or 8) at {@code at}, zero-extended. */
    static long getScalar(MemorySegment m, long at, int size) {
        return switch (size) {
            case 1 -> m.get(ValueLayout.JAVA_BYTE, at) & 0xffL;
            case 2 -> m.get(ValueLayout.JAVA_SHORT_UNALIGNED, at) & 0xffffL;
            case 4 -> m.get(ValueLayout.JAVA_INT_UNALIGNED, at) & 0xffff_ffffL;
            default -> m.get(ValueLayout.JAVA_LONG_UNALIGNED, at);
        };
    }

    /** Stores the low {@code size} bytes (1, 2, 4 or 8) of {@code v} at {@code at}, little-endian. */
    static void putScalar(MemorySegment m, long at, int size, long v) {
        switch (size) {
            case 1 -> m.set(ValueLayout.JAVA_BYTE, at, (byte) v);
            case 2 -> m.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) v);
            case 4 -> m.set(ValueLayout.JAVA_INT_UNALIGNED, at, (int) v);
            default -> m.set(ValueLayout.JAVA_LONG_UNALIGNED, at, v);
        }
    }

    static long offset(StructLayout layout, String member) {
        return CLayout.offsetOf(layout, member);
    }
}
