package org.vfio4j.sim;

import org.vfio4j.sim.core.PowerFacts;

/**
 * The POWER host bridge (PHB) a simulated POWER host's PEs sit behind, as the sPAPR TCE IOMMU and
 * EEH see it: the default 32-bit DMA window every PE starts with, the dynamic DMA window (DDW)
 * parameters VFIO_IOMMU_SPAPR_TCE_GET_INFO reports, where created windows land on the bus, and how
 * the PHB's error handling behaves. A host without one is an x86 host with type1.
 *
 * @param dma32WindowStart   the default window's bus address ({@code tce32_start})
 * @param dma32WindowSize    the default window's size in bytes ({@code tce32_size})
 * @param ddwPageSizes       the IOMMU page sizes a created window may use, one bit per size ({@code pgsizes})
 * @param maxDynamicWindows  how many windows a PE can have at once ({@code max_dynamic_windows_supported})
 * @param levels             the most TCE table levels a window may have ({@code max_levels})
 * @param secondWindowStart  the bus address of window slot 1 (slot 0 is at {@code dma32WindowStart}): PHB3/PHB4 put it at 2^59
 * @param eeh                what EEH does on this PHB
 */
public record PowerPlatform(long dma32WindowStart, long dma32WindowSize, long ddwPageSizes, int maxDynamicWindows,
                            int levels, long secondWindowStart, Eeh eeh) {

    /** How a PHB's EEH (enhanced error handling) behaves. */
    public enum Eeh {
        /** EEH is off ({@code eeh_enabled()} false): CHECK_EXTENSION(VFIO_EEH) is 0 and every EEH op fails. */
        OFF,
        /**
         * A hardware PHB4, modelled from {@code arch/powerpc/kernel/eeh*.c} and {@code
         * eeh-powernv.c}: an error freezes the PE (BAR reads all ones, writes dropped, DMA and MSIs
         * blocked; config space still answers, as PHB3 and PHB4 let config cycles through) until
         * the recovery sequence thaws and resets it; INJECT_ERR of a config function freezes it on
         * purpose (PHB4 firmware injects no other kind: EIO).
         */
        FREEZES,
        /**
         * QEMU's PHB4 (powernv9/10), as observed with Linux 6.12: every op succeeds, GET_STATE is
         * always normal, nothing ever freezes a PE, and INJECT_ERR fails with EIO (OPAL returns -7).
         */
        QEMU_NEVER_FREEZES
    }

    /** Checks the values are ones a PHB could report. */
    public PowerPlatform {
        if (dma32WindowSize < 0 || Long.bitCount(dma32WindowSize) > 1) {
            throw new IllegalArgumentException("dma32WindowSize must be 0 or a power of two: 0x" + Long.toHexString(dma32WindowSize));
        }
        if (ddwPageSizes == 0) {
            throw new IllegalArgumentException("ddwPageSizes has no page size: 0x0");
        }
        if (maxDynamicWindows < 1 || maxDynamicWindows > 2) {
            throw new IllegalArgumentException("maxDynamicWindows must be 1 or 2 (IOMMU_TABLE_GROUP_MAX_TABLES): " + maxDynamicWindows);
        }
        if (levels < 1) {
            throw new IllegalArgumentException("levels must be at least 1: " + levels);
        }
        if (eeh == null) {
            throw new IllegalArgumentException("eeh must not be null");
        }
    }

    /**
     * A POWER9 PHB4 as Linux 6.12 reports it in QEMU's powernv9 machine: a 2 GiB default window at
     * 0, page sizes 4 KiB, 64 KiB, 2 MiB and 1 GiB, two windows, five levels, the second window at
     * {@code 0x0800000000000000}; EEH as on hardware ({@link Eeh#FREEZES}).
     */
    public static PowerPlatform phb4() {
        return new PowerPlatform(0, 0x8000_0000L, 0x4021_1000L, 2, 5, 1L << 59, Eeh.FREEZES);
    }

    /** The platform as the simulated kernel's parts see it. */
    PowerFacts facts() {
        return new PowerFacts(dma32WindowStart, dma32WindowSize, ddwPageSizes, maxDynamicWindows, levels,
                secondWindowStart, eeh != Eeh.OFF, eeh == Eeh.FREEZES);
    }

    /** This platform with another EEH behaviour. */
    public PowerPlatform withEeh(Eeh behaviour) {
        return new PowerPlatform(dma32WindowStart, dma32WindowSize, ddwPageSizes, maxDynamicWindows, levels, secondWindowStart, behaviour);
    }
}
