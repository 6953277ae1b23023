package org.vfio4j.uapi;

import java.lang.foreign.StructLayout;

/**
 * The member offsets and sizes of every struct in {@link VfioLayouts}, one nested class per struct
 * named after it (as jextract names its struct classes): {@code vfio_region_info.cap_offset} is
 * {@code offsetof(struct vfio_region_info, cap_offset)} and {@code vfio_region_info.SIZE} is
 * {@code sizeof(struct vfio_region_info)}. Code that reads or writes an ioctl struct uses these
 * instead of numbers, so a use reads like the C member it touches and the number comes from the
 * proven layout: each constant is computed once from the layout, and the ABI proof compares each
 * with what {@code gcc} says.
 *
 * <p>A nested struct ({@code header}), a flexible array ({@code data}) and a member of an anonymous
 * union ({@code region_index}) each have the offset of their first byte, as {@code offsetof} gives
 * it. Offsets are {@code int}s: every one fits, and ioctl handlers compare them with the unsigned
 * 32-bit {@code argsz}.
 */
public final class VfioStructs {
    private VfioStructs() {}

    /**
     * {@code offsetof(argsz)} in every struct that has an {@code argsz}: it opens each of them (a
     * test checks every layout), so code that handles any such struct, like filling in argsz before
     * a call or reading it before anything else, can use this one.
     */
    public static final int ARGSZ = vfio_group_status.argsz;

    private static int offsetof(StructLayout struct, String member) {
        return Math.toIntExact(CLayout.offsetOf(struct, member));
    }

    private static int sizeof(StructLayout struct) {
        return Math.toIntExact(struct.byteSize());
    }

    /** The members of {@code struct vfio_info_cap_header} ({@link VfioLayouts#vfio_info_cap_header}). */
    public static final class vfio_info_cap_header {
        private vfio_info_cap_header() {}

        /** {@code sizeof(struct vfio_info_cap_header)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_info_cap_header);
        /** {@code offsetof(struct vfio_info_cap_header, id)}. */
        public static final int id = offsetof(VfioLayouts.vfio_info_cap_header, "id");
        /** {@code offsetof(struct vfio_info_cap_header, version)}. */
        public static final int version = offsetof(VfioLayouts.vfio_info_cap_header, "version");
        /** {@code offsetof(struct vfio_info_cap_header, next)}. */
        public static final int next = offsetof(VfioLayouts.vfio_info_cap_header, "next");
    }

    /** The members of {@code struct vfio_group_status} ({@link VfioLayouts#vfio_group_status}). */
    public static final class vfio_group_status {
        private vfio_group_status() {}

        /** {@code sizeof(struct vfio_group_status)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_group_status);
        /** {@code offsetof(struct vfio_group_status, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_group_status, "argsz");
        /** {@code offsetof(struct vfio_group_status, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_group_status, "flags");
    }

    /** The members of {@code struct vfio_device_info} ({@link VfioLayouts#vfio_device_info}). */
    public static final class vfio_device_info {
        private vfio_device_info() {}

        /** {@code sizeof(struct vfio_device_info)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_device_info);
        /** {@code offsetof(struct vfio_device_info, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_device_info, "argsz");
        /** {@code offsetof(struct vfio_device_info, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_device_info, "flags");
        /** {@code offsetof(struct vfio_device_info, num_regions)}. */
        public static final int num_regions = offsetof(VfioLayouts.vfio_device_info, "num_regions");
        /** {@code offsetof(struct vfio_device_info, num_irqs)}. */
        public static final int num_irqs = offsetof(VfioLayouts.vfio_device_info, "num_irqs");
        /** {@code offsetof(struct vfio_device_info, cap_offset)}. */
        public static final int cap_offset = offsetof(VfioLayouts.vfio_device_info, "cap_offset");
    }

    /** The members of {@code struct vfio_region_info} ({@link VfioLayouts#vfio_region_info}). */
    public static final class vfio_region_info {
        private vfio_region_info() {}

        /** {@code sizeof(struct vfio_region_info)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_region_info);
        /** {@code offsetof(struct vfio_region_info, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_region_info, "argsz");
        /** {@code offsetof(struct vfio_region_info, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_region_info, "flags");
        /** {@code offsetof(struct vfio_region_info, index)}. */
        public static final int index = offsetof(VfioLayouts.vfio_region_info, "index");
        /** {@code offsetof(struct vfio_region_info, cap_offset)}. */
        public static final int cap_offset = offsetof(VfioLayouts.vfio_region_info, "cap_offset");
        /** {@code offsetof(struct vfio_region_info, size)}. */
        public static final int size = offsetof(VfioLayouts.vfio_region_info, "size");
        /** {@code offsetof(struct vfio_region_info, offset)}. */
        public static final int offset = offsetof(VfioLayouts.vfio_region_info, "offset");
    }

