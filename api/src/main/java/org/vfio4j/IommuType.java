package org.vfio4j;

import org.vfio4j.uapi.VfioUapi;

/**
 * The IOMMU models a container can be given with VFIO_SET_IOMMU. Sealed: type1 (v1 and v2) and
 * no-IOMMU on x86 and arm64; the sPAPR TCE IOMMU (v1 and v2) on POWER, where the device sees
 * memory through DMA windows of translation control entries and the container also carries EEH
 * ({@link VfioContainer#eeh()}). Which ones a host offers: {@link VfioContainer#supports}.
 */
public sealed interface IommuType
        permits IommuType.Type1, IommuType.Type1v2, IommuType.NoIommu, IommuType.SpaprTce, IommuType.SpaprTceV2 {

    /** Type1 v1: unmapping may split mappings' first pages (legacy semantics). */
    IommuType TYPE1 = new Type1();
    /** Type1 v2: unmap must cover whole mappings; what new code should use. */
    IommuType TYPE1V2 = new Type1v2();
    /** No IOMMU (unsafe mode): no isolation and no DMA mapping API. */
    IommuType NO_IOMMU = new NoIommu();
    /** sPAPR TCE v1: one fixed 32-bit window, usable after {@link VfioContainer#enableIommu()}. */
    IommuType SPAPR_TCE = new SpaprTce();
    /**
     * sPAPR TCE v2: maps only pre-registered memory ({@link VfioContainer#registerMemory}) and can
     * create and remove windows ({@link VfioContainer#createWindow}); QEMU prefers it where the host offers it.
     */
    IommuType SPAPR_TCE_V2 = new SpaprTceV2();

    /** The VFIO_CHECK_EXTENSION / VFIO_SET_IOMMU value. */
    int extension();

    /** VFIO_TYPE1_IOMMU. */
    record Type1() implements IommuType {
        @Override
        public int extension() {
            return VfioUapi.VFIO_TYPE1_IOMMU;
        }
    }

    /** VFIO_TYPE1v2_IOMMU. */
    record Type1v2() implements IommuType {
        @Override
        public int extension() {
            return VfioUapi.VFIO_TYPE1v2_IOMMU;
        }
    }

    /** VFIO_NOIOMMU_IOMMU. */
    record NoIommu() implements IommuType {
        @Override
        public int extension() {
            return VfioUapi.VFIO_NOIOMMU_IOMMU;
        }
    }

    /** VFIO_SPAPR_TCE_IOMMU (v1). */
    record SpaprTce() implements IommuType {
        @Override
        public int extension() {
            return VfioUapi.VFIO_SPAPR_TCE_IOMMU;
        }
    }

    /** VFIO_SPAPR_TCE_v2_IOMMU. */
    record SpaprTceV2() implements IommuType {
        @Override
        public int extension() {
            return VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU;
        }
    }
}
