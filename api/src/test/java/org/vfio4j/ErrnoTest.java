package org.vfio4j;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ErrnoTest {

    @Test
    void of_mapsLinuxNumbersAndKeepsUnknownOnesInTheException() {
        assertThat(Errno.of(22)).isEqualTo(Errno.EINVAL);
        assertThat(Errno.of(25)).isEqualTo(Errno.ENOTTY);
        assertThat(Errno.of(77)).isEqualTo(Errno.EBADFD);
        assertThat(Errno.of(0)).isEqualTo(Errno.UNKNOWN);
        assertThat(Errno.of(41)).as("41 is unused on Linux").isEqualTo(Errno.UNKNOWN);
        assertThat(Errno.of(524)).as("kernel-internal ENOTSUPP").isEqualTo(Errno.UNKNOWN);

        VfioException e = new VfioException(524, "VFIO_DEVICE_RESET", "0000:01:00.0", null);
        assertThat(e.errno()).isEqualTo(Errno.UNKNOWN);
        assertThat(e.errnoNumber()).isEqualTo(524);
        assertThat(e.getMessage()).isEqualTo("VFIO_DEVICE_RESET on 0000:01:00.0 failed: errno 524 (Unknown error)");
    }

    @Test
    void message_namesOperationTargetErrnoAndRule() {
        VfioException e = new VfioException(Errno.EEXIST, "VFIO_IOMMU_MAP_DMA", "container fd 5",
                "IOVA [0x1000, 0x2000) overlaps an existing mapping (vfio_dma_do_map)");
        assertThat(e.getMessage()).isEqualTo("VFIO_IOMMU_MAP_DMA on container fd 5 failed: EEXIST (File exists):"
                + " IOVA [0x1000, 0x2000) overlaps an existing mapping (vfio_dma_do_map)");
        assertThat(e.operation()).isEqualTo("VFIO_IOMMU_MAP_DMA");
        assertThat(e.target()).contains("container fd 5");
        assertThat(e.explanation()).isPresent();
        assertThat(new VfioException(Errno.ENOENT, "open", null, null).getMessage())
                .isEqualTo("open failed: ENOENT (No such file or directory)");
    }
}
