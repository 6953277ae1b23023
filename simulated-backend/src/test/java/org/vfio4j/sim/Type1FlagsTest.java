package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.sim.CanonicalSequenceTest.catchVfio;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.IommuType;
import org.vfio4j.KernelProfile;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.spi.Fd;

/** Type1's 5.8+ flags (VADDR, ALL, GET_DIRTY_BITMAP), their absence in 5.7, and pinning faults. */
class Type1FlagsTest {
    private final Arena arena = Arena.ofConfined();
    private SimulatedKernel k;
    private Fd c;

    @AfterEach
    void close() {
        arena.close();
    }

    private VfioContainer attached(KernelProfile profile) throws Exception {
        k = SimulatedHost.x86Type1().toBuilder().profile(profile).build().boot();
        Vfio vfio = Vfio.over(k);
        VfioContainer container = vfio.openContainer();
        vfio.openGroup(7).setContainer(container);
        container.setIommu(IommuType.TYPE1V2);
        c = container.fd();
        return container;
    }

    private Errno map(int flags, long vaddr, long iova, long size) {
        MemorySegment m = arena.allocate(32, 8);
        m.set(ValueLayout.JAVA_INT, 0, 32);
        m.set(ValueLayout.JAVA_INT, 4, flags);
        m.set(ValueLayout.JAVA_LONG, 8, vaddr);
        m.set(ValueLayout.JAVA_LONG, 16, iova);
        m.set(ValueLayout.JAVA_LONG, 24, size);
        try {
            k.ioctl(c, VFIO_IOMMU_MAP_DMA, m);
            return null;
        } catch (org.vfio4j.VfioException e) {
            return e.errno();
        }
    }

    private long unmap(int flags, long iova, long size) throws Exception {
        MemorySegment u = arena.allocate(24, 8);
        u.set(ValueLayout.JAVA_INT, 0, 24);
        u.set(ValueLayout.JAVA_INT, 4, flags);
        u.set(ValueLayout.JAVA_LONG, 8, iova);
        u.set(ValueLayout.JAVA_LONG, 16, size);
        k.ioctl(c, VFIO_IOMMU_UNMAP_DMA, u);
        return u.get(ValueLayout.JAVA_LONG, 16);
    }

    @Test
    void vaddr_invalidateThenUpdate_onlyExactInvalidatedMappings() throws Exception {
        VfioContainer container = attached(KernelProfile.LINUX_6_1);
        MemorySegment a = arena.allocate(2 * 4096, 4096);
        MemorySegment b = arena.allocate(2 * 4096, 4096);
        container.mapDma(a, 0x10000);
        container.mapDma(a, 0x20000);
        assertThat(unmap(VFIO_DMA_UNMAP_FLAG_VADDR, 0x10000, 0x20000)).as("invalidated bytes").isEqualTo(4 * 4096);
        assertThat(catchVfio(() -> unmap(VFIO_DMA_UNMAP_FLAG_VADDR, 0x10000, 0x20000)).errno())
                .as("already invalid").isEqualTo(Errno.EINVAL);
        long vb = k.userAddress(b);
        assertThat(map(VFIO_DMA_MAP_FLAG_VADDR | VFIO_DMA_MAP_FLAG_READ, vb, 0x10000, 0x2000)).as("VADDR with READ").isEqualTo(Errno.EINVAL);
        assertThat(map(VFIO_DMA_MAP_FLAG_VADDR, vb, 0x10000, 0x1000)).as("not the whole mapping").isEqualTo(Errno.EINVAL);
        assertThat(map(VFIO_DMA_MAP_FLAG_VADDR, vb, 0x40000, 0x2000)).as("no mapping there").isEqualTo(Errno.ENOENT);
        assertThat(map(VFIO_DMA_MAP_FLAG_VADDR, vb, 0x10000, 0x2000)).isNull();
        assertThat(map(VFIO_DMA_MAP_FLAG_VADDR, vb, 0x10000, 0x2000)).as("valid again").isEqualTo(Errno.EINVAL);
        // the second mapping is still invalid: a range containing it rolls back this call's marks
        assertThat(catchVfio(() -> unmap(VFIO_DMA_UNMAP_FLAG_VADDR, 0x10000, 0x20000)).errno()).isEqualTo(Errno.EINVAL);
        assertThat(map(VFIO_DMA_MAP_FLAG_VADDR, vb, 0x10000, 0x2000)).as("rolled back to valid").isEqualTo(Errno.EINVAL);
    }

    @Test
    void unmapAll_removesEverything_andNeedsZeroIovaAndSize() throws Exception {
        VfioContainer container = attached(KernelProfile.LINUX_6_1);
        MemorySegment a = arena.allocate(4096, 4096);
        container.mapDma(a, 0x10000);
        container.mapDma(a, 0x7_0000_0000L);
        assertThat(catchVfio(() -> unmap(VFIO_DMA_UNMAP_FLAG_ALL, 0x10000, 0)).errno()).isEqualTo(Errno.EINVAL);
        assertThat(container.unmapAllDma()).isEqualTo(2 * 4096);
        assertThat(k.dmaMappingCount(7)).contains(0);
        assertThat(catchVfio(() -> unmap(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 0x10000, 0x1000)).errno())
                .as("dirty tracking never started").isEqualTo(Errno.EINVAL);
        assertThat(catchVfio(() -> unmap(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL, 0, 0)).errno())
                .isEqualTo(Errno.EINVAL);
    }

    @Test
    void linux57_knowsNoMapOrUnmapFlags() throws Exception {
        VfioContainer container = attached(KernelProfile.LINUX_5_7);
        MemorySegment a = arena.allocate(4096, 4096);
        assertThat(map(VFIO_DMA_MAP_FLAG_VADDR, k.userAddress(a), 0x10000, 0x1000)).isEqualTo(Errno.EINVAL);
        assertThat(catchVfio(() -> unmap(VFIO_DMA_UNMAP_FLAG_ALL, 0, 0)).errno()).isEqualTo(Errno.EINVAL);
        assertThat(container.checkExtension(VFIO_UPDATE_VADDR)).isZero();
    }

    @Test
    void pinning_writeToReadOnlyMemory_isEfault_readIsFine() throws Exception {
        attached(KernelProfile.LINUX_6_1);
        MemorySegment ro = arena.allocate(4096, 4096).asReadOnly();
        long v = k.userAddress(ro);
        assertThat(map(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, v, 0x10000, 0x1000)).isEqualTo(Errno.EFAULT);
        assertThat(map(VFIO_DMA_MAP_FLAG_READ, v, 0x10000, 0x1000)).as("the device only reads").isNull();
        assertThat(map(VFIO_DMA_MAP_FLAG_READ, v, 0x20000, 0x2000)).as("runs past the memory").isEqualTo(Errno.EFAULT);
        assertThat(k.dmaMappingCount(7)).contains(1);
    }
}
