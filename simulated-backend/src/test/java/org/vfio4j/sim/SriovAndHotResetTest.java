package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.HotResetInfo;
import org.vfio4j.IommuType;
import org.vfio4j.PciAddress;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.PciDeviceModel;

/**
 * VF tokens ({@code vfio_pci_validate_vf_token}, VFIO_DEVICE_FEATURE_PCI_VF_TOKEN) and hot reset
 * across IOMMU groups, on a PF (SR-IOV capability) in group 10 and its VF in group 11, both on bus 5.
 */
class SriovAndHotResetTest {
    static final String PF = "0000:05:00.0";
    static final String VF = "0000:05:00.1";

    static PciDeviceModel pf() {
        ConfigSpace c = ConfigSpace.builder(0x8086, 0x1521, 0x020000).interruptPin(1).pcie(true)
                .extendedCapability(0x10, 1, new byte[0x3c]).build();
        return () -> c;
    }

    static PciDeviceModel vf() {
        ConfigSpace c = ConfigSpace.builder(0x8086, 0x1520, 0x020000).pcie(true).build();
        return () -> c;
    }

    static SimulatedHost host(String pfDriver, HostDevice... more) {
        SimulatedHost.Builder b = SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(10, HostDevice.of(PF, SriovAndHotResetTest::pf).boundTo(pfDriver))
                .group(11, HostDevice.of(VF, SriovAndHotResetTest::vf).asVirtualFunctionOf(PF).boundTo(HostDevice.VFIO_PCI));
        for (HostDevice d : more) {
            b.group(12, d);
        }
        return b.build();
    }

    record World(Vfio vfio, VfioGroup pfGroup, VfioGroup vfGroup) {}

    static World boot(SimulatedHost host) throws VfioException {
        Vfio vfio = Vfio.open(host);
        VfioContainer c = vfio.openContainer();
        VfioGroup vfGroup = vfio.openGroup(11);
        vfGroup.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        VfioGroup pfGroup = null;
        if (host.groups().getFirst().devices().getFirst().isVfioDevice()) {
            pfGroup = vfio.openGroup(10);
            pfGroup.setContainer(c);
        }
        return new World(vfio, pfGroup, vfGroup);
    }



    @Test
    void aVfOfAVfioPf_needsThePfsToken() throws Exception {
        World w = boot(host(HostDevice.VFIO_PCI));
        assertThat(Errnos.of(() -> w.vfGroup().openDevice(VF))).as("no token").isEqualTo(Errno.EACCES);
        assertThat(Errnos.of(() -> w.vfGroup().openDevice(VF + " vf_token=" + UUID.randomUUID()))).as("the random probe-time token is unknown")
                .isEqualTo(Errno.EACCES);
        VfioDevice pf = w.pfGroup().openDevice(PF);
        UUID token = UUID.fromString("bd8d9d2b-5a5f-4f5a-a211-f591514ba1f3");
        pf.setVfToken(token);
        VfioDevice vf = w.vfGroup().openDevice(VF + " vf_token=" + token);
        assertThat(Errnos.of(() -> w.pfGroup().openDevice(PF))).as("PF with a VF in use: token required").isEqualTo(Errno.EACCES);
        assertThat(Errnos.of(() -> w.pfGroup().openDevice(PF + " vf_token=" + UUID.randomUUID()))).isEqualTo(Errno.EACCES);
        w.pfGroup().openDevice(PF + " vf_token=" + token).close();
        vf.close();
        UUID other = UUID.randomUUID();
        w.pfGroup().openDevice(PF + " vf_token=" + other).close(); // no VF users: the token given sets it
        assertThat(Errnos.of(() -> w.vfGroup().openDevice(VF + " vf_token=" + token))).isEqualTo(Errno.EACCES);
        w.vfGroup().openDevice(VF + "  vf_token=" + other).close();
        assertThat(Errnos.of(() -> w.vfGroup().openDevice(VF + " vf_token=" + other + " vf_token=" + other))).as("repeated option")
                .isEqualTo(Errno.EINVAL);
        assertThat(Errnos.of(() -> w.vfGroup().openDevice(VF + " vf_token=not-a-uuid"))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void tokens_whereNoPfIsInvolved_areRefused() throws Exception {
        World w = boot(host("igb"));
        assertThat(Errnos.of(() -> w.vfGroup().openDevice(VF + " vf_token=" + UUID.randomUUID()))).as("PF not on vfio-pci").isEqualTo(Errno.EINVAL);
        w.vfGroup().openDevice(VF).close();
        Vfio vfio = Vfio.open(SimulatedHost.x86Type1());
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(7);
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        assertThat(Errnos.of(() -> g.openDevice("0000:01:00.0 vf_token=" + UUID.randomUUID()))).as("neither PF nor VF").isEqualTo(Errno.EINVAL);
    }

    @Test
    void vfTokenFeature_existsOnlyOnPfs() throws Exception {
        World w = boot(host(HostDevice.VFIO_PCI));
        VfioDevice pf = w.pfGroup().openDevice(PF);
        assertThat(pf.probeFeature(VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, true)).isTrue();
        assertThat(pf.probeFeature(VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, false)).as("GET is never offered").isFalse();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(16);
            f.set(ValueLayout.JAVA_INT, 0, 16);
            f.set(ValueLayout.JAVA_INT, 4, VFIO_DEVICE_FEATURE_SET);
            assertThat(Errnos.of(() -> w.vfio().seam().ioctl(pf.fd(), VFIO_DEVICE_FEATURE, f))).as("SET without the 16-byte UUID")
                    .isEqualTo(Errno.EINVAL);
        }
        pf.setVfToken(UUID.randomUUID());
        w.pfGroup().openDevice(PF).close();
    }

    @Test
    void hotReset_coversEveryFunctionOnTheBus_acrossGroups() throws Exception {
        World w = boot(host(HostDevice.VFIO_PCI));
        VfioDevice pf = w.pfGroup().openDevice(PF);
        HotResetInfo info = pf.hotResetInfo();
        assertThat(info.devices()).containsExactly(new HotResetInfo.Device(10, PciAddress.parse(PF)),
                new HotResetInfo.Device(11, PciAddress.parse(VF)));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(24);
            h.set(ValueLayout.JAVA_INT, 0, 20);
            assertThat(Errnos.of(() -> w.vfio().seam().ioctl(pf.fd(), VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, h))).isEqualTo(Errno.ENOSPC);
            assertThat(h.get(ValueLayout.JAVA_INT, 8)).isEqualTo(2);
            assertThat(h.get(ValueLayout.JAVA_INT, 0)).as("argsz is not updated").isEqualTo(20);
        }
        assertThat(Errnos.of(() -> pf.hotReset(List.of(w.pfGroup())))).as("the VF's group is missing").isEqualTo(Errno.EINVAL);
        pf.hotReset(List.of(w.pfGroup(), w.vfGroup()));
        pf.hotReset(List.of(w.vfGroup(), w.pfGroup()));
    }

    @Test
    void hotReset_ofABusWithAFunctionOfAnotherDriver_isRefused() throws Exception {
        HostDevice nic = HostDevice.pci("0000:05:00.2", 0x8086, 0x1521, 0x020000).boundTo("igb");
        World w = boot(host(HostDevice.VFIO_PCI, nic));
        VfioDevice pf = w.pfGroup().openDevice(PF);
        assertThat(pf.hotResetInfo().devices()).hasSize(3);
        assertThat(Errnos.of(() -> pf.hotReset(List.of(w.pfGroup(), w.vfGroup())))).isEqualTo(Errno.EINVAL);
    }
}
