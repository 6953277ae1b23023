package org.vfio4j.uapi;

import static org.vfio4j.uapi.Ioctl.io;

/**
 * Every constant, flag, enum index and ioctl number of the VFIO userspace header
 * {@code <linux/vfio.h>} that vfio4j covers (the Linux 5.7 uapi), re-expressed in Java under the
 * header's own names, with the values of Linux 6.1 where a value changed since. Ioctl numbers are computed as the header computes them,
 * {@code _IO(VFIO_TYPE, VFIO_BASE + n)}; numbers overlap between container and device
 * descriptors and are dispatched by descriptor type.
 *
 * <p>A few later additions that the default {@code LINUX_6_1} kernel profile reports are included
 * and marked <em>Linux 6.1</em>. The ABI proof compares every value here with the C compiler's.
 */
public final class VfioUapi {
    private VfioUapi() {}

    // ---- API version and extensions (VFIO_CHECK_EXTENSION arguments) ----

    /** The only API version: what VFIO_GET_API_VERSION returns. */
    public static final int VFIO_API_VERSION = 0;
    /** Extension: the type1 IOMMU (x86 and most others). */
    public static final int VFIO_TYPE1_IOMMU = 1;
    /** Extension: the sPAPR TCE IOMMU (POWER), version 1. */
    public static final int VFIO_SPAPR_TCE_IOMMU = 2;
    /** Extension: type1 version 2 (unmap may not split a mapping). */
    public static final int VFIO_TYPE1v2_IOMMU = 3;
    /** Extension: every IOMMU domain of the container enforces cache coherency for DMA. */
    public static final int VFIO_DMA_CC_IOMMU = 4;
    /** Extension: EEH (POWER error recovery) is supported. */
    public static final int VFIO_EEH = 5;
    /** Extension: two-stage (nested) type1 IOMMU; implies v2. */
    public static final int VFIO_TYPE1_NESTING_IOMMU = 6;
    /** Extension: the sPAPR TCE IOMMU, version 2 (pre-registered memory, dynamic windows). */
    public static final int VFIO_SPAPR_TCE_v2_IOMMU = 7;
    /** Extension: no IOMMU at all (unsafe mode, needs CAP_SYS_RAWIO). */
    public static final int VFIO_NOIOMMU_IOMMU = 8;
    /** Linux 6.1: extension, VFIO_DMA_UNMAP_FLAG_ALL is supported. */
    public static final int VFIO_UNMAP_ALL = 9;
    /** Linux 6.1: extension, VFIO_DMA_MAP_FLAG_VADDR / VFIO_DMA_UNMAP_FLAG_VADDR are supported. */
    public static final int VFIO_UPDATE_VADDR = 10;

    // ---- ioctl encoding ----

    /** The ioctl type byte of every VFIO request, {@code ';'}. */
    public static final int VFIO_TYPE = ';';
    /** The first VFIO ioctl number. */
    public static final int VFIO_BASE = 100;

    // ---- container (/dev/vfio/vfio) ----

    /** Container: returns VFIO_API_VERSION. */
    public static final long VFIO_GET_API_VERSION = io(VFIO_TYPE, VFIO_BASE + 0);
    /** Container: whether an extension is supported (argument by value; returns 0 or a positive value). */
    public static final long VFIO_CHECK_EXTENSION = io(VFIO_TYPE, VFIO_BASE + 1);
    /** Container: selects the IOMMU backend (argument by value: an extension number). */
    public static final long VFIO_SET_IOMMU = io(VFIO_TYPE, VFIO_BASE + 2);

    // ---- group (/dev/vfio/$GROUP) ----

