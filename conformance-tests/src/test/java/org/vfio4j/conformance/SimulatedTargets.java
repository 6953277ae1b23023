package org.vfio4j.conformance;

import org.vfio4j.KernelProfile;
import org.vfio4j.conformance.run.Targets;

/** Simulated conformance targets: the ones the command line runs ({@link Targets#simulated}). */
final class SimulatedTargets {
    private SimulatedTargets() {}

    static ConformanceTarget of(KernelProfile profile) {
        return Targets.simulated(profile);
    }
}
