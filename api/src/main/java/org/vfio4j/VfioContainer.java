package org.vfio4j;

import static org.vfio4j.Structs.U32;
import static org.vfio4j.Structs.U64;
import static org.vfio4j.uapi.VfioStructs.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
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
        return kernel.ioctl(fd, VFIO_GET_API_VERSION, 0L);
    }

    /** VFIO_CHECK_EXTENSION: 0 when unsupported, positive when supported. */
    public int checkExtension(int extension) throws VfioException {
        return kernel.ioctl(fd, VFIO_CHECK_EXTENSION, extension);
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
     * decoded.
     */
    public IommuInfo iommuInfo() throws VfioException {
        MemorySegment info = Structs.withArgsz(vfio_iommu_type1_info.SIZE);
        kernel.ioctl(fd, VFIO_IOMMU_GET_INFO, info);
        long needed = Integer.toUnsignedLong(info.get(U32, vfio_iommu_type1_info.argsz));
        if (needed > vfio_iommu_type1_info.SIZE) {
            info = Structs.withArgsz(needed);
            kernel.ioctl(fd, VFIO_IOMMU_GET_INFO, info);
        }
        int flags = info.get(U32, vfio_iommu_type1_info.flags);
        long pageSizes = info.get(U64, vfio_iommu_type1_info.iova_pgsizes);
        List<IommuCapability> caps = new ArrayList<>();
        if ((flags & VFIO_IOMMU_INFO_CAPS) != 0) {
            for (CapabilityChain.Entry e : CapabilityChain.walk(info, info.get(U32, vfio_iommu_type1_info.cap_offset))) {
                caps.add(decode(e));
            }
        }
        return new IommuInfo(flags, pageSizes, caps);
    }

    private static IommuCapability decode(CapabilityChain.Entry e) {
        MemorySegment b = e.bytes();
        return switch (e.id()) {
            case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE -> {
                int n = b.get(U32, vfio_iommu_type1_info_cap_iova_range.nr_iovas);
                List<IovaRange> ranges = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    long at = vfio_iommu_type1_info_cap_iova_range.iova_ranges + (long) vfio_iova_range.SIZE * i;
                    if (at + vfio_iova_range.SIZE > b.byteSize()) {
                        break; // a count the bytes do not hold: keep the ranges that are there
                    }
                    ranges.add(new IovaRange(b.get(U64, at + vfio_iova_range.start), b.get(U64, at + vfio_iova_range.end)));
                }
                yield new IommuCapability.IovaRanges(ranges);
            }
            case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL -> new IommuCapability.DmaAvailable(b.get(U32, vfio_iommu_type1_info_dma_avail.avail));
            case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION -> new IommuCapability.Migration(b.get(U32, vfio_iommu_type1_info_cap_migration.flags),
                    b.get(U64, vfio_iommu_type1_info_cap_migration.pgsize_bitmap),
                    b.get(U64, vfio_iommu_type1_info_cap_migration.max_dirty_bitmap_size));
            default -> new IommuCapability.Unknown(e.id(), e.version(), b.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        };
    }

    /**
     * VFIO_IOMMU_MAP_DMA: lets the device reach {@code memory} at {@code iova}. {@code memory}
     * must be native (an {@code Arena} allocation or an mmap); keep it alive while mapped.
     */
    public DmaMapping mapDma(MemorySegment memory, long iova, boolean read, boolean write) throws VfioException {
        required(memory, "the memory to map");
        long vaddr = kernel.userAddress(memory);
        MemorySegment map = Structs.withArgsz(vfio_iommu_type1_dma_map.SIZE);
        map.set(U32, vfio_iommu_type1_dma_map.flags, (read ? VFIO_DMA_MAP_FLAG_READ : 0) | (write ? VFIO_DMA_MAP_FLAG_WRITE : 0));
        map.set(U64, vfio_iommu_type1_dma_map.vaddr, vaddr);
        map.set(U64, vfio_iommu_type1_dma_map.iova, iova);
        map.set(U64, vfio_iommu_type1_dma_map.size, memory.byteSize());
        kernel.ioctl(fd, VFIO_IOMMU_MAP_DMA, map);
        return new DmaMapping(iova, memory.byteSize(), vaddr, read, write, memory);
    }

    /** {@link #mapDma(MemorySegment, long, boolean, boolean)} readable and writable by the device. */
    public DmaMapping mapDma(MemorySegment memory, long iova) throws VfioException {
        return mapDma(memory, iova, true, true);
    }

    /** VFIO_IOMMU_UNMAP_DMA of {@code [iova, iova + size)}; returns the bytes the kernel says it unmapped. */
    public long unmapDma(long iova, long size) throws VfioException {
        return unmap(iova, size, 0);
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
        kernel.ioctl(fd, VFIO_IOMMU_UNMAP_DMA, unmap);
        return unmap.get(U64, vfio_iommu_type1_dma_unmap.size);
    }

    /** Closes the container fd; attached groups keep the container and its mappings alive. */
    @Override
    public void close() throws VfioException {
        super.close();
    }
}
