package org.vfio4j.uapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import org.junit.jupiter.api.Test;

/** C layout rules as the kernel's x86-64 ABI has them, checked without gcc. */
class CLayoutTest {

    @Test
    void struct_padsMembersAndTailToTheirAlignment() {
        // u32 then u64: 4 bytes of padding between; u32 at the end: 4 bytes of tail padding
        assertThat(VfioLayouts.vfio_iommu_type1_info.byteSize()).isEqualTo(24);
        assertThat(CLayout.offsetOf(VfioLayouts.vfio_iommu_type1_info, "iova_pgsizes")).isEqualTo(8);
        assertThat(VfioLayouts.vfio_device_ioeventfd.byteSize()).isEqualTo(32);
        assertThat(VfioLayouts.vfio_eeh_pe_op.byteSize()).isEqualTo(40);
        assertThat(CLayout.offsetOf(VfioLayouts.vfio_eeh_pe_op, "err")).isEqualTo(16);
        assertThat(CLayout.offsetOf(VfioLayouts.vfio_device_gfx_plane_info, "dmabuf_id"))
                .isEqualTo(CLayout.offsetOf(VfioLayouts.vfio_device_gfx_plane_info, "region_index")).isEqualTo(56);
    }

    @Test
    void flexibleArray_addsNoSizeButCountsForAlignment() {
        assertThat(VfioLayouts.vfio_irq_set.byteSize()).isEqualTo(20);
        assertThat(VfioLayouts.vfio_region_info_cap_sparse_mmap.byteSize()).isEqualTo(16);
        assertThat(VfioLayouts.vfio_region_info_cap_sparse_mmap.byteAlignment()).isEqualTo(8);
        assertThat(CLayout.sizeWithElements(VfioLayouts.vfio_irq_set, 3 * 4)).isEqualTo(32);
        assertThat(CLayout.sizeWithElements(VfioLayouts.vfio_pci_hot_reset_info, 2)).isEqualTo(12 + 16);
        assertThat(CLayout.sizeWithElements(VfioLayouts.vfio_pci_hot_reset_info, 0)).isEqualTo(12);
        assertThatThrownBy(() -> CLayout.sizeWithElements(VfioLayouts.vfio_region_info, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void field_readsAndWritesMembersByName() {
        VarHandle argsz = CLayout.field(VfioLayouts.vfio_region_info, "argsz");
        VarHandle size = CLayout.field(VfioLayouts.vfio_region_info, "size");
        VarHandle capId = CLayout.field(VfioLayouts.vfio_region_info_cap_type, "header", "id");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(VfioLayouts.vfio_region_info);
            argsz.set(s, 32);
            size.set(s, 0x1000L);
            assertThat(s.get(CLayout.U32, 0)).isEqualTo(32);
            assertThat(s.get(CLayout.U64, 16)).isEqualTo(0x1000L);
            MemorySegment cap = arena.allocate(VfioLayouts.vfio_region_info_cap_type);
            capId.set(cap, (short) VfioUapi.VFIO_REGION_INFO_CAP_TYPE);
            assertThat(cap.get(CLayout.U16, 0)).isEqualTo((short) 2);
        }
    }

    @Test
    void members_flattenNestedStructsAndAnonymousUnions() {
        assertThat(CLayout.members(VfioLayouts.vfio_iommu_spapr_tce_info))
                .extracting(CLayout.Member::path)
                .containsExactly("argsz", "flags", "dma32_window_start", "dma32_window_size",
                        "ddw", "ddw.pgsizes", "ddw.max_dynamic_windows_supported", "ddw.levels");
        assertThat(CLayout.members(VfioLayouts.vfio_eeh_pe_op)).extracting(CLayout.Member::path)
                .contains("err", "err.mask");
    }
}
