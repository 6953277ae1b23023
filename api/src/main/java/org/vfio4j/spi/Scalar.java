package org.vfio4j.spi;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One little-endian access of 1, 2, 4 or 8 bytes to a segment, as a register access makes it: a
 * single get or set of that width (no alignment required), the value zero-extended to a
 * {@code long}. The typed API's register accessors, the kernel backend's loads and stores through a
 * mapping and the simulator's plain device memory share it.
 */
public final class Scalar {
    private Scalar() {}

    /** The {@code size}-byte value at {@code offset}, zero-extended; {@code size} is 1, 2, 4 or 8. */
    public static long get(MemorySegment segment, long offset, int size) {
        return switch (size) {
            case 1 -> segment.get(ValueLayout.JAVA_BYTE, offset) & 0xffL;
            case 2 -> segment.get(ValueLayout.JAVA_SHORT_UNALIGNED, offset) & 0xffffL;
            case 4 -> segment.get(ValueLayout.JAVA_INT_UNALIGNED, offset) & 0xffff_ffffL;
            case 8 -> segment.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
            default -> throw new IllegalArgumentException("a scalar access is 1, 2, 4 or 8 bytes, not " + size);
        };
    }

    /** Stores the low {@code size} bytes of {@code value} at {@code offset}; {@code size} is 1, 2, 4 or 8. */
    public static void put(MemorySegment segment, long offset, int size, long value) {
        switch (size) {
            case 1 -> segment.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
            case 2 -> segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset, (short) value);
            case 4 -> segment.set(ValueLayout.JAVA_INT_UNALIGNED, offset, (int) value);
            case 8 -> segment.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, value);
            default -> throw new IllegalArgumentException("a scalar access is 1, 2, 4 or 8 bytes, not " + size);
        }
    }
}
