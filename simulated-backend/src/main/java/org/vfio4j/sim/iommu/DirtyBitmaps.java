package org.vfio4j.sim.iommu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.vfio4j.Errno;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.ProcessMemory;

/**
 * Type1's dirty-page tracking as Linux 6.1 does it without hardware dirty tracking
 * ({@code drivers/vfio/vfio_iommu_type1.c}): a switch (START/STOP of VFIO_IOMMU_DIRTY_PAGES), the
 * checks of a user bitmap ({@code access_ok}, {@code verify_bitmap_size}), and the copy-out of one
 * mapping's bits ({@code update_user_bitmap}). Every group the simulator attaches is a vfio-pci
 * group, which never pins pages through {@code vfio_pin_pages}, so {@code num_non_pinned_groups}
 * is never 0 and every page of every mapping reads dirty, each time it is asked.
 */
final class DirtyBitmaps {

    /** {@code DIRTY_BITMAP_SIZE_MAX}: the bytes of a bitmap for INT_MAX pages, rounded up to u64 words. */
    static final long SIZE_MAX = 1L << 28;
    /** x86-64 {@code TASK_SIZE_MAX} with 4-level paging: {@code access_ok} refuses ranges ending past it. */
    static final long TASK_SIZE_MAX = (1L << 47) - 4096;

    private final ProcessMemory memory;
    private boolean tracking;
    /**
     * Each mapping's {@code dma->bitmap}, made zero when tracking starts or on the mapping's first
     * report, dropped when tracking stops ({@code vfio_dma_bitmap_alloc}, {@code
     * vfio_dma_bitmap_free_all}); weak, so an unmapped mapping's goes with it.
     */
    private java.util.Map<Type1Iommu.Dma, long[]> bitmaps; // made by the first START: most containers never track

    DirtyBitmaps(ProcessMemory memory) {
        this.memory = memory;
    }

    /** Whether START turned tracking on ({@code iommu->dirty_page_tracking}). */
    boolean tracking() {
        return tracking;
    }

    /** START: a second START changes nothing and succeeds ({@code vfio_iommu_type1_dirty_pages}). */
    void start() {
        if (!tracking) {
            bitmaps = new java.util.WeakHashMap<>(); // vfio_dma_bitmap_alloc_all: fresh, zeroed bitmaps
        }
        tracking = true;
    }

    /** STOP: also when tracking is off, it succeeds and changes nothing ({@code vfio_iommu_type1_dirty_pages}). */
    void stop() {
        if (tracking) {
            bitmaps = null; // vfio_dma_bitmap_free_all
        }
        tracking = false;
    }

    /**
     * A user's {@code struct vfio_bitmap}.
     *
     * @param pgsize the page size one bit stands for
     * @param size   the bitmap's size in bytes
     * @param data   the bitmap's user address
     */
    record UserBitmap(long pgsize, long size, long data) {

        /** {@code __ffs(pgsize)}; 64 for 0, which as a shift count acts like 0, as x86's shift does. */
        int pgshift() {
            return Long.numberOfTrailingZeros(pgsize);
        }
    }

    /** {@code DIRTY_BITMAP_BYTES}: the bytes of whole u64 words holding {@code pages} bits. */
    static long bitmapBytes(long pages) {
        return Long.divideUnsigned(pages + 63, 64) * Long.BYTES;
    }

    /**
     * The checks both GET_BITMAP and UNMAP with GET_DIRTY_BITMAP make before taking the IOMMU lock:
     * {@code access_ok} on the bitmap, then {@code verify_bitmap_size} for the pages of {@code
     * rangeSize} at the bitmap's page size. Both fail EINVAL.
     */
    static void verify(UserBitmap b, long rangeSize, String caller) throws KernelError {
        long end = b.data() + b.size();
        if (Long.compareUnsigned(end, b.data()) < 0 || Long.compareUnsigned(end, TASK_SIZE_MAX) > 0) {
            throw KernelError.of(Errno.EINVAL, String.format("the bitmap [0x%x, +0x%x) is not user memory (access_ok in %s)",
                    b.data(), b.size(), caller));
        }
        long pages = rangeSize >>> b.pgshift();
        if (pages == 0 || b.size() == 0 || Long.compareUnsigned(b.size(), SIZE_MAX) > 0
                || Long.compareUnsigned(b.size(), bitmapBytes(pages)) < 0) {
            throw KernelError.of(Errno.EINVAL, String.format("a bitmap of 0x%x bytes does not fit 0x%x pages of 0x%x bytes: it must"
                    + " be non-empty, at most 2^28 bytes and hold one bit per page in whole u64 words (verify_bitmap_size in %s)",
                    b.size(), pages, b.pgsize(), caller));
        }
    }

