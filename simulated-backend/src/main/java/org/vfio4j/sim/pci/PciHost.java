package org.vfio4j.sim.pci;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Optional;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.eeh.Eeh;

/**
 * What vfio-pci needs from the PCI core and from the kernel that booted it: the functions on a
 * bus (for hot reset), the vfio-pci function at an address, where device memory comes from, and
 * the platform's EEH. The simulated kernel implements it.
 */
public interface PciHost {
    /**
     * A function of the host on some bus, as a hot reset sees it.
     *
     * @param address its address
     * @param group   its IOMMU group id
     * @param driver  the driver bound to it, if any
     * @param vfio    whether that driver is vfio-pci
     */
    record BusFunction(PciAddress address, int group, Optional<String> driver, boolean vfio) {}

    /** Every function of the host on {@code address}'s segment and bus, in host order ({@code vfio_pci_for_each_slot_or_bus}). */
    List<BusFunction> functionsOnBus(PciAddress address);

    /** The function vfio-pci drives at {@code address}, if any. */
    Optional<PciFunction> vfioFunction(PciAddress address);

    /** Where device memory (regions, dma-bufs) is allocated: closed with the kernel. */
    Arena deviceMemory();

    /** The host's EEH (POWER's error handling), which has no PE on a host without it. */
    Eeh eeh();
}
