package org.vfio4j.conformance;

import java.util.OptionalInt;
import org.vfio4j.sim.KernelProfile;
import org.vfio4j.sim.SimulatedHost;

/** Simulated conformance targets: the x86 preset with limits small enough to reach in a test. */
final class SimulatedTargets {
    private SimulatedTargets() {}

    static final int DMA_ENTRY_LIMIT = 12;
    static final int MEMLOCK_PAGES = 64;

    static ConformanceTarget of(KernelProfile profile) {
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder()
                .profile(profile)
                .dmaEntryLimit(DMA_ENTRY_LIMIT)
                .memlockLimit(MEMLOCK_PAGES * SimulatedHost.PAGE_SIZE)
                .build();
        return new ConformanceTarget("simulated " + profile, host, profile, 7, "0000:01:00.0",
                OptionalInt.of(8), OptionalInt.of(DMA_ENTRY_LIMIT), OptionalInt.of(MEMLOCK_PAGES));
    }
}
