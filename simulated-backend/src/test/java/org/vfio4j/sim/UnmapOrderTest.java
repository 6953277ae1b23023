package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.IommuType;
import org.vfio4j.KernelProfile;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;

/**
 * Which mappings a type1 (v1) unmap that starts inside a mapping removes: from 5.12 the walk goes
 * in address order and stops at once; before, it meets mappings in the kernel rb-tree's order. The
 * case is the one the real 5.10 kernel answered in the lane: mappings at pages [17, +4), [13, +1)
 * and [2, +8), mapped in that order, make [13, +1) the tree's root, so unmapping pages [6, +8)
 * removes it (4096 bytes) before it meets [2, +8) and stops.
 */
class UnmapOrderTest {
    private static final long PAGE = 4096;
    private static final long BASE = 0x1_0000_0000L;
    private final Arena arena = Arena.ofConfined();
    private Vfio vfio;

    @AfterEach
    void close() {
        vfio.close();
        arena.close();
    }

    private VfioContainer v1Container(KernelProfile profile) throws Exception {
        vfio = Vfio.open(SimulatedHost.x86Type1().toBuilder().profile(profile).build());
        VfioContainer c = vfio.openContainer();
        vfio.openGroup(7).setContainer(c);
        c.setIommu(IommuType.TYPE1);
        MemorySegment memory = arena.allocate(8 * PAGE, PAGE);
        for (long[] m : new long[][] {{17, 4}, {13, 1}, {2, 8}}) {
            c.mapDma(memory.asSlice(0, m[1] * PAGE), BASE + m[0] * PAGE);
        }
        return c;
    }

    @Test
    void linux510_meetsTheTreesRootFirst() throws Exception {
        VfioContainer c = v1Container(KernelProfile.LINUX_5_10);
        assertThat(c.unmapDma(BASE + 6 * PAGE, 8 * PAGE)).isEqualTo(PAGE);
        assertThat(c.unmapDma(BASE + 13 * PAGE, PAGE)).as("[13, +1) is gone").isZero();
        assertThat(c.unmapDma(BASE + 2 * PAGE, 8 * PAGE)).as("[2, +8) stayed").isEqualTo(8 * PAGE);
        assertThat(c.unmapDma(BASE + 17 * PAGE, 4 * PAGE)).as("[17, +4) stayed").isEqualTo(4 * PAGE);
    }

    @Test
    void beforeLinux512_aMappingEndingAtTheTopOfTheIovaSpace_isRefusedWithTheReason() throws Exception {
        vfio = Vfio.open(SimulatedHost.x86Type1().toBuilder().profile(KernelProfile.LINUX_5_10)
                .iovaRanges(java.util.List.of(new org.vfio4j.IovaRange(0, -1L))).build());
        VfioContainer c = vfio.openContainer();
        vfio.openGroup(7).setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        MemorySegment page = arena.allocate(PAGE, PAGE);
        assertThatThrownBy(() -> c.mapDma(page, -PAGE)).isInstanceOfSatisfying(org.vfio4j.VfioException.class,
                e -> assertThat(e.errno()).isEqualTo(org.vfio4j.Errno.EINVAL)).hasMessageContaining("vfio_find_dma");
        assertThat(c.mapDma(page, -2 * PAGE).iova()).as("one page lower is fine").isEqualTo(-2 * PAGE);
    }

    @Test
    void linux61_walksInAddressOrder_andStopsAtTheStraddler() throws Exception {
        VfioContainer c = v1Container(KernelProfile.LINUX_6_1);
        assertThat(c.unmapDma(BASE + 6 * PAGE, 8 * PAGE)).isZero();
        assertThat(c.unmapDma(BASE + 13 * PAGE, PAGE)).as("[13, +1) stayed").isEqualTo(PAGE);
    }
}
