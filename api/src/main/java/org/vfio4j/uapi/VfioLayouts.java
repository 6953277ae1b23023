package org.vfio4j.uapi;

import static org.vfio4j.uapi.CLayout.S32;
import static org.vfio4j.uapi.CLayout.U16;
import static org.vfio4j.uapi.CLayout.U32;
import static org.vfio4j.uapi.CLayout.U64;
import static org.vfio4j.uapi.CLayout.U8;
import static org.vfio4j.uapi.CLayout.anonymousUnion;
import static org.vfio4j.uapi.CLayout.flexibleArray;
import static org.vfio4j.uapi.CLayout.struct;

import java.lang.foreign.StructLayout;

/**
 * One {@link StructLayout} per struct of {@code <linux/vfio.h>}, named after the C struct, with
 * members under their C names ({@code argsz}, {@code cap_offset}, ...). Padding is added by
 * {@link CLayout#struct} as the C compiler adds it; flexible array members are zero-length
 * sequences; the anonymous unions are unnamed union layouts. The ABI proof checks size, alignment
 * and every member offset against {@code gcc}.
 *
 * <p>Where Linux 6.1 grew a struct, the layout is the 6.1 one and its javadoc says what the older
 * size was: the older kernels' {@code minsz} is a prefix of it.
 */
public final class VfioLayouts {
    private VfioLayouts() {}

    /** Corresponds to {@code struct vfio_info_cap_header}: id, version, and the offset of the next capability (0 ends the chain). */
    public static final StructLayout vfio_info_cap_header = struct("vfio_info_cap_header",
            U16.withName("id"),
            U16.withName("version"),
            U32.withName("next"));

    /** Corresponds to {@code struct vfio_group_status} (VFIO_GROUP_GET_STATUS). */
    public static final StructLayout vfio_group_status = struct("vfio_group_status",
            U32.withName("argsz"),
            U32.withName("flags"));

    /**
     * Corresponds to {@code struct vfio_device_info} (VFIO_DEVICE_GET_INFO). 16 bytes up to
     * {@code num_irqs} in the 5.7 uapi; Linux 6.1 appends {@code cap_offset} (20 bytes).
     */
    public static final StructLayout vfio_device_info = struct("vfio_device_info",
            U32.withName("argsz"),
            U32.withName("flags"),
            U32.withName("num_regions"),
            U32.withName("num_irqs"),
            U32.withName("cap_offset"));

    /** Corresponds to {@code struct vfio_region_info} (VFIO_DEVICE_GET_REGION_INFO). */
    public static final StructLayout vfio_region_info = struct("vfio_region_info",
            U32.withName("argsz"),
            U32.withName("flags"),
            U32.withName("index"),
            U32.withName("cap_offset"),
            U64.withName("size"),
            U64.withName("offset"));

    /** Corresponds to {@code struct vfio_region_sparse_mmap_area}: one mmap-able area of a region. */
    public static final StructLayout vfio_region_sparse_mmap_area = struct("vfio_region_sparse_mmap_area",
            U64.withName("offset"),
            U64.withName("size"));

    /** Corresponds to {@code struct vfio_region_info_cap_sparse_mmap} (VFIO_REGION_INFO_CAP_SPARSE_MMAP). */
    public static final StructLayout vfio_region_info_cap_sparse_mmap = struct("vfio_region_info_cap_sparse_mmap",
            vfio_info_cap_header.withName("header"),
            U32.withName("nr_areas"),
            U32.withName("reserved"),
            flexibleArray("areas", vfio_region_sparse_mmap_area));

    /** Corresponds to {@code struct vfio_region_info_cap_type} (VFIO_REGION_INFO_CAP_TYPE). */
    public static final StructLayout vfio_region_info_cap_type = struct("vfio_region_info_cap_type",
            vfio_info_cap_header.withName("header"),
            U32.withName("type"),
            U32.withName("subtype"));

