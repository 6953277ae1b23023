package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.vfio4j.uapi.VfioUapi.*;

import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.PciAddress;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;

/**
 * What a frozen or reset EEH PE does to its device as a driver sees it through vfio-pci, on a
 * booted POWER host: BAR reads (pread and loads through a mapping) answer all ones and writes go
 * nowhere while MMIO is frozen; config space keeps answering while frozen and fails with ENODEV
 * while a reset is asserted; MSIs stop while DMA is frozen; a reset puts the device back to
 * power-on, and RESET_DEACTIVATE restores its BARs. The freeze comes from {@link
 * Fault#eehError(PciAddress)}; VFIO_EEH_PE_OP goes to the kernel's EEH directly, as the sPAPR
 * driver will hand it on.
 */
class EehFrozenDeviceTest {
    private static final int CLASS_REVISION = 0x08;
    private static final long ONES = 0xffff_ffffL;

    @Test
    void frozenPe_barReadsAllOnes_writesDropped_configStillAnswers() throws Exception {
        try (PowerWorld w = new PowerWorld(PowerPlatform.Eeh.FREEZES)) {
            w.write(PowerWorld.BAR2, 4, 0x1122_3344L);
            w.write(PowerWorld.BAR0, 4, 0x55);
            int classRev = w.configRead(CLASS_REVISION, 4);
            assertThat(w.kernel.load(w.bar2, 0, 4)).isEqualTo(0x1122_3344L);

            w.kernel.inject(Fault.eehError(PowerWorld.ADDRESS));
            assertThat(w.peOp(VFIO_EEH_PE_GET_STATE)).isEqualTo(VFIO_EEH_PE_STATE_STOPPED);
            assertThat(w.read(PowerWorld.BAR2, 4)).isEqualTo(ONES);
            assertThat(w.read(PowerWorld.BAR0, 4)).as("trapped registers too").isEqualTo(ONES);
            assertThat(w.kernel.load(w.bar2, 0, 4)).isEqualTo(ONES);
            assertThat(w.kernel.load(w.bar2, 8, 8)).isEqualTo(-1L);
            w.write(PowerWorld.BAR2, 4, 0xdead);
            w.kernel.store(w.bar2, 4, 4, 0xbeef);
            w.write(PowerWorld.BAR0, 4, 0x66);
            assertThat(w.model.scratch).as("the store never reached the device").isEqualTo(0x55);
            assertThat(w.configRead(CLASS_REVISION, 4)).as("PHB4 lets config cycles through to a frozen PE").isEqualTo(classRev);
            assertThat(w.configRead(0, 2)).isEqualTo(0x1234);

            assertThat(w.peOp(VFIO_EEH_PE_UNFREEZE_IO)).isZero();
            assertThat(w.read(PowerWorld.BAR2, 4)).as("the dropped write left the memory as it was").isEqualTo(0x1122_3344L);
            assertThat(w.kernel.load(w.bar2, 4, 4)).isZero();
            assertThat(w.read(PowerWorld.BAR0, 4)).isEqualTo(0x55);
            assertThat(w.kernel.trace()).anyMatch(e -> e.event() && e.call().equals("injected fault") && e.arguments().contains("EEH error"))
                    .anyMatch(e -> e.event() && e.call().equals("EEH freeze")).anyMatch(e -> e.event() && e.call().equals("EEH thaw"));
        }
    }

    @Test
    void resetSequence_blocksConfig_resetsTheDevice_restoresBarsNotBusMaster() throws Exception {
        try (PowerWorld w = new PowerWorld(PowerPlatform.Eeh.FREEZES)) {
            w.write(PowerWorld.BAR0, 4, 0x77);
            w.write(PowerWorld.BAR2, 4, 0x42);
            int resetsBefore = w.model.resets;
            w.kernel.inject(Fault.eehError(PowerWorld.ADDRESS));
            assertThat(w.peOp(VFIO_EEH_PE_UNFREEZE_IO)).isZero();
            assertThat(w.peOp(VFIO_EEH_PE_RESET_HOT)).isZero();

            assertThat(configErrno(() -> w.configRead(CLASS_REVISION, 4))).isEqualTo(Errno.ENODEV);
            assertThat(configErrno(() -> w.configWrite(0x0c, 1, 0x10))).as("cache line size reaches the hardware").isEqualTo(Errno.ENODEV);
            assertThat(w.configRead(0, 4)).as("vendor and device ID are virtual: no hardware access").isEqualTo(0x11e8_1234);
            assertThat(w.read(PowerWorld.BAR0, 4)).as("eeh_pe_reset froze the PE before the reset").isEqualTo(ONES);
            assertThat(w.model.resets).isEqualTo(resetsBefore + 1);
            assertThat(w.model.scratch).isZero();

            assertThat(w.peOp(VFIO_EEH_PE_RESET_DEACTIVATE)).isZero();
            assertThat(w.peOp(VFIO_EEH_PE_CONFIGURE)).isZero();
            assertThat(w.peOp(VFIO_EEH_PE_GET_STATE)).isEqualTo(VFIO_EEH_PE_STATE_NORMAL);
            int command = w.configRead(0x04, 2);
            assertThat(command & 0x2).as("pci_reenable_device: memory decode back on").isEqualTo(0x2);
            assertThat(command & 0x4).as("bus mastering stays off: the driver turns it on").isZero();
            assertThat(w.read(PowerWorld.BAR2, 4)).as("the BARs decode again; the memory kept its bytes").isEqualTo(0x42);
            assertThat(w.read(PowerWorld.BAR0, 4)).as("the reset cleared the register").isZero();
        }
    }

