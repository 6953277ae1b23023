package org.vfio4j;

import static org.vfio4j.Structs.U32;
import static org.vfio4j.Structs.U64;
import static org.vfio4j.uapi.VfioStructs.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.VfioKernel;

/**
 * A VFIO container ({@code /dev/vfio/vfio}): the IOMMU context that groups join and DMA mappings
 * live in. Each method issues one ioctl and reports the kernel's errno as {@link VfioException};
 * nothing is pre-validated in Java, so a simulator and a kernel are observed alike.
 */
public final class VfioContainer extends FdHandle {
    VfioContainer(VfioKernel kernel, Fd fd) {
        super(kernel, fd);
    }

    /** VFIO_GET_API_VERSION (always {@link org.vfio4j.uapi.VfioUapi#VFIO_API_VERSION}). */
    public int apiVersion() throws VfioException {
        return new Reply("VFIO_GET_API_VERSION", fd).result(kernel.ioctl(fd, VFIO_GET_API_VERSION, 0L));
    }

    /** VFIO_CHECK_EXTENSION: 0 when unsupported, positive when supported. */
    public int checkExtension(int extension) throws VfioException {
        return new Reply("VFIO_CHECK_EXTENSION", fd).result(kernel.ioctl(fd, VFIO_CHECK_EXTENSION, extension));
    }

    /** Whether {@code type} can be set (VFIO_CHECK_EXTENSION > 0). */
    public boolean supports(IommuType type) throws VfioException {
        required(type, "the IOMMU type");
        return checkExtension(type.extension()) > 0;
    }

    /** VFIO_SET_IOMMU: needs at least one attached group. */
    public void setIommu(IommuType type) throws VfioException {
        required(type, "the IOMMU type");
        kernel.ioctl(fd, VFIO_SET_IOMMU, type.extension());
    }

    /**
     * VFIO_IOMMU_GET_INFO with the argsz protocol: a first call with the fixed size; if the kernel
     * asks for more room for capabilities, a second call with the size it named; then the chain is
     * decoded. Type1 only: on a sPAPR container the same request number is
     * VFIO_IOMMU_SPAPR_TCE_GET_INFO, with another struct ({@link #spaprInfo()}).
     *
     * <p>A reply that breaks the ABI is {@link Errno#EPROTO}: an argsz above 1 MiB, a second reply
     * that asks for still more room, CAPS without a chain, a malformed chain, a capability shorter
     * than its fields, {@code nr_iovas} larger than its bytes, or IOVA ranges that are not sorted
     * and disjoint ({@code vfio_iommu_iova_build_caps} copies the sorted list of usable ranges).
     */
    public IommuInfo iommuInfo() throws VfioException {
        Reply reply = new Reply("VFIO_IOMMU_GET_INFO", fd);
        MemorySegment info = Structs.withArgsz(vfio_iommu_type1_info.SIZE);
        kernel.ioctl(fd, VFIO_IOMMU_GET_INFO, info);
        long needed = Integer.toUnsignedLong(info.get(U32, vfio_iommu_type1_info.argsz));
        if (needed > vfio_iommu_type1_info.SIZE) {
            info = Structs.withArgsz(reply.roomFor("argsz", needed));
            kernel.ioctl(fd, VFIO_IOMMU_GET_INFO, info);
            reply.fitsSecondCall(needed, Integer.toUnsignedLong(info.get(U32, vfio_iommu_type1_info.argsz)));
        }
        int flags = info.get(U32, vfio_iommu_type1_info.flags);
        long pageSizes = info.get(U64, vfio_iommu_type1_info.iova_pgsizes);
        List<IommuCapability> caps = new ArrayList<>();
        if ((flags & VFIO_IOMMU_INFO_CAPS) != 0) {
            int capOffset = info.get(U32, vfio_iommu_type1_info.cap_offset);
            if (capOffset == 0) {
                throw reply.malformed("flags has VFIO_IOMMU_INFO_CAPS but cap_offset is 0, and argsz asks for no more than the "
                        + info.byteSize() + " bytes sent; a chain that fits is written after the struct");
            }
            for (CapabilityChain.Entry e : CapabilityChain.walk(reply, info, capOffset, vfio_iommu_type1_info.SIZE)) {
                caps.add(decode(reply, e));
            }
        }
        return new IommuInfo(flags, pageSizes, caps);
    }

