package org.vfio4j.sim.eeh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.vfio4j.sim.eeh.EehWorld.F0;
import static org.vfio4j.sim.eeh.EehWorld.F1;
import static org.vfio4j.uapi.VfioUapi.*;

import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.SyscallContext;

/**
 * VFIO_EEH_PE_OP and the PE state machine, op by op, on the three PHBs: one that freezes (a
 * hardware PHB4), QEMU's PHB4 as the powernv9 lane saw it with Linux 6.12, and none (EEH off, or
 * an x86 host).
 */
class EehTest {

    @Test
    void recoverySequence_endsNormal_andResetsEveryFunctionOnce() throws Exception {
        EehWorld w = EehWorld.freezing();
        assertThat(w.op(VFIO_EEH_PE_ENABLE)).isZero();
        assertThat(w.op(VFIO_EEH_PE_GET_STATE)).isEqualTo(VFIO_EEH_PE_STATE_NORMAL);

        w.eeh.errorDetected(F0, "a DMA the TCE table refused");
        assertThat(w.op(VFIO_EEH_PE_GET_STATE)).isEqualTo(VFIO_EEH_PE_STATE_STOPPED);
        assertThat(w.eeh.mmioFrozen(F1)).as("the whole PE freezes, not only the function in error").isTrue();
        assertThat(w.eeh.dmaFrozen(F1)).isTrue();

        assertThat(w.op(VFIO_EEH_PE_UNFREEZE_IO)).isZero();
        assertThat(w.op(VFIO_EEH_PE_GET_STATE)).isEqualTo(VFIO_EEH_PE_STATE_STOPPED_DMA);
        assertThat(w.eeh.mmioFrozen(F0)).isFalse();
        assertThat(w.eeh.dmaFrozen(F0)).isTrue();

        assertThat(w.op(VFIO_EEH_PE_RESET_HOT)).isZero();
        EehPe pe = w.eeh.pe(EehWorld.GROUP).orElseThrow();
        assertThat(pe.configBlocked()).isTrue();
        assertThat(w.op(VFIO_EEH_PE_GET_STATE)).as("eeh_pe_reset freezes the PE; powernv reports no reset state")
                .isEqualTo(VFIO_EEH_PE_STATE_STOPPED);
        assertThat(w.f0.resets).isEqualTo(1);
        assertThat(w.f1.resets).isEqualTo(1);

        assertThat(w.op(VFIO_EEH_PE_RESET_DEACTIVATE)).isZero();
        assertThat(pe.configBlocked()).isFalse();
        assertThat(w.f0.restores).isEqualTo(1);
        assertThat(w.op(VFIO_EEH_PE_CONFIGURE)).isZero();
        assertThat(w.op(VFIO_EEH_PE_GET_STATE)).isEqualTo(VFIO_EEH_PE_STATE_NORMAL);
        assertThat(w.kernel.events).anyMatch(e -> e.contains("EEH freeze")).anyMatch(e -> e.contains("EEH thaw"))
                .anyMatch(e -> e.contains("EEH reset"));
    }

    @Test
    void unfreezeDmaAlone_leavesMmioFrozen_stateUnavail() throws Exception {
        EehWorld w = EehWorld.freezing();
        w.eeh.errorDetected(F0, "error");
        assertThat(w.op(VFIO_EEH_PE_UNFREEZE_DMA)).isZero();
        assertThat(w.op(VFIO_EEH_PE_GET_STATE)).as("eeh_pe_get_state: DMA on, MMIO off").isEqualTo(VFIO_EEH_PE_STATE_UNAVAIL);
        assertThat(w.op(VFIO_EEH_PE_UNFREEZE_DMA)).as("eeh_pci_enable: already thawed is 0").isZero();
    }

    @Test
    void enable_thawsAFrozenPe() throws Exception {
        EehWorld w = EehWorld.freezing();
        w.eeh.errorDetected(F1, "error");
        assertThat(w.op(VFIO_EEH_PE_ENABLE)).isZero();
        assertThat(w.op(VFIO_EEH_PE_GET_STATE)).isEqualTo(VFIO_EEH_PE_STATE_NORMAL);
    }

