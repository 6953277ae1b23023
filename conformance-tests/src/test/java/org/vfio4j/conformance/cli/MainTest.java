package org.vfio4j.conformance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void tour_walksTheSequence_andExplainsBothMistakes() throws Exception {
        assertThat(run("tour")).isZero();
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text)
                .contains("> open /dev/vfio/vfio = 3")
                .contains("VFIO_IOMMU_MAP_DMA on fd 3 (container 1) = -1 EINVAL (container 1 has no IOMMU yet")
                .contains("VFIO_SET_IOMMU VFIO_TYPE1v2_IOMMU on fd 3 (container 1) = 0")
                .contains("-> {argsz=116, flags=PGSIZES|CAPS")
                .contains("VFIO_GROUP_GET_DEVICE_FD \"0000:01:00.0\" on fd 4 (group 7) = 5")
                .contains("-> {size=0x2000}")
                .contains("= -1 EPERM (group 8 is not viable: 0000:02:00.1 is bound to e1000e");
        assertThat(text.lines().count()).as("short enough to read in two minutes").isLessThan(90);
    }

    @Test
    void unknownCommand_exitsTwoWithAHint() throws Exception {
        assertThat(run("frobnicate")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'frobnicate'").contains("vfio4j help");
        assertThat(run()).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("tour");
    }
}
