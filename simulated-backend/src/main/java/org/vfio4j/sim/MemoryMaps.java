package org.vfio4j.sim;

import java.lang.foreign.MemorySegment;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.vfio4j.Errno;
import org.vfio4j.RegionIndex;
import org.vfio4j.VfioException;
import org.vfio4j.sim.core.DeviceFile;
import org.vfio4j.sim.core.DmaBufFile;
import org.vfio4j.sim.core.FdTable;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.OpenFile;
import org.vfio4j.sim.core.Syscall;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.TraceText;
import org.vfio4j.sim.core.VfioDevice;
import org.vfio4j.sim.pci.PciFunction;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.MappedAccess;

/**
 * The process's mappings of device regions and dma-bufs (its vmas of {@code mm/mmap.c}): mmap's own
 * checks before a driver sees the call, what each live segment reaches, the loads and stores the
 * seam makes through one, and munmap, whose last mapping of a closed device file releases it.
 * Every method runs under the kernel lock.
 */
final class MemoryMaps {

    /**
     * What a mapping reaches: a device region ({@code file} set; {@code index} and {@code pos}
     * locate it) or plain memory (a dma-buf).
     */
    private record Mapping(String fd, DeviceFile file, int index, long pos, long serial) {
        VfioDevice device() {
            return file == null ? null : file.device();
        }

        /** How {@link SimulatedKernel#resources()} lists it: the fd it was mapped through, region, offset and length. */
        String describe(long length) {
            String where = file == null ? String.format("offset=0x%x", pos) : TraceText.regionOffset((long) index << 40 | pos);
            return String.format("%s: %s, length=0x%x", fd, where, length);
        }
    }

    private final Map<MemorySegment, Mapping> mappings = new IdentityHashMap<>();
    /** What the trace says about each live mapping, for its munmap entry. */
    private final Map<MemorySegment, String> mappingNames = new IdentityHashMap<>();
    /** Counts mmaps, so that mappings are listed in the order they were made. */
    private long mmapSerial;
    private final Object lock;
    private final KernelTrace trace;
    private final FaultPlan plan;
    private FdTable files; // set once at boot: the table and the maps refer to each other

    MemoryMaps(Object lock, KernelTrace trace, FaultPlan plan) {
        this.lock = lock;
        this.trace = trace;
        this.plan = plan;
    }

    void files(FdTable table) {
        this.files = table;
    }

    /** The mmap of {@code f} (behind {@code fd}) as its driver answers it: a device region or a dma-buf's pixels. */
    MemorySegment map(Fd fd, OpenFile f, SyscallContext c, long offset, long length, int prot, int flags) throws KernelError {
        c.describe(() -> String.format("{%s, length=0x%x, prot=%s}", TraceText.where(f, offset), length, TraceText.protNames(prot)));
        if (f instanceof DeviceFile || f instanceof DmaBufFile) {
            plan.enter(Syscall.MMAP);
        }
        checkMmapArguments(offset, length);
        if (f instanceof DmaBufFile b) {
            long pages = (b.pixels().byteSize() + SimulatedHost.PAGE_SIZE - 1) & -SimulatedHost.PAGE_SIZE;
            if (Long.compareUnsigned(offset, pages) >= 0 || length > pages - offset) { // offsets are unsigned page numbers
                throw KernelError.of(Errno.EINVAL, "the mapping passes the end of the dma-buf (dma_buf_mmap_internal)");
            }
            return b.pixels().asSlice(offset, Math.min(length, b.pixels().byteSize() - offset));
        }
        if (!(f instanceof DeviceFile d)) {
            throw KernelError.of(Errno.ENODEV, "a " + f.kind() + " fd has no mmap (do_mmap)");
        }
        MemorySegment segment = d.device().mmap(offset, length, flags);
        synchronized (lock) {
            mappings.put(segment, new Mapping(fd.toString(), d, (int) (offset >>> 40), offset & ((1L << 40) - 1), ++mmapSerial));
        }
        return segment;
    }

    /** After a successful mmap: a dma-buf mapping is remembered as plain memory, and the trace's name for it kept. */
    void mapped(Fd fd, MemorySegment segment, long offset, long length) {
        synchronized (lock) {
            if (!mappings.containsKey(segment)) {
                mappings.put(segment, new Mapping(fd.toString(), null, 0, offset, ++mmapSerial));
            }
            if (trace.on()) {
                mappingNames.put(segment, String.format("{%s, length=0x%x}", TraceText.where(files.file(fd.number()), offset), length));
            }
        }
    }

