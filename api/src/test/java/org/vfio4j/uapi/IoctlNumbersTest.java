package org.vfio4j.uapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Golden ioctl numbers (the table of the VFIO documentation), independent of gcc. */
class IoctlNumbersTest {

    @Test
    void vfioRequests_areIoOfSemicolonAndBasePlusN() {
        assertThat(VfioUapi.VFIO_GET_API_VERSION).isEqualTo(0x3B64);
        assertThat(VfioUapi.VFIO_CHECK_EXTENSION).isEqualTo(0x3B65);
        assertThat(VfioUapi.VFIO_GROUP_GET_DEVICE_FD).isEqualTo(0x3B6A);
        assertThat(VfioUapi.VFIO_DEVICE_RESET).isEqualTo(0x3B6F);
        assertThat(VfioUapi.VFIO_DEVICE_FEATURE).isEqualTo(0x3B75);
        assertThat(VfioUapi.VFIO_EEH_PE_OP).isEqualTo(0x3B79);
        // container and device requests share numbers; dispatch is by descriptor type
        assertThat(VfioUapi.VFIO_IOMMU_GET_INFO).isEqualTo(VfioUapi.VFIO_DEVICE_GET_PCI_HOT_RESET_INFO).isEqualTo(0x3B70);
        assertThat(VfioUapi.VFIO_IOMMU_SPAPR_REGISTER_MEMORY).isEqualTo(VfioUapi.VFIO_DEVICE_FEATURE);
    }

    @Test
    void ioc_encodesDirectionSizeTypeAndNumber() {
        // FIONREAD-style _IOR('T', 0x1b, int) would be 0x8004541B
        assertThat(Ioctl.ior('T', 0x1b, 4)).isEqualTo(0x8004541BL);
        assertThat(Ioctl.iow('T', 0x1b, 4)).isEqualTo(0x4004541BL);
        assertThat(Ioctl.iowr(';', 1, 16)).isEqualTo(0xC0103B01L);
        assertThatThrownBy(() -> Ioctl.io(';', 256)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Ioctl.ioc(0, ';', 1, 1 << 14)).isInstanceOf(IllegalArgumentException.class);
    }
}
