package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.vfio4j.EehError;
import org.vfio4j.Errno;
import org.vfio4j.IommuType;
import org.vfio4j.PciConfig;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.TraceEntry;
import org.vfio4j.uapi.VfioUapi;

/**
 * {@link ConfinedSeam}, the seam every target boots: each refusal happens before the kernel sees
 * the call (the simulated kernel's trace does not have it) and names what is missing; allowed
 * calls pass unchanged.
 */
class ConfinedSeamTest {
    /** x86: edu alone in group 7 (with a function reset), a non-viable group 8, another edu in group 9. */
    private static final SimulatedHost X86 = SimulatedHost.x86Type1().toBuilder().clearGroups()
            .group(7, HostDevice.of("0000:01:00.0", QemuEdu::new).boundTo(HostDevice.VFIO_PCI).withReset())
            .group(8, HostDevice.pci("0000:02:00.0", 0x8086, 0x10d3, 0x020000).boundTo(HostDevice.VFIO_PCI),
                    HostDevice.pci("0000:02:00.1", 0x8086, 0x10d3, 0x020000).boundTo("e1000e"))
            .group(9, HostDevice.of("0000:03:00.0", QemuEdu::new).boundTo(HostDevice.VFIO_PCI))
            .build();

    private static ConformanceTarget named(SimulatedHost host, int group, String device, Set<DestructiveOperation> allowed) {
        return new ConformanceTarget("test", host, host.profile(), group, device, OptionalInt.empty(), OptionalInt.empty(),
                OptionalInt.empty(), List.of(), allowed);
    }

    private static List<String> calls(SimulatedKernel k, String call) {
        return k.trace().stream().filter(e -> !e.event() && e.call().equals(call)).map(TraceEntry::toString).toList();
    }

    private static VfioDevice openEdu(Vfio vfio, int group, String device, IommuType type) throws Exception {
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(group);
        g.setContainer(c);
        c.setIommu(type);
        return g.openDevice(device);
    }

    @Test
    void opensOnlyTheContainerNodeAndTheNamedGroups() throws Exception {
        try (SimulatedKernel k = X86.boot(); Vfio vfio = Vfio.over(new ConfinedSeam(named(X86, 7, "0000:01:00.0", Set.of()), k, null))) {
            vfio.openContainer();
            vfio.openGroup(7);
            assertThatThrownBy(() -> vfio.openGroup(9)).isInstanceOf(OperationRefused.class)
                    .hasMessageContaining("refused open /dev/vfio/9").hasMessageContaining("groups [7]");
            assertThatThrownBy(() -> vfio.seam().open("/sys/bus/pci/devices/0000:01:00.0/driver_override", 1))
                    .isInstanceOf(OperationRefused.class);
            assertThat(calls(k, "open")).hasSize(2).noneMatch(l -> l.contains("/dev/vfio/9") || l.contains("/sys"));
        }
    }

    @Test
    void asksForNoDeviceButTheNamedOne() throws Exception {
        SimulatedHost twoInOneGroup = X86.toBuilder().clearGroups().group(7,
                HostDevice.of("0000:01:00.0", QemuEdu::new).boundTo(HostDevice.VFIO_PCI),
                HostDevice.of("0000:01:00.1", QemuEdu::new).boundTo(HostDevice.VFIO_PCI)).build();
        try (SimulatedKernel k = twoInOneGroup.boot();
             Vfio vfio = Vfio.over(new ConfinedSeam(named(twoInOneGroup, 7, "0000:01:00.0", Set.of()), k, null))) {
            VfioContainer c = vfio.openContainer();
            VfioGroup g = vfio.openGroup(7);
            g.setContainer(c);
            c.setIommu(IommuType.TYPE1V2);
            assertThatThrownBy(() -> g.openDevice("0000:01:00.1")).isInstanceOf(OperationRefused.class)
                    .hasMessageContaining("the target names only devices [0000:01:00.0]");
            g.openDevice("0000:01:00.0").close();
            assertThat(calls(k, "VFIO_GROUP_GET_DEVICE_FD")).hasSize(1).allMatch(l -> l.contains("\"0000:01:00.0\""));
        }
    }

