package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.IovaRange;
import org.vfio4j.KernelProfile;
import org.vfio4j.PciAddress;

/**
 * {@link SimulatedHost.Builder}: each setter refuses a bad argument at once with {@link
 * IllegalArgumentException} naming what is wrong, and leaves the builder as it was; the edge
 * values a setter documents as valid are kept; a builder's defaults are the ones its javadoc names.
 */
class SimulatedHostBuilderTest {
    private static HostDevice vfio(String address) {
        return HostDevice.pci(address, 0x1234, 0x11e8, 0x00ff00).boundTo(HostDevice.VFIO_PCI);
    }

    private static void refused(Runnable setter, String message) {
        assertThatThrownBy(setter::run).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void defaults_areTheDocumentedOnes() {
        SimulatedHost h = SimulatedHost.builder().build();
        assertThat(h.name()).isEqualTo("simulated custom host");
        assertThat(h.profile()).isEqualTo(KernelProfile.LINUX_6_1);
        assertThat(h.groups()).isEmpty();
        assertThat(h.isNoIommu()).isFalse();
        assertThat(h.iovaPageSizes()).isEqualTo(0x4020_1000L);
        assertThat(h.iovaRanges()).containsExactly(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, (1L << 48) - 1));
        assertThat(h.dmaEntryLimit()).isEqualTo(65535);
        assertThat(h.memlockLimit()).isEqualTo(64L << 20);
        assertThat(h.capIpcLock()).isFalse();
        assertThat(h.capSysRawio()).isFalse();
        assertThat(h.interruptRemapping()).isTrue();
        assertThat(h.nestingSupported()).isFalse();
        assertThat(h.enforceCacheCoherency()).isTrue();
        assertThat(h.irqVectorLimit()).isEqualTo(Integer.MAX_VALUE);
        assertThat(h.traceCapacity()).isEqualTo(10_000);
        assertThat(h.deviceLatency()).isEqualTo(Duration.ofMillis(1));
        assertThat(h.faults()).isEmpty();
    }