    /** Corresponds to {@code struct vfio_region_gfx_edid}: the header at the start of the GFX EDID region. */
    public static final StructLayout vfio_region_gfx_edid = struct("vfio_region_gfx_edid",
            U32.withName("edid_offset"),
            U32.withName("edid_max_size"),
            U32.withName("edid_size"),
            U32.withName("max_xres"),
            U32.withName("max_yres"),
            U32.withName("link_state"));

    /** Corresponds to {@code struct vfio_region_info_cap_nvlink2_ssatgt} (VFIO_REGION_INFO_CAP_NVLINK2_SSATGT). */
    public static final StructLayout vfio_region_info_cap_nvlink2_ssatgt = struct("vfio_region_info_cap_nvlink2_ssatgt",
            vfio_info_cap_header.withName("header"),
            U64.withName("tgt"));

    /** Corresponds to {@code struct vfio_region_info_cap_nvlink2_lnkspd} (VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD). */
    public static final StructLayout vfio_region_info_cap_nvlink2_lnkspd = struct("vfio_region_info_cap_nvlink2_lnkspd",
            vfio_info_cap_header.withName("header"),
            U32.withName("link_speed"),
            U32.withName("__pad"));

    /** Corresponds to {@code struct vfio_irq_info} (VFIO_DEVICE_GET_IRQ_INFO). */
    public static final StructLayout vfio_irq_info = struct("vfio_irq_info",
            U32.withName("argsz"),
            U32.withName("flags"),
            U32.withName("index"),
            U32.withName("count"));

    /** Corresponds to {@code struct vfio_irq_set} (VFIO_DEVICE_SET_IRQS); {@code data[]} holds count bools or s32 eventfds. */
    public static final StructLayout vfio_irq_set = struct("vfio_irq_set",
            U32.withName("argsz"),
            U32.withName("flags"),
            U32.withName("index"),
            U32.withName("start"),
            U32.withName("count"),
            flexibleArray("data", U8));

    /** Corresponds to {@code struct vfio_pci_dependent_device}: one device a hot reset affects. */
    public static final StructLayout vfio_pci_dependent_device = struct("vfio_pci_dependent_device",
            U32.withName("group_id"),
            U16.withName("segment"),
            U8.withName("bus"),
            U8.withName("devfn"));

    /** Corresponds to {@code struct vfio_pci_hot_reset_info} (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO). */
    public static final StructLayout vfio_pci_hot_reset_info = struct("vfio_pci_hot_reset_info",
            U32.withName("argsz"),
            U32.withName("flags"),
            U32.withName("count"),
            flexibleArray("devices", vfio_pci_dependent_device));

    /** Corresponds to {@code struct vfio_pci_hot_reset} (VFIO_DEVICE_PCI_HOT_RESET). */
    public static final StructLayout vfio_pci_hot_reset = struct("vfio_pci_hot_reset",
            U32.withName("argsz"),
            U32.withName("flags"),
            U32.withName("count"),
            flexibleArray("group_fds", S32));

    /** Corresponds to {@code struct vfio_device_gfx_plane_info} (VFIO_DEVICE_QUERY_GFX_PLANE); region_index and dmabuf_id share a union. */
    public static final StructLayout vfio_device_gfx_plane_info = struct("vfio_device_gfx_plane_info",
            U32.withName("argsz"),
            U32.withName("flags"),
            U32.withName("drm_plane_type"),
            U32.withName("drm_format"),
            U64.withName("drm_format_mod"),
            U32.withName("width"),
            U32.withName("height"),
            U32.withName("stride"),
            U32.withName("size"),
            U32.withName("x_pos"),
            U32.withName("y_pos"),
            U32.withName("x_hot"),
            U32.withName("y_hot"),
            anonymousUnion(
                    U32.withName("region_index"),
                    U32.withName("dmabuf_id")));