    /**
     * {@code update_user_bitmap}, step for step, on the mapping's own bitmap (one bit per page, with
     * a word of room for shifting): every page is set (all pinned and mapped); when the mapping does
     * not start on a word of the user's bitmap, the bitmap is shifted left in place by that many
     * bits over {@code nbits + shift} bits ({@code bitmap_shift_left}, which masks nothing in its
     * last word) and the user's whole first word is ORed in ({@code bitmap_or} over one word); the
     * whole words are copied out; then only the first {@code nbits} bits are cleared ({@code
     * bitmap_clear}). So bits shifted past {@code nbits} stay, and a second report of such a
     * mapping shows them shifted again, as Linux 6.1 does (the lane saw it). EFAULT when the first
     * word cannot be read or the words cannot be written.
     */
    void copyOut(UserBitmap b, long base, Type1Iommu.Dma dma) throws KernelError {
        int pgshift = b.pgshift();
        long nbits = dma.size() >>> pgshift;
        long bitOffset = (dma.iova() - base) >>> pgshift;
        int shift = (int) (bitOffset % 64);
        long at = b.data() + bitOffset / 64 * Long.BYTES;
        long bytes = bitmapBytes(nbits + shift);
        int words = (int) (bytes / Long.BYTES);
        if (bitmaps == null) {
            bitmaps = new java.util.WeakHashMap<>();
        }
        long[] bits = bitmaps.computeIfAbsent(dma, d -> new long[(int) (bitmapBytes(nbits + 64) / Long.BYTES)]);
        setFirst(bits, nbits);
        if (shift != 0) {
            for (int k = words - 1; k >= 0; k--) { // __bitmap_shift_left, in place, from the top word down
                bits[k] = bits[k] << shift | (k > 0 ? bits[k - 1] >>> (64 - shift) : 0);
            }
            MemorySegment first = memory.resolve(at, Long.BYTES);
            if (first == null || first.byteSize() < Long.BYTES) {
                throw KernelError.of(Errno.EFAULT, String.format("the bitmap word at 0x%x for mapping [0x%x, +0x%x) is not"
                        + " readable memory of this process (copy_from_user in update_user_bitmap)", at, dma.iova(), dma.size()));
            }
            bits[0] |= first.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        }
        MemorySegment out = memory.resolve(at, bytes);
        if (out == null || out.byteSize() < bytes || out.isReadOnly()) {
            throw KernelError.of(Errno.EFAULT, String.format("the bitmap words [0x%x, +0x%x) for mapping [0x%x, +0x%x) are not"
                    + " writable memory of this process (copy_to_user in update_user_bitmap)", at, bytes, dma.iova(), dma.size()));
        }
        for (int w = 0; w < words; w++) {
            out.set(ValueLayout.JAVA_LONG_UNALIGNED, (long) w * Long.BYTES, bits[w]);
        }
        clearFirst(bits, nbits);
    }

    /** {@code bitmap_set(bits, 0, n)}. */
    private static void setFirst(long[] bits, long n) {
        for (long i = 0; i < n; i += 64) {
            bits[(int) (i / 64)] |= n - i >= 64 ? -1L : (1L << (n - i)) - 1;
        }
    }

    /** {@code bitmap_clear(bits, 0, n)}. */
    private static void clearFirst(long[] bits, long n) {
        for (long i = 0; i < n; i += 64) {
            bits[(int) (i / 64)] &= n - i >= 64 ? 0 : -(1L << (n - i));
        }
    }
}
