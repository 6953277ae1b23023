package org.vfio4j;

import org.vfio4j.uapi.VfioUapi;

/**
 * The IOMMU models a container can be given with VFIO_SET_IOMMU. Sealed: type1 (v1 and v2) and
 * no-IOMMU today; sPAPR TCE joins with the POWER model.
 */
public sealed interface IommuType permits IommuType.Type1, IommuType.Type1v2, IommuType.NoIommu {

    /** Type1 v1: unmapping may split mappings' first pages (legacy semantics). */
    IommuType TYPE1 = new Type1();
    /** Type1 v2: unmap must cover whole mappings; what new code should use. */
    IommuType TYPE1V2 = new Type1v2();
    /** No IOMMU (unsafe mode): no isolation and no DMA mapping API. */
    IommuType NO_IOMMU = new NoIommu();

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
}
