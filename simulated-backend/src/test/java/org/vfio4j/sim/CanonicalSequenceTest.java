package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.GroupStatus;
import org.vfio4j.IommuInfo;
import org.vfio4j.IommuType;
import org.vfio4j.IovaRange;
import org.vfio4j.KernelProfile;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;

/** The canonical VFIO sequence through the typed API on the x86 preset. */
class CanonicalSequenceTest {

    @Test
    void canonicalSequence_discoverOpenAttachMapOpenDeviceUnmapClose_succeeds() throws Exception {
        try (Vfio vfio = Vfio.open(SimulatedHost.x86Type1()); Arena arena = Arena.ofConfined()) {
            assertThat(vfio.iommuGroups()).extracting(g -> g.id()).containsExactly(7, 8);
            assertThat(vfio.iommuGroups().get(0).vfioNode()).contains("7");
            assertThat(vfio.iommuGroups().get(1).looksViable()).isFalse();

            VfioContainer container = vfio.openContainer();
            assertThat(container.apiVersion()).isZero();
            assertThat(container.supports(IommuType.TYPE1V2)).isTrue();
            VfioGroup group = vfio.openGroup(7);
            assertThat(group.status()).isEqualTo(new GroupStatus(true, false));
            group.setContainer(container);
            assertThat(group.status()).isEqualTo(new GroupStatus(true, true));
            container.setIommu(IommuType.TYPE1V2);

            IommuInfo info = container.iommuInfo();
            assertThat(info.minPageSize()).isEqualTo(4096);
            assertThat(info.iovaRanges()).contains(java.util.List.of(
                    new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, 0xffff_ffff_ffffL)));
            assertThat(info.dmaAvailable()).contains(65535);

            MemorySegment buffer = arena.allocate(2 * 4096, 4096);
            var mapping = container.mapDma(buffer, 0x10_0000);
            assertThat(container.iommuInfo().dmaAvailable()).contains(65534);
            VfioException overlap = catchVfio(() -> container.mapDma(buffer, 0x10_1000));
            assertThat(overlap.errno()).isEqualTo(Errno.EEXIST);
            assertThat(overlap.explanation().orElseThrow()).contains("overlaps the existing mapping").contains("vfio_dma_do_map");

            VfioDevice device = group.openDevice("0000:01:00.0");
            assertThat(device.info().numRegions()).isEqualTo(9);
            assertThat(device.info().numIrqs()).isEqualTo(5);
            assertThat(device.readConfigDword(0)).isEqualTo(0x11e8_1234);
            assertThat(device.regionInfo(7).size()).isEqualTo(256);
            assertThat(catchVfio(group::unsetContainer).errno()).isEqualTo(Errno.EBUSY);

            assertThat(container.unmapDma(mapping)).isEqualTo(2 * 4096);
            device.close();
            group.unsetContainer();
            assertThat(catchVfio(() -> container.setIommu(IommuType.TYPE1V2)).errno())
                    .as("no group left").isEqualTo(Errno.EINVAL);
            group.close();
            container.close();
        }
    }

    @Test
    void nonViableGroup_setContainerIsEpermOn61_andGetDeviceFdEinvalOn57() throws Exception {
        try (Vfio vfio = Vfio.open(SimulatedHost.x86Type1())) {
            VfioContainer c = vfio.openContainer();
            VfioGroup g = vfio.openGroup(8);
            assertThat(g.status().viable()).isFalse();
            VfioException e = catchVfio(() -> g.setContainer(c));
            assertThat(e.errno()).isEqualTo(Errno.EPERM);
            assertThat(e.explanation().orElseThrow()).contains("0000:02:00.1 is bound to e1000e");
        }
        try (Vfio vfio = Vfio.open(SimulatedHost.x86Type1().toBuilder().profile(KernelProfile.LINUX_5_7).build())) {
            VfioContainer c = vfio.openContainer();
            VfioGroup g = vfio.openGroup(8);
            g.setContainer(c);
            c.setIommu(IommuType.TYPE1V2);
            assertThat(catchVfio(() -> g.openDevice("0000:02:00.0")).errno()).isEqualTo(Errno.EINVAL);
        }
    }

    @Test
    void mapBeforeSetIommu_isEinval_andTheTraceSaysWhy() throws Exception {
        SimulatedKernel kernel = SimulatedHost.x86Type1().boot();
        try (Vfio vfio = Vfio.over(kernel); Arena arena = Arena.ofConfined()) {
            VfioContainer c = vfio.openContainer();
            VfioException e = catchVfio(() -> c.mapDma(arena.allocate(4096, 4096), 0));
            assertThat(e.errno()).isEqualTo(Errno.EINVAL);
            TraceEntry last = kernel.trace().getLast();
            assertThat(last.call()).isEqualTo("VFIO_IOMMU_MAP_DMA");
            assertThat(last.errno()).contains(Errno.EINVAL);
            assertThat(last.toString()).contains("no IOMMU yet").contains("vfio_fops_unl_ioctl");
        }
        assertThatThrownBy(() -> kernel.open("/dev/vfio/vfio", 2)).isInstanceOf(Exception.class);
    }

    interface Call {
        void run() throws Exception;
    }

    static VfioException catchVfio(Call c) {
        try {
            c.run();
        } catch (VfioException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the call succeeded");
    }
}
