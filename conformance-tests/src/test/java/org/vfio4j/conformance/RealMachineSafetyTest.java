package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.vfio4j.KernelProfile;
import org.vfio4j.conformance.run.ContractRunner;
import org.vfio4j.conformance.run.ContractRunner.Outcome;
import org.vfio4j.conformance.run.ContractRunner.Status;
import org.vfio4j.conformance.run.Targets;

/**
 * docs/safety.md on a simulated machine standing in for a real one ({@link StandInMachine}): the
 * runner as {@code --backend kernel} runs it ({@link Targets#userNamed}, the user naming one group
 * and one device) touches nothing else, refuses each destructive operation without its flag (the
 * property skipped, the reason naming the flag, nothing reaching the kernel) and performs it with
 * the flag, writes no sysfs, and leaves every device's command register, MSI and MSI-X control and
 * interrupts as it found them. Everything the assertions look at is read on the simulator's side.
 */
class RealMachineSafetyTest {
    private static final int TRIES = 2;
    private static final int CHAIN = 10;

    /** What the command line builds for {@code --backend kernel --group 7 --device 0000:01:00.0} and the given flags. */
    private static ConformanceTarget userNamed(StandInMachine machine, Set<DestructiveOperation> allowed) {
        return Targets.userNamed(machine.name(), machine, KernelProfile.LINUX_6_1, StandInMachine.NAMED_GROUP, StandInMachine.NAMED,
                OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty()).allowing(allowed);
    }

    private static Outcome outcome(List<Outcome> outcomes, String property) {
        return outcomes.stream().filter(o -> o.property().startsWith(property)).findFirst()
                .orElseThrow(() -> new AssertionError("no property " + property + " in " + outcomes));
    }

    private static void assertNoneFailed(List<Outcome> outcomes) {
        assertThat(outcomes).hasSizeGreaterThan(40);
        assertThat(outcomes.stream().filter(o -> o.status() == Status.FAILED).map(o -> o.property() + ": " + o.detail()))
                .as("failed properties").isEmpty();
    }

    /** Nothing outside group 7 and its device was opened, asked for or mentioned in the trace. */
    private static void assertOnlyTheNamedWereTouched(StandInMachine.Seen seen) {
        assertThat(seen.dropped).as("trace entries dropped before they were read").isZero();
        assertThat(seen.opened).as("paths opened").containsExactlyInAnyOrder("/dev/vfio/vfio", "/dev/vfio/" + StandInMachine.NAMED_GROUP);
        assertThat(seen.deviceNames).as("names asked of GET_DEVICE_FD").isNotEmpty()
                .allSatisfy(n -> assertThat(n).startsWith(StandInMachine.NAMED));
        assertThat(seen.succeeded("VFIO_GROUP_GET_DEVICE_FD")).isPositive();
        assertThat(seen.touchingUnnamed).as("trace lines naming a device the user did not name").isEmpty();
    }

    /** The machine after the run: sysfs and devfs as they were, every device's registers and interrupts as they were, nothing held. */
    private static void assertLeftAsFound(StandInMachine machine, Map<String, String> sysfs, Map<String, DeviceState> before) {
        assertThat(machine.sysfs()).as("sysfs and devfs").isEqualTo(sysfs);
        assertThat(machine.states()).as("command register, MSI/MSI-X control, interrupts").isEqualTo(before);
        assertThat(machine.kernel().resources().isEmpty()).as("nothing held in the kernel after the run: %s",
                machine.kernel().resources().describe()).isTrue();
    }

