package org.vfio4j.sim.device;

import java.util.List;
import java.util.Objects;

/**
 * One Base Address Register of an emulated function and what sits behind it.
 *
 * @param index        0-5; a 64-bit BAR also takes {@code index + 1}
 * @param size         a power of two: at least 16 bytes for memory, 4 for I/O
 * @param kind         32/64-bit memory or I/O
 * @param prefetchable the prefetchable bit of a memory BAR
 * @param ranges       memory and trapped ranges covering {@code [0, size)} in order
 */
public record Bar(int index, long size, BarKind kind, boolean prefetchable, List<BarRange> ranges) {
    /** Validates the BAR as PCI defines it; fails naming the field that does not fit. */
    public Bar {
        Objects.requireNonNull(kind, "kind");
        ranges = List.copyOf(ranges);
        if (index < 0 || index > 5 || (kind == BarKind.MEMORY64 && index > 4)) {
            throw new IllegalArgumentException("BAR index " + index + " does not fit a " + kind + " BAR (0-5, a 64-bit BAR needs two)");
        }
        if (Long.bitCount(size) != 1 || size < (kind == BarKind.IO ? 4 : 16) || (kind == BarKind.MEMORY32 && size > 1L << 31)
                || (kind == BarKind.IO && size > 256)) {
            throw new IllegalArgumentException("BAR" + index + " size 0x" + Long.toHexString(size) + " is not a power of two a "
                    + kind + " BAR can decode");
        }
        if (prefetchable && kind == BarKind.IO) {
            throw new IllegalArgumentException("an I/O BAR cannot be prefetchable");
        }
        long at = 0;
        for (BarRange r : ranges) {
            if (r.offset() != at || r.size() <= 0) {
                throw new IllegalArgumentException("BAR" + index + " ranges must tile it in order: expected a range at 0x"
                        + Long.toHexString(at) + ", got " + r);
            }
            at = r.end();
        }
        if (at != size) {
            throw new IllegalArgumentException("BAR" + index + " ranges cover 0x" + Long.toHexString(at) + " of 0x" + Long.toHexString(size) + " bytes");
        }
    }

    /** A BAR that is all memory. */
    public static Bar memory(int index, long size, BarKind kind, boolean prefetchable) {
        return new Bar(index, size, kind, prefetchable, List.of(new BarRange.Memory(0, size)));
    }

    /** A BAR that is all registers. */
    public static Bar registers(int index, long size, BarKind kind, MmioHandler handler) {
        return new Bar(index, size, kind, false, List.of(new BarRange.Trapped(0, size, handler)));
    }
}
