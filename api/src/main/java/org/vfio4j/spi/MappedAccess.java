package org.vfio4j.spi;

import java.lang.foreign.MemorySegment;

/**
 * The rules of {@link VfioKernel#load} and {@link VfioKernel#store} that do not depend on the
 * backend, in one place so that both backends refuse the same calls with the same sentences: a
 * mapping, a width of 1, 2, 4 or 8 bytes, an offset that is a multiple of it, an access inside
 * the mapping. Whether the segment is a live mapping each backend checks itself, between the two.
 */
public final class MappedAccess {
    private MappedAccess() {}

    /**
     * The call's own shape: a mapping, a width of 1, 2, 4 or 8, natural alignment.
     *
     * @throws IllegalArgumentException naming the rule broken
     */
    public static void requireShape(MemorySegment mapping, long offset, int size) {
        if (mapping == null) {
            throw new IllegalArgumentException("a mapped access needs the segment mmap returned, not null");
        }
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("a mapped access is 1, 2, 4 or 8 bytes, not " + size);
        }
        if ((offset & (size - 1)) != 0) {
            throw new IllegalArgumentException(String.format("a %d-byte mapped access at 0x%x is not aligned to its size: device"
                    + " memory takes naturally aligned loads and stores only (VfioKernel.load)", size, offset));
        }
    }

    /**
     * The access lies inside the mapping.
     *
     * @throws IllegalArgumentException when it leaves the mapping
     */
    public static void requireInside(MemorySegment mapping, long offset, int size) {
        if (offset < 0 || offset > mapping.byteSize() - size) {
            throw new IllegalArgumentException(String.format("a %d-byte access at 0x%x leaves the 0x%x-byte mapping", size, offset,
                    mapping.byteSize()));
        }
    }
}