    /** The members of {@code struct vfio_region_sparse_mmap_area} ({@link VfioLayouts#vfio_region_sparse_mmap_area}). */
    public static final class vfio_region_sparse_mmap_area {
        private vfio_region_sparse_mmap_area() {}

        /** {@code sizeof(struct vfio_region_sparse_mmap_area)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_region_sparse_mmap_area);
        /** {@code offsetof(struct vfio_region_sparse_mmap_area, offset)}. */
        public static final int offset = offsetof(VfioLayouts.vfio_region_sparse_mmap_area, "offset");
        /** {@code offsetof(struct vfio_region_sparse_mmap_area, size)}. */
        public static final int size = offsetof(VfioLayouts.vfio_region_sparse_mmap_area, "size");
    }

    /** The members of {@code struct vfio_region_info_cap_sparse_mmap} ({@link VfioLayouts#vfio_region_info_cap_sparse_mmap}). */
    public static final class vfio_region_info_cap_sparse_mmap {
        private vfio_region_info_cap_sparse_mmap() {}

        /** {@code sizeof(struct vfio_region_info_cap_sparse_mmap)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_region_info_cap_sparse_mmap);
        /** {@code offsetof(struct vfio_region_info_cap_sparse_mmap, header)}. */
        public static final int header = offsetof(VfioLayouts.vfio_region_info_cap_sparse_mmap, "header");
        /** {@code offsetof(struct vfio_region_info_cap_sparse_mmap, nr_areas)}. */
        public static final int nr_areas = offsetof(VfioLayouts.vfio_region_info_cap_sparse_mmap, "nr_areas");
        /** {@code offsetof(struct vfio_region_info_cap_sparse_mmap, reserved)}. */
        public static final int reserved = offsetof(VfioLayouts.vfio_region_info_cap_sparse_mmap, "reserved");
        /** {@code offsetof(struct vfio_region_info_cap_sparse_mmap, areas)}. */
        public static final int areas = offsetof(VfioLayouts.vfio_region_info_cap_sparse_mmap, "areas");
    }

    /** The members of {@code struct vfio_region_info_cap_type} ({@link VfioLayouts#vfio_region_info_cap_type}). */
    public static final class vfio_region_info_cap_type {
        private vfio_region_info_cap_type() {}

        /** {@code sizeof(struct vfio_region_info_cap_type)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_region_info_cap_type);
        /** {@code offsetof(struct vfio_region_info_cap_type, header)}. */
        public static final int header = offsetof(VfioLayouts.vfio_region_info_cap_type, "header");
        /** {@code offsetof(struct vfio_region_info_cap_type, type)}. */
        public static final int type = offsetof(VfioLayouts.vfio_region_info_cap_type, "type");
        /** {@code offsetof(struct vfio_region_info_cap_type, subtype)}. */
        public static final int subtype = offsetof(VfioLayouts.vfio_region_info_cap_type, "subtype");
    }

    /** The members of {@code struct vfio_region_gfx_edid} ({@link VfioLayouts#vfio_region_gfx_edid}). */
    public static final class vfio_region_gfx_edid {
        private vfio_region_gfx_edid() {}

        /** {@code sizeof(struct vfio_region_gfx_edid)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_region_gfx_edid);
        /** {@code offsetof(struct vfio_region_gfx_edid, edid_offset)}. */
        public static final int edid_offset = offsetof(VfioLayouts.vfio_region_gfx_edid, "edid_offset");
        /** {@code offsetof(struct vfio_region_gfx_edid, edid_max_size)}. */
        public static final int edid_max_size = offsetof(VfioLayouts.vfio_region_gfx_edid, "edid_max_size");
        /** {@code offsetof(struct vfio_region_gfx_edid, edid_size)}. */
        public static final int edid_size = offsetof(VfioLayouts.vfio_region_gfx_edid, "edid_size");
        /** {@code offsetof(struct vfio_region_gfx_edid, max_xres)}. */
        public static final int max_xres = offsetof(VfioLayouts.vfio_region_gfx_edid, "max_xres");
        /** {@code offsetof(struct vfio_region_gfx_edid, max_yres)}. */
        public static final int max_yres = offsetof(VfioLayouts.vfio_region_gfx_edid, "max_yres");
        /** {@code offsetof(struct vfio_region_gfx_edid, link_state)}. */
        public static final int link_state = offsetof(VfioLayouts.vfio_region_gfx_edid, "link_state");
    }

    /** The members of {@code struct vfio_region_info_cap_nvlink2_ssatgt} ({@link VfioLayouts#vfio_region_info_cap_nvlink2_ssatgt}). */
    public static final class vfio_region_info_cap_nvlink2_ssatgt {
        private vfio_region_info_cap_nvlink2_ssatgt() {}

