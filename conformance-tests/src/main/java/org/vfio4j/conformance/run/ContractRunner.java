package org.vfio4j.conformance.run;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.vfio4j.conformance.ActionChainContract;
import org.vfio4j.conformance.ConformanceTarget;
import org.vfio4j.conformance.ContainerContract;
import org.vfio4j.conformance.DeviceContract;
import org.vfio4j.conformance.EduContract;
import org.vfio4j.conformance.EehContract;
import org.vfio4j.conformance.IrqContract;
import org.vfio4j.conformance.PciDeviceContract;
import org.vfio4j.conformance.GroupContract;
import org.vfio4j.conformance.SpaprContract;
import org.vfio4j.conformance.TargetFeature;
import org.vfio4j.conformance.Type1Contract;

/**
 * Runs every contract against one target through the JUnit Platform (jqwik engine): the x86 ones
 * ({@link AllContracts}), or on a POWER target the sPAPR TCE and EEH ones ({@link PowerContracts}); collects
 * a line per property: passed, failed (with the first line of the failure) or skipped (with the
 * reason). The target is handed over through a static slot, as a jqwik container is instantiated
 * by the engine.
 */
public final class ContractRunner {

    /** The outcome of one property. */
    public record Outcome(String contract, String property, Status status, String detail) {}

    /** Passed, failed or skipped. */
    public enum Status {
        /** Every try held. */
        PASSED,
        /** A try failed or threw. */
        FAILED,
        /** Not run on this target (missing feature or device). */
        SKIPPED
    }

    static volatile ConformanceTarget current;

    /** The container jqwik instantiates: every contract, on {@link #current}. */
    public static final class AllContracts implements ContainerContract, GroupContract, Type1Contract, DeviceContract, PciDeviceContract, EduContract, IrqContract, ActionChainContract {
        /** Made by jqwik, once per property. */
        public AllContracts() {}

        @Override
        public ConformanceTarget target() {
            return current;
        }

        @Override
        public int chainLength() {
            return chainLength;
        }
    }

    /** The container jqwik instantiates on a POWER target: the sPAPR TCE and EEH contracts, on {@link #current}. */
    public static final class PowerContracts implements SpaprContract, EehContract {
        /** Made by jqwik, once per property. */
        public PowerContracts() {}

        @Override
        public ConformanceTarget target() {
            return current;
        }
    }

    static volatile int chainLength = 60;

    private ContractRunner() {}

    /**
     * Runs the contracts on {@code target} with {@code tries} tries per property and action chains
     * of {@code chain} steps, printing progress to {@code progress}.
     */
    public static synchronized List<Outcome> run(ConformanceTarget target, int tries, int chain, PrintStream progress) {
        current = target;
        chainLength = chain;
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(TargetFeature.SPAPR_IOMMU.presentIn(target) ? PowerContracts.class : AllContracts.class))
                .configurationParameter("jqwik.tries.default", Integer.toString(tries))
                .configurationParameter("jqwik.database", System.getProperty("java.io.tmpdir") + "/vfio4j-jqwik-database")
                .configurationParameter("jqwik.reporting.onlyfailures", "true")
                .build();
        List<Outcome> outcomes = new ArrayList<>();
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (id.isTest()) {
                    add(id, Status.SKIPPED, reason);
                }
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) {
                    return;
                }
                switch (result.getStatus()) {
                    case SUCCESSFUL -> add(id, Status.PASSED, "");
                    case ABORTED -> add(id, Status.SKIPPED, result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
                    case FAILED -> add(id, Status.FAILED, result.getThrowable().map(ContractRunner::describe).orElse("failed"));
                }
            }

            private void add(TestIdentifier id, Status status, String detail) {
                String contract = id.getSource().map(s -> s.toString().replaceAll(".*className = '([^']*)'.*", "$1"))
                        .map(c -> c.substring(c.lastIndexOf('.') + 1)).orElse("?");
                Outcome o = new Outcome(contract, id.getDisplayName(), status, detail);
                synchronized (outcomes) {
                    outcomes.add(o);
                }
                if (progress != null) {
                    progress.printf("  %-7s %-20s %s%s%n", status, contract, id.getDisplayName(),
                            detail.isEmpty() ? "" : "  (" + detail + ")");
                }
            }
        });
        return outcomes;
    }

    /** The failure in one line: its message with whitespace folded (AssertJ puts expected/actual there), or the type. */
    private static String describe(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.strip().replaceAll("\\s+", " ");
    }

}
