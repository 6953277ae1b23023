package org.vfio4j.sim;

import static org.vfio4j.uapi.VfioStructs.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;

/**
 * A booted POWER host driven through the raw seam, as the lane's C probe drives the real kernel:
 * a container, the groups, and the sPAPR ioctls with their structs built byte by byte. Each call
 * returns the ioctl's result, or throws the {@link VfioException} with the errno.
 */
final class PowerRig implements AutoCloseable {
    final SimulatedKernel k;
    final Arena arena = Arena.ofShared();
    final Fd container;

    PowerRig(SimulatedHost host) throws VfioException {
        this.k = host.boot();
        this.container = k.open("/dev/vfio/vfio", LinuxAbi.O_RDWR);
    }

    /** The powernv preset with CAP_IPC_LOCK, as the lane's probe ran (root). */
    static SimulatedHost lane() {
        return SimulatedHost.powernv().toBuilder().capIpcLock(true).build();
    }

    /** Opens {@code /dev/vfio/<id>} and attaches it to the container. */
    Fd attach(int group) throws VfioException {
        Fd g = k.open("/dev/vfio/" + group, LinuxAbi.O_RDWR);
        MemorySegment fd = arena.allocate(4);
        fd.set(ValueLayout.JAVA_INT, 0, container.number());
        k.ioctl(g, VFIO_GROUP_SET_CONTAINER, fd);
        return g;
    }

    /** A container with group 0 attached and {@code type} set. */
    static PowerRig with(SimulatedHost host, int type) throws VfioException {
        PowerRig r = new PowerRig(host);
        r.attach(0);
        r.k.ioctl(r.container, VFIO_SET_IOMMU, type);
        return r;
    }

    /** The errno of a call, or null when it succeeded. */
    static Errno errno(Errnos.Call c) {
        return Errnos.of(c);
    }

    /** Memory the process owns, page-aligned, at an address the kernel knows. */
    MemorySegment memory(long size) {
        MemorySegment m = arena.allocate(size, 0x10000);
        k.userAddress(m);
        return m;
    }

    long vaddr(MemorySegment m) {
        return k.userAddress(m);
    }

    int ioctl(long request, MemorySegment arg) throws VfioException {
        return k.ioctl(container, request, arg);
    }

    int enable() throws VfioException {
        return k.ioctl(container, VFIO_IOMMU_ENABLE, 0);
    }

    int disable() throws VfioException {
        return k.ioctl(container, VFIO_IOMMU_DISABLE, 0);
    }

    /** GET_INFO into a buffer of 40 bytes filled with 0xAA, {@code argsz} as given; the buffer. */
    MemorySegment info(int argsz) throws VfioException {
        MemorySegment b = arena.allocate(40, 8);
        b.fill((byte) 0xAA);
        b.set(ValueLayout.JAVA_INT, 0, argsz);
        ioctl(VFIO_IOMMU_SPAPR_TCE_GET_INFO, b);
        return b;
    }

    int map(int argsz, int flags, long vaddr, long iova, long size) throws VfioException {
        MemorySegment m = arena.allocate(vfio_iommu_type1_dma_map.SIZE, 8);
        m.set(ValueLayout.JAVA_INT, vfio_iommu_type1_dma_map.argsz, argsz);
        m.set(ValueLayout.JAVA_INT, vfio_iommu_type1_dma_map.flags, flags);
        m.set(ValueLayout.JAVA_LONG, vfio_iommu_type1_dma_map.vaddr, vaddr);
        m.set(ValueLayout.JAVA_LONG, vfio_iommu_type1_dma_map.iova, iova);
        m.set(ValueLayout.JAVA_LONG, vfio_iommu_type1_dma_map.size, size);
        return ioctl(VFIO_IOMMU_MAP_DMA, m);
    }

    int map(int flags, long vaddr, long iova, long size) throws VfioException {
        return map(vfio_iommu_type1_dma_map.SIZE, flags, vaddr, iova, size);
    }

    /** UNMAP_DMA; the struct as the kernel left it. */
    MemorySegment unmapStruct(int flags, long iova, long size) throws VfioException {
        MemorySegment u = arena.allocate(vfio_iommu_type1_dma_unmap.SIZE, 8);
        u.set(ValueLayout.JAVA_INT, vfio_iommu_type1_dma_unmap.argsz, vfio_iommu_type1_dma_unmap.SIZE);
        u.set(ValueLayout.JAVA_INT, vfio_iommu_type1_dma_unmap.flags, flags);
        u.set(ValueLayout.JAVA_LONG, vfio_iommu_type1_dma_unmap.iova, iova);
        u.set(ValueLayout.JAVA_LONG, vfio_iommu_type1_dma_unmap.size, size);
        ioctl(VFIO_IOMMU_UNMAP_DMA, u);
        return u;
    }

