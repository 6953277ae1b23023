package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.vfio4j.PciRegisters;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.PciDeviceModel;

/**
 * Capabilities a device model lays out wrongly (a chain running off the end of config space, a
 * short capability whose fields the kernel's table describes past its end): the device opens and
 * the capability is hidden or cut where the kernel would stop, never an exception from inside the
 * simulator.
 */
class MalformedCapabilityTest {
    private static final String BDF = OneModel.BDF;

    /** A conventional (256-byte) config space with one capability at {@code pos}: ID, next 0, then two flag bytes. */
    private static PciDeviceModel modelWithCapability(int pos, int id, int flags) {
        byte[] bytes = new byte[256];
        byte[] mask = new byte[256];
        bytes[0] = 0x34;
        bytes[1] = 0x12;
        bytes[2] = 0x78;
        bytes[3] = 0x56;
        bytes[PciRegisters.STATUS] = (byte) PciRegisters.STATUS_CAP_LIST;
        bytes[PciRegisters.CAPABILITY_LIST] = (byte) pos;
        bytes[pos] = (byte) id;
        if (pos + 3 < 256) {
            bytes[pos + 2] = (byte) flags;
            bytes[pos + 3] = (byte) (flags >> 8);
        }
        ConfigSpace c = ConfigSpace.of(bytes, mask);
        return () -> c;
    }

    private static int capabilityPointerSeenThrough(PciDeviceModel model) throws Exception {
        int[] pointer = new int[1];
        OneModel.withDevice(model, (vfio, device) -> pointer[0] = device.config().read8(PciRegisters.CAPABILITY_LIST));
        return pointer[0];
    }

    private static PciDeviceModel msixModel(int pbaBar, int pbaOffset) {
        ConfigSpace c = ConfigSpace.builder(0x1234, 0x5678, 0x00ff00).msix(4, 0, 0, pbaBar, pbaOffset).build();
        return new PciDeviceModel() {
            @Override
            public ConfigSpace config() {
                return c;
            }

            @Override
            public java.util.List<org.vfio4j.sim.device.Bar> bars() {
                return java.util.List.of(org.vfio4j.sim.device.Bar.memory(0, 0x1000, org.vfio4j.sim.device.BarKind.MEMORY32, false));
            }
        };
    }

    @Test
    void anMsixPbaInABarTheModelDoesNotHave_isRefusedWhenMsixIsUsed_namingTheFunction() throws Exception {
        // a model may describe MSI-X it never uses: it boots and opens
        OneModel.withDevice(msixModel(2, 0x800), (vfio, device) -> {
            try (var irq = vfio.eventNotifier()) {
                assertThatThrownBy(() -> device.enableIrq(org.vfio4j.IrqIndex.MSIX, java.util.List.of(irq)))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessage("0000:01:00.0: the model's MSI-X PBA (BIR 2, offset 0x800, 8 bytes) is not inside one of its"
                                + " memory BARs; fix the MSI-X capability of the model");
            }
        });
    }

    @Test
    void anMsixPbaInTheTablesBar_boots() {
        SimulatedHost host = SimulatedHost.builder()
                .group(1, HostDevice.ofInstance(BDF, msixModel(0, 0x800)).boundTo(HostDevice.VFIO_PCI)).build();
        host.boot().close();
    }

    @Test
    void anMsiCapabilityWhoseFlagsLiePastTheEnd_isHidden() throws Exception {
        assertThat(capabilityPointerSeenThrough(modelWithCapability(0xfe, PciRegisters.CAP_ID_MSI, 0)))
                .as("the capability is unlinked from the virtual chain").isZero();
    }

    @Test
    void aVersion1ExpressCapabilityAtTheEnd_opens_withoutTheFieldsOfVersion2() throws Exception {
        // version 1, endpoint: 0x14 bytes from 0xe8 end at 0xfc; DEVCTL2 (+0x28) would lie past config space
        assertThat(capabilityPointerSeenThrough(modelWithCapability(0xe8, PciRegisters.CAP_ID_EXP, 0x0001)))
                .as("the capability stays in the chain").isEqualTo(0xe8);
    }
}