    /**
     * A POWER host: none by default; the powernv preset is a PHB4 on Linux 6.12; 6.1 cannot be a
     * POWER host (its POWER IOMMU has no iommu_ops, so vfio-pci binds nothing) and neither can a
     * no-IOMMU host; a PHB's values are checked when it is made.
     */
    @Test
    void powerHosts_areCheckedWhenBuilt() {
        assertThat(SimulatedHost.builder().build().power()).isEmpty();
        assertThat(SimulatedHost.powernv().power()).contains(PowerPlatform.phb4());
        assertThat(SimulatedHost.powernv().profile()).isEqualTo(KernelProfile.LINUX_6_12);
        assertThatThrownBy(() -> SimulatedHost.powernv().toBuilder().profile(KernelProfile.LINUX_6_1).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Linux 6.1 cannot bind vfio-pci on POWER");
        assertThatThrownBy(() -> SimulatedHost.powernv().toBuilder().noIommu(true).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot also be a no-IOMMU host");
        PowerPlatform p = PowerPlatform.phb4();
        refused(() -> new PowerPlatform(0, 0x8000_1000L, p.ddwPageSizes(), 2, 5, 1L << 59, p.eeh()), "power of two");
        refused(() -> new PowerPlatform(0, p.dma32WindowSize(), 0, 2, 5, 1L << 59, p.eeh()), "no page size");
        refused(() -> new PowerPlatform(0, p.dma32WindowSize(), p.ddwPageSizes(), 3, 5, 1L << 59, p.eeh()), "1 or 2");
        refused(() -> new PowerPlatform(0, p.dma32WindowSize(), p.ddwPageSizes(), 2, 0, 1L << 59, p.eeh()), "levels");
        refused(() -> new PowerPlatform(0, p.dma32WindowSize(), p.ddwPageSizes(), 2, 5, 1L << 59, null), "eeh must not be null");
        assertThat(p.withEeh(PowerPlatform.Eeh.OFF).eeh()).isEqualTo(PowerPlatform.Eeh.OFF);
    }

    @Test
    void nullArguments_areRefusedByName() {
        SimulatedHost.Builder b = SimulatedHost.builder();
        refused(() -> b.name(null), "name must not be null");
        refused(() -> b.profile(null), "profile must not be null");
        refused(() -> b.group(1, (HostDevice[]) null), "devices must not be null");
        refused(() -> b.group(1, vfio("0000:01:00.0"), null), "a device of group 1 must not be null");
        refused(() -> b.iovaRanges(null), "iovaRanges must not be null");
        refused(() -> b.iovaRanges(Arrays.asList(new IovaRange(0, 0xfff), null)), "an IOVA range must not be null");
        refused(() -> b.faults((List<Fault>) null), "the fault plan must not be null");
        refused(() -> b.faults((Fault[]) null), "the fault plan must not be null");
        refused(() -> b.faults(Fault.failing(Call.MAP_DMA, 1, Errno.ENOMEM), null), "a fault of the plan must not be null");
        refused(() -> b.deviceLatency(null), "deviceLatency must not be null");
        assertThat(b.build().toString()).as("nothing was set").isEqualTo(SimulatedHost.builder().build().toString());
    }

    @Test
    void blankNames_areRefused() {
        refused(() -> SimulatedHost.builder().name(""), "must not be blank");
        refused(() -> SimulatedHost.builder().name("  "), "must not be blank");
        assertThat(SimulatedHost.builder().name("rig").build().name()).isEqualTo("simulated rig");
    }

    @Test
    void groups_refuseBadIdsEmptyGroupsAndSharedDevices() {
        SimulatedHost.Builder b = SimulatedHost.builder().group(3, vfio("0000:01:00.0"));
        refused(() -> b.group(-1, vfio("0000:02:00.0")), "group id must be >= 0");
        refused(() -> b.group(4), "IOMMU group 4 has no devices");
        refused(() -> b.group(3, vfio("0000:02:00.0")), "IOMMU group 3 is defined twice");
        refused(() -> b.group(4, vfio("0000:01:00.0")), "device 0000:01:00.0 is in two IOMMU groups");
        refused(() -> b.group(4, vfio("0000:02:00.0"), vfio("0000:02:00.0")), "device 0000:02:00.0 is in two IOMMU groups");
        SimulatedHost h = b.build();
        assertThat(h.groups()).as("only the first group was added").extracting(HostGroup::id).containsExactly(3);
        assertThat(h.toBuilder().clearGroups().group(3, vfio("0000:01:00.0")).build().groups()).as("clearGroups frees ids and addresses")
                .hasSize(1);
    }

    @Test
    void pageSizeBitmapsWithoutAPageSize_areRefused() {
        refused(() -> SimulatedHost.builder().iovaPageSizes(0), "iovaPageSizes has no page size");
        assertThat(SimulatedHost.builder().iovaPageSizes(0x200).build().iovaPageSizes())
                .as("sizes below 4 KiB are a page size: VFIO raises them to 4 KiB").isEqualTo(0x200);
        assertThat(SimulatedHost.builder().iovaPageSizes(1L << 63).build().iovaPageSizes()).isEqualTo(1L << 63);
    }

    @Test
    void iovaRanges_mustBeAscendingAndDisjoint() {
        IovaRange low = new IovaRange(0, 0xffff);
        IovaRange high = new IovaRange(0x1_0000, 0xffff_ffffL);
        refused(() -> SimulatedHost.builder().iovaRanges(List.of(high, low)), "sorted and disjoint");
        refused(() -> SimulatedHost.builder().iovaRanges(List.of(low, new IovaRange(0xffff, 0x2_0000))), "sorted and disjoint");
        refused(() -> SimulatedHost.builder().iovaRanges(List.of(low, low)), "sorted and disjoint");
        refused(() -> SimulatedHost.builder().iovaRanges(List.of(new IovaRange(0x1000, 0xffff_ffffL), new IovaRange(0x2000, 0x3000))),
                "sorted and disjoint");
        assertThatThrownBy(() -> new IovaRange(0x2000, 0x1000)).as("an inverted range cannot even be made")
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(SimulatedHost.builder().iovaRanges(List.of(low, high)).build().iovaRanges()).containsExactly(low, high);
        assertThat(SimulatedHost.builder().iovaRanges(List.of(new IovaRange(0, 0xfff), new IovaRange(-0x1000L, -1L))).build()
                .iovaRanges()).as("compared unsigned: the top of the space comes last").hasSize(2);
        assertThat(SimulatedHost.builder().iovaRanges(List.of()).build().iovaRanges()).isEmpty();
    }

    @Test
    void negativeLimits_areRefused() {
        refused(() -> SimulatedHost.builder().dmaEntryLimit(-1), "dmaEntryLimit must be >= 0: -1");
        refused(() -> SimulatedHost.builder().memlockLimit(-2), "memlockLimit must be >= 0, or -1 for unlimited: -2");
        refused(() -> SimulatedHost.builder().memlockLimit(Long.MIN_VALUE), "memlockLimit");
        refused(() -> SimulatedHost.builder().irqVectorLimit(0), "irqVectorLimit must be at least one vector: 0");
        refused(() -> SimulatedHost.builder().irqVectorLimit(-5), "irqVectorLimit");
        refused(() -> SimulatedHost.builder().traceCapacity(-1), "traceCapacity must be >= 0: -1");
        refused(() -> SimulatedHost.builder().deviceLatency(Duration.ofNanos(-1)), "deviceLatency must be >= 0");
        refused(() -> SimulatedHost.builder().iommuAddressWidth(11), "12 to 64 bits");

        SimulatedHost edges = SimulatedHost.builder().dmaEntryLimit(0).memlockLimit(-1).irqVectorLimit(1).traceCapacity(0)
                .deviceLatency(Duration.ZERO).build();
        assertThat(edges.dmaEntryLimit()).isZero();
        assertThat(edges.memlockLimit()).as("unlimited").isEqualTo(-1);
        assertThat(edges.irqVectorLimit()).isEqualTo(1);
        assertThat(edges.traceCapacity()).as("tracing off").isZero();
        assertThat(edges.deviceLatency()).isZero();
        assertThat(SimulatedHost.builder().memlockLimit(0).build().memlockLimit()).isZero();
    }

    @Test
    void aFaultNamingADeviceTheHostLacks_isRefusedAtBuild_onceTheGroupsAreKnown() {
        PciAddress edu = PciAddress.parse("0000:01:00.0");
        SimulatedHost.Builder b = SimulatedHost.builder().faults(Fault.dmaFault(edu));
        assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("not bound to vfio-pci");
        assertThat(b.group(7, vfio("0000:01:00.0")).build().faults()).hasSize(1);
    }
}