    private static IommuCapability decode(Reply reply, CapabilityChain.Entry e) throws VfioException {
        MemorySegment b = e.bytes();
        return switch (e.id()) {
            case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE -> new IommuCapability.IovaRanges(iovaRanges(reply, e));
            case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL -> {
                CapabilityChain.requireSize(reply, e, "DMA_AVAIL", vfio_iommu_type1_info_dma_avail.SIZE);
                yield new IommuCapability.DmaAvailable(b.get(U32, vfio_iommu_type1_info_dma_avail.avail));
            }
            case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION -> {
                CapabilityChain.requireSize(reply, e, "MIGRATION", vfio_iommu_type1_info_cap_migration.SIZE);
                yield new IommuCapability.Migration(b.get(U32, vfio_iommu_type1_info_cap_migration.flags),
                        b.get(U64, vfio_iommu_type1_info_cap_migration.pgsize_bitmap),
                        b.get(U64, vfio_iommu_type1_info_cap_migration.max_dirty_bitmap_size));
            }
            default -> new IommuCapability.Unknown(e.id(), e.version(), b.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        };
    }

    /** IOVA_RANGE's ranges: {@code nr_iovas} of them, each {@code start <= end}, ascending and disjoint. */
    private static List<IovaRange> iovaRanges(Reply reply, CapabilityChain.Entry e) throws VfioException {
        MemorySegment b = e.bytes();
        int n = CapabilityChain.count(reply, e, "IOVA_RANGE", "nr_iovas", vfio_iommu_type1_info_cap_iova_range.nr_iovas,
                vfio_iommu_type1_info_cap_iova_range.iova_ranges, vfio_iova_range.SIZE);
        List<IovaRange> ranges = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long at = vfio_iommu_type1_info_cap_iova_range.iova_ranges + (long) vfio_iova_range.SIZE * i;
            long start = b.get(U64, at + vfio_iova_range.start);
            long end = b.get(U64, at + vfio_iova_range.end);
            String which = "IOVA_RANGE capability at offset " + e.offset() + ": range " + i;
            if (Long.compareUnsigned(start, end) > 0) {
                throw reply.malformed(String.format("%s starts at 0x%x, after its end 0x%x", which, start, end));
            }
            if (i > 0 && Long.compareUnsigned(start, ranges.get(i - 1).end()) <= 0) {
                throw reply.malformed(String.format("%s starts at 0x%x, not after the end 0x%x of range %d; ranges are sorted and disjoint",
                        which, start, ranges.get(i - 1).end(), i - 1));
            }
            ranges.add(new IovaRange(start, end));
        }
        return ranges;
    }

    /**
     * VFIO_IOMMU_MAP_DMA: lets the device reach {@code memory} at {@code iova}. {@code memory}
     * must be native (an {@code Arena} allocation or an mmap); keep it alive while mapped.
     *
     * <p>On sPAPR (same struct, {@code tce_iommu_ioctl}) the call writes TCEs into the window that
     * holds {@code iova}: v1 needs {@link #enableIommu()} first and v2 memory from {@link
     * #registerMemory} ({@code EPERM} otherwise); an iova outside every window is {@code ENXIO}; and
     * mapping over entries already in use replaces them (no {@code EEXIST}). An iova not aligned to
     * the window's page size is reported by the kernel as the result 1 with nothing mapped, not as
     * an errno ({@code iommu_tce_put_param_check}); this method turns that result into a {@link
     * VfioException} with EINVAL that says so, rather than return a mapping that does not exist.
     */
    public DmaMapping mapDma(MemorySegment memory, long iova, boolean read, boolean write) throws VfioException {
        required(memory, "the memory to map");
        long vaddr = kernel.userAddress(memory);
        MemorySegment map = Structs.withArgsz(vfio_iommu_type1_dma_map.SIZE);
        map.set(U32, vfio_iommu_type1_dma_map.flags, (read ? VFIO_DMA_MAP_FLAG_READ : 0) | (write ? VFIO_DMA_MAP_FLAG_WRITE : 0));
        map.set(U64, vfio_iommu_type1_dma_map.vaddr, vaddr);
        map.set(U64, vfio_iommu_type1_dma_map.iova, iova);
        map.set(U64, vfio_iommu_type1_dma_map.size, memory.byteSize());
        notMappedIfPositive(kernel.ioctl(fd, VFIO_IOMMU_MAP_DMA, map), "VFIO_IOMMU_MAP_DMA", iova);
        return new DmaMapping(iova, memory.byteSize(), vaddr, read, write, memory);
    }

    /** {@link #mapDma(MemorySegment, long, boolean, boolean)} readable and writable by the device. */
    public DmaMapping mapDma(MemorySegment memory, long iova) throws VfioException {
        return mapDma(memory, iova, true, true);
    }

