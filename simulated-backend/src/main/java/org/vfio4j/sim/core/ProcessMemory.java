package org.vfio4j.sim.core;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.vfio4j.sim.device.RemoteMemory;

/**
 * The simulated process's memory as the kernel sees it: the user segments whose addresses were
 * handed out ({@code VfioKernel.userAddress}), so that a {@code vaddr} can be resolved to live
 * memory, and the locked-memory account ({@code mm->locked_vm}) that pinning charges against
 * RLIMIT_MEMLOCK ({@code vfio_lock_acct}).
 *
 * <p>Memory is live while its segment's scope is alive (a closed arena's memory is gone for the
 * kernel too); an entry also goes when a new registration overlaps it, as reused addresses mean
 * reused memory, and entries of freed memory are swept out whenever the table has doubled, so
 * that it stays within twice the live ones (or {@value #SWEEP_MIN}). Entries hold their segments
 * strongly: a segment object may be collected while its arena, and so the memory, lives on.
 *
 * <p>Besides segments, the process may hold ranges of {@link RemoteMemory} (memory reached by
 * messages, {@link #mapRemote}): addresses above 2^60 that no segment can have, unmapped explicitly.
 */
public final class ProcessMemory {
    private final TreeMap<Long, MemorySegment> segments = new TreeMap<>(Long::compareUnsigned);
    /** Live mmaps of device regions by address: VM_PFNMAP vmas, whose pages are no struct pages. */
    private final TreeMap<Long, DeviceMapping> deviceMappings = new TreeMap<>(Long::compareUnsigned);
    /** Live ranges of {@link RemoteMemory} by address (never reused: {@link #nextRemote} only grows). */
    private final TreeMap<Long, RemoteRange> remote = new TreeMap<>(Long::compareUnsigned);
    /**
     * Where the next remote range goes: far above any address a JVM's native memory can have (user
     * space ends at 2^47, or 2^56 with five-level paging), so no registered segment overlaps it.
     */
    private long nextRemote = REMOTE_BASE;
    static final long REMOTE_BASE = 1L << 60;
    static final long REMOTE_ALIGN = 1L << 30;
    private final long limitPages;
    private final boolean capIpcLock;
    private long lockedPages;
    private static final int SWEEP_MIN = 16;
    /** The table size at which entries of freed memory are swept out: twice what was left after the last sweep. */
    private int sweepAt = SWEEP_MIN;

    public ProcessMemory(HostFacts host) {
        this.limitPages = host.memlockLimit() < 0 ? Long.MAX_VALUE : host.memlockLimit() / HostFacts.PAGE_SIZE;
        this.capIpcLock = host.capIpcLock();
    }

    /**
     * Records {@code memory} at its address. A segment inside one already recorded for the same
     * live allocation (a slice of it) changes nothing: the enclosing segment still describes that
     * memory. An overlapping segment of another scope means the addresses were reused, and the
     * old entries go. Partial overlaps within one allocation keep both.
     */
    public long register(MemorySegment memory) {
        long address = memory.address();
        long end = address + memory.byteSize();
        if (Long.compareUnsigned(end, address) < 0) {
            return address; // wraps the address space: no memory to record; MAP_DMA's own range check refuses it
        }
        for (Map.Entry<Long, MemorySegment> e = segments.floorEntry(address); e != null; e = segments.lowerEntry(e.getKey())) {
            MemorySegment old = e.getValue();
            long oldEnd = e.getKey() + old.byteSize();
            if (Long.compareUnsigned(oldEnd, address) <= 0) {
                break;
            }
            if (old.scope().equals(memory.scope()) && old.scope().isAlive()) {
                if (Long.compareUnsigned(oldEnd, end) >= 0) {
                    return address; // a slice of recorded memory
                }
            } else {
                segments.remove(e.getKey()); // reused addresses: the old memory is gone
            }
        }
        var inside = segments.subMap(address, true, end, false);
        inside.values().removeIf(old -> !old.scope().equals(memory.scope())
                || Long.compareUnsigned(old.address() + old.byteSize(), end) <= 0);
        MemorySegment same = segments.get(address);
        if (same == null || same.byteSize() < memory.byteSize()) {
            segments.put(address, memory);
        }
        if (segments.size() >= sweepAt) { // a program that frees its buffers never leaves more than twice its live ones
            segments.values().removeIf(s -> !s.scope().isAlive());
            sweepAt = Math.max(SWEEP_MIN, 2 * segments.size());
        }
        return address;
    }

    /**
     * The live memory of the process from {@code vaddr} on, up to {@code size} bytes: a slice of
     * the registered segment containing {@code vaddr}, as far as it reaches; null if none.
     */
    public MemorySegment resolve(long vaddr, long size) {
        MemorySegment s = registration(vaddr, size);
        if (s == null) {
            return null;
        }
        long offset = vaddr - s.address();
        return s.asSlice(offset, Math.min(size, s.byteSize() - offset));
    }

    /**
     * The registered segment {@link #resolve} slices for {@code vaddr} and {@code size}, whole:
     * {@code vaddr} lies at {@code vaddr - address()} in it, and it reaches at least {@code size}
     * bytes from there when any live segment does. Null if none contains {@code vaddr}. Callers
     * that keep the memory of many ranges hold this shared segment instead of a slice each.
     */
    public MemorySegment registration(long vaddr, long size) {
        MemorySegment best = null;
        long bestReach = 0;
        int looked = 0;
        // entries of one allocation may overlap: take the one reaching furthest past vaddr (a few steps back at most)
        for (Map.Entry<Long, MemorySegment> e = segments.floorEntry(vaddr); e != null && looked < 8;
                e = segments.lowerEntry(e.getKey()), looked++) {
            MemorySegment s = e.getValue();
            if (!s.scope().isAlive()) {
                segments.remove(e.getKey());
                continue;
            }
            long offset = vaddr - e.getKey();
            long reach = s.byteSize() - offset;
            if (Long.compareUnsigned(offset, s.byteSize()) < 0 && reach > bestReach) {
                best = s;
                bestReach = reach;
                if (reach >= size) {
                    break;
                }
            }
        }
        return best;
    }