    @Test
    void judgesRequestsByTheFileTheyAreSentTo_aGroupRequestOnAContainerPasses() throws Exception {
        try (SimulatedKernel k = X86.boot(); Vfio vfio = Vfio.over(new ConfinedSeam(named(X86, 7, "0000:01:00.0", Set.of()), k, null))) {
            VfioContainer c = vfio.openContainer();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment name = arena.allocateFrom("0000:03:00.0");
                assertThatVfioCall(() -> vfio.seam().ioctl(c.fd(), VfioUapi.VFIO_GROUP_GET_DEVICE_FD, name))
                        .as("not a group: the kernel answers, no device is asked for").failsWith(Errno.EINVAL);
                assertThatVfioCall(() -> vfio.seam().ioctl(c.fd(), VfioUapi.VFIO_DEVICE_RESET, 0L))
                        .as("not a device: the kernel answers").failsWith(Errno.EINVAL);
            }
        }
    }

    @Test
    void refusesResetsAndBusMasteringWithoutTheirFlags_beforeTheKernelSeesThem() throws Exception {
        try (SimulatedKernel k = X86.boot(); Vfio vfio = Vfio.over(new ConfinedSeam(named(X86, 7, "0000:01:00.0", Set.of()), k, null))) {
            VfioDevice edu = openEdu(vfio, 7, "0000:01:00.0", IommuType.TYPE1V2);
            assertThat(edu.info().canReset()).isTrue();
            assertThatThrownBy(edu::reset).isInstanceOf(OperationRefused.class).hasMessageContaining("--allow-reset")
                    .satisfies(e -> assertThat(((OperationRefused) e).missing()).contains(DestructiveOperation.RESET));
            assertThatThrownBy(() -> edu.hotReset(List.of())).isInstanceOf(OperationRefused.class).hasMessageContaining("--allow-reset");
            PciConfig cfg = edu.config();
            int command = cfg.read16(0x04);
            assertThat(command & 0x4).as("bus mastering starts off").isZero();
            assertThatThrownBy(() -> cfg.write16(0x04, command | 0x4)).isInstanceOf(OperationRefused.class)
                    .hasMessageContaining("bus mastering").hasMessageContaining("--allow-dma");
            assertThatThrownBy(() -> cfg.write32(0x04, command | 0x4)).isInstanceOf(OperationRefused.class);
            assertThatThrownBy(() -> cfg.write8(0x04, command & 0xff | 0x4)).isInstanceOf(OperationRefused.class);
            assertThat(cfg.read16(0x04)).as("nothing written").isEqualTo(command);
            cfg.write16(0x04, command & ~0x2);
            cfg.write16(0x04, command);
            cfg.write8(0x05, command >> 8);
            assertThat(cfg.read16(0x04)).as("writes that leave bus mastering off pass").isEqualTo(command);
            assertThat(calls(k, "VFIO_DEVICE_RESET")).isEmpty();
            assertThat(calls(k, "VFIO_DEVICE_PCI_HOT_RESET")).isEmpty();
            assertThat(k.trace()).noneMatch(e -> e.call().equals("pwrite") && e.arguments().contains("PCI_COMMAND")
                    && e.arguments().contains("0x0107"));
        }
    }

    @Test
    void passesResetsAndBusMasteringWhenAllowed() throws Exception {
        Set<DestructiveOperation> allowed = EnumSet.of(DestructiveOperation.RESET, DestructiveOperation.DEVICE_DMA);
        try (SimulatedKernel k = X86.boot(); Vfio vfio = Vfio.over(new ConfinedSeam(named(X86, 7, "0000:01:00.0", allowed), k, null))) {
            VfioDevice edu = openEdu(vfio, 7, "0000:01:00.0", IommuType.TYPE1V2);
            edu.reset();
            PciConfig cfg = edu.config();
            cfg.write16(0x04, cfg.read16(0x04) | 0x4);
            assertThat(cfg.read16(0x04) & 0x4).isEqualTo(0x4);
            assertThat(calls(k, "VFIO_DEVICE_RESET")).hasSize(1).allMatch(l -> l.endsWith("= 0"));
        }
    }

    @Test
    void refusesEehInjectionWithoutItsFlag_andPeResetsWithoutTheResetFlag() throws Exception {
        SimulatedHost power = Topologies.powernv().toBuilder().capIpcLock(true).build();
        ConformanceTarget noInjection = named(power, Topologies.POWER_EDU_GROUP, Topologies.POWER_EDU, Set.of());
        try (SimulatedKernel k = power.boot(); Vfio vfio = Vfio.over(new ConfinedSeam(noInjection, k, null))) {
            VfioContainer c = vfio.openContainer();
            vfio.openGroup(Topologies.POWER_EDU_GROUP).setContainer(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            var pe = c.eeh();
            pe.enable();
            assertThatThrownBy(() -> pe.injectError(new EehError(EehError.Type.BITS_32, EehError.Function.LD_CFG_ADDR, 0, 0)))
                    .isInstanceOf(OperationRefused.class).hasMessageContaining("--allow-eeh-injection");
            assertThatThrownBy(pe::resetHot).isInstanceOf(OperationRefused.class).hasMessageContaining("--allow-reset");
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment op = arena.allocate(40);
                op.set(ValueLayout.JAVA_INT, 0, 40);
                op.set(ValueLayout.JAVA_INT, 8, VfioUapi.VFIO_EEH_PE_INJECT_ERR);
                assertThatThrownBy(() -> vfio.seam().ioctl(c.fd(), VfioUapi.VFIO_EEH_PE_OP, op)).isInstanceOf(OperationRefused.class);
                assertThatThrownBy(() -> vfio.seam().ioctl(c.fd(), VfioUapi.VFIO_EEH_PE_OP, op.address()))
                        .as("an op passed by value cannot be read: refused").isInstanceOf(OperationRefused.class);
            }
            assertThat(pe.state()).as("GET_STATE passes").isNotNull();
            assertThat(calls(k, "VFIO_EEH_PE_OP")).isNotEmpty().noneMatch(l -> l.contains("INJECT") || l.contains("RESET_HOT"));
        }
        try (SimulatedKernel k = power.boot();
             Vfio vfio = Vfio.over(new ConfinedSeam(noInjection.allowing(EnumSet.allOf(DestructiveOperation.class)), k, null))) {
            VfioContainer c = vfio.openContainer();
            vfio.openGroup(Topologies.POWER_EDU_GROUP).setContainer(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            c.eeh().enable();
            c.eeh().injectError(new EehError(EehError.Type.BITS_32, EehError.Function.LD_CFG_ADDR, 0, 0));
            assertThat(calls(k, "VFIO_EEH_PE_OP")).anyMatch(l -> l.contains("INJECT"));
        }
    }

    @Test
    void everyPermissionSentenceNamesItsFlagAndItsProperty() {
        for (DestructiveOperation op : DestructiveOperation.values()) {
            assertThat(op.whyRefused()).contains(op.flag()).contains("-D" + op.property() + "=true");
        }
    }
}