    /**
     * VFIO_IOMMU_UNMAP_DMA of {@code [iova, iova + size)}; returns the bytes the kernel says it
     * unmapped. On sPAPR the kernel writes nothing back and clears entries whether or not they were
     * in use, so the result is always {@code size}, the size asked; a misaligned iova is EINVAL (the
     * kernel's result 1, as for {@link #mapDma(MemorySegment, long, boolean, boolean)}).
     */
    public long unmapDma(long iova, long size) throws VfioException {
        return unmap(iova, size, 0);
    }

    /**
     * A positive result of MAP_DMA or UNMAP_DMA is sPAPR's way of failing a misaligned iova (the
     * parameter checks of {@code iommu_tce_put_param_check} and {@code iommu_tce_clear_param_check}
     * return 1, not -EINVAL): nothing was changed, so the typed call fails. A negative result breaks
     * the seam's contract: EPROTO.
     */
    private void notMappedIfPositive(int result, String operation, long iova) throws VfioException {
        new Reply(operation, fd).result(result);
        if (result > 0) {
            throw new VfioException(Errno.EINVAL, operation, fd.toString(), String.format("the kernel returned %d, not 0, and changed"
                    + " nothing: on sPAPR an iova (0x%x) not aligned to its window's IOMMU page fails this way"
                    + " (iommu_tce_put_param_check); vfio4j reports it as EINVAL", result, iova));
        }
    }

    /** VFIO_IOMMU_UNMAP_DMA of one mapping. */
    public long unmapDma(DmaMapping mapping) throws VfioException {
        required(mapping, "the mapping");
        return unmapDma(mapping.iova(), mapping.size());
    }

