package org.vfio4j.sim.eeh;

import static org.vfio4j.uapi.VfioUapi.*;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.vfio4j.sim.core.KernelServices;

/**
 * One partitionable endpoint ({@code struct eeh_pe}): the functions of one IOMMU group behind a
 * PHB, and the state the PHB and the EEH core keep for it. The PHB's freeze is two bits, as the
 * IODA tables keep it: MMIO frozen (loads answer all ones, stores are dropped) and DMA frozen (the
 * PHB stops the functions' DMA and MSI writes). The EEH core adds {@code EEH_PE_CFG_BLOCKED} (config
 * access fails while a reset is asserted) and the count of functions passed through to a user
 * ({@code pass_dev_cnt}). A PHB that never freezes (QEMU's PHB4) keeps both freeze bits clear
 * whatever happens. Guarded by the kernel lock; every change of state is a trace event.
 */
public final class EehPe {
    private final int group;
    private final boolean freezes;
    private final KernelServices kernel;
    final List<PeFunction> functions = new ArrayList<>();
    private boolean mmioFrozen;
    private boolean dmaFrozen;
    private boolean configBlocked;
    private int passed;

    EehPe(int group, boolean freezes, KernelServices kernel) {
        this.group = group;
        this.freezes = freezes;
        this.kernel = kernel;
    }

    /** The IOMMU group the PE is. */
    public int group() {
        return group;
    }

    /** Whether the PHB has MMIO frozen: loads of the functions' BARs answer all ones, stores are dropped. */
    public boolean mmioFrozen() {
        return mmioFrozen;
    }

    /** Whether the PHB has DMA frozen: the functions' DMA and MSI writes are stopped. */
    public boolean dmaFrozen() {
        return dmaFrozen;
    }

    /**
     * Whether config access is blocked ({@code EEH_PE_CFG_BLOCKED}, from RESET_HOT or
     * RESET_FUNDAMENTAL to RESET_DEACTIVATE): {@code pnv_pci_read_config} and {@code
     * pnv_pci_write_config} answer {@code PCIBIOS_DEVICE_NOT_FOUND}, which {@code
     * pci_user_read_config_*} turns into ENODEV.
     */
    public boolean configBlocked() {
        return configBlocked;
    }

    /** How many functions of the PE a user has open ({@code pass_dev_cnt}): the PE is passed through while it is not 0. */
    public int passedThrough() {
        return passed;
    }

    /**
     * The state VFIO_EEH_PE_OP(GET_STATE) returns ({@code eeh_pe_get_state} over {@code
     * pnv_eeh_get_pe_state}): NORMAL with MMIO and DMA on, STOPPED with both frozen, STOPPED_DMA
     * with only DMA frozen, UNAVAIL with only MMIO frozen. Never RESET on powernv: the OPAL freeze
     * status has no reset state for a PHB4 ({@code phb4_eeh_freeze_status} reports freeze bits
     * only), and {@code EEH_PE_RESET}, which would make it report a working PE, is set only by the
     * host's own recovery ({@code eeh_pe_reset_full}), never by VFIO's {@code eeh_pe_reset}.
     */
    public int vfioState() {
        if (!mmioFrozen && !dmaFrozen) {
            return VFIO_EEH_PE_STATE_NORMAL;
        }
        if (mmioFrozen && dmaFrozen) {
            return VFIO_EEH_PE_STATE_STOPPED;
        }
        return dmaFrozen ? VFIO_EEH_PE_STATE_STOPPED_DMA : VFIO_EEH_PE_STATE_UNAVAIL;
    }

    /** {@code PE of group 0}: how the trace names it after the event ({@code EEH freeze of PE of group 0}). */
    @Override
    public String toString() {
        return "PE of group " + group;
    }

    // ---- transitions (package-private: Eeh drives them) -----------------------------------------

