package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vfio4j.Region;
import org.vfio4j.sim.device.IommuFault;
import org.vfio4j.sim.iommu.FaultLog;

/** The refused DMAs a kernel keeps are bounded like its trace: the latest ones, and a count of the rest. */
class IommuFaultLogTest {

    @Test
    void aDeviceThatFaultsForever_leavesTheLatestFaultsAndACount() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        try (Region regs = w.device().region(0)) {
            regs.writeLong(0x10, 8); // copy 8 bytes from an IOVA nothing maps
            int copies = FaultLog.CAPACITY + 25;
            for (int i = 0; i < copies; i++) {
                regs.writeLong(0x0, 0x4000_0000L + 8L * i);
                regs.writeLong(0x18, 1);
            }
            List<IommuFault> kept = w.kernel().iommuFaults();
            assertThat(kept).hasSize(FaultLog.CAPACITY);
            assertThat(w.kernel().iommuFaultsDropped()).isEqualTo(25);
            assertThat(kept.get(0).iova()).as("the oldest kept").isEqualTo(0x4000_0000L + 8L * 25);
            assertThat(kept.get(kept.size() - 1).iova()).as("the newest").isEqualTo(0x4000_0000L + 8L * (copies - 1));
        } finally {
            w.vfio().close();
        }
    }
}