    int unmap(long iova, long size) throws VfioException {
        MemorySegment u = arena.allocate(vfio_iommu_type1_dma_unmap.SIZE, 8);
        u.set(ValueLayout.JAVA_INT, vfio_iommu_type1_dma_unmap.argsz, vfio_iommu_type1_dma_unmap.SIZE);
        u.set(ValueLayout.JAVA_LONG, vfio_iommu_type1_dma_unmap.iova, iova);
        u.set(ValueLayout.JAVA_LONG, vfio_iommu_type1_dma_unmap.size, size);
        return ioctl(VFIO_IOMMU_UNMAP_DMA, u);
    }

    private int memoryOp(long request, int argsz, int flags, long vaddr, long size) throws VfioException {
        MemorySegment m = arena.allocate(vfio_iommu_spapr_register_memory.SIZE, 8);
        m.set(ValueLayout.JAVA_INT, vfio_iommu_spapr_register_memory.argsz, argsz);
        m.set(ValueLayout.JAVA_INT, vfio_iommu_spapr_register_memory.flags, flags);
        m.set(ValueLayout.JAVA_LONG, vfio_iommu_spapr_register_memory.vaddr, vaddr);
        m.set(ValueLayout.JAVA_LONG, vfio_iommu_spapr_register_memory.size, size);
        return ioctl(request, m);
    }

    int register(int argsz, int flags, long vaddr, long size) throws VfioException {
        return memoryOp(VFIO_IOMMU_SPAPR_REGISTER_MEMORY, argsz, flags, vaddr, size);
    }

    int register(long vaddr, long size) throws VfioException {
        return register(vfio_iommu_spapr_register_memory.SIZE, 0, vaddr, size);
    }

    int unregister(int argsz, int flags, long vaddr, long size) throws VfioException {
        return memoryOp(VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, argsz, flags, vaddr, size);
    }

    int unregister(long vaddr, long size) throws VfioException {
        return unregister(vfio_iommu_spapr_register_memory.SIZE, 0, vaddr, size);
    }

    /** TCE_CREATE; the struct as the kernel left it. */
    MemorySegment createStruct(int argsz, int flags, int pageShift, long windowSize, int levels) throws VfioException {
        MemorySegment c = arena.allocate(vfio_iommu_spapr_tce_create.SIZE, 8);
        c.set(ValueLayout.JAVA_INT, vfio_iommu_spapr_tce_create.argsz, argsz);
        c.set(ValueLayout.JAVA_INT, vfio_iommu_spapr_tce_create.flags, flags);
        c.set(ValueLayout.JAVA_INT, vfio_iommu_spapr_tce_create.page_shift, pageShift);
        c.set(ValueLayout.JAVA_LONG, vfio_iommu_spapr_tce_create.window_size, windowSize);
        c.set(ValueLayout.JAVA_INT, vfio_iommu_spapr_tce_create.levels, levels);
        c.set(ValueLayout.JAVA_LONG, vfio_iommu_spapr_tce_create.start_addr, 0xDEADL);
        ioctl(VFIO_IOMMU_SPAPR_TCE_CREATE, c);
        return c;
    }

    /** TCE_CREATE; the window's {@code start_addr}. */
    long create(int pageShift, long windowSize, int levels) throws VfioException {
        return createStruct(vfio_iommu_spapr_tce_create.SIZE, 0, pageShift, windowSize, levels)
                .get(ValueLayout.JAVA_LONG, vfio_iommu_spapr_tce_create.start_addr);
    }

    int remove(int argsz, int flags, long start) throws VfioException {
        MemorySegment r = arena.allocate(vfio_iommu_spapr_tce_remove.SIZE, 8);
        r.set(ValueLayout.JAVA_INT, vfio_iommu_spapr_tce_remove.argsz, argsz);
        r.set(ValueLayout.JAVA_INT, vfio_iommu_spapr_tce_remove.flags, flags);
        r.set(ValueLayout.JAVA_LONG, vfio_iommu_spapr_tce_remove.start_addr, start);
        return ioctl(VFIO_IOMMU_SPAPR_TCE_REMOVE, r);
    }

    int remove(long start) throws VfioException {
        return remove(vfio_iommu_spapr_tce_remove.SIZE, 0, start);
    }

    int eeh(int argsz, int flags, int op) throws VfioException {
        MemorySegment e = arena.allocate(vfio_eeh_pe_op.SIZE, 8);
        e.set(ValueLayout.JAVA_INT, vfio_eeh_pe_op.argsz, argsz);
        e.set(ValueLayout.JAVA_INT, vfio_eeh_pe_op.flags, flags);
        e.set(ValueLayout.JAVA_INT, vfio_eeh_pe_op.op, op);
        return ioctl(VFIO_EEH_PE_OP, e);
    }

    @Override
    public void close() {
        k.close();
        arena.close();
    }
}