    /** Corresponds to {@code struct vfio_device_ioeventfd} (VFIO_DEVICE_IOEVENTFD). */
    public static final StructLayout vfio_device_ioeventfd = struct("vfio_device_ioeventfd",
            U32.withName("argsz"),
            U32.withName("flags"),
            U64.withName("offset"),
            U64.withName("data"),
            S32.withName("fd"));

    /** Corresponds to {@code struct vfio_device_feature} (VFIO_DEVICE_FEATURE); {@code data[]} is the feature payload. */
    public static final StructLayout vfio_device_feature = struct("vfio_device_feature",
            U32.withName("argsz"),
            U32.withName("flags"),
            flexibleArray("data", U8));

    /**
     * Linux 6.1: corresponds to {@code struct vfio_device_low_power_entry_with_wakeup}, the payload
     * ({@code vfio_device_feature.data}) of VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP.
     */
    public static final StructLayout vfio_device_low_power_entry_with_wakeup = struct("vfio_device_low_power_entry_with_wakeup",
            S32.withName("wakeup_eventfd"),
            U32.withName("reserved"));

    /** Corresponds to {@code struct vfio_iommu_type1_info} (VFIO_IOMMU_GET_INFO); 16 bytes before cap_offset existed. */
    public static final StructLayout vfio_iommu_type1_info = struct("vfio_iommu_type1_info",
            U32.withName("argsz"),
            U32.withName("flags"),
            U64.withName("iova_pgsizes"),
            U32.withName("cap_offset"));

    /** Corresponds to {@code struct vfio_iova_range}: an inclusive IOVA range [start, end]. */
    public static final StructLayout vfio_iova_range = struct("vfio_iova_range",
            U64.withName("start"),
            U64.withName("end"));

    /** Corresponds to {@code struct vfio_iommu_type1_info_cap_iova_range} (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE). */
    public static final StructLayout vfio_iommu_type1_info_cap_iova_range = struct("vfio_iommu_type1_info_cap_iova_range",
            vfio_info_cap_header.withName("header"),
            U32.withName("nr_iovas"),
            U32.withName("reserved"),
            flexibleArray("iova_ranges", vfio_iova_range));

    /** Linux 6.1: corresponds to {@code struct vfio_iommu_type1_info_cap_migration} (VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION). */
    public static final StructLayout vfio_iommu_type1_info_cap_migration = struct("vfio_iommu_type1_info_cap_migration",
            vfio_info_cap_header.withName("header"),
            U32.withName("flags"),
            U64.withName("pgsize_bitmap"),
            U64.withName("max_dirty_bitmap_size"));

    /** Linux 6.1: corresponds to {@code struct vfio_iommu_type1_info_dma_avail} (VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL). */
    public static final StructLayout vfio_iommu_type1_info_dma_avail = struct("vfio_iommu_type1_info_dma_avail",
            vfio_info_cap_header.withName("header"),
            U32.withName("avail"));

    /** Corresponds to {@code struct vfio_iommu_type1_dma_map} (VFIO_IOMMU_MAP_DMA). */
    public static final StructLayout vfio_iommu_type1_dma_map = struct("vfio_iommu_type1_dma_map",
            U32.withName("argsz"),
            U32.withName("flags"),
            U64.withName("vaddr"),
            U64.withName("iova"),
            U64.withName("size"));

    /** Corresponds to {@code struct vfio_iommu_type1_dma_unmap} (VFIO_IOMMU_UNMAP_DMA); {@code data[]} (Linux 5.8+) carries a dirty bitmap request. */
    public static final StructLayout vfio_iommu_type1_dma_unmap = struct("vfio_iommu_type1_dma_unmap",
            U32.withName("argsz"),
            U32.withName("flags"),
            U64.withName("iova"),
            U64.withName("size"),
            flexibleArray("data", U8));

    /** Linux 5.8+: corresponds to {@code struct vfio_bitmap}: a user bitmap of dirty pages; {@code data} is a user pointer. */
    public static final StructLayout vfio_bitmap = struct("vfio_bitmap",
            U64.withName("pgsize"),
            U64.withName("size"),
            U64.withName("data"));