    /** Group status flag: every device of the group is bound to a VFIO driver or none. */
    public static final int VFIO_GROUP_FLAGS_VIABLE = 1 << 0;
    /** Group status flag: the group is attached to a container. */
    public static final int VFIO_GROUP_FLAGS_CONTAINER_SET = 1 << 1;
    /** Group: fills struct vfio_group_status. */
    public static final long VFIO_GROUP_GET_STATUS = io(VFIO_TYPE, VFIO_BASE + 3);
    /** Group: attaches the group to a container (argument: pointer to the container fd, an s32). */
    public static final long VFIO_GROUP_SET_CONTAINER = io(VFIO_TYPE, VFIO_BASE + 4);
    /** Group: detaches the group from its container. */
    public static final long VFIO_GROUP_UNSET_CONTAINER = io(VFIO_TYPE, VFIO_BASE + 5);
    /** Group: returns a new device fd (argument: the device name, NUL-terminated). */
    public static final long VFIO_GROUP_GET_DEVICE_FD = io(VFIO_TYPE, VFIO_BASE + 6);

    // ---- device ----

    /** Device info flag: the device supports VFIO_DEVICE_RESET. */
    public static final int VFIO_DEVICE_FLAGS_RESET = 1 << 0;
    /** Device info flag: a vfio-pci device. */
    public static final int VFIO_DEVICE_FLAGS_PCI = 1 << 1;
    /** Device info flag: a vfio-platform device. */
    public static final int VFIO_DEVICE_FLAGS_PLATFORM = 1 << 2;
    /** Device info flag: a vfio-amba device. */
    public static final int VFIO_DEVICE_FLAGS_AMBA = 1 << 3;
    /** Device info flag: a vfio-ccw device. */
    public static final int VFIO_DEVICE_FLAGS_CCW = 1 << 4;
    /** Device info flag: a vfio-ap device. */
    public static final int VFIO_DEVICE_FLAGS_AP = 1 << 5;
    /** Linux 6.1: device info flag, a vfio-fsl-mc device. */
    public static final int VFIO_DEVICE_FLAGS_FSL_MC = 1 << 6;
    /** Linux 6.1: device info flag, a capability chain follows (cap_offset is valid). */
    public static final int VFIO_DEVICE_FLAGS_CAPS = 1 << 7;
    /** Device: fills struct vfio_device_info. */
    public static final long VFIO_DEVICE_GET_INFO = io(VFIO_TYPE, VFIO_BASE + 7);

    /** The {@code device_api} sysfs string of vfio-pci devices (mdev). */
    public static final String VFIO_DEVICE_API_PCI_STRING = "vfio-pci";
    /** The {@code device_api} string of vfio-platform devices. */
    public static final String VFIO_DEVICE_API_PLATFORM_STRING = "vfio-platform";
    /** The {@code device_api} string of vfio-amba devices. */
    public static final String VFIO_DEVICE_API_AMBA_STRING = "vfio-amba";
    /** The {@code device_api} string of vfio-ccw devices. */
    public static final String VFIO_DEVICE_API_CCW_STRING = "vfio-ccw";
    /** The {@code device_api} string of vfio-ap devices. */
    public static final String VFIO_DEVICE_API_AP_STRING = "vfio-ap";

    // ---- regions ----

    /** Region flag: the region supports pread. */
    public static final int VFIO_REGION_INFO_FLAG_READ = 1 << 0;
    /** Region flag: the region supports pwrite. */
    public static final int VFIO_REGION_INFO_FLAG_WRITE = 1 << 1;
    /** Region flag: the region (or the areas of its sparse-mmap capability) supports mmap. */
    public static final int VFIO_REGION_INFO_FLAG_MMAP = 1 << 2;
    /** Region flag: a capability chain is available (cap_offset, or a larger argsz). */
    public static final int VFIO_REGION_INFO_FLAG_CAPS = 1 << 3;
    /** Device: fills struct vfio_region_info for one region index. */
    public static final long VFIO_DEVICE_GET_REGION_INFO = io(VFIO_TYPE, VFIO_BASE + 8);

