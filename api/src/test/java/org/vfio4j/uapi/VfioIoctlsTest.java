package org.vfio4j.uapi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.vfio4j.uapi.VfioIoctls.FileKind;

/** Request names: per kind of file where numbers alias, unambiguous names otherwise, hex for the rest. */
class VfioIoctlsTest {

    @Test
    void aliasedNumbers_areNamedByTheKindOfFile() {
        assertThat(VfioIoctls.name(FileKind.CONTAINER, 0x3B71)).isEqualTo("VFIO_IOMMU_MAP_DMA");
        assertThat(VfioIoctls.name(FileKind.DEVICE, 0x3B71)).isEqualTo("VFIO_DEVICE_PCI_HOT_RESET");
        assertThat(VfioIoctls.name(FileKind.CONTAINER, 0x3B75)).isEqualTo("VFIO_IOMMU_SPAPR_REGISTER_MEMORY");
        assertThat(VfioIoctls.name(FileKind.TYPE1_CONTAINER, 0x3B75)).isEqualTo("VFIO_IOMMU_DIRTY_PAGES");
        assertThat(VfioIoctls.name(FileKind.TYPE1_CONTAINER, 0x3B71)).isEqualTo("VFIO_IOMMU_MAP_DMA");
        assertThat(VfioIoctls.name(0x3B75)).isEqualTo("ioctl(0x3b75)");
        assertThat(VfioIoctls.name(FileKind.DEVICE, 0x3B75)).isEqualTo("VFIO_DEVICE_FEATURE");
        assertThat(VfioIoctls.name(0x3B71)).isEqualTo("ioctl(0x3b71)");
        assertThat(VfioIoctls.name(FileKind.SPAPR_CONTAINER, 0x3B70)).isEqualTo("VFIO_IOMMU_SPAPR_TCE_GET_INFO");
        assertThat(VfioIoctls.name(FileKind.CONTAINER, 0x3B70)).isEqualTo("VFIO_IOMMU_GET_INFO");
        assertThat(VfioIoctls.name(FileKind.SPAPR_CONTAINER, 0x3B75)).isEqualTo("VFIO_IOMMU_SPAPR_REGISTER_MEMORY");
        assertThat(VfioIoctls.name(FileKind.SPAPR_CONTAINER, 0x3B79)).isEqualTo("VFIO_EEH_PE_OP");
    }

    @Test
    void aRequestOfAnotherKindOfFile_isNamedByItsNumber() {
        assertThat(VfioIoctls.name(FileKind.GROUP, 0x3B64)).isEqualTo("ioctl(0x3b64)");
        assertThat(VfioIoctls.name(FileKind.CONTAINER, 0x3B68)).isEqualTo("ioctl(0x3b68)");
        assertThat(VfioIoctls.name(FileKind.GROUP, 0x3B68)).isEqualTo("VFIO_GROUP_SET_CONTAINER");
    }

    @Test
    void withoutAKind_onlyNumbersOfOneKindOfFileAreNamed() {
        assertThat(VfioIoctls.name(0x3B64)).isEqualTo("VFIO_GET_API_VERSION");
        assertThat(VfioIoctls.name(0x3B6A)).isEqualTo("VFIO_GROUP_GET_DEVICE_FD");
        assertThat(VfioIoctls.name(0x3B79)).isEqualTo("VFIO_EEH_PE_OP");
        assertThat(VfioIoctls.name(0x541B)).isEqualTo("ioctl(0x541b)");
    }
}