    /** Linux 5.8+: corresponds to {@code struct vfio_iommu_type1_dirty_bitmap} (VFIO_IOMMU_DIRTY_PAGES). */
    public static final StructLayout vfio_iommu_type1_dirty_bitmap = struct("vfio_iommu_type1_dirty_bitmap",
            U32.withName("argsz"),
            U32.withName("flags"),
            flexibleArray("data", U8));

    /** Linux 5.8+: corresponds to {@code struct vfio_iommu_type1_dirty_bitmap_get}, the data[] of GET_BITMAP. */
    public static final StructLayout vfio_iommu_type1_dirty_bitmap_get = struct("vfio_iommu_type1_dirty_bitmap_get",
            U64.withName("iova"),
            U64.withName("size"),
            vfio_bitmap.withName("bitmap"));

    /** Corresponds to {@code struct vfio_iommu_spapr_tce_ddw_info}: dynamic DMA window limits. */
    public static final StructLayout vfio_iommu_spapr_tce_ddw_info = struct("vfio_iommu_spapr_tce_ddw_info",
            U64.withName("pgsizes"),
            U32.withName("max_dynamic_windows_supported"),
            U32.withName("levels"));

    /** Corresponds to {@code struct vfio_iommu_spapr_tce_info} (VFIO_IOMMU_SPAPR_TCE_GET_INFO). */
    public static final StructLayout vfio_iommu_spapr_tce_info = struct("vfio_iommu_spapr_tce_info",
            U32.withName("argsz"),
            U32.withName("flags"),
            U32.withName("dma32_window_start"),
            U32.withName("dma32_window_size"),
            vfio_iommu_spapr_tce_ddw_info.withName("ddw"));

    /** Corresponds to {@code struct vfio_eeh_pe_err}: the error VFIO_EEH_PE_INJECT_ERR injects. */
    public static final StructLayout vfio_eeh_pe_err = struct("vfio_eeh_pe_err",
            U32.withName("type"),
            U32.withName("func"),
            U64.withName("addr"),
            U64.withName("mask"));

    /** Corresponds to {@code struct vfio_eeh_pe_op} (VFIO_EEH_PE_OP); {@code err} sits in an anonymous union. */
    public static final StructLayout vfio_eeh_pe_op = struct("vfio_eeh_pe_op",
            U32.withName("argsz"),
            U32.withName("flags"),
            U32.withName("op"),
            anonymousUnion(vfio_eeh_pe_err.withName("err")));

    /** Corresponds to {@code struct vfio_iommu_spapr_register_memory} (VFIO_IOMMU_SPAPR_(UN)REGISTER_MEMORY). */
    public static final StructLayout vfio_iommu_spapr_register_memory = struct("vfio_iommu_spapr_register_memory",
            U32.withName("argsz"),
            U32.withName("flags"),
            U64.withName("vaddr"),
            U64.withName("size"));

    /** Corresponds to {@code struct vfio_iommu_spapr_tce_create} (VFIO_IOMMU_SPAPR_TCE_CREATE). */
    public static final StructLayout vfio_iommu_spapr_tce_create = struct("vfio_iommu_spapr_tce_create",
            U32.withName("argsz"),
            U32.withName("flags"),
            U32.withName("page_shift"),
            U32.withName("__resv1"),
            U64.withName("window_size"),
            U32.withName("levels"),
            U32.withName("__resv2"),
            U64.withName("start_addr"));

    /** Corresponds to {@code struct vfio_iommu_spapr_tce_remove} (VFIO_IOMMU_SPAPR_TCE_REMOVE). */
    public static final StructLayout vfio_iommu_spapr_tce_remove = struct("vfio_iommu_spapr_tce_remove",
            U32.withName("argsz"),
            U32.withName("flags"),
            U64.withName("start_addr"));
}