    /** Region capability: the mmap-able areas of the region (struct vfio_region_info_cap_sparse_mmap). */
    public static final int VFIO_REGION_INFO_CAP_SPARSE_MMAP = 1;
    /** Region capability: the type and subtype of a device-specific region (struct vfio_region_info_cap_type). */
    public static final int VFIO_REGION_INFO_CAP_TYPE = 2;

    /** Region type bit: a PCI vendor-specific type; the low 16 bits are the vendor id. */
    public static final int VFIO_REGION_TYPE_PCI_VENDOR_TYPE = 1 << 31;
    /** Region type mask: the vendor id of a PCI vendor-specific type. */
    public static final int VFIO_REGION_TYPE_PCI_VENDOR_MASK = 0xffff;
    /** Region type: graphics. */
    public static final int VFIO_REGION_TYPE_GFX = 1;
    /** Region type: s390 channel I/O. */
    public static final int VFIO_REGION_TYPE_CCW = 2;

    /** Intel (8086) subtype: the IGD OpRegion. */
    public static final int VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION = 1;
    /** Intel (8086) subtype: the host bridge's config space, read only. */
    public static final int VFIO_REGION_SUBTYPE_INTEL_IGD_HOST_CFG = 2;
    /** Intel (8086) subtype: the LPC bridge's config space, read only. */
    public static final int VFIO_REGION_SUBTYPE_INTEL_IGD_LPC_CFG = 3;
    /** NVIDIA (10de) subtype: NVLink2 GPU RAM. */
    public static final int VFIO_REGION_SUBTYPE_NVIDIA_NVLINK2_RAM = 1;
    /** IBM (1014) subtype: NVLink2 ATSD (address translation shootdown) registers. */
    public static final int VFIO_REGION_SUBTYPE_IBM_NVLINK2_ATSD = 1;
    /** GFX subtype: the EDID region (struct vfio_region_gfx_edid, then the EDID blob). */
    public static final int VFIO_REGION_SUBTYPE_GFX_EDID = 1;
    /** EDID region link state: connected. */
    public static final int VFIO_DEVICE_GFX_LINK_STATE_UP = 1;
    /** EDID region link state: disconnected. */
    public static final int VFIO_DEVICE_GFX_LINK_STATE_DOWN = 2;
    /** CCW subtype: asynchronous command region. */
    public static final int VFIO_REGION_SUBTYPE_CCW_ASYNC_CMD = 1;

    /** Region capability (no payload): the MSI-X table in this BAR may be mmapped. */
    public static final int VFIO_REGION_INFO_CAP_MSIX_MAPPABLE = 3;
    /** Region capability: NVLink2 target address (struct vfio_region_info_cap_nvlink2_ssatgt). */
    public static final int VFIO_REGION_INFO_CAP_NVLINK2_SSATGT = 4;
    /** Region capability: NVLink2 link speed (struct vfio_region_info_cap_nvlink2_lnkspd). */
    public static final int VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD = 5;

    // ---- interrupts ----

    /** IRQ info flag: signalled through eventfds. */
    public static final int VFIO_IRQ_INFO_EVENTFD = 1 << 0;
    /** IRQ info flag: MASK/UNMASK actions are supported. */
    public static final int VFIO_IRQ_INFO_MASKABLE = 1 << 1;
    /** IRQ info flag: the interrupt is masked when it fires until userspace unmasks it (level-triggered). */
    public static final int VFIO_IRQ_INFO_AUTOMASKED = 1 << 2;
    /** IRQ info flag: vectors cannot be added while enabled; disable and re-enable to resize. */
    public static final int VFIO_IRQ_INFO_NORESIZE = 1 << 3;
    /** Device: fills struct vfio_irq_info for one IRQ index. */
    public static final long VFIO_DEVICE_GET_IRQ_INFO = io(VFIO_TYPE, VFIO_BASE + 9);

