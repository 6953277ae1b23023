package org.vfio4j.conformance;

import java.util.OptionalInt;
import org.vfio4j.KernelProfile;
import org.vfio4j.sim.SimulatedHost;

/**
 * The suite on a target that, like a typical real machine, names no non-viable group, has the
 * default dma_entry_limit and no known memlock limit: the properties needing those are skipped
 * with their reason (not failed, not vacuously passed); everything else runs.
 */
class SimulatedBareTargetTest implements ContainerContract, GroupContract, Type1Contract, DeviceContract, PciDeviceContract {
    private static final ConformanceTarget TARGET = new ConformanceTarget("simulated, bare", SimulatedHost.x86Type1(),
            KernelProfile.LINUX_6_1, 7, "0000:01:00.0", OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty());

    @Override
    public ConformanceTarget target() {
        return TARGET;
    }
}
