package org.vfio4j.sim;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.TreeMap;

/**
 * The simulated process's memory as the kernel sees it: the user segments whose addresses were
 * handed out ({@code VfioKernel.userAddress}), so that a {@code vaddr} can be resolved to live
 * memory, and the locked-memory account ({@code mm->locked_vm}) that pinning charges against
 * RLIMIT_MEMLOCK ({@code vfio_lock_acct}).
 *
 * <p>Memory is live while its segment's scope is alive (a closed arena's memory is gone for the
 * kernel too); an entry also goes when a new registration overlaps it, as reused addresses mean
 * reused memory. Entries hold their segments strongly: a segment object may be collected while
 * its arena, and so the memory, lives on.
 */
final class ProcessMemory {
    private final TreeMap<Long, MemorySegment> segments = new TreeMap<>(Long::compareUnsigned);
    private final long limitPages;
    private final boolean capIpcLock;
    private long lockedPages;

    ProcessMemory(SimulatedHost host) {
        this.limitPages = host.memlockLimit() < 0 ? Long.MAX_VALUE : host.memlockLimit() / SimulatedHost.PAGE_SIZE;
        this.capIpcLock = host.capIpcLock();
    }

    long register(MemorySegment memory) {
        long address = memory.address();
        long end = address + memory.byteSize();
        Map.Entry<Long, MemorySegment> below = segments.floorEntry(address);
        if (below != null && Long.compareUnsigned(below.getKey() + below.getValue().byteSize(), address) > 0
                && !below.getValue().equals(memory)) {
            segments.remove(below.getKey());
        }
        segments.subMap(address, false, end, false).clear();
        segments.put(address, memory);
        return address;
    }

    /**
     * The live memory of the process from {@code vaddr} on, up to {@code size} bytes: a slice of
     * the registered segment containing {@code vaddr}, as far as it reaches; null if none.
     */
    MemorySegment resolve(long vaddr, long size) {
        Map.Entry<Long, MemorySegment> e = segments.floorEntry(vaddr);
        if (e == null) {
            return null;
        }
        MemorySegment s = e.getValue();
        if (!s.scope().isAlive()) {
            segments.remove(e.getKey());
            return null;
        }
        long offset = vaddr - e.getKey();
        if (Long.compareUnsigned(offset, s.byteSize()) >= 0) {
            return null;
        }
        return s.asSlice(offset, Math.min(size, s.byteSize() - offset));
    }

    boolean capIpcLock() {
        return capIpcLock;
    }

    long lockedPages() {
        return lockedPages;
    }

    long limitPages() {
        return limitPages;
    }

    /** Pages that can still be charged before RLIMIT_MEMLOCK is reached. */
    long allowance() {
        return capIpcLock ? Long.MAX_VALUE : Math.max(0, limitPages - lockedPages);
    }

    void charge(long pages) {
        if (!capIpcLock) {
            lockedPages += pages;
        }
    }

    void uncharge(long pages) {
        if (!capIpcLock) {
            lockedPages -= pages;
        }
    }
}