    /** SET_IRQS data type: no data (count vectors are acted on). */
    public static final int VFIO_IRQ_SET_DATA_NONE = 1 << 0;
    /** SET_IRQS data type: one u8 boolean per vector. */
    public static final int VFIO_IRQ_SET_DATA_BOOL = 1 << 1;
    /** SET_IRQS data type: one s32 eventfd per vector (-1: none). */
    public static final int VFIO_IRQ_SET_DATA_EVENTFD = 1 << 2;
    /** SET_IRQS action: mask. */
    public static final int VFIO_IRQ_SET_ACTION_MASK = 1 << 3;
    /** SET_IRQS action: unmask. */
    public static final int VFIO_IRQ_SET_ACTION_UNMASK = 1 << 4;
    /** SET_IRQS action: trigger (or, with eventfds, set the trigger eventfds). */
    public static final int VFIO_IRQ_SET_ACTION_TRIGGER = 1 << 5;
    /** Device: struct vfio_irq_set followed by its data. */
    public static final long VFIO_DEVICE_SET_IRQS = io(VFIO_TYPE, VFIO_BASE + 10);
    /** All data-type bits of SET_IRQS flags. */
    public static final int VFIO_IRQ_SET_DATA_TYPE_MASK =
            VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_DATA_EVENTFD;
    /** All action bits of SET_IRQS flags. */
    public static final int VFIO_IRQ_SET_ACTION_TYPE_MASK =
            VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_ACTION_TRIGGER;

    /** Device: resets the device (needs VFIO_DEVICE_FLAGS_RESET). */
    public static final long VFIO_DEVICE_RESET = io(VFIO_TYPE, VFIO_BASE + 11);

    // ---- vfio-pci fixed indexes (enums of the header) ----

    /** vfio-pci region index: BAR 0. */
    public static final int VFIO_PCI_BAR0_REGION_INDEX = 0;
    /** vfio-pci region index: BAR 1. */
    public static final int VFIO_PCI_BAR1_REGION_INDEX = 1;
    /** vfio-pci region index: BAR 2. */
    public static final int VFIO_PCI_BAR2_REGION_INDEX = 2;
    /** vfio-pci region index: BAR 3. */
    public static final int VFIO_PCI_BAR3_REGION_INDEX = 3;
    /** vfio-pci region index: BAR 4. */
    public static final int VFIO_PCI_BAR4_REGION_INDEX = 4;
    /** vfio-pci region index: BAR 5. */
    public static final int VFIO_PCI_BAR5_REGION_INDEX = 5;
    /** vfio-pci region index: the expansion ROM. */
    public static final int VFIO_PCI_ROM_REGION_INDEX = 6;
    /** vfio-pci region index: PCI config space (virtualized). */
    public static final int VFIO_PCI_CONFIG_REGION_INDEX = 7;
    /** vfio-pci region index: legacy VGA ranges (0xa0000-0xbffff, I/O 0x3b0-0x3bb and 0x3c0-0x3df), identity-offset. */
    public static final int VFIO_PCI_VGA_REGION_INDEX = 8;
    /** Number of fixed vfio-pci region indexes; device-specific regions follow, described by capabilities. */
    public static final int VFIO_PCI_NUM_REGIONS = 9;

    /** vfio-pci IRQ index: legacy INTx. */
    public static final int VFIO_PCI_INTX_IRQ_INDEX = 0;
    /** vfio-pci IRQ index: MSI. */
    public static final int VFIO_PCI_MSI_IRQ_INDEX = 1;
    /** vfio-pci IRQ index: MSI-X. */
    public static final int VFIO_PCI_MSIX_IRQ_INDEX = 2;
    /** vfio-pci IRQ index: PCIe AER error notification. */
    public static final int VFIO_PCI_ERR_IRQ_INDEX = 3;
    /** vfio-pci IRQ index: the host requests the device back (unplug). */
    public static final int VFIO_PCI_REQ_IRQ_INDEX = 4;
    /** Number of vfio-pci IRQ indexes. */
    public static final int VFIO_PCI_NUM_IRQS = 5;