    /**
     * The PHB freezes the PE ({@code why}: an error it detected, an injected error, or the freeze
     * {@code eeh_pe_reset} asks for before a reset): MMIO and DMA both stop. Nothing on a PHB that
     * never freezes.
     */
    void freeze(String why) {
        if (!freezes || mmioFrozen && dmaFrozen) {
            return;
        }
        mmioFrozen = true;
        dmaFrozen = true;
        kernel.event(this, "EEH freeze", () -> "MMIO and DMA frozen (" + why + "): BAR loads answer all ones, stores are dropped,"
                + " DMA and MSIs of " + members() + " are stopped");
    }

    /** {@code eeh_pci_enable(pe, EEH_OPT_THAW_MMIO)}: MMIO works again. */
    void thawMmio(String why) {
        if (mmioFrozen) {
            mmioFrozen = false;
            kernel.event(this, "EEH thaw", () -> "MMIO thawed (" + why + ")" + (dmaFrozen ? "; DMA still frozen" : ""));
        }
    }

    /** {@code eeh_pci_enable(pe, EEH_OPT_THAW_DMA)}: DMA works again. */
    void thawDma(String why) {
        if (dmaFrozen) {
            dmaFrozen = false;
            kernel.event(this, "EEH thaw", () -> "DMA thawed (" + why + ")" + (mmioFrozen ? "; MMIO still frozen" : ""));
        }
    }

    /** {@code eeh_unfreeze_pe}: MMIO, then DMA. */
    void thaw(String why) {
        if (mmioFrozen && dmaFrozen) {
            mmioFrozen = false;
            dmaFrozen = false;
            kernel.event(this, "EEH thaw", () -> "MMIO and DMA thawed (" + why + ")");
        } else {
            thawMmio(why);
            thawDma(why);
        }
    }

    /**
     * {@code eeh_pe_reset(pe, EEH_RESET_HOT or _FUNDAMENTAL)}: freeze the PE so that no MMIO reaches
     * it during the reset ({@code EEH_OPT_FREEZE_PE}), block config access, then the PHB resets the
     * PE's bus ({@code pnv_eeh_reset}), which on powernv completes the whole reset cycle at once:
     * the deassert step is a no-op for the hot reset ({@code pci_bus_error_reset} asserts and
     * releases) and the firmware's for the fundamental one.
     */
    void assertReset(boolean fundamental) {
        freeze(fundamental ? "eeh_pe_reset freezes the PE before a fundamental reset" : "eeh_pe_reset freezes the PE before a hot reset");
        configBlocked = true;
        functions.forEach(f -> f.resetAsserted(fundamental));
        kernel.event(this, "EEH reset", () -> (fundamental ? "fundamental" : "hot") + " reset of " + members()
                + ": back to power-on state; config access blocked (EEH_PE_CFG_BLOCKED: ENODEV) until RESET_DEACTIVATE");
    }

    /**
     * {@code eeh_pe_reset(pe, EEH_RESET_DEACTIVATE, true)}: config access unblocked, {@code
     * eeh_pe_reenable_devices} restores each function's BARs and re-enables it, and, passed through
     * or not, the PE is thawed ({@code eeh_unfreeze_pe}).
     */
    void deassertReset() {
        boolean wasBlocked = configBlocked;
        configBlocked = false;
        functions.forEach(PeFunction::resetDeasserted);
        kernel.event(this, "EEH reset", () -> "reset deactivated" + (wasBlocked ? ", config access unblocked" : "") + "; BARs of "
                + members() + " restored (eeh_pe_restore_bars), decode re-enabled (pci_reenable_device)");
        thaw("RESET_DEACTIVATE: eeh_pe_reenable_devices");
    }

    /** A function of the PE was opened ({@code eeh_dev_open}): one more passed through. */
    void opened() {
        passed++;
    }

    /** A function of the PE was released ({@code eeh_dev_release}): one fewer; false if none was passed through. */
    boolean released() {
        if (passed == 0) {
            return false;
        }
        passed--;
        return true;
    }

    private String members() {
        return functions.isEmpty() ? "no function" : functions.stream().map(f -> f.address().toString()).collect(Collectors.joining(", "));
    }
}