    @Test
    void deviceOpen_thawsAndPassesThrough_release_thawsAgain() throws Exception {
        EehWorld w = EehWorld.freezing();
        EehPe pe = w.eeh.pe(EehWorld.GROUP).orElseThrow();
        w.eeh.errorDetected(F0, "error");
        w.eeh.deviceOpened(F0);
        assertThat(pe.vfioState()).isEqualTo(VFIO_EEH_PE_STATE_NORMAL);
        assertThat(pe.passedThrough()).isEqualTo(1);

        w.eeh.errorDetected(F0, "error");
        w.eeh.deviceReleased(F0);
        assertThat(pe.vfioState()).as("eeh_dev_release: eeh_pe_change_owner thaws").isEqualTo(VFIO_EEH_PE_STATE_NORMAL);
        assertThat(pe.passedThrough()).isZero();

        w.eeh.errorDetected(F0, "error");
        w.eeh.deviceReleased(F0);
        assertThat(pe.vfioState()).as("a release without an open: nothing passed through, nothing done").isEqualTo(VFIO_EEH_PE_STATE_STOPPED);
    }

    @Test
    void releaseDuringReset_thawsButLeavesConfigBlocked() throws Exception {
        EehWorld w = EehWorld.freezing();
        w.eeh.deviceOpened(F0);
        w.op(VFIO_EEH_PE_RESET_FUNDAMENTAL);
        w.eeh.deviceReleased(F0);
        EehPe pe = w.eeh.pe(EehWorld.GROUP).orElseThrow();
        assertThat(pe.vfioState()).isEqualTo(VFIO_EEH_PE_STATE_NORMAL);
        assertThat(pe.configBlocked()).as("only RESET_DEACTIVATE clears EEH_PE_CFG_BLOCKED").isTrue();
    }

    @Test
    void injectErr_configFunctionFreezes_othersAreEio() throws Exception {
        EehWorld w = EehWorld.freezing();
        assertThat(errno(() -> w.op(40, 0, VFIO_EEH_PE_INJECT_ERR, 0, 0))).as("PHB4: memory load errors unsupported").isEqualTo(Errno.EIO);
        assertThat(errno(() -> w.op(40, 0, VFIO_EEH_PE_INJECT_ERR, 1, 12))).as("PHB4: DMA errors unsupported").isEqualTo(Errno.EIO);
        assertThat(w.op(VFIO_EEH_PE_GET_STATE)).isEqualTo(VFIO_EEH_PE_STATE_NORMAL);
        assertThat(w.op(40, 0, VFIO_EEH_PE_INJECT_ERR, 1, 10)).isZero();
        assertThat(w.op(VFIO_EEH_PE_GET_STATE)).isEqualTo(VFIO_EEH_PE_STATE_STOPPED);
    }