    /** vfio-ccw region index: the I/O region. */
    public static final int VFIO_CCW_CONFIG_REGION_INDEX = 0;
    /** Number of fixed vfio-ccw region indexes. */
    public static final int VFIO_CCW_NUM_REGIONS = 1;
    /** vfio-ccw IRQ index: I/O interrupt. */
    public static final int VFIO_CCW_IO_IRQ_INDEX = 0;
    /** Linux 6.1: vfio-ccw IRQ index, channel report word. */
    public static final int VFIO_CCW_CRW_IRQ_INDEX = 1;
    /** Linux 6.1: vfio-ccw IRQ index, device request. */
    public static final int VFIO_CCW_REQ_IRQ_INDEX = 2;
    /** Number of vfio-ccw IRQ indexes: 3 in Linux 6.1 (1 in the 5.7 uapi, before CRW and REQ). */
    public static final int VFIO_CCW_NUM_IRQS = 3;

    // ---- hot reset, graphics, ioeventfd, device feature ----

    /** Device: lists the devices a bus/slot reset would affect (struct vfio_pci_hot_reset_info). */
    public static final long VFIO_DEVICE_GET_PCI_HOT_RESET_INFO = io(VFIO_TYPE, VFIO_BASE + 12);
    /** Device: performs a bus/slot reset, proving ownership with group fds (struct vfio_pci_hot_reset). */
    public static final long VFIO_DEVICE_PCI_HOT_RESET = io(VFIO_TYPE, VFIO_BASE + 13);

    /** GFX plane flag: probe whether a plane type is supported (0 or an errno). */
    public static final int VFIO_GFX_PLANE_TYPE_PROBE = 1 << 0;
    /** GFX plane flag: the plane is exported as a dma-buf. */
    public static final int VFIO_GFX_PLANE_TYPE_DMABUF = 1 << 1;
    /** GFX plane flag: the plane lives in a device region. */
    public static final int VFIO_GFX_PLANE_TYPE_REGION = 1 << 2;
    /** Device: describes the current plane (struct vfio_device_gfx_plane_info). */
    public static final long VFIO_DEVICE_QUERY_GFX_PLANE = io(VFIO_TYPE, VFIO_BASE + 14);
    /** Device: returns a dma-buf fd for a dmabuf_id (argument: pointer to a u32). */
    public static final long VFIO_DEVICE_GET_GFX_DMABUF = io(VFIO_TYPE, VFIO_BASE + 15);

    /** ioeventfd flag: 1-byte write. */
    public static final int VFIO_DEVICE_IOEVENTFD_8 = 1 << 0;
    /** ioeventfd flag: 2-byte write. */
    public static final int VFIO_DEVICE_IOEVENTFD_16 = 1 << 1;
    /** ioeventfd flag: 4-byte write. */
    public static final int VFIO_DEVICE_IOEVENTFD_32 = 1 << 2;
    /** ioeventfd flag: 8-byte write. */
    public static final int VFIO_DEVICE_IOEVENTFD_64 = 1 << 3;
    /** ioeventfd: all size bits. */
    public static final int VFIO_DEVICE_IOEVENTFD_SIZE_MASK = 0xf;
    /** Device: binds an eventfd to a write of data at offset (struct vfio_device_ioeventfd). */
    public static final long VFIO_DEVICE_IOEVENTFD = io(VFIO_TYPE, VFIO_BASE + 16);

