package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_GET_INFO;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vfio4j.IommuType;
import org.vfio4j.IovaRange;
import org.vfio4j.KernelProfile;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;

/**
 * The bytes of VFIO_IOMMU_GET_INFO's capability chain as the lane's kernels wrote them, with the
 * lane's two IOVA ranges: 6.1 packs the 12-byte DMA_AVAIL capability (IOVA_RANGE at 68, 116 bytes
 * in all); 6.12 rounds it up to 16 with zeros ({@code vfio_info_cap_add}, 6.6: IOVA_RANGE at 72,
 * 120 bytes).
 */
class InfoAlignmentTest {
    @ParameterizedTest
    @CsvSource({"LINUX_6_1, 116, 68", "LINUX_6_12, 120, 72"})
    void dmaAvail_isPackedOn61_andPaddedTo8On612(KernelProfile profile, int argsz, int iovaRangeAt) throws Exception {
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().profile(profile)
                .iovaRanges(List.of(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, 0x7f_ffff_ffffL))).build();
        try (Vfio vfio = Vfio.open(host); Arena arena = Arena.ofConfined()) {
            VfioContainer c = vfio.openContainer();
            vfio.openGroup(7).setContainer(c);
            c.setIommu(IommuType.TYPE1V2);
            MemorySegment small = arena.allocate(32, 8);
            small.set(ValueLayout.JAVA_INT, 0, 32);
            vfio.seam().ioctl(c.fd(), VFIO_IOMMU_GET_INFO, small);
            assertThat(small.get(ValueLayout.JAVA_INT, 0)).as("argsz needed").isEqualTo(argsz);
            MemorySegment info = arena.allocate(256, 8);
            info.fill((byte) 0x5a);
            info.set(ValueLayout.JAVA_INT, 0, 256);
            vfio.seam().ioctl(c.fd(), VFIO_IOMMU_GET_INFO, info);
            int migration = info.get(ValueLayout.JAVA_INT, 16);
            int dmaAvail = info.get(ValueLayout.JAVA_INT, migration + 4); // the MIGRATION capability's next
            assertThat(info.get(ValueLayout.JAVA_SHORT, dmaAvail)).as("DMA_AVAIL's id").isEqualTo((short) 3);
            assertThat(info.get(ValueLayout.JAVA_INT, dmaAvail + 4)).as("DMA_AVAIL's next").isEqualTo(iovaRangeAt);
            assertThat(info.get(ValueLayout.JAVA_SHORT, iovaRangeAt)).as("IOVA_RANGE's id").isEqualTo((short) 1);
            if (iovaRangeAt == 72) {
                assertThat(info.get(ValueLayout.JAVA_INT, dmaAvail + 12)).as("the padding is zero").isZero();
            }
        }
    }
}
