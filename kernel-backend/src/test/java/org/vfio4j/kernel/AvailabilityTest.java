package org.vfio4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;

class AvailabilityTest {

    @Test
    void everythingPresent_isAvailable() {
        assertThat(KernelBackend.Availability.of(null, true, "org.vfio4j.kernel", 0).isAvailable()).isTrue();
    }

    @Test
    void missingNode_permission_andNativeAccess_areEachNamed() {
        assertThat(KernelBackend.Availability.of(null, true, "org.vfio4j.kernel", -1).problems())
                .singleElement().asString().startsWith("no /dev/vfio/vfio");
        assertThat(KernelBackend.Availability.of(null, true, "org.vfio4j.kernel", Errno.EACCES.number()).problems())
                .singleElement().asString().startsWith("permission denied opening /dev/vfio/vfio");
        assertThat(KernelBackend.Availability.of(null, false, "org.vfio4j.kernel", 0).problems())
                .singleElement().asString().contains("--enable-native-access=org.vfio4j.kernel");
        assertThat(KernelBackend.Availability.of(null, false, null, 0).problems())
                .singleElement().asString().contains("--enable-native-access=ALL-UNNAMED");
        assertThat(KernelBackend.Availability.of("VFIO is a Linux interface; this is Mac OS X", true, null, -1).problems())
                .containsExactly("VFIO is a Linux interface; this is Mac OS X");
    }

    @Test
    void thisMachine_reportsWhatItLacks() {
        KernelBackend.Availability a = KernelBackend.availability();
        System.out.println("kernel backend availability here: " + (a.isAvailable() ? "available" : a.problems()));
        // the tests run with --enable-native-access, so only the VFIO node can be missing
        assertThat(a.problems()).noneMatch(p -> p.contains("native access"));
        assertThat(a.isAvailable()).isEqualTo(Files.exists(Path.of(KernelBackend.CONTAINER_NODE))
                && a.problems().isEmpty());
    }
}