    /** Device feature flags: the 16-bit feature index. */
    public static final int VFIO_DEVICE_FEATURE_MASK = 0xffff;
    /** Device feature flag: get the feature into data[]. */
    public static final int VFIO_DEVICE_FEATURE_GET = 1 << 16;
    /** Device feature flag: set the feature from data[]. */
    public static final int VFIO_DEVICE_FEATURE_SET = 1 << 17;
    /** Device feature flag: only probe whether GET/SET are supported. */
    public static final int VFIO_DEVICE_FEATURE_PROBE = 1 << 18;
    /** Device: get, set or probe a feature (struct vfio_device_feature). */
    public static final long VFIO_DEVICE_FEATURE = io(VFIO_TYPE, VFIO_BASE + 17);
    /** Feature: the SR-IOV VF token, a 16-byte UUID (SET only). */
    public static final int VFIO_DEVICE_FEATURE_PCI_VF_TOKEN = 0;

    // ---- type1 IOMMU ----

    /** Type1 info flag: iova_pgsizes is valid. */
    public static final int VFIO_IOMMU_INFO_PGSIZES = 1 << 0;
    /** Type1 info flag: a capability chain is available. */
    public static final int VFIO_IOMMU_INFO_CAPS = 1 << 1;
    /** Type1 info capability: usable IOVA ranges (struct vfio_iommu_type1_info_cap_iova_range). */
    public static final int VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = 1;
    /** Linux 6.1: type1 info capability, dirty-page tracking (struct vfio_iommu_type1_info_cap_migration). */
    public static final int VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION = 2;
    /** Linux 6.1: type1 info capability, DMA mappings still available (struct vfio_iommu_type1_info_dma_avail). */
    public static final int VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL = 3;
    /** Container: fills struct vfio_iommu_type1_info. */
    public static final long VFIO_IOMMU_GET_INFO = io(VFIO_TYPE, VFIO_BASE + 12);

    /** Map flag: the device may read. */
    public static final int VFIO_DMA_MAP_FLAG_READ = 1 << 0;
    /** Map flag: the device may write. */
    public static final int VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
    /** Linux 6.1: map flag, update the vaddr of an existing, invalidated mapping. */
    public static final int VFIO_DMA_MAP_FLAG_VADDR = 1 << 2;
    /** Container: maps process memory at an IOVA (struct vfio_iommu_type1_dma_map). */
    public static final long VFIO_IOMMU_MAP_DMA = io(VFIO_TYPE, VFIO_BASE + 13);

    /** Linux 6.1: unmap flag, return the dirty bitmap of the unmapped range. */
    public static final int VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP = 1 << 0;
    /** Linux 6.1: unmap flag, unmap every mapping (iova and size must be 0). */
    public static final int VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;
    /** Linux 6.1: unmap flag, only invalidate the vaddr of the mappings. */
    public static final int VFIO_DMA_UNMAP_FLAG_VADDR = 1 << 2;
    /** Container: unmaps an IOVA range, writing back the size unmapped (struct vfio_iommu_type1_dma_unmap). */
    public static final long VFIO_IOMMU_UNMAP_DMA = io(VFIO_TYPE, VFIO_BASE + 14);

    /** Linux 5.8+: dirty-pages flag, start tracking the pages devices may have written. */
    public static final int VFIO_IOMMU_DIRTY_PAGES_FLAG_START = 1 << 0;
    /** Linux 5.8+: dirty-pages flag, stop tracking and drop the bitmaps. */
    public static final int VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP = 1 << 1;
    /** Linux 5.8+: dirty-pages flag, copy the dirty bitmap of an IOVA range (struct vfio_iommu_type1_dirty_bitmap_get in data[]). */
    public static final int VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP = 1 << 2;
    /**
     * Linux 5.8+, type1 container: start or stop dirty-page tracking, or get a dirty bitmap
     * (struct vfio_iommu_type1_dirty_bitmap). Same number as {@link #VFIO_IOMMU_SPAPR_REGISTER_MEMORY}.
     */
    public static final long VFIO_IOMMU_DIRTY_PAGES = io(VFIO_TYPE, VFIO_BASE + 17);

