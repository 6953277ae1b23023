package org.vfio4j.conformance;

import org.vfio4j.conformance.run.Targets;

/** The sPAPR TCE and EEH contracts on a simulated POWER9 host (Linux 6.12, a PHB that freezes PEs as hardware does). */
class SimulatedPowernvTest implements SpaprContract, EehContract {
    private static final ConformanceTarget TARGET = Targets.simulatedPower();

    @Override
    public ConformanceTarget target() {
        return TARGET;
    }
}
