package org.vfio4j.conformance;

import org.vfio4j.sim.PowerPlatform;
import org.vfio4j.sim.SimulatedHost;

/**
 * A fact of the target machine, or a permission its user gave, that some properties need; without it
 * they are skipped with the reason (for a permission, the sentence names the flag that gives it).
 */
public enum TargetFeature {
    /** A group with a device bound to a non-VFIO driver. */
    NON_VIABLE_GROUP("the target names no non-viable group (vfio4j.kernel.nonViableGroup)"),
    /** A type1 {@code dma_entry_limit} small enough to use up in a test. */
    EXHAUSTIBLE_DMA_ENTRY_LIMIT("dma_entry_limit is too large to exhaust in a test (lower vfio_iommu_type1.dma_entry_limit)"),
    /** A known RLIMIT_MEMLOCK that pinning is charged against (no CAP_IPC_LOCK). */
    MEMLOCK_LIMIT("pinning is not charged against a known RLIMIT_MEMLOCK here (CAP_IPC_LOCK, or unknown)"),
    /** Permission to reset the devices ({@link DestructiveOperation#RESET}). */
    RESETS(DestructiveOperation.RESET),
    /** Permission to make the devices DMA into the run's own memory ({@link DestructiveOperation#DEVICE_DMA}). */
    DEVICE_DMA(DestructiveOperation.DEVICE_DMA),
    /** Permission to inject EEH errors into the devices' PEs ({@link DestructiveOperation#EEH_INJECTION}). */
    EEH_INJECTION(DestructiveOperation.EEH_INJECTION),
    /** A POWER host: the sPAPR TCE IOMMU (v1 and v2) instead of type1. */
    SPAPR_IOMMU("the target is not a POWER host: it has no sPAPR TCE IOMMU"),
    /** A POWER host whose PHB freezes a PE on an error and thaws it through the EEH recovery sequence. */
    EEH_FREEZES("the target's PHB does not freeze PEs on purpose (only a simulated hardware PHB does: QEMU's PHB4 never"
            + " freezes, and a real machine's PEs are not frozen by the suite)");

    private final String missing;
    private final DestructiveOperation permission;

    TargetFeature(String missing) {
        this.missing = missing;
        this.permission = null;
    }

    TargetFeature(DestructiveOperation permission) {
        this.missing = permission.whyRefused();
        this.permission = permission;
    }

    /** Whether {@code t} has this feature. */
    public boolean presentIn(ConformanceTarget t) {
        return switch (this) {
            case NON_VIABLE_GROUP -> t.nonViableGroup().isPresent();
            case EXHAUSTIBLE_DMA_ENTRY_LIMIT -> t.dmaEntryLimit().isPresent();
            case MEMLOCK_LIMIT -> t.memlockPages().isPresent();
            case RESETS, DEVICE_DMA, EEH_INJECTION -> t.allows(permission);
            case SPAPR_IOMMU -> t.backend() instanceof SimulatedHost h ? h.power().isPresent()
                    : System.getProperty("os.arch", "").startsWith("ppc64");
            case EEH_FREEZES -> t.backend() instanceof SimulatedHost h
                    && h.power().map(p -> p.eeh() == PowerPlatform.Eeh.FREEZES).orElse(false);
        };
    }

    /** Why a property needing this feature is skipped. */
    String whyMissing() {
        return missing;
    }
}
