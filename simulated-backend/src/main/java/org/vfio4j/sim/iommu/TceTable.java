package org.vfio4j.sim.iommu;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.vfio4j.Errno;
import org.vfio4j.sim.core.HostFacts;
import org.vfio4j.sim.core.KernelError;

/**
 * One DMA window of an sPAPR container: the TCE table a POWER8/9 PHB translates it with ({@code
 * struct iommu_table} as {@code pnv_pci_ioda2_create_table} builds it). The window covers entries
 * [{@code offset}, {@code offset + size}) of IOMMU pages of {@code 1 << pageShift} bytes; each
 * entry (TCE) names the page of memory behind it and whether the device may write it.
 *
 * <p>Entries are kept by their index from the window's first entry. A MAP_DMA that starts in the
 * window and runs past its end is not range-checked by the kernel ({@code iommu_tce_check_ioba}
 * checks only the first page): {@code pnv_tce} then computes addresses past the table's last
 * level and writes the TCEs there. This table keeps such entries under their indexes past {@link
 * #size()}, where UNMAP_DMA finds them again as the kernel does, and where no device access ever
 * reaches them: the PHB translates only the window.
 */
final class TceTable {
    /** The host's {@code PAGE_SHIFT}: a table level is at least one page. */
    private static final int PAGE_SHIFT = Long.numberOfTrailingZeros(HostFacts.PAGE_SIZE);

    /**
     * One TCE: the process address it was made from, the memory behind it (null once gone), whether
     * the device may write through it, and the preregistered region it uses (v2), or null (v1).
     */
    record Tce(long ua, MemorySegment memory, boolean deviceWrites, PreregisteredMemory.Region region) {}

    private final int slot;
    private final int pageShift;
    private final long offset;
    private final long size;
    private final int levels;
    private final long allocatedPages;
    private final TreeMap<Long, Tce> entries = new TreeMap<>();

    private TceTable(int slot, int pageShift, long offset, long size, int levels, long allocatedPages) {
        this.slot = slot;
        this.pageShift = pageShift;
        this.offset = offset;
        this.size = size;
        this.levels = levels;
        this.allocatedPages = allocatedPages;
    }

    /**
     * {@code pnv_pci_ioda2_get_table_size}: the bytes of the table of a window of {@code
     * windowSize} bytes (a power of two, at least one IOMMU page) in {@code levels} levels, twice
     * (the hardware table and the kernel's copy of the user addresses). The kernel returns 0, and
     * TCE_CREATE fails EINVAL, for levels 0 or past the PHB's maximum and for a size that is not a
     * power of two: the caller checks those first.
     */
    static long tableBytes(int pageShift, long windowSize, int levels) {
        int entriesShift = Long.numberOfTrailingZeros(windowSize) - pageShift;
        long tceTableSize = Math.max(0x1000L, 1L << (entriesShift + 3));
        int directShift = Math.max((entriesShift + levels - 1) / levels + 3, PAGE_SHIFT);
        long direct = 1L << directShift;
        long bytes = 0;
        for (int l = levels; l > 0; l--) {
            bytes += (tceTableSize + direct - 1) & -direct;
            tceTableSize = Math.max(tceTableSize / direct * 8, direct);
        }
        return bytes + bytes;
    }

