package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Maven route to a real device ({@link KernelTargets}) allows nothing destructive unless its property says so. */
class KernelTargetsTest {
    @Test
    void nothingDestructiveIsAllowed_unlessItsPropertyIsTrue() {
        assertThat(KernelTargets.allowedBy(Map.<String, String>of()::get)).isEmpty();
        assertThat(KernelTargets.allowedBy(Map.of("vfio4j.kernel.allowReset", "yes", "vfio4j.kernel.allowDma", "false")::get)).isEmpty();
        assertThat(KernelTargets.allowedBy(Map.of("vfio4j.kernel.allowReset", "true", "vfio4j.kernel.allowEehInjection", "TRUE")::get))
                .containsExactlyInAnyOrder(DestructiveOperation.RESET, DestructiveOperation.EEH_INJECTION);
        assertThat(KernelTargets.allowedBy(Map.of("vfio4j.kernel.allowDma", "true")::get)).containsExactly(DestructiveOperation.DEVICE_DMA);
    }
}
