package org.vfio4j.sim.device;

/** What a BAR decodes: 32-bit memory, 64-bit memory (taking two BAR registers) or I/O ports. */
public enum BarKind {
    /** A 32-bit memory BAR (at most 2 GiB). */
    MEMORY32,
    /** A 64-bit memory BAR; it also takes the next BAR register for the upper half of its address. */
    MEMORY64,
    /** An I/O port BAR. */
    IO;

    /** Whether it decodes memory (I/O BARs are never mmappable, {@code vfio_pci_probe_mmaps}). */
    public boolean isMemory() {
        return this != IO;
    }
}
