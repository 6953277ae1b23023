package org.vfio4j.conformance;

/** A fact of the target machine that some properties need; without it they are skipped with the reason. */
public enum TargetFeature {
    /** A group with a device bound to a non-VFIO driver. */
    NON_VIABLE_GROUP("the target names no non-viable group (vfio4j.kernel.nonViableGroup)"),
    /** A type1 {@code dma_entry_limit} small enough to use up in a test. */
    EXHAUSTIBLE_DMA_ENTRY_LIMIT("dma_entry_limit is too large to exhaust in a test (lower vfio_iommu_type1.dma_entry_limit)"),
    /** A known RLIMIT_MEMLOCK that pinning is charged against (no CAP_IPC_LOCK). */
    MEMLOCK_LIMIT("pinning is not charged against a known RLIMIT_MEMLOCK here (CAP_IPC_LOCK, or unknown)"),
    /** Permission to reset the devices (VFIO_DEVICE_RESET, VFIO_DEVICE_PCI_HOT_RESET). */
    RESETS("resets were not allowed (pass --allow-reset to reset the named devices)"),
    /** Permission to make the devices DMA into the run's own memory. */
    DEVICE_DMA("device DMA was not allowed (pass --allow-dma to let the devices DMA into this process's memory)");

    private final String missing;

    TargetFeature(String missing) {
        this.missing = missing;
    }

    boolean presentIn(ConformanceTarget t) {
        return switch (this) {
            case NON_VIABLE_GROUP -> t.nonViableGroup().isPresent();
            case EXHAUSTIBLE_DMA_ENTRY_LIMIT -> t.dmaEntryLimit().isPresent();
            case MEMLOCK_LIMIT -> t.memlockPages().isPresent();
            case RESETS -> t.resetsAllowed();
            case DEVICE_DMA -> t.dmaAllowed();
        };
    }

    /** Why a property needing this feature is skipped. */
    String whyMissing() {
        return missing;
    }
}