        /** {@code sizeof(struct vfio_region_info_cap_nvlink2_ssatgt)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_region_info_cap_nvlink2_ssatgt);
        /** {@code offsetof(struct vfio_region_info_cap_nvlink2_ssatgt, header)}. */
        public static final int header = offsetof(VfioLayouts.vfio_region_info_cap_nvlink2_ssatgt, "header");
        /** {@code offsetof(struct vfio_region_info_cap_nvlink2_ssatgt, tgt)}. */
        public static final int tgt = offsetof(VfioLayouts.vfio_region_info_cap_nvlink2_ssatgt, "tgt");
    }

    /** The members of {@code struct vfio_region_info_cap_nvlink2_lnkspd} ({@link VfioLayouts#vfio_region_info_cap_nvlink2_lnkspd}). */
    public static final class vfio_region_info_cap_nvlink2_lnkspd {
        private vfio_region_info_cap_nvlink2_lnkspd() {}

        /** {@code sizeof(struct vfio_region_info_cap_nvlink2_lnkspd)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_region_info_cap_nvlink2_lnkspd);
        /** {@code offsetof(struct vfio_region_info_cap_nvlink2_lnkspd, header)}. */
        public static final int header = offsetof(VfioLayouts.vfio_region_info_cap_nvlink2_lnkspd, "header");
        /** {@code offsetof(struct vfio_region_info_cap_nvlink2_lnkspd, link_speed)}. */
        public static final int link_speed = offsetof(VfioLayouts.vfio_region_info_cap_nvlink2_lnkspd, "link_speed");
        /** {@code offsetof(struct vfio_region_info_cap_nvlink2_lnkspd, __pad)}. */
        public static final int __pad = offsetof(VfioLayouts.vfio_region_info_cap_nvlink2_lnkspd, "__pad");
    }

    /** The members of {@code struct vfio_irq_info} ({@link VfioLayouts#vfio_irq_info}). */
    public static final class vfio_irq_info {
        private vfio_irq_info() {}

        /** {@code sizeof(struct vfio_irq_info)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_irq_info);
        /** {@code offsetof(struct vfio_irq_info, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_irq_info, "argsz");
        /** {@code offsetof(struct vfio_irq_info, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_irq_info, "flags");
        /** {@code offsetof(struct vfio_irq_info, index)}. */
        public static final int index = offsetof(VfioLayouts.vfio_irq_info, "index");
        /** {@code offsetof(struct vfio_irq_info, count)}. */
        public static final int count = offsetof(VfioLayouts.vfio_irq_info, "count");
    }

    /** The members of {@code struct vfio_irq_set} ({@link VfioLayouts#vfio_irq_set}). */
    public static final class vfio_irq_set {
        private vfio_irq_set() {}

        /** {@code sizeof(struct vfio_irq_set)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_irq_set);
        /** {@code offsetof(struct vfio_irq_set, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_irq_set, "argsz");
        /** {@code offsetof(struct vfio_irq_set, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_irq_set, "flags");
        /** {@code offsetof(struct vfio_irq_set, index)}. */
        public static final int index = offsetof(VfioLayouts.vfio_irq_set, "index");
        /** {@code offsetof(struct vfio_irq_set, start)}. */
        public static final int start = offsetof(VfioLayouts.vfio_irq_set, "start");
        /** {@code offsetof(struct vfio_irq_set, count)}. */
        public static final int count = offsetof(VfioLayouts.vfio_irq_set, "count");
        /** {@code offsetof(struct vfio_irq_set, data)}. */
        public static final int data = offsetof(VfioLayouts.vfio_irq_set, "data");
    }

    /** The members of {@code struct vfio_pci_dependent_device} ({@link VfioLayouts#vfio_pci_dependent_device}). */
    public static final class vfio_pci_dependent_device {
        private vfio_pci_dependent_device() {}

        /** {@code sizeof(struct vfio_pci_dependent_device)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_pci_dependent_device);
        /** {@code offsetof(struct vfio_pci_dependent_device, group_id)}. */
        public static final int group_id = offsetof(VfioLayouts.vfio_pci_dependent_device, "group_id");
        /** {@code offsetof(struct vfio_pci_dependent_device, segment)}. */
        public static final int segment = offsetof(VfioLayouts.vfio_pci_dependent_device, "segment");
        /** {@code offsetof(struct vfio_pci_dependent_device, bus)}. */
        public static final int bus = offsetof(VfioLayouts.vfio_pci_dependent_device, "bus");
        /** {@code offsetof(struct vfio_pci_dependent_device, devfn)}. */
        public static final int devfn = offsetof(VfioLayouts.vfio_pci_dependent_device, "devfn");
    }

