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
import org.vfio4j.IommuCapability;
import org.vfio4j.IommuType;
import org.vfio4j.KernelProfile;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;

/**
 * VFIO_IOMMU_DIRTY_PAGES and UNMAP_DMA with GET_DIRTY_BITMAP on the simulated type1 IOMMU, rule
 * by rule as Linux 6.1's {@code vfio_iommu_type1_dirty_pages}, {@code vfio_iova_dirty_bitmap},
 * {@code update_user_bitmap} and {@code vfio_dma_do_unmap} apply them.
 */
class DirtyPagesTest {
    private static final long PAGE = 4096;
    private static final long BASE = 0x10_0000;
    private final Arena arena = Arena.ofConfined();
    private SimulatedKernel k;
    private VfioContainer container;
    private Fd c;

    @AfterEach
    void close() {
        arena.close();
    }

    private void attached(KernelProfile profile, IommuType type) throws Exception {
        k = SimulatedHost.x86Type1().toBuilder().profile(profile).build().boot();
        Vfio vfio = Vfio.over(k);
        container = vfio.openContainer();
        vfio.openGroup(7).setContainer(container);
        container.setIommu(type);
        c = container.fd();
    }

    private void attached() throws Exception {
        attached(KernelProfile.LINUX_6_1, IommuType.TYPE1V2);
    }

    private void dirtyPages(int argsz, int flags) throws VfioException {
        MemorySegment m = arena.allocate(8, 8);
        m.set(ValueLayout.JAVA_INT, 0, argsz);
        m.set(ValueLayout.JAVA_INT, 4, flags);
        k.ioctl(c, VFIO_IOMMU_DIRTY_PAGES, m);
    }

    private Errno dirtyPagesErrno(int argsz, int flags) {
        return errno(() -> dirtyPages(argsz, flags));
    }

    /** GET_BITMAP for [iova, +size) into {@code bitmap} (address from userAddress), with the given bitmap fields. */
    private void getBitmap(int argsz, long iova, long size, long pgsize, long bitmapSize, long data) throws VfioException {
        MemorySegment m = arena.allocate(48, 8);
        m.set(ValueLayout.JAVA_INT, 0, argsz);
        m.set(ValueLayout.JAVA_INT, 4, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP);
        m.set(ValueLayout.JAVA_LONG, 8, iova);
        m.set(ValueLayout.JAVA_LONG, 16, size);
        m.set(ValueLayout.JAVA_LONG, 24, pgsize);
        m.set(ValueLayout.JAVA_LONG, 32, bitmapSize);
        m.set(ValueLayout.JAVA_LONG, 40, data);
        k.ioctl(c, VFIO_IOMMU_DIRTY_PAGES, m);
    }

    private Errno getErrno(long iova, long size, long pgsize, long bitmapSize, long data) {
        return errno(() -> getBitmap(48, iova, size, pgsize, bitmapSize, data));
    }

    /** UNMAP_DMA with GET_DIRTY_BITMAP; returns the size written back. */
    private long unmapDirty(int argsz, int flags, long iova, long size, long pgsize, long bitmapSize, long data) throws VfioException {
        MemorySegment u = arena.allocate(48, 8);
        u.set(ValueLayout.JAVA_INT, 0, argsz);
        u.set(ValueLayout.JAVA_INT, 4, flags);
        u.set(ValueLayout.JAVA_LONG, 8, iova);
        u.set(ValueLayout.JAVA_LONG, 16, size);
        u.set(ValueLayout.JAVA_LONG, 24, pgsize);
        u.set(ValueLayout.JAVA_LONG, 32, bitmapSize);
        u.set(ValueLayout.JAVA_LONG, 40, data);
        k.ioctl(c, VFIO_IOMMU_UNMAP_DMA, u);
        return u.get(ValueLayout.JAVA_LONG, 16);
    }

    private MemorySegment map(long iova, long pages) throws VfioException {
        MemorySegment mem = arena.allocate(pages * PAGE, PAGE);
        container.mapDma(mem, iova);
        return mem;
    }

    private MemorySegment bitmap(long bytes, byte fill) {
        MemorySegment b = arena.allocate(bytes, 8);
        b.fill(fill);
        return b;
    }

    private interface Call {
        void run() throws VfioException;
    }

    private static Errno errno(Call call) {
        try {
            call.run();
            return null;
        } catch (VfioException e) {
            return e.errno();
        }
    }

    @Test
    void linux57_hasNoDirtyPages_enotty() throws Exception {
        attached(KernelProfile.LINUX_5_7, IommuType.TYPE1V2);
        assertThat(dirtyPagesErrno(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START)).isEqualTo(Errno.ENOTTY);
    }

    @Test
    void type1v1_isRefusedWithEacces_beforeAnyArgumentIsRead() throws Exception {
        attached(KernelProfile.LINUX_6_1, IommuType.TYPE1);
        assertThat(dirtyPagesErrno(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START)).isEqualTo(Errno.EACCES);
        assertThat(errno(() -> k.ioctl(c, VFIO_IOMMU_DIRTY_PAGES, MemorySegment.NULL))).isEqualTo(Errno.EACCES);
    }

