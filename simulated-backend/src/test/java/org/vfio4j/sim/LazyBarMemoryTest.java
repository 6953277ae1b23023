package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vfio4j.IommuType;
import org.vfio4j.Region;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.PciDeviceModel;

/**
 * A BAR's memory is allocated when something first touches it, not at boot: a model may declare a
 * 4 GiB BAR, and a test that only reads config space and a small BAR pays for neither the memory
 * nor the zero-filling of the large one.
 */
class LazyBarMemoryTest {

    static final class BigBars implements PciDeviceModel {
        @Override
        public ConfigSpace config() {
            return ConfigSpace.builder(0x1af4, 0x10f2, 0x00ff00).pcie(true).build();
        }

        @Override
        public List<Bar> bars() {
            return List.of(Bar.memory(0, 0x1000, BarKind.MEMORY32, false), Bar.memory(2, 4L << 30, BarKind.MEMORY64, true));
        }
    }

    @Test
    void anUntouched4GiBBar_costsNoMemory_andATouchedBarReadsZero() throws Exception {
        long before = residentKiB();
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(5, HostDevice.of("0000:03:00.0", BigBars::new).boundTo(HostDevice.VFIO_PCI)).build();
        try (Vfio vfio = Vfio.open(host)) {
            VfioContainer c = vfio.openContainer();
            VfioGroup g = vfio.openGroup(5);
            g.setContainer(c);
            c.setIommu(IommuType.TYPE1V2);
            VfioDevice d = g.openDevice("0000:03:00.0");
            d.config().write16(0x04, 0x2);
            assertThat(d.readConfigDword(0)).isEqualTo(0x10f2_1af4);
            assertThat(d.regionInfo(2).size()).isEqualTo(4L << 30);
            try (Region bar0 = d.region(0)) {
                assertThat(bar0.readLong(0x800)).as("fresh BAR memory is zero").isZero();
                bar0.writeLong(0x800, 42);
                assertThat(bar0.readLong(0x800)).isEqualTo(42);
            }
            long grown = residentKiB() - before;
            assertThat(grown).as("resident memory grew by %d KiB; the 4 GiB BAR was never touched", grown).isLessThan(512 * 1024);
        }
    }

    private static long residentKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS in /proc/self/status");
    }
}
