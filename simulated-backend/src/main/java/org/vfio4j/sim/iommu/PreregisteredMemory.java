package org.vfio4j.sim.iommu;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.vfio4j.Errno;
import org.vfio4j.sim.core.HostFacts;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.ProcessMemory;

/**
 * The memory a process preregistered for sPAPR v2 DMA ({@code mm->context.iommu_group_mem_list},
 * {@code arch/powerpc/mm/book3s64/iommu_api.c}): pinned regions that every v2 container of the
 * process maps from, whichever container registered them. One per process; the simulator has one
 * process, so one per kernel.
 *
 * <p>A region counts its users ({@code used}: the containers that registered it, plus short
 * lookups) and its TCEs ({@code mapped}, one more than the live TCEs while the region is alive).
 * {@link #put} releases a region only when the last user lets go of a region without TCEs.
 */
final class PreregisteredMemory {
    private static final long PAGE_SIZE = HostFacts.PAGE_SIZE;
    private static final int PAGE_SHIFT = Long.numberOfTrailingZeros(PAGE_SIZE);

    /** One region ({@code struct mm_iommu_table_group_mem_t}). */
    static final class Region {
        final long ua;
        final long entries;
        final MemorySegment memory;
        int used = 1;
        long mapped = 1;

        private Region(long ua, long entries, MemorySegment memory) {
            this.ua = ua;
            this.entries = entries;
            this.memory = memory;
        }

        long bytes() {
            return entries << PAGE_SHIFT;
        }

        /** Whether [{@code at}, {@code at + size}) lies inside the region. */
        boolean holds(long at, long size) {
            return Long.compareUnsigned(ua, at) <= 0 && Long.compareUnsigned(at - ua, bytes()) <= 0
                    && Long.compareUnsigned(size, bytes() - (at - ua)) <= 0;
        }

        /** The TCEs that use the region ({@code mapped - 1}). */
        long tces() {
            return mapped - 1;
        }

        @Override
        public String toString() {
            return String.format("[0x%x, +0x%x)", ua, bytes());
        }
    }

    private final ProcessMemory memory;
    /** Newest first, as {@code list_add_rcu} keeps them. */
    private final List<Region> regions = new ArrayList<>();

    PreregisteredMemory(ProcessMemory memory) {
        this.memory = memory;
    }

    /** {@code mm_iommu_get}: the region registered with exactly this address and size, one more user; null if none. */
    Region get(long ua, long entries) {
        for (Region r : regions) {
            if (r.ua == ua && r.entries == entries) {
                r.used++;
                return r;
            }
        }
        return null;
    }

    /**
     * {@code mm_iommu_new}: charges the pages to RLIMIT_MEMLOCK (ENOMEM), refuses a region of no
     * pages (ENOMEM: {@code vzalloc(0)} fails, with a WARN), pins every page for writing (EFAULT
     * for memory the process has not mapped, read-only memory or a device mmap), and refuses a
     * region overlapping one already registered (EINVAL); each failure undoes the charge.
     */
    Region create(long ua, long entries) throws KernelError {
        if (memory.allowance() < entries) {
            throw KernelError.of(Errno.ENOMEM, String.format("registering %d pages would pass RLIMIT_MEMLOCK: %d of %d pages are"
                    + " locked already (account_locked_vm in mm_iommu_do_alloc)", entries, memory.lockedPages(), memory.limitPages()));
        }
        if (entries == 0) {
            throw KernelError.of(Errno.ENOMEM, "a region of size 0 has no pages: the array of their addresses cannot be allocated"
                    + " (vzalloc(0) in mm_iommu_do_alloc, which also WARNs)");
        }
        long size = entries << PAGE_SHIFT;
        MemorySegment m = memory.resolve(ua, size);
        if (memory.deviceMapping(ua, PAGE_SIZE) != null) {
            throw KernelError.of(Errno.EFAULT, String.format("vaddr 0x%x is an mmap of device memory (VM_PFNMAP), whose pages"
                    + " cannot be pinned (pin_user_pages in mm_iommu_do_alloc)", ua));
        }
        if (m == null || m.byteSize() < size || m.isReadOnly()) {
            long at = m == null || m.isReadOnly() ? ua : ua + m.byteSize();
            throw KernelError.of(Errno.EFAULT, String.format("page 0x%x of [0x%x, +0x%x) cannot be pinned for writing: %s"
                    + " (pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) in mm_iommu_do_alloc)", at, ua, size,
                    m != null && m.isReadOnly() ? "the memory is read-only" : "it is not memory of this process"));
        }
        for (Region r : regions) {
            if (Long.compareUnsigned(r.ua, ua + size) < 0 && Long.compareUnsigned(ua, r.ua + r.bytes()) < 0) {
                throw KernelError.of(Errno.EINVAL, String.format("[0x%x, +0x%x) overlaps the preregistered region %s without being"
                        + " it (mm_iommu_do_alloc)", ua, size, r));
            }
        }
        memory.charge(entries);
        Region r = new Region(ua, entries, m);
        regions.add(0, r);
        return r;
    }

    /**
     * {@code mm_iommu_put}: one user less. The last user releases the region and un-charges its
     * pages, unless TCEs still use it: then the user stays counted and the answer is EBUSY. A
     * region without users answers ENOENT. Returns null on success.
     */
    Errno put(Region r) {
        if (r.used == 0) {
            return Errno.ENOENT;
        }
        r.used--;
        if (r.used > 0) {
            return null;
        }
        if (r.mapped != 1) {
            r.used++;
            return Errno.EBUSY;
        }
        r.mapped = 0;
        regions.remove(r);
        memory.uncharge(r.entries);
        return null;
    }

    /** {@code mm_iommu_lookup}: the region holding all of [{@code ua}, {@code ua + size}), or null. */
    Region lookup(long ua, long size) {
        for (Region r : regions) {
            if (r.holds(ua, size)) {
                return r;
            }
        }
        return null;
    }

    /** {@code mm_iommu_mapped_inc}: a TCE uses the region. */
    static void mappedInc(Region r) {
        r.mapped++;
    }

    /** {@code mm_iommu_mapped_dec}: a TCE no longer uses the region (never below the region's own count). */
    static void mappedDec(Region r) {
        if (r.mapped != 1) {
            r.mapped--;
        }
    }

    /** The live regions, newest first. */
    List<Region> regions() {
        return List.copyOf(regions);
    }
}
