package org.vfio4j.sim.eeh;

import org.vfio4j.PciAddress;

/**
 * A function of a PE as EEH drives it through a reset: what vfio-pci's hardware side does when the
 * PHB resets the PE's bus ({@code pnv_eeh_reset}) and when EEH brings the functions back ({@code
 * eeh_pe_reenable_devices}). vfio-pci itself takes no part: the reset reaches the hardware under it.
 */
public interface PeFunction {
    /**
     * The function's address.
     *
     * @return its address
     */
    PciAddress address();

    /**
     * The PHB resets the function's bus ({@code pci_bus_error_reset} for a hot reset, the PHB's
     * fundamental reset for the other): the device goes back to its power-on state, its config
     * registers too, with nothing saved around it (unlike a function reset of the PCI core).
     *
     * @param fundamental whether it is a fundamental reset (PERST) rather than a hot reset
     */
    void resetAsserted(boolean fundamental);

    /**
     * EEH brings the function back after the reset is deasserted: {@code eeh_pe_restore_bars}
     * writes back the BARs, the ROM BAR, cache line size, latency timer, interrupt line and pin
     * and the PERR/SERR bits saved when the PHB probed the function, and {@code
     * pci_reenable_device} turns memory and I/O decode back on if the function is enabled.
     */
    void resetDeasserted();
}
