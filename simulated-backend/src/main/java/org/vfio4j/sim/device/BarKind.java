package org.vfio4j.sim.device;

/** What a BAR decodes: 32-bit memory, 64-bit memory (taking two BAR registers) or I/O ports. */
public enum BarKind {
    MEMORY32,
    MEMORY64,
    IO;

    /** Whether it decodes memory (I/O BARs are never mmappable, {@code vfio_pci_probe_mmaps}). */
    public boolean isMemory() {
        return this != IO;
    }
}
