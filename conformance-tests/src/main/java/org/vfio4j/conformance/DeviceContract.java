package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.vfio4j.DeviceInfo;
import org.vfio4j.Errno;
import org.vfio4j.IommuType;
import org.vfio4j.RegionInfo;
import org.vfio4j.VfioDevice;
import org.vfio4j.uapi.VfioUapi;

/**
 * Device basics every vfio-pci device shows, I22, I23 and I26 of docs/conformance.md ({@code
 * drivers/vfio/pci/vfio_pci_core.c}: {@code vfio_pci_ioctl_get_info}, {@code
 * vfio_pci_ioctl_get_region_info}; {@code vfio_pci_config.c}: {@code vfio_pci_config_rw}).
 */
public interface DeviceContract extends Contract {

    private static VfioDevice open(Session s) throws Exception {
        return s.attach(IommuType.TYPE1V2).group().openDevice(s.target.device());
    }

    /** I22: five IRQ indexes, at least nine regions, each at {@code index << 40}; past num_regions EINVAL. */
    @Property(tries = 5)
    default void pciDevice_hasFiveIrqsAndNineRegions_pastThemIsEinval(@ForAll @IntRange(min = 0, max = 40) int beyond) throws Exception {
        try (Session s = new Session(target())) {
            VfioDevice d = open(s);
            DeviceInfo info = d.info();
            assertThat(info.isPci()).isTrue();
            assertThat(info.numIrqs()).isEqualTo(5);
            assertThat(info.numRegions()).isGreaterThanOrEqualTo(9);
            for (int i = 0; i < VfioUapi.VFIO_PCI_VGA_REGION_INDEX; i++) {
                RegionInfo r = d.regionInfo(i);
                assertThat(r.offset()).as("region %d", i).isEqualTo((long) i << 40);
            }
            assertThat(d.regionInfo(VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX).size()).isIn(256L, 4096L);
            assertThatVfioCall(() -> d.regionInfo(info.numRegions() + beyond)).failsWith(Errno.EINVAL);
        }
    }

    /**
     * A config-space access.
     *
     * @param offset where it starts
     * @param size   1, 2 or 4 bytes
     */
    record Access(long offset, int size) {}

    /** Config accesses inside and past the config space, of every width. */
    @Provide
    default Arbitrary<Access> configAccesses() {
        return net.jqwik.api.Combinators.combine(Arbitraries.longs().between(0, 300), Arbitraries.of(1, 2, 4)).as(Access::new);
    }

    /** I23: config accesses inside the region return their size; reaching past it is EFAULT; identity reads are stable. */
    @Property(tries = 40)
    default void configAccess_pastTheRegion_isEfault_andIdReadsAreStable(@ForAll("configAccesses") Access a) throws Exception {
        try (Session s = new Session(target())) {
            VfioDevice d = open(s);
            long size = d.regionInfo(VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX).size();
            MemorySegment buf = s.memory(1).asSlice(0, a.size());
            Calls.failsWithOrSucceeds(assertThatVfioCall(() -> d.readConfig(a.offset(), buf)).as("config read of %d at 0x%x", a.size(), a.offset()),
                    a.offset() + a.size() <= size ? null : Errno.EFAULT);
            assertThat(d.readConfigDword(0)).isEqualTo(d.readConfigDword(0));
        }
    }

    /** I26: the interrupt line is a scratch byte: it reads back what was written. */
    @Property(tries = 10)
    default void interruptLine_readsBackWhatWasWritten(@ForAll @IntRange(min = 0, max = 255) int line) throws Exception {
        try (Session s = new Session(target())) {
            VfioDevice d = open(s);
            MemorySegment b = s.memory(1).asSlice(0, 1);
            b.set(ValueLayout.JAVA_BYTE, 0, (byte) line);
            assertThat(d.writeConfig(0x3c, b)).isEqualTo(1);
            assertThat(d.readConfigDword(0x3c) & 0xff).isEqualTo(line);
        }
    }
}