    /**
     * The checks of the mmap system call before any driver sees it, in its order: a page-aligned
     * offset ({@code ksys_mmap_pgoff}), a length ({@code do_mmap}: 0 is EINVAL; one that page
     * alignment wraps or that exceeds the 47-bit user address space is ENOMEM), and an end that
     * does not pass the file's largest offset ({@code file_mmap_ok}: EOVERFLOW).
     */
    private static void checkMmapArguments(long offset, long length) throws KernelError {
        long page = SimulatedHost.PAGE_SIZE;
        if ((offset & (page - 1)) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("offset 0x%x is not page aligned (ksys_mmap_pgoff)", offset));
        }
        if (length == 0) {
            throw KernelError.of(Errno.EINVAL, "a mapping needs a length > 0 (do_mmap)");
        }
        long aligned = (length + page - 1) & -page;
        if (aligned == 0 || Long.compareUnsigned(aligned, 1L << 47) > 0) {
            throw KernelError.of(Errno.ENOMEM, String.format("length 0x%x does not fit the 47-bit user address space"
                    + " (do_mmap, get_unmapped_area)", length));
        }
        // file_mmap_ok: device and dma-buf fds are anonymous inodes, whose largest offset is ULONG_MAX
        long pgoff = offset >>> 12;
        if (Long.compareUnsigned(pgoff, (-1L - aligned) >>> 12) > 0) {
            throw KernelError.of(Errno.EOVERFLOW, String.format("offset 0x%x plus length 0x%x passes the largest file offset"
                    + " (file_mmap_ok in do_mmap)", offset, length));
        }
    }

    /** Whether {@code segment} is a live mapping of a device region (not a dma-buf's memory). */
    boolean isDeviceMapping(MemorySegment segment) {
        synchronized (lock) {
            Mapping m = mappings.get(segment);
            return m != null && m.file() != null;
        }
    }

    /** munmap: forgets the mapping; the last mapping of a device file whose fd was closed releases the file. */
    void unmap(MemorySegment mapping) {
        synchronized (lock) {
            Mapping of = mappings.remove(mapping);
            if (of == null) {
                throw new IllegalArgumentException("not a live mapping made by this backend's mmap: " + mapping);
            }
            if (of.file() != null && !holds(of.file())) {
                files.unmapped(of.file());
            }
            String named = mappingNames.remove(mapping);
            trace.record(of.fd(), "munmap", KernelTrace.described(named != null ? named : String.format("{length=0x%x}", mapping.byteSize())),
                    0, null);
        }
    }

    /** One load or store of 1, 2, 4 or 8 bytes through a live mapping, as the CPU would make it. */
    long access(MemorySegment mapping, long offset, int size, boolean write, long value) throws VfioException {
        MappedAccess.requireShape(mapping, offset, size);
        synchronized (lock) {
            Mapping m = mappings.get(mapping);
            if (m == null) {
                throw new IllegalArgumentException("not a live mapping made by this backend's mmap (unmapped, or a slice): " + mapping);
            }
            MappedAccess.requireInside(mapping, offset, size);
            String what = write ? "store" : "load";
            try {
                plan.enter(Syscall.MAPPED_ACCESS);
                if (m.device() == null) {
                    return PciFunction.memoryAccess(mapping, offset, size, write, value);
                }
                long r = m.device().mappedAccess(m.index(), m.pos() + offset, size, write, value);
                if (trace.on() && m.device().isTrapped(m.index(), m.pos() + offset)) { // loads and stores of plain memory are not events
                    trace.event(m.fd(), what, String.format("%s+0x%x, %d bytes%s", RegionIndex.name(m.index()), m.pos() + offset, size,
                            String.format(write ? " <- 0x%x" : " -> 0x%x", write ? value : r)));
                }
                return r;
            } catch (KernelError e) {
                String at = m.device() == null ? String.format("+0x%x", m.pos() + offset)
                        : RegionIndex.name(m.index()) + String.format("+0x%x", m.pos() + offset);
                throw trace.fail(m.fd(), what, KernelTrace.described(String.format("{%s, %d bytes}", at, size)), e);
            }
        }
    }

    /** Whether a live mapping holds {@code file} ({@code vma->vm_file}). */
    boolean holds(DeviceFile file) {
        return mappings.values().stream().anyMatch(m -> m.file() == file);
    }

    /** How many segments mmap returned that are not unmapped yet. */
    int count() {
        return mappings.size();
    }

    /** How many trace names of mappings are kept (one per live mapping), for leak checks. */
    int nameCount() {
        return mappingNames.size();
    }

    /** Each live mapping as {@link SimulatedKernel#resources()} lists it, in the order they were made. */
    List<String> describeAll() {
        return mappings.entrySet().stream()
                .sorted(Comparator.comparingLong(e -> e.getValue().serial()))
                .map(e -> e.getValue().describe(e.getKey().byteSize())).toList();
    }

    /** The process's mappings go (its exit): the device files they held are released by the caller. */
    void clear() {
        if (!mappings.isEmpty()) { // an empty IdentityHashMap's clear still wipes its table
            mappings.clear();
        }
    }

    /** Forgets the trace's names too, once nothing can unmap any more. */
    void clearAll() {
        clear();
        if (!mappingNames.isEmpty()) {
            mappingNames.clear();
        }
    }
}