    /** The members of {@code struct vfio_pci_hot_reset_info} ({@link VfioLayouts#vfio_pci_hot_reset_info}). */
    public static final class vfio_pci_hot_reset_info {
        private vfio_pci_hot_reset_info() {}

        /** {@code sizeof(struct vfio_pci_hot_reset_info)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_pci_hot_reset_info);
        /** {@code offsetof(struct vfio_pci_hot_reset_info, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_pci_hot_reset_info, "argsz");
        /** {@code offsetof(struct vfio_pci_hot_reset_info, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_pci_hot_reset_info, "flags");
        /** {@code offsetof(struct vfio_pci_hot_reset_info, count)}. */
        public static final int count = offsetof(VfioLayouts.vfio_pci_hot_reset_info, "count");
        /** {@code offsetof(struct vfio_pci_hot_reset_info, devices)}. */
        public static final int devices = offsetof(VfioLayouts.vfio_pci_hot_reset_info, "devices");
    }

    /** The members of {@code struct vfio_pci_hot_reset} ({@link VfioLayouts#vfio_pci_hot_reset}). */
    public static final class vfio_pci_hot_reset {
        private vfio_pci_hot_reset() {}

        /** {@code sizeof(struct vfio_pci_hot_reset)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_pci_hot_reset);
        /** {@code offsetof(struct vfio_pci_hot_reset, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_pci_hot_reset, "argsz");
        /** {@code offsetof(struct vfio_pci_hot_reset, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_pci_hot_reset, "flags");
        /** {@code offsetof(struct vfio_pci_hot_reset, count)}. */
        public static final int count = offsetof(VfioLayouts.vfio_pci_hot_reset, "count");
        /** {@code offsetof(struct vfio_pci_hot_reset, group_fds)}. */
        public static final int group_fds = offsetof(VfioLayouts.vfio_pci_hot_reset, "group_fds");
    }

    /** The members of {@code struct vfio_device_gfx_plane_info} ({@link VfioLayouts#vfio_device_gfx_plane_info}). */
    public static final class vfio_device_gfx_plane_info {
        private vfio_device_gfx_plane_info() {}