    /** Container (sPAPR v1): enables the IOMMU (locks the DMA window's memory). */
    public static final long VFIO_IOMMU_ENABLE = io(VFIO_TYPE, VFIO_BASE + 15);
    /** Container (sPAPR v1): disables the IOMMU. */
    public static final long VFIO_IOMMU_DISABLE = io(VFIO_TYPE, VFIO_BASE + 16);

    // ---- sPAPR TCE IOMMU and EEH ----

    /** sPAPR info flag: dynamic DMA windows are supported (the ddw part is valid). */
    public static final int VFIO_IOMMU_SPAPR_INFO_DDW = 1 << 0;
    /** Container: fills struct vfio_iommu_spapr_tce_info. */
    public static final long VFIO_IOMMU_SPAPR_TCE_GET_INFO = io(VFIO_TYPE, VFIO_BASE + 12);

    /** EEH op: disable EEH for the PE. */
    public static final int VFIO_EEH_PE_DISABLE = 0;
    /** EEH op: enable EEH for the PE. */
    public static final int VFIO_EEH_PE_ENABLE = 1;
    /** EEH op: re-enable MMIO/PIO of a frozen PE. */
    public static final int VFIO_EEH_PE_UNFREEZE_IO = 2;
    /** EEH op: re-enable DMA of a frozen PE. */
    public static final int VFIO_EEH_PE_UNFREEZE_DMA = 3;
    /** EEH op: returns the PE state (one of VFIO_EEH_PE_STATE_*). */
    public static final int VFIO_EEH_PE_GET_STATE = 4;
    /** EEH state: functional. */
    public static final int VFIO_EEH_PE_STATE_NORMAL = 0;
    /** EEH state: reset in progress. */
    public static final int VFIO_EEH_PE_STATE_RESET = 1;
    /** EEH state: DMA and I/O stopped (frozen). */
    public static final int VFIO_EEH_PE_STATE_STOPPED = 2;
    /** EEH state: DMA stopped, I/O working. */
    public static final int VFIO_EEH_PE_STATE_STOPPED_DMA = 4;
    /** EEH state: unavailable (temporarily or permanently). */
    public static final int VFIO_EEH_PE_STATE_UNAVAIL = 5;
    /** EEH op: deassert the PE reset. */
    public static final int VFIO_EEH_PE_RESET_DEACTIVATE = 5;
    /** EEH op: assert a hot reset. */
    public static final int VFIO_EEH_PE_RESET_HOT = 6;
    /** EEH op: assert a fundamental reset. */
    public static final int VFIO_EEH_PE_RESET_FUNDAMENTAL = 7;
    /** EEH op: restore the PE's config space after a reset. */
    public static final int VFIO_EEH_PE_CONFIGURE = 8;
    /** EEH op: inject an error (struct vfio_eeh_pe_err). */
    public static final int VFIO_EEH_PE_INJECT_ERR = 9;
    /** Container: performs an EEH operation (struct vfio_eeh_pe_op). */
    public static final long VFIO_EEH_PE_OP = io(VFIO_TYPE, VFIO_BASE + 21);

    /** Container (sPAPR v2): pre-registers (pins) memory for later mapping. */
    public static final long VFIO_IOMMU_SPAPR_REGISTER_MEMORY = io(VFIO_TYPE, VFIO_BASE + 17);
    /** Container (sPAPR v2): unregisters memory registered before. */
    public static final long VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY = io(VFIO_TYPE, VFIO_BASE + 18);
    /** Container (sPAPR v2): creates a DMA window, returning its start (struct vfio_iommu_spapr_tce_create). */
    public static final long VFIO_IOMMU_SPAPR_TCE_CREATE = io(VFIO_TYPE, VFIO_BASE + 19);
    /** Container (sPAPR v2): removes a DMA window (struct vfio_iommu_spapr_tce_remove). */
    public static final long VFIO_IOMMU_SPAPR_TCE_REMOVE = io(VFIO_TYPE, VFIO_BASE + 20);
}
