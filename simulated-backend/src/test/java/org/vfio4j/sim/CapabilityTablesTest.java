package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.vfio4j.PciConfig;
import org.vfio4j.PciRegisters;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.PciDeviceModel;

/**
 * The permission tables of capabilities the lane's devices do not have, at the offsets the
 * kernel's tables use ({@code vfio_pci_config.c}): PCI-X opens ECC_CSR, not the status register
 * ({@code init_pci_cap_pcix_perm}); AF's virtual FLR is in AF_CTRL ({@code init_pci_cap_af_perm},
 * {@code vfio_af_config_write}); power budgeting opens PCI_PWR_DATA ({@code
 * init_pci_ext_cap_pwr_perm}); SATA's length comes from the byte at PCI_SATA_REGS ({@code
 * vfio_cap_len}).
 */
class CapabilityTablesTest {
    private static final int PCIX = 0x40;
    private static final int AF = 0x60;
    private static final int SATA = 0x70;
    private static final int PWR = 0x100;

    /** A 4096-byte config space: PCI-X (version 1, so extended capabilities count), AF, SATA, then power budgeting at 0x100. */
    private static PciDeviceModel model(boolean sataInline) {
        byte[] b = new byte[4096];
        byte[] mask = new byte[4096];
        b[0] = 0x34;
        b[1] = 0x12;
        b[2] = 0x78;
        b[3] = 0x56;
        b[PciRegisters.STATUS] = (byte) PciRegisters.STATUS_CAP_LIST;
        b[PciRegisters.CAPABILITY_LIST] = (byte) PCIX;
        b[PCIX] = (byte) PciRegisters.CAP_ID_PCIX;
        b[PCIX + 1] = (byte) AF;
        b[PCIX + PciRegisters.X_CMD + 1] = 0x10; // version 1: the 24-byte layout with ECC_CSR
        b[AF] = (byte) PciRegisters.CAP_ID_AF;
        b[AF + 1] = (byte) SATA;
        b[AF + PciRegisters.AF_LENGTH] = 6;
        b[AF + PciRegisters.AF_CAP] = (byte) (PciRegisters.AF_CAP_FLR | PciRegisters.AF_CAP_TP);
        b[SATA] = (byte) PciRegisters.CAP_ID_SATA;
        b[SATA + PciRegisters.SATA_REGS] = (byte) (sataInline ? PciRegisters.SATA_REGS_INLINE : 0);
        // power budgeting, version 1, last in the extended chain
        b[PWR] = (byte) PciRegisters.EXT_CAP_ID_PWR;
        b[PWR + 2] = 0x01;
        for (int i : new int[] {PCIX + PciRegisters.X_STATUS, PCIX + PciRegisters.X_ECC_CSR, SATA + 8, PWR + PciRegisters.PWR_DSR,
                PWR + PciRegisters.PWR_DATA}) {
            for (int j = 0; j < 4; j++) {
                mask[i + j] = (byte) 0xff;
            }
        }
        ConfigSpace c = ConfigSpace.of(b, mask);
        return new PciDeviceModel() {
            @Override
            public ConfigSpace config() {
                return c;
            }

            @Override
            public void reset() {
                resets.incrementAndGet();
            }
        };
    }

    private static final java.util.concurrent.atomic.AtomicInteger resets = new java.util.concurrent.atomic.AtomicInteger();

    private interface ConfigCheck {
        void check(PciConfig config) throws Exception;
    }

    private static void withConfig(PciDeviceModel model, ConfigCheck check) throws Exception {
        OneModel.withDevice(model, (vfio, device) -> check.check(device.config()));
    }

    @Test
    void pcix_opensEccCsr_notTheStatusRegister() throws Exception {
        withConfig(model(false), c -> {
            c.write32(PCIX + PciRegisters.X_ECC_CSR, 0x1234_5678);
            c.write32(PCIX + PciRegisters.X_STATUS, 0xffff_ffff);
            assertThat(c.read32(PCIX + PciRegisters.X_ECC_CSR)).as("ECC_CSR is written through").isEqualTo(0x1234_5678);
            assertThat(c.read32(PCIX + PciRegisters.X_STATUS)).as("the status register is read-only to the user").isZero();
        });
    }

    @Test
    void af_flrInAfCtrl_resetsTheFunction_andReadsZero() throws Exception {
        withConfig(model(false), c -> {
            resets.set(0);
            c.write8(AF + PciRegisters.AF_STATUS, PciRegisters.AF_CTRL_FLR);
            assertThat(resets.get()).as("the status byte has no FLR").isZero();
            c.write8(AF + PciRegisters.AF_CTRL, PciRegisters.AF_CTRL_FLR);
            assertThat(resets.get()).as("FLR through AF_CTRL resets the function (AF offers FLR and TP)").isEqualTo(1);
            assertThat(c.read8(AF + PciRegisters.AF_CTRL)).as("the FLR bit always reads 0").isZero();
        });
    }

    @Test
    void powerBudgeting_opensPwrData_notTheSelector() throws Exception {
        withConfig(model(false), c -> {
            c.write8(PWR + PciRegisters.PWR_DATA, 0x5a);
            c.write8(PWR + PciRegisters.PWR_DSR, 0x5a);
            assertThat(c.read8(PWR + PciRegisters.PWR_DATA)).isEqualTo(0x5a);
            assertThat(c.read8(PWR + PciRegisters.PWR_DSR)).isZero();
        });
    }

    @Test
    void sata_takesItsLengthFromTheRegsByte() throws Exception {
        // inline registers: the 16-byte capability covers SATA + 8, where writes are dropped (no table)
        withConfig(model(true), c -> {
            c.write32(SATA + 8, 0x1111_2222);
            assertThat(c.read32(SATA + 8)).as("inside the long SATA capability").isZero();
        });
        // registers elsewhere: the 8-byte capability ends before SATA + 8, which is unassigned and raw
        withConfig(model(false), c -> {
            c.write32(SATA + 8, 0x1111_2222);
            assertThat(c.read32(SATA + 8)).as("past the short SATA capability").isEqualTo(0x1111_2222);
        });
    }
}