    @Test
    void injectErr_misuse_isEinval() {
        EehWorld w = EehWorld.freezing();
        assertThat(errno(() -> w.op(39, 0, VFIO_EEH_PE_INJECT_ERR, 0, 4))).as("argsz below offsetofend(err.mask)").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> w.op(40, 0, VFIO_EEH_PE_INJECT_ERR, 2, 4))).as("type").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> w.op(40, 0, VFIO_EEH_PE_INJECT_ERR, 0, 20))).as("func above 19").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> w.op(40, 0, VFIO_EEH_PE_INJECT_ERR, 0, -1))).as("func 0xffffffff is -1 to the kernel").isEqualTo(Errno.EINVAL);
    }

    @Test
    void header_misuse_isEinval_orEfault() {
        EehWorld w = EehWorld.freezing();
        assertThat(errno(() -> w.op(11, 0, VFIO_EEH_PE_GET_STATE, 0, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> w.op(16, 1, VFIO_EEH_PE_GET_STATE, 0, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> w.op(16, 0, 10, 0, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> w.eeh.peOp(EehWorld.GROUP, EehWorld.arg(12, 0, 4, 0, 0, 8), new SyscallContext())))
                .as("copy_from_user of 12 bytes from 8").isEqualTo(Errno.EFAULT);
        assertThat(errno(() -> w.eeh.peOp(EehWorld.GROUP, EehWorld.arg(40, 0, VFIO_EEH_PE_INJECT_ERR, 0, 4, 24), new SyscallContext())))
                .as("the second copy_from_user, of 40 bytes").isEqualTo(Errno.EFAULT);
    }

    @Test
    void argszIsUnsigned_0xffffffffIsLargeEnough() throws Exception {
        EehWorld w = EehWorld.freezing();
        assertThat(w.op(-1, 0, VFIO_EEH_PE_GET_STATE, 0, 0)).isEqualTo(VFIO_EEH_PE_STATE_NORMAL);
    }

    /** What the lane saw on QEMU's powernv9 with Linux 6.12 (power-lane.md). */
    @Test
    void qemuPhb4_everyOpZero_neverFrozen_injectEio() throws Exception {
        EehWorld w = EehWorld.qemu();
        for (int op : new int[] {VFIO_EEH_PE_ENABLE, VFIO_EEH_PE_GET_STATE, VFIO_EEH_PE_UNFREEZE_IO, VFIO_EEH_PE_UNFREEZE_DMA,
            VFIO_EEH_PE_RESET_HOT, VFIO_EEH_PE_GET_STATE, VFIO_EEH_PE_RESET_DEACTIVATE, VFIO_EEH_PE_CONFIGURE, VFIO_EEH_PE_DISABLE}) {
            assertThat(w.op(op)).as("op %d", op).isZero();
        }
        w.eeh.errorDetected(F0, "a DMA the TCE table refused");
        assertThat(w.op(VFIO_EEH_PE_GET_STATE)).isZero();
        assertThat(w.eeh.mmioFrozen(F0)).isFalse();
        assertThat(errno(() -> w.op(40, 0, VFIO_EEH_PE_INJECT_ERR, 0, 0))).isEqualTo(Errno.EIO);
        assertThat(errno(() -> w.op(40, 0, VFIO_EEH_PE_INJECT_ERR, 0, 4))).isEqualTo(Errno.EIO);
        assertThat(errno(() -> w.op(16, 0, 99, 0, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> w.op(8, 0, VFIO_EEH_PE_GET_STATE, 0, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> w.op(16, 1, VFIO_EEH_PE_GET_STATE, 0, 0))).isEqualTo(Errno.EINVAL);
        assertThat(w.f0.resets).as("the reset itself is real: QEMU resets the bus").isEqualTo(1);
        assertThat(w.kernel.events).anyMatch(e -> e.contains("EEH error") && e.contains("never freezes"));
    }

    @Test
    void eehOff_noPe_everyOpEnodev_beforeItsArgumentIsRead() {
        EehWorld w = new EehWorld(EehWorld.phb(false, true));
        assertThat(w.eeh.enabled()).isFalse();
        assertThat(w.eeh.pe(EehWorld.GROUP)).isEmpty();
        assertThat(errno(() -> w.eeh.peOp(EehWorld.GROUP, EehWorld.arg(12, 0, 4, 0, 0, 0), new SyscallContext()))).isEqualTo(Errno.ENODEV);
        w.eeh.errorDetected(F0, "error");
        assertThat(w.eeh.mmioFrozen(F0)).isFalse();
    }

    @Test
    void x86Host_noEeh() {
        EehWorld w = new EehWorld(null);
        assertThat(w.eeh.enabled()).isFalse();
        assertThat(errno(() -> w.op(VFIO_EEH_PE_GET_STATE))).isEqualTo(Errno.ENODEV);
        assertThat(w.eeh.dmaFrozen(F0)).isFalse();
    }

    @Test
    void unknownGroup_enodev() {
        EehWorld w = EehWorld.freezing();
        assertThat(errno(() -> w.eeh.peOp(7, EehWorld.arg(16, 0, 4, 0, 0, 40), new SyscallContext()))).isEqualTo(Errno.ENODEV);
    }

    interface Op {
        void run() throws Exception;
    }

    static Errno errno(Op op) {
        KernelError e = catchThrowableOfType(KernelError.class, op::run);
        assertThat(e).as("the op fails").isNotNull();
        assertThat(e.getMessage()).as("every errno names its rule").isNotBlank();
        return e.errno;
    }
}