        /** {@code sizeof(struct vfio_device_gfx_plane_info)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_device_gfx_plane_info);
        /** {@code offsetof(struct vfio_device_gfx_plane_info, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "argsz");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "flags");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, drm_plane_type)}. */
        public static final int drm_plane_type = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "drm_plane_type");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, drm_format)}. */
        public static final int drm_format = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "drm_format");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, drm_format_mod)}. */
        public static final int drm_format_mod = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "drm_format_mod");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, width)}. */
        public static final int width = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "width");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, height)}. */
        public static final int height = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "height");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, stride)}. */
        public static final int stride = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "stride");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, size)}. */
        public static final int size = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "size");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, x_pos)}. */
        public static final int x_pos = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "x_pos");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, y_pos)}. */
        public static final int y_pos = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "y_pos");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, x_hot)}. */
        public static final int x_hot = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "x_hot");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, y_hot)}. */
        public static final int y_hot = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "y_hot");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, region_index)}. */
        public static final int region_index = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "region_index");
        /** {@code offsetof(struct vfio_device_gfx_plane_info, dmabuf_id)}. */
        public static final int dmabuf_id = offsetof(VfioLayouts.vfio_device_gfx_plane_info, "dmabuf_id");
    }

    /** The members of {@code struct vfio_device_ioeventfd} ({@link VfioLayouts#vfio_device_ioeventfd}). */
    public static final class vfio_device_ioeventfd {
        private vfio_device_ioeventfd() {}

        /** {@code sizeof(struct vfio_device_ioeventfd)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_device_ioeventfd);
        /** {@code offsetof(struct vfio_device_ioeventfd, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_device_ioeventfd, "argsz");
        /** {@code offsetof(struct vfio_device_ioeventfd, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_device_ioeventfd, "flags");
        /** {@code offsetof(struct vfio_device_ioeventfd, offset)}. */
        public static final int offset = offsetof(VfioLayouts.vfio_device_ioeventfd, "offset");
        /** {@code offsetof(struct vfio_device_ioeventfd, data)}. */
        public static final int data = offsetof(VfioLayouts.vfio_device_ioeventfd, "data");
        /** {@code offsetof(struct vfio_device_ioeventfd, fd)}. */
        public static final int fd = offsetof(VfioLayouts.vfio_device_ioeventfd, "fd");
    }

    /** The members of {@code struct vfio_device_feature} ({@link VfioLayouts#vfio_device_feature}). */
    public static final class vfio_device_feature {
        private vfio_device_feature() {}

        /** {@code sizeof(struct vfio_device_feature)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_device_feature);
        /** {@code offsetof(struct vfio_device_feature, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_device_feature, "argsz");
        /** {@code offsetof(struct vfio_device_feature, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_device_feature, "flags");
        /** {@code offsetof(struct vfio_device_feature, data)}. */
        public static final int data = offsetof(VfioLayouts.vfio_device_feature, "data");
    }

    /** The members of {@code struct vfio_device_low_power_entry_with_wakeup} ({@link VfioLayouts#vfio_device_low_power_entry_with_wakeup}). */
    public static final class vfio_device_low_power_entry_with_wakeup {
        private vfio_device_low_power_entry_with_wakeup() {}

        /** {@code sizeof(struct vfio_device_low_power_entry_with_wakeup)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_device_low_power_entry_with_wakeup);
        /** {@code offsetof(struct vfio_device_low_power_entry_with_wakeup, wakeup_eventfd)}. */
        public static final int wakeup_eventfd = offsetof(VfioLayouts.vfio_device_low_power_entry_with_wakeup, "wakeup_eventfd");
        /** {@code offsetof(struct vfio_device_low_power_entry_with_wakeup, reserved)}. */
        public static final int reserved = offsetof(VfioLayouts.vfio_device_low_power_entry_with_wakeup, "reserved");
    }

    /** The members of {@code struct vfio_iommu_type1_info} ({@link VfioLayouts#vfio_iommu_type1_info}). */
    public static final class vfio_iommu_type1_info {
        private vfio_iommu_type1_info() {}

        /** {@code sizeof(struct vfio_iommu_type1_info)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_type1_info);
        /** {@code offsetof(struct vfio_iommu_type1_info, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_iommu_type1_info, "argsz");
        /** {@code offsetof(struct vfio_iommu_type1_info, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_iommu_type1_info, "flags");
        /** {@code offsetof(struct vfio_iommu_type1_info, iova_pgsizes)}. */
        public static final int iova_pgsizes = offsetof(VfioLayouts.vfio_iommu_type1_info, "iova_pgsizes");
        /** {@code offsetof(struct vfio_iommu_type1_info, cap_offset)}. */
        public static final int cap_offset = offsetof(VfioLayouts.vfio_iommu_type1_info, "cap_offset");
    }

    /** The members of {@code struct vfio_iova_range} ({@link VfioLayouts#vfio_iova_range}). */
    public static final class vfio_iova_range {
        private vfio_iova_range() {}

        /** {@code sizeof(struct vfio_iova_range)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iova_range);
        /** {@code offsetof(struct vfio_iova_range, start)}. */
        public static final int start = offsetof(VfioLayouts.vfio_iova_range, "start");
        /** {@code offsetof(struct vfio_iova_range, end)}. */
        public static final int end = offsetof(VfioLayouts.vfio_iova_range, "end");
    }

    /** The members of {@code struct vfio_iommu_type1_info_cap_iova_range} ({@link VfioLayouts#vfio_iommu_type1_info_cap_iova_range}). */
    public static final class vfio_iommu_type1_info_cap_iova_range {
        private vfio_iommu_type1_info_cap_iova_range() {}

        /** {@code sizeof(struct vfio_iommu_type1_info_cap_iova_range)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_type1_info_cap_iova_range);
        /** {@code offsetof(struct vfio_iommu_type1_info_cap_iova_range, header)}. */
        public static final int header = offsetof(VfioLayouts.vfio_iommu_type1_info_cap_iova_range, "header");
        /** {@code offsetof(struct vfio_iommu_type1_info_cap_iova_range, nr_iovas)}. */
        public static final int nr_iovas = offsetof(VfioLayouts.vfio_iommu_type1_info_cap_iova_range, "nr_iovas");
        /** {@code offsetof(struct vfio_iommu_type1_info_cap_iova_range, reserved)}. */
        public static final int reserved = offsetof(VfioLayouts.vfio_iommu_type1_info_cap_iova_range, "reserved");
        /** {@code offsetof(struct vfio_iommu_type1_info_cap_iova_range, iova_ranges)}. */
        public static final int iova_ranges = offsetof(VfioLayouts.vfio_iommu_type1_info_cap_iova_range, "iova_ranges");
    }

    /** The members of {@code struct vfio_iommu_type1_info_cap_migration} ({@link VfioLayouts#vfio_iommu_type1_info_cap_migration}). */
    public static final class vfio_iommu_type1_info_cap_migration {
        private vfio_iommu_type1_info_cap_migration() {}

        /** {@code sizeof(struct vfio_iommu_type1_info_cap_migration)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_type1_info_cap_migration);
        /** {@code offsetof(struct vfio_iommu_type1_info_cap_migration, header)}. */
        public static final int header = offsetof(VfioLayouts.vfio_iommu_type1_info_cap_migration, "header");
        /** {@code offsetof(struct vfio_iommu_type1_info_cap_migration, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_iommu_type1_info_cap_migration, "flags");
        /** {@code offsetof(struct vfio_iommu_type1_info_cap_migration, pgsize_bitmap)}. */
        public static final int pgsize_bitmap = offsetof(VfioLayouts.vfio_iommu_type1_info_cap_migration, "pgsize_bitmap");
        /** {@code offsetof(struct vfio_iommu_type1_info_cap_migration, max_dirty_bitmap_size)}. */
        public static final int max_dirty_bitmap_size = offsetof(VfioLayouts.vfio_iommu_type1_info_cap_migration, "max_dirty_bitmap_size");
    }

    /** The members of {@code struct vfio_iommu_type1_info_dma_avail} ({@link VfioLayouts#vfio_iommu_type1_info_dma_avail}). */
    public static final class vfio_iommu_type1_info_dma_avail {
        private vfio_iommu_type1_info_dma_avail() {}

        /** {@code sizeof(struct vfio_iommu_type1_info_dma_avail)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_type1_info_dma_avail);
        /** {@code offsetof(struct vfio_iommu_type1_info_dma_avail, header)}. */
        public static final int header = offsetof(VfioLayouts.vfio_iommu_type1_info_dma_avail, "header");
        /** {@code offsetof(struct vfio_iommu_type1_info_dma_avail, avail)}. */
        public static final int avail = offsetof(VfioLayouts.vfio_iommu_type1_info_dma_avail, "avail");
    }

    /** The members of {@code struct vfio_iommu_type1_dma_map} ({@link VfioLayouts#vfio_iommu_type1_dma_map}). */
    public static final class vfio_iommu_type1_dma_map {
        private vfio_iommu_type1_dma_map() {}

        /** {@code sizeof(struct vfio_iommu_type1_dma_map)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_type1_dma_map);
        /** {@code offsetof(struct vfio_iommu_type1_dma_map, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_iommu_type1_dma_map, "argsz");
        /** {@code offsetof(struct vfio_iommu_type1_dma_map, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_iommu_type1_dma_map, "flags");
        /** {@code offsetof(struct vfio_iommu_type1_dma_map, vaddr)}. */
        public static final int vaddr = offsetof(VfioLayouts.vfio_iommu_type1_dma_map, "vaddr");
        /** {@code offsetof(struct vfio_iommu_type1_dma_map, iova)}. */
        public static final int iova = offsetof(VfioLayouts.vfio_iommu_type1_dma_map, "iova");
        /** {@code offsetof(struct vfio_iommu_type1_dma_map, size)}. */
        public static final int size = offsetof(VfioLayouts.vfio_iommu_type1_dma_map, "size");
    }

    /** The members of {@code struct vfio_iommu_type1_dma_unmap} ({@link VfioLayouts#vfio_iommu_type1_dma_unmap}). */
    public static final class vfio_iommu_type1_dma_unmap {
        private vfio_iommu_type1_dma_unmap() {}

        /** {@code sizeof(struct vfio_iommu_type1_dma_unmap)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_type1_dma_unmap);
        /** {@code offsetof(struct vfio_iommu_type1_dma_unmap, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_iommu_type1_dma_unmap, "argsz");
        /** {@code offsetof(struct vfio_iommu_type1_dma_unmap, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_iommu_type1_dma_unmap, "flags");
        /** {@code offsetof(struct vfio_iommu_type1_dma_unmap, iova)}. */
        public static final int iova = offsetof(VfioLayouts.vfio_iommu_type1_dma_unmap, "iova");
        /** {@code offsetof(struct vfio_iommu_type1_dma_unmap, size)}. */
        public static final int size = offsetof(VfioLayouts.vfio_iommu_type1_dma_unmap, "size");
        /** {@code offsetof(struct vfio_iommu_type1_dma_unmap, data)}. */
        public static final int data = offsetof(VfioLayouts.vfio_iommu_type1_dma_unmap, "data");
    }

    /** The members of {@code struct vfio_bitmap} ({@link VfioLayouts#vfio_bitmap}). */
    public static final class vfio_bitmap {
        private vfio_bitmap() {}

        /** {@code sizeof(struct vfio_bitmap)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_bitmap);
        /** {@code offsetof(struct vfio_bitmap, pgsize)}. */
        public static final int pgsize = offsetof(VfioLayouts.vfio_bitmap, "pgsize");
        /** {@code offsetof(struct vfio_bitmap, size)}. */
        public static final int size = offsetof(VfioLayouts.vfio_bitmap, "size");
        /** {@code offsetof(struct vfio_bitmap, data)}. */
        public static final int data = offsetof(VfioLayouts.vfio_bitmap, "data");
    }

    /** The members of {@code struct vfio_iommu_type1_dirty_bitmap} ({@link VfioLayouts#vfio_iommu_type1_dirty_bitmap}). */
    public static final class vfio_iommu_type1_dirty_bitmap {
        private vfio_iommu_type1_dirty_bitmap() {}

        /** {@code sizeof(struct vfio_iommu_type1_dirty_bitmap)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_type1_dirty_bitmap);
        /** {@code offsetof(struct vfio_iommu_type1_dirty_bitmap, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_iommu_type1_dirty_bitmap, "argsz");
        /** {@code offsetof(struct vfio_iommu_type1_dirty_bitmap, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_iommu_type1_dirty_bitmap, "flags");
        /** {@code offsetof(struct vfio_iommu_type1_dirty_bitmap, data)}. */
        public static final int data = offsetof(VfioLayouts.vfio_iommu_type1_dirty_bitmap, "data");
    }

    /** The members of {@code struct vfio_iommu_type1_dirty_bitmap_get} ({@link VfioLayouts#vfio_iommu_type1_dirty_bitmap_get}). */
    public static final class vfio_iommu_type1_dirty_bitmap_get {
        private vfio_iommu_type1_dirty_bitmap_get() {}

        /** {@code sizeof(struct vfio_iommu_type1_dirty_bitmap_get)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_type1_dirty_bitmap_get);
        /** {@code offsetof(struct vfio_iommu_type1_dirty_bitmap_get, iova)}. */
        public static final int iova = offsetof(VfioLayouts.vfio_iommu_type1_dirty_bitmap_get, "iova");
        /** {@code offsetof(struct vfio_iommu_type1_dirty_bitmap_get, size)}. */
        public static final int size = offsetof(VfioLayouts.vfio_iommu_type1_dirty_bitmap_get, "size");
        /** {@code offsetof(struct vfio_iommu_type1_dirty_bitmap_get, bitmap)}. */
        public static final int bitmap = offsetof(VfioLayouts.vfio_iommu_type1_dirty_bitmap_get, "bitmap");
    }

    /** The members of {@code struct vfio_iommu_spapr_tce_ddw_info} ({@link VfioLayouts#vfio_iommu_spapr_tce_ddw_info}). */
    public static final class vfio_iommu_spapr_tce_ddw_info {
        private vfio_iommu_spapr_tce_ddw_info() {}

        /** {@code sizeof(struct vfio_iommu_spapr_tce_ddw_info)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_spapr_tce_ddw_info);
        /** {@code offsetof(struct vfio_iommu_spapr_tce_ddw_info, pgsizes)}. */
        public static final int pgsizes = offsetof(VfioLayouts.vfio_iommu_spapr_tce_ddw_info, "pgsizes");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_ddw_info, max_dynamic_windows_supported)}. */
        public static final int max_dynamic_windows_supported = offsetof(VfioLayouts.vfio_iommu_spapr_tce_ddw_info, "max_dynamic_windows_supported");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_ddw_info, levels)}. */
        public static final int levels = offsetof(VfioLayouts.vfio_iommu_spapr_tce_ddw_info, "levels");
    }

    /** The members of {@code struct vfio_iommu_spapr_tce_info} ({@link VfioLayouts#vfio_iommu_spapr_tce_info}). */
    public static final class vfio_iommu_spapr_tce_info {
        private vfio_iommu_spapr_tce_info() {}

        /** {@code sizeof(struct vfio_iommu_spapr_tce_info)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_spapr_tce_info);
        /** {@code offsetof(struct vfio_iommu_spapr_tce_info, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_iommu_spapr_tce_info, "argsz");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_info, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_iommu_spapr_tce_info, "flags");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_info, dma32_window_start)}. */
        public static final int dma32_window_start = offsetof(VfioLayouts.vfio_iommu_spapr_tce_info, "dma32_window_start");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_info, dma32_window_size)}. */
        public static final int dma32_window_size = offsetof(VfioLayouts.vfio_iommu_spapr_tce_info, "dma32_window_size");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_info, ddw)}. */
        public static final int ddw = offsetof(VfioLayouts.vfio_iommu_spapr_tce_info, "ddw");
    }

    /** The members of {@code struct vfio_eeh_pe_err} ({@link VfioLayouts#vfio_eeh_pe_err}). */
    public static final class vfio_eeh_pe_err {
        private vfio_eeh_pe_err() {}

        /** {@code sizeof(struct vfio_eeh_pe_err)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_eeh_pe_err);
        /** {@code offsetof(struct vfio_eeh_pe_err, type)}. */
        public static final int type = offsetof(VfioLayouts.vfio_eeh_pe_err, "type");
        /** {@code offsetof(struct vfio_eeh_pe_err, func)}. */
        public static final int func = offsetof(VfioLayouts.vfio_eeh_pe_err, "func");
        /** {@code offsetof(struct vfio_eeh_pe_err, addr)}. */
        public static final int addr = offsetof(VfioLayouts.vfio_eeh_pe_err, "addr");
        /** {@code offsetof(struct vfio_eeh_pe_err, mask)}. */
        public static final int mask = offsetof(VfioLayouts.vfio_eeh_pe_err, "mask");
    }

    /** The members of {@code struct vfio_eeh_pe_op} ({@link VfioLayouts#vfio_eeh_pe_op}). */
    public static final class vfio_eeh_pe_op {
        private vfio_eeh_pe_op() {}

        /** {@code sizeof(struct vfio_eeh_pe_op)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_eeh_pe_op);
        /** {@code offsetof(struct vfio_eeh_pe_op, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_eeh_pe_op, "argsz");
        /** {@code offsetof(struct vfio_eeh_pe_op, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_eeh_pe_op, "flags");
        /** {@code offsetof(struct vfio_eeh_pe_op, op)}. */
        public static final int op = offsetof(VfioLayouts.vfio_eeh_pe_op, "op");
        /** {@code offsetof(struct vfio_eeh_pe_op, err)}. */
        public static final int err = offsetof(VfioLayouts.vfio_eeh_pe_op, "err");
    }

    /** The members of {@code struct vfio_iommu_spapr_register_memory} ({@link VfioLayouts#vfio_iommu_spapr_register_memory}). */
    public static final class vfio_iommu_spapr_register_memory {
        private vfio_iommu_spapr_register_memory() {}

        /** {@code sizeof(struct vfio_iommu_spapr_register_memory)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_spapr_register_memory);
        /** {@code offsetof(struct vfio_iommu_spapr_register_memory, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_iommu_spapr_register_memory, "argsz");
        /** {@code offsetof(struct vfio_iommu_spapr_register_memory, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_iommu_spapr_register_memory, "flags");
        /** {@code offsetof(struct vfio_iommu_spapr_register_memory, vaddr)}. */
        public static final int vaddr = offsetof(VfioLayouts.vfio_iommu_spapr_register_memory, "vaddr");
        /** {@code offsetof(struct vfio_iommu_spapr_register_memory, size)}. */
        public static final int size = offsetof(VfioLayouts.vfio_iommu_spapr_register_memory, "size");
    }

    /** The members of {@code struct vfio_iommu_spapr_tce_create} ({@link VfioLayouts#vfio_iommu_spapr_tce_create}). */
    public static final class vfio_iommu_spapr_tce_create {
        private vfio_iommu_spapr_tce_create() {}

        /** {@code sizeof(struct vfio_iommu_spapr_tce_create)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_spapr_tce_create);
        /** {@code offsetof(struct vfio_iommu_spapr_tce_create, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_iommu_spapr_tce_create, "argsz");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_create, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_iommu_spapr_tce_create, "flags");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_create, page_shift)}. */
        public static final int page_shift = offsetof(VfioLayouts.vfio_iommu_spapr_tce_create, "page_shift");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_create, __resv1)}. */
        public static final int __resv1 = offsetof(VfioLayouts.vfio_iommu_spapr_tce_create, "__resv1");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_create, window_size)}. */
        public static final int window_size = offsetof(VfioLayouts.vfio_iommu_spapr_tce_create, "window_size");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_create, levels)}. */
        public static final int levels = offsetof(VfioLayouts.vfio_iommu_spapr_tce_create, "levels");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_create, __resv2)}. */
        public static final int __resv2 = offsetof(VfioLayouts.vfio_iommu_spapr_tce_create, "__resv2");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_create, start_addr)}. */
        public static final int start_addr = offsetof(VfioLayouts.vfio_iommu_spapr_tce_create, "start_addr");
    }

    /** The members of {@code struct vfio_iommu_spapr_tce_remove} ({@link VfioLayouts#vfio_iommu_spapr_tce_remove}). */
    public static final class vfio_iommu_spapr_tce_remove {
        private vfio_iommu_spapr_tce_remove() {}

        /** {@code sizeof(struct vfio_iommu_spapr_tce_remove)}. */
        public static final int SIZE = sizeof(VfioLayouts.vfio_iommu_spapr_tce_remove);
        /** {@code offsetof(struct vfio_iommu_spapr_tce_remove, argsz)}. */
        public static final int argsz = offsetof(VfioLayouts.vfio_iommu_spapr_tce_remove, "argsz");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_remove, flags)}. */
        public static final int flags = offsetof(VfioLayouts.vfio_iommu_spapr_tce_remove, "flags");
        /** {@code offsetof(struct vfio_iommu_spapr_tce_remove, start_addr)}. */
        public static final int start_addr = offsetof(VfioLayouts.vfio_iommu_spapr_tce_remove, "start_addr");
    }
}