    /**
     * A live mmap of a device region (a VM_PFNMAP vma): its segment, and whether it was mapped
     * with PROT_WRITE.
     *
     * @param segment  the mapping
     * @param writable whether the vma allows writes
     */
    public record DeviceMapping(MemorySegment segment, boolean writable) {}

    /** Records an mmap of a device region, until {@link #unmapped}. */
    public void mapped(MemorySegment mapping, boolean writable) {
        deviceMappings.put(mapping.address(), new DeviceMapping(mapping, writable));
    }

    /** Forgets an mmap of a device region. */
    public void unmapped(MemorySegment mapping) {
        DeviceMapping m = deviceMappings.get(mapping.address());
        if (m != null && m.segment() == mapping) {
            deviceMappings.remove(mapping.address());
        }
    }

    /** The process's mappings are gone (its exit): no device mapping or remote range is left. */
    public void unmappedAll() {
        deviceMappings.clear();
        remote.values().forEach(r -> r.live = false);
        remote.clear();
    }

    /**
     * The device mapping holding all of [{@code vaddr}, {@code vaddr + size}), as a slice with its
     * permission, or null when that range is not inside one live device mapping.
     */
    public DeviceMapping deviceMapping(long vaddr, long size) {
        Map.Entry<Long, DeviceMapping> e = deviceMappings.floorEntry(vaddr);
        if (e == null) {
            return null;
        }
        MemorySegment s = e.getValue().segment();
        long offset = vaddr - e.getKey();
        if (Long.compareUnsigned(offset, s.byteSize()) >= 0 || Long.compareUnsigned(size, s.byteSize() - offset) > 0) {
            return null;
        }
        return new DeviceMapping(s.asSlice(offset, size), e.getValue().writable());
    }

    /**
     * A range of user addresses whose memory is {@link RemoteMemory}: what VFIO_IOMMU_MAP_DMA of an
     * address inside it maps. {@code live} is cleared when the range is unmapped: a mapping that still
     * points there finds its memory gone.
     */
    public static final class RemoteRange {
        private final long address;
        private final long size;
        private final RemoteMemory memory;
        private boolean live = true;

        RemoteRange(long address, long size, RemoteMemory memory) {
            this.address = address;
            this.size = size;
            this.memory = memory;
        }

        /** The range's first user address. */
        public long address() {
            return address;
        }

        /** The memory behind the range. */
        public RemoteMemory memory() {
            return memory;
        }

        /** Whether the range is still mapped. */
        public boolean live() {
            return live;
        }

        String describe() {
            return String.format("remote memory [0x%x, +0x%x) reached by messages", address, size);
        }
    }

    /**
     * Gives {@code memory} a range of {@code size} bytes of user addresses never used before, and
     * returns its first address: aligned to {@value #REMOTE_ALIGN} bytes, so that MAP_DMA's alignment
     * rule holds for any IOMMU page size up to 1 GiB, with a gap before the next range.
     */
    public long mapRemote(RemoteMemory memory, long size) {
        long address = nextRemote;
        long end = address + size;
        nextRemote = (end + REMOTE_ALIGN - 1 & -REMOTE_ALIGN) + REMOTE_ALIGN; // 2^60 + 15 * 2^60 bytes: never runs out
        remote.put(address, new RemoteRange(address, size, memory));
        return address;
    }

    /** Unmaps the remote range at {@code address}; false if none starts there. */
    public boolean unmapRemote(long address) {
        RemoteRange r = remote.remove(address);
        if (r == null) {
            return false;
        }
        r.live = false;
        return true;
    }

    /** The live remote range holding all of [{@code vaddr}, {@code vaddr + size}), or null. */
    public RemoteRange remote(long vaddr, long size) {
        Map.Entry<Long, RemoteRange> e = remote.floorEntry(vaddr);
        if (e == null) {
            return null;
        }
        RemoteRange r = e.getValue();
        long offset = vaddr - r.address;
        return Long.compareUnsigned(offset, r.size) < 0 && Long.compareUnsigned(size, r.size - offset) <= 0 ? r : null;
    }

    /** One line per live remote range, in address order (for the resource report). */
    public List<String> describeRemote() {
        return remote.values().stream().map(RemoteRange::describe).toList();
    }

    /** How many user segments are recorded ({@link #register}), for leak checks. */
    public int segmentCount() {
        return segments.size();
    }

    /** How many device mappings are recorded ({@link #mapped}), for leak checks. */
    public int deviceMappingCount() {
        return deviceMappings.size();
    }

    public boolean capIpcLock() {
        return capIpcLock;
    }

    public long lockedPages() {
        return lockedPages;
    }

    public long limitPages() {
        return limitPages;
    }

    /** Pages that can still be charged before RLIMIT_MEMLOCK is reached. */
    public long allowance() {
        return capIpcLock ? Long.MAX_VALUE : Math.max(0, limitPages - lockedPages);
    }

    public void charge(long pages) {
        if (!capIpcLock) {
            lockedPages += pages;
        }
    }

    public void uncharge(long pages) {
        if (!capIpcLock) {
            lockedPages -= pages;
        }
    }
}