    @Test
    void argszAndFlags_areCheckedAsTheKernelDoes() throws Exception {
        attached();
        assertThat(errno(() -> k.ioctl(c, VFIO_IOMMU_DIRTY_PAGES, arena.allocate(4, 4)))).as("4 readable bytes").isEqualTo(Errno.EFAULT);
        assertThat(dirtyPagesErrno(7, VFIO_IOMMU_DIRTY_PAGES_FLAG_START)).as("argsz 7").isEqualTo(Errno.EINVAL);
        assertThat(dirtyPagesErrno(8, 0)).as("no flag").isEqualTo(Errno.EINVAL);
        assertThat(dirtyPagesErrno(8, 1 << 3)).as("unknown flag").isEqualTo(Errno.EINVAL);
        assertThat(dirtyPagesErrno(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START | 1 << 3)).as("START + unknown").isEqualTo(Errno.EINVAL);
        assertThat(dirtyPagesErrno(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP)).as("two flags")
                .isEqualTo(Errno.EINVAL);
        assertThat(dirtyPagesErrno(-1, VFIO_IOMMU_DIRTY_PAGES_FLAG_START)).as("huge argsz is fine").isNull();
    }

    @Test
    void startAndStop_areIdempotent_andGetBitmapNeedsTracking() throws Exception {
        attached();
        map(BASE, 2);
        MemorySegment b = bitmap(8, (byte) 0);
        long data = k.userAddress(b);
        assertThat(getErrno(BASE, 2 * PAGE, PAGE, 8, data)).as("tracking off").isEqualTo(Errno.EINVAL);
        assertThat(dirtyPagesErrno(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP)).as("STOP while off").isNull();
        assertThat(dirtyPagesErrno(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START)).isNull();
        assertThat(dirtyPagesErrno(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START)).as("START twice").isNull();
        assertThat(getErrno(BASE, 2 * PAGE, PAGE, 8, data)).isNull();
        assertThat(b.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(0b11);
        assertThat(dirtyPagesErrno(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP)).isNull();
        assertThat(getErrno(BASE, 2 * PAGE, PAGE, 8, data)).as("stopped").isEqualTo(Errno.EINVAL);
    }

    @Test
    void getBitmap_refusesBadArgumentsWithTheKernelsErrno() throws Exception {
        attached();
        map(BASE, 2);
        dirtyPages(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
        long data = k.userAddress(bitmap(16, (byte) 0));
        assertThat(errno(() -> getBitmap(8 + 39, BASE, 2 * PAGE, PAGE, 8, data))).as("argsz short of the range").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> getBitmap(8, BASE, 2 * PAGE, PAGE, 8, data))).as("argsz without data").isEqualTo(Errno.EINVAL);
        MemorySegment shortArg = arena.allocate(8, 8);
        shortArg.set(ValueLayout.JAVA_INT, 0, 48);
        shortArg.set(ValueLayout.JAVA_INT, 4, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP);
        assertThat(errno(() -> k.ioctl(c, VFIO_IOMMU_DIRTY_PAGES, shortArg))).as("range unreadable").isEqualTo(Errno.EFAULT);
        assertThat(getErrno(-PAGE, 2 * PAGE, PAGE, 8, data)).as("wraps").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE, 2 * PAGE, PAGE, 8, 1L << 47)).as("not user memory (access_ok)").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE, 2 * PAGE, PAGE, 0, data)).as("bitmap size 0").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE, 2 * PAGE, PAGE, (1L << 28) + 8, data)).as("bitmap over 2^28").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE, 65 * PAGE, PAGE, 8, data)).as("65 pages need 16 bytes").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE, 2 * PAGE, 2 * PAGE, 8, data)).as("pgsize not the smallest").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE, 2 * PAGE, 0, 8, data)).as("pgsize 0").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE + 1, 2 * PAGE, PAGE, 8, data)).as("iova unaligned").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE, 0, PAGE, 8, data)).as("size 0").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE, 2 * PAGE + 1, PAGE, 8, data)).as("size unaligned").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE + PAGE, PAGE, PAGE, 8, data)).as("starts inside a mapping").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE - PAGE, 2 * PAGE, PAGE, 8, data)).as("ends inside a mapping").isEqualTo(Errno.EINVAL);
        assertThat(getErrno(BASE + 16 * PAGE, PAGE, PAGE, 8, data)).as("no mapping in range").isNull();
        MemorySegment ro = bitmap(8, (byte) 0).asReadOnly();
        assertThat(getErrno(BASE, 2 * PAGE, PAGE, 8, k.userAddress(ro))).as("read-only bitmap").isEqualTo(Errno.EFAULT);
    }

    @Test
    void getBitmap_setsEveryPageOfEachMapping_orsTheUsersWord_andCarriesShiftedBitsToTheNextReport() throws Exception {
        attached();
        map(BASE + 2 * PAGE, 3); // pages 2..4
        dirtyPages(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
        map(BASE + 70 * PAGE, 2); // mapped while tracking: pages 70, 71
        MemorySegment b = bitmap(24, (byte) 0xA5);
        getBitmap(48, BASE, 130 * PAGE, PAGE, 24, k.userAddress(b));
        // word 0: pages 2..4 (0b11100) ORed with the user's whole word (update_user_bitmap's bitmap_or)
        assertThat(b.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(0xA5A5A5A5A5A5A5BDL);
        // word 1: pages 70, 71 (0b11000000) ORed with the user's word
        assertThat(b.get(ValueLayout.JAVA_LONG, 8)).isEqualTo(0xA5A5A5A5A5A5A5E5L);
        assertThat(b.get(ValueLayout.JAVA_LONG, 16)).as("no mapping: untouched").isEqualTo(0xA5A5A5A5A5A5A5A5L);
        getBitmap(48, BASE, 130 * PAGE, PAGE, 24, k.userAddress(b));
        // the mapping's own bitmap kept the ORed word past its 3 bits (bitmap_clear clears only those):
        // set 0..2, shift by 2 again, OR the user's word again
        assertThat(b.get(ValueLayout.JAVA_LONG, 0)).as("the second report").isEqualTo(0xB7B7B7B7B7B7B7FDL);
    }

    @Test
    void unmapWithDirtyBitmap_validatesThenCopiesAndUnmaps() throws Exception {
        attached();
        map(BASE, 2);
        map(BASE + 4 * PAGE, 1);
        MemorySegment b = bitmap(8, (byte) 0);
        long data = k.userAddress(b);
        int dirty = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
        assertThat(errno(() -> unmapDirty(47, dirty, BASE, 5 * PAGE, PAGE, 8, data))).as("argsz 47").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> unmapDirty(48, dirty | VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, PAGE, 8, data))).as("with ALL")
                .isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> unmapDirty(48, dirty, BASE, 5 * PAGE, PAGE, 8, data))).as("tracking off").isEqualTo(Errno.EINVAL);
        dirtyPages(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
        assertThat(errno(() -> unmapDirty(48, dirty, BASE, 5 * PAGE, 2 * PAGE, 8, data))).as("pgsize").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> unmapDirty(48, dirty, BASE, 5 * PAGE, PAGE, 0, data))).as("bitmap size 0").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> unmapDirty(48, dirty, BASE, 65 * PAGE, PAGE, 8, data))).as("bitmap too small").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> unmapDirty(48, dirty, BASE, PAGE, PAGE, 8, data))).as("v2 cannot split").isEqualTo(Errno.EINVAL);
        assertThat(k.dmaMappingCount(7)).contains(2);
        assertThat(unmapDirty(48, dirty, BASE, 5 * PAGE, PAGE, 8, data)).isEqualTo(3 * PAGE);
        assertThat(b.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(0b10011L);
        assertThat(k.dmaMappingCount(7)).contains(0);
    }

    @Test
    void unmapWithDirtyBitmap_faultingBitmap_isEfault_andKeepsTheMapping() throws Exception {
        attached();
        map(BASE, 1);
        dirtyPages(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
        long ro = k.userAddress(bitmap(8, (byte) 0).asReadOnly());
        assertThat(errno(() -> unmapDirty(48, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, BASE, PAGE, PAGE, 8, ro))).isEqualTo(Errno.EFAULT);
        assertThat(k.dmaMappingCount(7)).contains(1);
    }

    @Test
    void migrationCapability_agreesWithWhatDirtyPagesAccepts() throws Exception {
        attached();
        IommuCapability.Migration mig = container.iommuInfo().capabilities().stream()
                .filter(IommuCapability.Migration.class::isInstance).map(IommuCapability.Migration.class::cast).findFirst().orElseThrow();
        assertThat(mig.pageSizes()).isEqualTo(PAGE).isEqualTo(container.iommuInfo().minPageSize());
        assertThat(mig.maxDirtyBitmapSize()).isEqualTo(1L << 28);
    }

    @Test
    void traceAndException_nameNumber17ByTheContainersIommu() throws Exception {
        k = SimulatedHost.x86Type1().toBuilder().profile(KernelProfile.LINUX_6_1).build().boot();
        Vfio vfio = Vfio.over(k);
        container = vfio.openContainer();
        c = container.fd();
        VfioException bare = catchVfio(() -> dirtyPages(8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
        assertThat(bare.errno()).as("no IOMMU yet").isEqualTo(Errno.EINVAL);
        assertThat(bare.operation()).isEqualTo("VFIO_IOMMU_SPAPR_REGISTER_MEMORY");
        vfio.openGroup(7).setContainer(container);
        container.setIommu(IommuType.TYPE1V2);
        VfioException typed = catchVfio(() -> dirtyPages(8, 0));
        assertThat(typed.operation()).isEqualTo("VFIO_IOMMU_DIRTY_PAGES");
        assertThat(typed.getMessage()).contains("vfio_iommu_type1_dirty_pages");
    }
}