    /** VFIO_IOMMU_UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_ALL (Linux 5.12+): removes every mapping. */
    public long unmapAllDma() throws VfioException {
        return unmap(0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
    }

    private long unmap(long iova, long size, int flags) throws VfioException {
        MemorySegment unmap = Structs.withArgsz(vfio_iommu_type1_dma_unmap.SIZE);
        unmap.set(U32, vfio_iommu_type1_dma_unmap.flags, flags);
        unmap.set(U64, vfio_iommu_type1_dma_unmap.iova, iova);
        unmap.set(U64, vfio_iommu_type1_dma_unmap.size, size);
        notMappedIfPositive(kernel.ioctl(fd, VFIO_IOMMU_UNMAP_DMA, unmap), "VFIO_IOMMU_UNMAP_DMA", iova);
        return unmap.get(U64, vfio_iommu_type1_dma_unmap.size);
    }

    /**
     * VFIO_IOMMU_SPAPR_TCE_GET_INFO with {@code argsz} = sizeof(struct vfio_iommu_spapr_tce_info)
     * (32), one call: the 32-bit window and, on v2 where the platform has dynamic windows, their
     * limits. {@code EINVAL} before VFIO_SET_IOMMU (the container has no IOMMU driver yet).
     */
    public SpaprTceInfo spaprInfo() throws VfioException {
        MemorySegment info = Structs.withArgsz(vfio_iommu_spapr_tce_info.SIZE);
        kernel.ioctl(fd, VFIO_IOMMU_SPAPR_TCE_GET_INFO, info);
        int flags = info.get(U32, vfio_iommu_spapr_tce_info.flags);
        Optional<SpaprTceInfo.DdwInfo> ddw = Optional.empty();
        if ((flags & VFIO_IOMMU_SPAPR_INFO_DDW) != 0) {
            long at = vfio_iommu_spapr_tce_info.ddw;
            ddw = Optional.of(new SpaprTceInfo.DdwInfo(info.get(U64, at + vfio_iommu_spapr_tce_ddw_info.pgsizes),
                    info.get(U32, at + vfio_iommu_spapr_tce_ddw_info.max_dynamic_windows_supported),
                    info.get(U32, at + vfio_iommu_spapr_tce_ddw_info.levels)));
        }
        return new SpaprTceInfo(flags, Integer.toUnsignedLong(info.get(U32, vfio_iommu_spapr_tce_info.dma32_window_start)),
                Integer.toUnsignedLong(info.get(U32, vfio_iommu_spapr_tce_info.dma32_window_size)), ddw);
    }

    /**
     * VFIO_IOMMU_ENABLE (sPAPR v1): charges the 32-bit window to locked memory and allows MAP_DMA.
     * {@code EBUSY} when already enabled, {@code ENOMEM} over RLIMIT_MEMLOCK, {@code ENOTTY} on v2.
     */
    public void enableIommu() throws VfioException {
        kernel.ioctl(fd, VFIO_IOMMU_ENABLE, 0L);
    }

    /** VFIO_IOMMU_DISABLE (sPAPR v1): releases the charge; succeeds when not enabled too, {@code ENOTTY} on v2. */
    public void disableIommu() throws VfioException {
        kernel.ioctl(fd, VFIO_IOMMU_DISABLE, 0L);
    }

    /**
     * VFIO_IOMMU_SPAPR_REGISTER_MEMORY (sPAPR v2): pins {@code memory} and charges it to locked
     * memory, so MAP_DMA may point into it. Address and size must be page-aligned ({@code EINVAL}),
     * the same range again is {@code EBUSY}, a partial overlap {@code EINVAL}; {@code ENOTTY} on v1.
     */
    public RegisteredMemory registerMemory(MemorySegment memory) throws VfioException {
        required(memory, "the memory to register");
        long vaddr = kernel.userAddress(memory);
        kernel.ioctl(fd, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, registration(vaddr, memory.byteSize()));
        return new RegisteredMemory(vaddr, memory.byteSize(), memory);
    }

    /**
     * VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY of a registration: exactly its range, else {@code ENOENT};
     * {@code EBUSY} while TCEs still point into it.
     */
    public void unregisterMemory(RegisteredMemory registration) throws VfioException {
        required(registration, "the registration");
        kernel.ioctl(fd, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, registration(registration.vaddr(), registration.size()));
    }

    /** VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY of the range {@code memory} covers (as {@link #unregisterMemory(RegisteredMemory)}). */
    public void unregisterMemory(MemorySegment memory) throws VfioException {
        required(memory, "the memory to unregister");
        kernel.ioctl(fd, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, registration(kernel.userAddress(memory), memory.byteSize()));
    }

    private static MemorySegment registration(long vaddr, long size) {
        MemorySegment reg = Structs.withArgsz(vfio_iommu_spapr_register_memory.SIZE);
        reg.set(U64, vfio_iommu_spapr_register_memory.vaddr, vaddr);
        reg.set(U64, vfio_iommu_spapr_register_memory.size, size);
        return reg;
    }

    /**
     * VFIO_IOMMU_SPAPR_TCE_CREATE (sPAPR v2): a DMA window of {@code windowSize} bytes with IOMMU
     * pages of {@code 1 << pageShift} and a TCE table of {@code levels} levels, at the bus address
     * the platform chooses ({@code start_addr} written back). {@code ENOSPC} when every window slot
     * is used; {@code EINVAL} for a page size the platform lacks ({@link SpaprTceInfo.DdwInfo#pageSizes()})
     * or a size and level count it cannot build; {@code ENOTTY} on v1.
     */
    public DmaWindow createWindow(int pageShift, long windowSize, int levels) throws VfioException {
        MemorySegment create = Structs.withArgsz(vfio_iommu_spapr_tce_create.SIZE);
        create.set(U32, vfio_iommu_spapr_tce_create.page_shift, pageShift);
        create.set(U64, vfio_iommu_spapr_tce_create.window_size, windowSize);
        create.set(U32, vfio_iommu_spapr_tce_create.levels, levels);
        kernel.ioctl(fd, VFIO_IOMMU_SPAPR_TCE_CREATE, create);
        return new DmaWindow(create.get(U64, vfio_iommu_spapr_tce_create.start_addr), windowSize, pageShift, levels);
    }

    /**
     * VFIO_IOMMU_SPAPR_TCE_REMOVE (sPAPR v2): removes the window that contains {@code startAddr} (any
     * address inside it will do) and its entries; {@code EINVAL} when no window contains it,
     * {@code ENOTTY} on v1. Address 0 while the default window is still pending cancels it.
     */
    public void removeWindow(long startAddr) throws VfioException {
        MemorySegment remove = Structs.withArgsz(vfio_iommu_spapr_tce_remove.SIZE);
        remove.set(U64, vfio_iommu_spapr_tce_remove.start_addr, startAddr);
        kernel.ioctl(fd, VFIO_IOMMU_SPAPR_TCE_REMOVE, remove);
    }

    /** VFIO_IOMMU_SPAPR_TCE_REMOVE of {@code window} (by its start). */
    public void removeWindow(DmaWindow window) throws VfioException {
        required(window, "the window");
        removeWindow(window.start());
    }

    /**
     * The EEH operations of this container's PE (VFIO_EEH_PE_OP; no call is made here). The kernel
     * applies each to every attached group's PE and returns the first non-zero answer; with one
     * group per container, as QEMU uses it, that is the group's PE. Only sPAPR containers answer.
     */
    public EehPe eeh() {
        return new EehPe(this);
    }

    /** Closes the container fd; attached groups keep the container and its mappings alive. */
    @Override
    public void close() throws VfioException {
        super.close();
    }
}
