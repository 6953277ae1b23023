package org.vfio4j.conformance.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vfio4j.KernelProfile;
import org.vfio4j.sim.SimulatedHost;

class RunnersTest {

    @Test
    void differential_sameBackendTwice_agreesOverManyChains() {
        SimulatedHost host = Targets.laneMirror(3, "0000:00:03.0", 8, "0000:01:00.0");
        var summary = DifferentialRunner.run(host::boot, host::boot, 3, "0000:00:03.0", 1, 200, 40);
        assertThat(summary.divergences()).isEmpty();
        assertThat(summary.steps()).as("most steps are applicable").isGreaterThan(200 * 40 / 2);
    }

    @Test
    void differential_findsWhereProfilesDiffer_andSaysWhere() {
        SimulatedHost v61 = Targets.laneMirror(3, "0000:00:03.0", 8, "0000:01:00.0");
        SimulatedHost v57 = v61.toBuilder().profile(KernelProfile.LINUX_5_7).build();
        var summary = DifferentialRunner.run(v61::boot, v57::boot, 3, "0000:00:03.0", 1, 50, 40);
        assertThat(summary.divergences()).isNotEmpty();
        var d = summary.divergences().get(0);
        assertThat(d.first()).isNotEqualTo(d.second());
        assertThat(d.call()).isNotBlank();
    }

    @Test
    void contracts_onTheSimulator_allPassOrSkipWithAReason() {
        List<ContractRunner.Outcome> outcomes = ContractRunner.run(Targets.simulated(KernelProfile.LINUX_6_1), 10, 20, null);
        assertThat(outcomes).hasSizeGreaterThan(25);
        assertThat(outcomes).noneMatch(o -> o.status() == ContractRunner.Status.FAILED);
        String report = Report.render("test", "simulator", outcomes, null, null, null, 0);
        assertThat(report).contains("iommuGetInfo followsTheArgszProtocol").contains("passed, 0 failed");
    }
}
