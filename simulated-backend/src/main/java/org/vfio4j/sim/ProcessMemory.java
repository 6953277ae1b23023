package org.vfio4j.sim;

import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.TreeMap;

/**
 * The simulated process's memory as the kernel sees it: the user segments whose addresses were
 * handed out ({@code VfioKernel.userAddress}), so that a {@code vaddr} can be resolved to live
 * memory, and the locked-memory account ({@code mm->locked_vm}) that pinning charges against
 * RLIMIT_MEMLOCK ({@code vfio_lock_acct}).
 *
 * <p>Segments are held weakly: memory the program dropped is gone for the kernel too. Pinned
 * memory is held strongly by the mapping that pinned it, as the kernel's page references keep
 * pages alive.
 */
final class ProcessMemory {
    private final TreeMap<Long, WeakReference<MemorySegment>> segments = new TreeMap<>(Long::compareUnsigned);
    private final long limitPages;
    private final boolean capIpcLock;
    private long lockedPages;

    ProcessMemory(SimulatedHost host) {
        this.limitPages = host.memlockLimit() < 0 ? Long.MAX_VALUE : host.memlockLimit() / SimulatedHost.PAGE_SIZE;
        this.capIpcLock = host.capIpcLock();
    }

    long register(MemorySegment memory) {
        long address = memory.address();
        segments.put(address, new WeakReference<>(memory));
        return address;
    }

    /**
     * How many whole bytes from {@code vaddr} on, up to {@code size}, are live memory of the
     * process: the segment containing {@code vaddr}, if any, as far as it reaches.
     */
    MemorySegment resolve(long vaddr, long size) {
        Map.Entry<Long, WeakReference<MemorySegment>> e = segments.floorEntry(vaddr);
        if (e == null) {
            return null;
        }
        MemorySegment s = e.getValue().get();
        if (s == null || !s.scope().isAlive()) {
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
