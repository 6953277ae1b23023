package org.vfio4j;

/**
 * An inclusive range {@code [start, end]} of I/O virtual addresses, as in {@code struct
 * vfio_iova_range}: what VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE reports as usable for DMA. Addresses
 * are unsigned 64-bit values.
 */
public record IovaRange(long start, long end) {
    /** Rejects a range whose start is above its end (unsigned). */
    public IovaRange {
        if (Long.compareUnsigned(start, end) > 0) {
            throw new IllegalArgumentException("IOVA range start after end: " + this);
        }
    }

    /** Whether {@code [first, last]} lies wholly inside this range. */
    public boolean contains(long first, long last) {
        return Long.compareUnsigned(first, start) >= 0 && Long.compareUnsigned(last, end) <= 0
                && Long.compareUnsigned(first, last) <= 0;
    }

    @Override
    public String toString() {
        return String.format("[0x%x, 0x%x]", start, end);
    }
}
