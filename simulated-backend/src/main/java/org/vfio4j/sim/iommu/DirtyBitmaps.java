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

    DirtyBitmaps(ProcessMemory memory) {
        this.memory = memory;
    }

    /** Whether START turned tracking on ({@code iommu->dirty_page_tracking}). */
    boolean tracking() {
        return tracking;
    }

    /** START: a second START changes nothing and succeeds ({@code vfio_iommu_type1_dirty_pages}). */
    void start() {
        tracking = true;
    }

    /** STOP: also when tracking is off, it succeeds and changes nothing ({@code vfio_iommu_type1_dirty_pages}). */
    void stop() {
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
     * {@code update_user_bitmap}: writes the bits of {@code dma}, all set, at its page offset from
     * {@code base} in the user's bitmap, in whole u64 words. Bits of the first word below the
     * mapping are read back from the user and kept; bits of the last word past the mapping are
     * cleared. EFAULT when the words are not writable memory of the process.
     */
    void copyOut(UserBitmap b, long base, Type1Iommu.Dma dma) throws KernelError {
        int pgshift = b.pgshift();
        long nbits = dma.size() >>> pgshift;
        long bitOffset = (dma.iova() - base) >>> pgshift;
        long shift = bitOffset % 64;
        long at = b.data() + bitOffset / 64 * Long.BYTES;
        long bytes = bitmapBytes(nbits + shift);
        MemorySegment words = memory.resolve(at, bytes);
        if (words == null || words.byteSize() < bytes || words.isReadOnly()) {
            throw KernelError.of(Errno.EFAULT, String.format("the bitmap words [0x%x, +0x%x) for mapping [0x%x, +0x%x) are not"
                    + " writable memory of this process (copy_to_user in update_user_bitmap)", at, bytes, dma.iova(), dma.size()));
        }
        long leftover = shift == 0 ? 0 : words.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) & ((1L << shift) - 1);
        long first = shift;
        long last = shift + nbits; // exclusive, in bits from the first word
        for (long w = 0; w * 64 < last; w++) {
            long lo = Math.max(first, w * 64) - w * 64;
            long hi = Math.min(last, w * 64 + 64) - w * 64;
            long bits = hi - lo == 64 ? -1L : ((1L << (hi - lo)) - 1) << lo;
            words.set(ValueLayout.JAVA_LONG_UNALIGNED, w * Long.BYTES, w == 0 ? bits | leftover : bits);
        }
    }
}