    /**
     * {@code pnv_pci_ioda2_table_alloc_pages}: the table for a window of {@code windowSize} bytes at
     * {@code busOffset} in slot {@code slot}, whose memory was charged as {@code chargedPages}
     * ({@code it_allocated_size}, {@code pnv_pci_ioda2_create_table_userspace}). Fails EINVAL when the
     * levels would index more than 55 address bits. A window always has at least one 4 KiB page of
     * TCEs: 512 entries, whatever smaller size was asked ({@code pnv_pci_setup_iommu_table}).
     */
    static TceTable allocate(int slot, long busOffset, int pageShift, long windowSize, int levels, long chargedPages)
            throws KernelError {
        int entriesShift = Long.numberOfTrailingZeros(windowSize) - pageShift;
        int levelShift = Math.max((entriesShift + levels - 1) / levels + 3, PAGE_SHIFT);
        if ((long) (levelShift - 3) * levels + pageShift >= 55) {
            throw KernelError.of(Errno.EINVAL, String.format("%d levels of 2^%d TCEs each over %d-bit IOMMU pages would"
                    + " index 55 or more address bits (pnv_pci_ioda2_table_alloc_pages)", levels, levelShift - 3, pageShift));
        }
        long tceTableSize = 1L << Math.max(entriesShift + 3, PAGE_SHIFT);
        return new TceTable(slot, pageShift, busOffset >>> pageShift, tceTableSize >>> 3, levels, chargedPages);
    }

    int slot() {
        return slot;
    }

    int pageShift() {
        return pageShift;
    }

    long pageSize() {
        return 1L << pageShift;
    }

    /** The window's first entry ({@code it_offset}). */
    long offset() {
        return offset;
    }

    /** The window's entries ({@code it_size}). */
    long size() {
        return size;
    }

    int levels() {
        return levels;
    }

    /** The window's bus address, what TCE_CREATE returns as {@code start_addr}. */
    long start() {
        return offset << pageShift;
    }

    /** The window's size in bytes. */
    long bytes() {
        return size << pageShift;
    }

    /** The pages its memory was charged with ({@code it_allocated_size >> PAGE_SHIFT}). */
    long allocatedPages() {
        return allocatedPages;
    }

    /** Whether the window holds bus address {@code ioba} ({@code tce_iommu_find_table}). */
    boolean contains(long ioba) {
        long entry = ioba >>> pageShift;
        return entry >= offset && entry - offset < size;
    }

    /** {@code iommu_tce_xchg_no_kill}: puts {@code tce} at entry {@code entry} (or clears it, null); the TCE it replaced, or null. */
    Tce exchange(long entry, Tce tce) {
        long index = entry - offset;
        return tce == null ? entries.remove(index) : entries.put(index, tce);
    }

    /**
     * Clears {@code pages} entries from {@code entry} on ({@code tce_iommu_clear}), past the
     * window's end too; the TCEs that were set there, in entry order.
     */
    List<Tce> clear(long entry, long pages) {
        if (pages <= 0) {
            return List.of();
        }
        long from = entry - offset;
        Map<Long, Tce> range = Long.MAX_VALUE - from < pages ? entries.tailMap(from, true) : entries.subMap(from, true, from + pages, false);
        List<Tce> cleared = new ArrayList<>(range.values());
        range.clear();
        return cleared;
    }

    /** Clears every entry; the TCEs that were set. */
    List<Tce> clearAll() {
        List<Tce> cleared = new ArrayList<>(entries.values());
        entries.clear();
        return cleared;
    }

    /** The TCE the PHB translates bus address {@code ioba} with, or null: only entries inside the window. */
    Tce translation(long ioba) {
        return contains(ioba) ? entries.get((ioba >>> pageShift) - offset) : null;
    }

    /** The TCEs set, by index from the window's first entry (indexes past {@link #size()} are outside it). */
    Map<Long, Tce> entries() {
        return Collections.unmodifiableMap(entries);
    }

    @Override
    public String toString() {
        return String.format("window %d [0x%x, +0x%x) of %s TCEs", slot, start(), bytes(), pageSizeName(pageShift));
    }

    /** {@code 4K}, {@code 64K}, {@code 2M}, {@code 1G}: an IOMMU page size for messages. */
    static String pageSizeName(int shift) {
        return shift >= 30 ? (1L << (shift - 30)) + "G" : shift >= 20 ? (1L << (shift - 20)) + "M"
                : shift >= 10 ? (1L << (shift - 10)) + "K" : (1L << shift) + "B";
    }
}