    @Test
    void withoutFlags_onlyTheNamedDeviceIsTouched_everyDestructiveOpIsRefused_andTheMachineIsLeftAsFound() {
        try (StandInMachine machine = new StandInMachine()) {
            Map<String, String> sysfs = machine.sysfs();
            Map<String, DeviceState> before = machine.states();

            List<Outcome> outcomes = ContractRunner.run(userNamed(machine, Set.of()), TRIES, CHAIN, null);

            assertNoneFailed(outcomes);
            for (String p : List.of("hotReset infoCountsTheDevices", "reset needsAResetMethod")) {
                assertThat(outcome(outcomes, p)).as(p).extracting(Outcome::status).isEqualTo(Status.SKIPPED);
                assertThat(outcome(outcomes, p).detail()).as(p).contains("--allow-reset");
            }
            for (String p : List.of("dmaRoundTrip throughTheIommu", "msi deliversOneMessagePerRaise")) {
                assertThat(outcome(outcomes, p)).as(p).extracting(Outcome::status).isEqualTo(Status.SKIPPED);
                assertThat(outcome(outcomes, p).detail()).as(p).contains("--allow-dma");
            }
            StandInMachine.Seen seen = machine.seen();
            assertOnlyTheNamedWereTouched(seen);
            assertThat(seen.calls("VFIO_DEVICE_RESET")).as("resets sent to the kernel").isZero();
            assertThat(seen.calls("VFIO_DEVICE_PCI_HOT_RESET")).as("hot resets sent to the kernel").isZero();
            assertThat(seen.events("DMA")).as("device DMA").isZero();
            assertLeftAsFound(machine, sysfs, before);
        }
    }

    @Test
    void withResetAndDmaAllowed_bothAreDone_andTheMachineIsStillLeftAsFound() {
        try (StandInMachine machine = new StandInMachine()) {
            Map<String, String> sysfs = machine.sysfs();
            Map<String, DeviceState> before = machine.states();

            List<Outcome> outcomes = ContractRunner.run(userNamed(machine,
                    EnumSet.of(DestructiveOperation.RESET, DestructiveOperation.DEVICE_DMA)), TRIES, CHAIN, null);

            assertNoneFailed(outcomes);
            for (String p : List.of("hotReset infoCountsTheDevices", "reset needsAResetMethod", "dmaRoundTrip throughTheIommu",
                    "msi deliversOneMessagePerRaise")) {
                assertThat(outcome(outcomes, p)).as(p).extracting(Outcome::status).isEqualTo(Status.PASSED);
            }
            StandInMachine.Seen seen = machine.seen();
            assertOnlyTheNamedWereTouched(seen);
            assertThat(seen.succeeded("VFIO_DEVICE_RESET")).as("resets done").isPositive();
            assertThat(seen.succeeded("VFIO_DEVICE_PCI_HOT_RESET")).as("hot resets done").isPositive();
            assertThat(seen.events("DMA")).as("device DMA").isPositive();
            assertLeftAsFound(machine, sysfs, before);
        }
    }

    @Test
    void eehInjection_isRefusedWithoutItsFlag_andDoneWithIt() {
        Set<DestructiveOperation> noInjection = EnumSet.of(DestructiveOperation.RESET, DestructiveOperation.DEVICE_DMA);
        List<Outcome> refused = ContractRunner.run(Targets.simulatedPower().allowing(noInjection), TRIES, CHAIN, null);
        assertNoneFailedOnPower(refused);
        for (String p : List.of("injectErr badArgument", "recoverySequence afterAnyError")) {
            assertThat(outcome(refused, p)).as(p).extracting(Outcome::status).isEqualTo(Status.SKIPPED);
            assertThat(outcome(refused, p).detail()).as(p).contains("--allow-eeh-injection");
        }

        List<Outcome> allowed = ContractRunner.run(Targets.simulatedPower(), TRIES, CHAIN, null);
        assertNoneFailedOnPower(allowed);
        for (String p : List.of("injectErr badArgument", "recoverySequence afterAnyError")) {
            assertThat(outcome(allowed, p)).as(p).extracting(Outcome::status).isEqualTo(Status.PASSED);
        }
    }

    private static void assertNoneFailedOnPower(List<Outcome> outcomes) {
        assertThat(outcomes).as("the sPAPR and EEH contracts").hasSizeGreaterThan(8);
        assertThat(outcomes.stream().filter(o -> o.status() == Status.FAILED).map(o -> o.property() + ": " + o.detail())).isEmpty();
    }
}
