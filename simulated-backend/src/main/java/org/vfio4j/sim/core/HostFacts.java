package org.vfio4j.sim.core;

import java.time.Duration;
import java.util.List;
import org.vfio4j.IovaRange;
import org.vfio4j.KernelProfile;

/**
 * What the parts of the simulated kernel need to know about the host they run on: the kernel
 * profile, the IOMMU's abilities, the process's limits and capabilities. A copy of the public
 * {@code SimulatedHost}'s facts, which the core cannot see.
 *
 * @param profile               the kernel version whose rules apply
 * @param noIommu               whether unsafe no-IOMMU mode is on
 * @param iovaPageSizes         the IOMMU's page-size bitmap
 * @param iovaRanges            the IOVA ranges the IOMMU can map
 * @param dmaEntryLimit         type1's {@code dma_entry_limit}
 * @param memlockLimit          RLIMIT_MEMLOCK in bytes, negative for unlimited
 * @param capIpcLock            whether the process has CAP_IPC_LOCK
 * @param capSysRawio           whether the process has CAP_SYS_RAWIO
 * @param interruptRemapping    whether the IOMMU remaps interrupts
 * @param nestingSupported      whether the IOMMU supports nesting
 * @param enforceCacheCoherency whether the IOMMU enforces cache coherency
 * @param irqVectorLimit        how many MSI/MSI-X vectors the host grants a function
 * @param deviceLatency         how long device work takes to complete
 * @param power                 the POWER host bridge (sPAPR TCE IOMMU and EEH), or null on an x86 host
 */
public record HostFacts(KernelProfile profile, boolean noIommu, long iovaPageSizes, List<IovaRange> iovaRanges,
                        int dmaEntryLimit, long memlockLimit, boolean capIpcLock, boolean capSysRawio,
                        boolean interruptRemapping, boolean nestingSupported, boolean enforceCacheCoherency,
                        int irqVectorLimit, Duration deviceLatency, PowerFacts power) {
    /** The host's page size. */
    public static final long PAGE_SIZE = 4096;

    /** Keeps an unmodifiable copy of {@code iovaRanges}. */
    public HostFacts {
        iovaRanges = List.copyOf(iovaRanges);
    }
}
