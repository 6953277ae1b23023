package org.vfio4j.conformance.power;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What {@link SpaprChains} believes of a chain's container, written from the sPAPR TCE driver's
 * rules ({@code drivers/vfio/vfio_iommu_spapr_tce.c}), and what it cannot rule out. It decides
 * two things: which calls would hit a kernel bug (those are never generated), and which results
 * are certain enough to be written as expectations.
 *
 * <ul>
 * <li>The IOMMU type: none, v1 or v2.</li>
 * <li>{@code enabled}, which MAP_DMA and UNMAP_DMA need first (EPERM otherwise): v1 gets it from
 *     VFIO_IOMMU_ENABLE and loses it with DISABLE; v2 gets it from its first successful
 *     REGISTER_MEMORY ({@code tce_iommu_register_pages}) and keeps it.</li>
 * <li>The two window slots: slot 0 at 0, slot 1 at 2^59. The default 2 GiB window of 4 KiB TCEs
 *     is in slot 0; on v2 it is only pending until a MAP_DMA, UNMAP_DMA or TCE_CREATE gets past
 *     its argument checks ({@code tce_iommu_create_default_window}), and a TCE_REMOVE of address
 *     0 while it is pending just cancels it.</li>
 * <li>Whether the container has its mm: UNREGISTER_MEMORY is EPERM before any REGISTER, CREATE
 *     or REMOVE set it ({@code tce_iommu_mm_set}).</li>
 * <li>The registered ranges of MEM, and every mapping that may be live: each MAP_DMA that does
 *     not certainly fail adds one; only a certainly successful UNMAP_DMA or TCE_REMOVE takes it
 *     away. An UNREGISTER_MEMORY of memory a possibly live mapping uses is never generated.</li>
 * <li>Every window size a TCE_CREATE asked for: with the default size, at either slot start,
 *     these are all the windows that could exist, whatever the model believes; no MAP_DMA or
 *     UNMAP_DMA starting inside one of them may end past it.</li>
 * </ul>
 */
final class ChainModel {

    /** A TCE window: its bus address range and page size. */
    record Window(long start, long size, int shift) {
        long end() {
            return start + size;
        }

        boolean contains(long address) {
            return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end()) < 0;
        }

        long page() {
            return 1L << shift;
        }
    }

    /** A registered range of MEM, as offsets. */
    record Range(long off, long size) {
        long end() {
            return off + size;
        }

        boolean overlaps(long o, long s) {
            return o < end() && off < o + s;
        }
    }

    /** A mapping that may be live: its IOVA range and the MEM offset it maps from. */
    record Mapping(long iova, long size, long off) {}

    /** 0 (none yet), {@link SpaprChains#SPAPR_V1} or {@link SpaprChains#SPAPR_V2}. */
    int iommu;
    /** MAP/UNMAP pass the {@code enabled} check. */
    boolean enabled;
    /** v2: the default window is not made yet. */
    boolean defaultPending;
    /** v2: the container has its mm (UNREGISTER is EPERM before). */
    boolean mmSet;
    final Window[] slots = new Window[2];
    /** Every window size a create asked for, and the default: the sizes a window at a slot start could have. */
    final TreeSet<Long> possibleSizes = new TreeSet<>(Long::compareUnsigned);
    final List<Range> registered = new ArrayList<>();
    /** Every mapping that may have succeeded and was not certainly undone since. */
    final List<Mapping> live = new ArrayList<>();

    ChainModel() {
        possibleSizes.add(SpaprChains.DEFAULT_WINDOW);
    }

    boolean v1() {
        return iommu == SpaprChains.SPAPR_V1;
    }

    boolean v2() {
        return iommu == SpaprChains.SPAPR_V2;
    }

    /** SET_IOMMU succeeded with {@code type}, the groups attached before it: the default window is there (v1) or pending (v2). */
    void iommuSet(int type) {
        iommu = type;
        slots[0] = new Window(SpaprChains.SLOT0, SpaprChains.DEFAULT_WINDOW, 12);
        defaultPending = v2();
    }

    /** Every window that could exist: the model's, and each slot start with each size ever asked for. */
    List<Window> couldExist() {
        List<Window> all = new ArrayList<>(present());
        for (long size : possibleSizes) {
            all.add(new Window(SpaprChains.SLOT0, size, 12));
            all.add(new Window(SpaprChains.SLOT1, size, 12));
        }
        return all;
    }

    /** The windows the model believes in (a pending default window counts: a map would make it). */
    List<Window> present() {
        List<Window> all = new ArrayList<>();
        for (Window w : slots) {
            if (w != null) {
                all.add(w);
            }
        }
        return all;
    }

    /**
     * Kernel bug 1: whether a MAP_DMA or UNMAP_DMA of {@code [iova, iova + size)} could start
     * inside a window and end past it ({@code iommu_tce_check_ioba} checks the first page only). A
     * range that wraps past 2^64 ends past every window.
     */
    boolean straddles(long iova, long size) {
        long end = iova + size;
        boolean wraps = Long.compareUnsigned(end, iova) < 0;
        for (Window w : couldExist()) {
            if (w.contains(iova) && (wraps || Long.compareUnsigned(end, w.end()) > 0)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code iova} is inside some window that could exist. */
    boolean possiblyInside(long iova) {
        return couldExist().stream().anyMatch(w -> w.contains(iova));
    }

    /** Kernel bug 2: whether memory in {@code [off, off + size)} may still be mapped. */
    boolean possiblyMapped(long off, long size) {
        return live.stream().anyMatch(m -> m.off() < off + size && off < m.off() + m.size());
    }

    /** The model's window containing {@code iova}, or null. */
    Window windowAt(long iova) {
        for (Window w : slots) {
            if (w != null && w.contains(iova)) {
                return w;
            }
        }
        return null;
    }

    /** The first free slot, or -1 ({@code tce_iommu_find_free_table}). */
    int freeSlot() {
        return slots[0] == null ? 0 : slots[1] == null ? 1 : -1;
    }

    /** A MAP/UNMAP/CREATE got past its argument checks: the pending default window is made now. */
    void defaultMade() {
        defaultPending = false;
    }

    /** A window and every mapping in it are gone (TCE_REMOVE clears the table before freeing it). */
    void removeWindow(int slot) {
        Window w = slots[slot];
        slots[slot] = null;
        if (slot == 0) {
            defaultPending = false;
        }
        if (w != null) {
            live.removeIf(m -> w.contains(m.iova()));
        }
    }

    /** A certain UNMAP_DMA of {@code [iova, iova + size)} inside one window: what remains of each mapping outside it. */
    void unmapped(long iova, long size) {
        List<Mapping> kept = new ArrayList<>();
        long until = iova + size;
        for (Mapping m : live) {
            long a = m.iova();
            long b = m.iova() + m.size();
            if (b <= iova || until <= a) {
                kept.add(m);
                continue;
            }
            if (a < iova) {
                kept.add(new Mapping(a, iova - a, m.off()));
            }
            if (until < b) {
                kept.add(new Mapping(until, b - until, m.off() + (until - a)));
            }
        }
        live.clear();
        live.addAll(kept);
    }
}