    @Test
    void frozenDma_dropsMsis_unfreezeDmaDeliversAgain() throws Exception {
        try (PowerWorld w = new PowerWorld(PowerPlatform.Eeh.FREEZES)) {
            Fd e = w.msiEventfd();
            w.kernel.inject(Fault.eehError(PowerWorld.ADDRESS));
            signal(w);
            assertThat(catchThrowableOfType(VfioException.class, () -> w.kernel.readEventCounter(e)).errno())
                    .as("nothing was signalled").isEqualTo(Errno.EAGAIN);
            assertThat(w.kernel.diagnose(e)).get().asString().contains("DMA frozen");

            assertThat(w.peOp(VFIO_EEH_PE_UNFREEZE_DMA)).isZero();
            signal(w);
            assertThat(w.kernel.readEventCounter(e)).isEqualTo(1);
        }
    }

    @Test
    void closingAndReopeningTheDevice_thawsThePe() throws Exception {
        try (PowerWorld w = new PowerWorld(PowerPlatform.Eeh.FREEZES)) {
            w.kernel.munmap(w.bar2);
            w.kernel.inject(Fault.eehError(PowerWorld.ADDRESS));
            w.kernel.close(w.device);
            assertThat(w.peOp(VFIO_EEH_PE_GET_STATE)).as("eeh_dev_release: eeh_pe_change_owner thaws").isEqualTo(VFIO_EEH_PE_STATE_NORMAL);
            assertThat(w.kernel.eeh().pe(PowerWorld.GROUP).orElseThrow().passedThrough()).isZero();

            w.kernel.inject(Fault.eehError(PowerWorld.ADDRESS));
            assertThat(w.peOp(VFIO_EEH_PE_GET_STATE)).as("a PE nobody has open freezes too").isEqualTo(VFIO_EEH_PE_STATE_STOPPED);
            w.openDevice();
            assertThat(w.peOp(VFIO_EEH_PE_GET_STATE)).as("eeh_dev_open: eeh_pe_change_owner thaws").isEqualTo(VFIO_EEH_PE_STATE_NORMAL);
            assertThat(w.kernel.eeh().pe(PowerWorld.GROUP).orElseThrow().passedThrough()).isEqualTo(1);
        }
    }

    @Test
    void qemuPhb4_neverFreezes_theFaultOnlyTraces() throws Exception {
        try (PowerWorld w = new PowerWorld(PowerPlatform.Eeh.QEMU_NEVER_FREEZES)) {
            w.write(PowerWorld.BAR2, 4, 0x99);
            w.kernel.inject(Fault.eehError(PowerWorld.ADDRESS));
            assertThat(w.read(PowerWorld.BAR2, 4)).isEqualTo(0x99);
            assertThat(w.peOp(VFIO_EEH_PE_GET_STATE)).isZero();
            assertThat(w.kernel.trace()).anyMatch(t -> t.event() && t.arguments().contains("never freezes"));
        }
    }

    @Test
    void eehError_refusedWithoutEeh() throws Exception {
        PciAddress edu = PciAddress.parse("0000:01:00.0");
        SimulatedKernel x86 = SimulatedHost.x86Type1().boot();
        try {
            assertThatThrownBy(() -> x86.inject(Fault.eehError(edu))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no EEH");
            assertThat(x86.pendingFaults()).isEmpty();
        } finally {
            x86.close();
        }
        SimulatedHost off = SimulatedHost.powernv().toBuilder().power(PowerPlatform.phb4().withEeh(PowerPlatform.Eeh.OFF)).build();
        SimulatedKernel k = off.boot();
        try {
            assertThatThrownBy(() -> k.inject(Fault.aerError(edu), Fault.eehError(edu))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no EEH").hasMessageContaining("nothing was armed");
            assertThat(k.firedFaults()).as("all or nothing: the AER error was not armed either").isEmpty();
        } finally {
            k.close();
        }
        assertThatThrownBy(() -> off.toBuilder().faults(Fault.eehError(edu)).build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("needs EEH");
    }

    @Test
    void eehError_armedAtBoot_freezesOnlyThatDevicesPe() throws Exception {
        SimulatedHost host = SimulatedHost.powernv().toBuilder().faults(Fault.eehError(PciAddress.parse("0001:01:00.0"))).build();
        SimulatedKernel k = host.boot();
        try {
            assertThat(k.firedFaults()).hasSize(1);
            assertThat(k.eeh().pe(1).orElseThrow().vfioState()).isEqualTo(VFIO_EEH_PE_STATE_STOPPED);
            assertThat(k.eeh().pe(0).orElseThrow().vfioState()).as("PEs are per group").isEqualTo(VFIO_EEH_PE_STATE_NORMAL);
        } finally {
            k.close();
        }
    }

    private static void signal(PowerWorld w) {
        w.model.context.signalMsi(0);
    }

    interface ConfigAccess {
        void run() throws Exception;
    }

    private static Errno configErrno(ConfigAccess access) {
        VfioException e = catchThrowableOfType(VfioException.class, access::run);
        assertThat(e).as("the access fails").isNotNull();
        assertThat(e.explanation()).get().asString().contains("EEH_PE_CFG_BLOCKED");
        return e.errno();
    }
}
