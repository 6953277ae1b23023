package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Example;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.vfio4j.EventNotifier;
import org.vfio4j.KernelProfile;
import org.vfio4j.VfioBackend;
import org.vfio4j.VfioDevice;
import org.vfio4j.conformance.run.Targets;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.spi.VfioKernel;
import org.vfio4j.uapi.VfioUapi;

/**
 * {@link RunGuard} around properties that break docs/safety.md on purpose ({@link Misbehaving},
 * run here through the JUnit Platform as the runner runs contracts): a session left open is closed
 * by the guard and the property fails; a group the target does not name fails it; a refused
 * destructive operation makes it skipped with the flag, even when the property swallows the
 * refusal; a device the host view sees changed fails it, naming the register.
 */
class RunGuardTest {

    /** Properties that misbehave, each on the target in {@link #target}. Not run by the build: surefire skips nested classes. */
    static final class Misbehaving implements Contract {
        static volatile ConformanceTarget target;

        @Override
        public ConformanceTarget target() {
            return target;
        }

        @Example
        void leavesItsSessionOpen_withMsiOn() throws Exception {
            Session s = new Session(target());
            VfioDevice d = s.open(target().devices().get(0)).device();
            EventNotifier e = s.vfio.eventNotifier();
            d.enableIrq(VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, List.of(e));
        }

        @Example
        void opensAGroupTheTargetDoesNotName() throws Exception {
            try (Session s = new Session(target())) {
                s.vfio.openGroup(9);
            }
        }

        @Example
        void turnsOnBusMastering_andSwallowsTheRefusal() throws Exception {
            try (Session s = new Session(target())) {
                VfioDevice d = s.open(target().devices().get(0)).device();
                try {
                    d.config().write16(0x04, d.config().read16(0x04) | 0x4);
                } catch (OperationRefused ignored) {
                    // a careless contract: the guard still reports the property as not run
                }
            }
        }

        @Example
        void doesNothing() {}
    }

    /** What became of one property: its status and the message of what it threw. */
    private record Result(TestExecutionResult.Status status, String message) {}

    private static Result run(String property) {
        Result[] result = new Result[1];
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(Misbehaving.class, property))
                .configurationParameter("jqwik.database", System.getProperty("java.io.tmpdir") + "/vfio4j-jqwik-database-runguard")
                .configurationParameter("jqwik.reporting.onlyfailures", "true")
                .build(), new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (id.isTest()) {
                    result[0] = new Result(TestExecutionResult.Status.ABORTED, reason);
                }
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                if (id.isTest()) {
                    result[0] = new Result(r.getStatus(), r.getThrowable().map(Throwable::getMessage).orElse(""));
                }
            }
        });
        assertThat(result[0]).as("the property ran").isNotNull();
        return result[0];
    }

    private static ConformanceTarget onStandIn(StandInMachine machine) {
        return Targets.userNamed(machine.name(), machine, KernelProfile.LINUX_6_1, StandInMachine.NAMED_GROUP, StandInMachine.NAMED,
                OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty());
    }

    @Test
    void aSessionLeftOpen_isClosedByTheGuard_andFailsTheProperty() {
        try (StandInMachine machine = new StandInMachine()) {
            Misbehaving.target = onStandIn(machine);
            run("doesNothing"); // the guard's first open and close of the device, as on a real machine
            var before = machine.states();
            Result r = run("leavesItsSessionOpen_withMsiOn");
            assertThat(r.status()).isEqualTo(TestExecutionResult.Status.FAILED);
            assertThat(r.message()).contains("left 1 seam(s) open").contains("the guard closed them");
            assertThat(machine.states()).as("the kernel restored the device when the guard closed the seam").isEqualTo(before);
            assertThat(machine.kernel().resources().isEmpty()).as(machine.kernel().resources().describe()).isTrue();
        }
    }

    @Test
    void aGroupTheTargetDoesNotName_failsTheProperty() {
        try (StandInMachine machine = new StandInMachine()) {
            Misbehaving.target = onStandIn(machine);
            Result r = run("opensAGroupTheTargetDoesNotName");
            assertThat(r.status()).isEqualTo(TestExecutionResult.Status.FAILED);
            assertThat(r.message()).contains("refused open /dev/vfio/9");
            assertThat(machine.seen().opened).doesNotContain("/dev/vfio/9");
        }
    }

    @Test
    void aRefusedDestructiveOperation_skipsTheProperty_namingTheFlag_evenWhenTheRefusalWasSwallowed() {
        try (StandInMachine machine = new StandInMachine()) {
            Misbehaving.target = onStandIn(machine);
            Result r = run("turnsOnBusMastering_andSwallowsTheRefusal");
            assertThat(r.status()).isEqualTo(TestExecutionResult.Status.ABORTED);
            assertThat(r.message()).contains("bus mastering").contains("--allow-dma");
            Misbehaving.target = onStandIn(machine).allowing(Set.of(DestructiveOperation.DEVICE_DMA));
            assertThat(run("turnsOnBusMastering_andSwallowsTheRefusal").status()).as("with the flag").isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        }
    }

    /** A simulated host whose view of the device reads command 0x0103 the first time and 0x0107 after. */
    private static final class ChangingView implements VfioBackend, HostView {
        private final SimulatedHost host = SimulatedHost.x86Type1();
        private final AtomicInteger reads = new AtomicInteger();

        @Override
        public String name() {
            return "changing view";
        }

        @Override
        public VfioKernel boot() {
            return host.boot();
        }

        @Override
        public Optional<DeviceState> state(String device) {
            return Optional.of(new DeviceState(reads.getAndIncrement() == 0 ? 0x0103 : 0x0107, OptionalInt.empty(), OptionalInt.empty(),
                    List.of()));
        }
    }

    @Test
    void aDeviceTheHostSeesChanged_failsTheProperty_namingTheRegister() {
        Misbehaving.target = Targets.userNamed("changing view", new ChangingView(), KernelProfile.LINUX_6_1, 7, "0000:01:00.0",
                OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty());
        Result r = run("doesNothing");
        assertThat(r.status()).isEqualTo(TestExecutionResult.Status.FAILED);
        assertThat(r.message()).isEqualTo("0000:01:00.0 was not left as it was found: command register 0x0103 before, 0x0107 after");
    }
}
