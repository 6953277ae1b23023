package org.vfio4j.conformance.run;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClasspathRoots;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs a driver's JUnit 5 tests, unchanged, on a real device: the {@code @VfioTest} extension's
 * hardware mode, configured as a user would ({@code vfio4j.test.group}, {@code vfio4j.test.device},
 * DMA and reset allowed). The lane runs the example edu driver's tests this way on QEMU's edu.
 */
public final class DriverTests {
    private DriverTests() {}

    /**
     * What became of the tests.
     *
     * @param passed  tests that passed
     * @param skipped tests skipped (those that look into the simulator), with their reasons in {@code lines}
     * @param failed  tests that failed, with their messages in {@code lines}
     * @param lines   one line per test
     */
    public record Summary(int passed, int skipped, int failed, List<String> lines) {
        /** Whether the run proves something: tests passed and none failed. */
        public boolean ok() {
            return failed == 0 && passed > 0;
        }
    }

    /**
     * Runs the Jupiter tests found under {@code roots} (class-path roots already on this JVM's
     * class path) on device {@code device} of group {@code group}.
     */
    public static Summary run(List<Path> roots, int group, String device, PrintStream out) {
        List<String> lines = new ArrayList<>();
        int[] counts = new int[3];
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (id.isTest()) {
                    counts[1]++;
                    lines.add("  skipped " + name(id) + ": " + reason);
                }
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) {
                    result.getThrowable().ifPresent(t -> {
                        counts[2]++;
                        lines.add("  FAILED  " + id.getDisplayName() + ": " + t);
                    });
                    return;
                }
                if (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                    counts[0]++;
                    lines.add("  passed  " + name(id));
                } else {
                    counts[2]++;
                    lines.add("  FAILED  " + name(id) + ": " + result.getThrowable().map(Throwable::toString).orElse("?"));
                }
            }
        };
        var request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClasspathRoots(Set.copyOf(roots)))
                .filters(EngineFilter.includeEngines("junit-jupiter"))
                .configurationParameters(Map.of("vfio4j.test.group", Integer.toString(group), "vfio4j.test.device", device,
                        "vfio4j.test.allowDma", "true", "vfio4j.test.allowReset", "true"))
                .build();
        LauncherFactory.create().execute(request, listener);
        Summary s = new Summary(counts[0], counts[1], counts[2], List.copyOf(lines));
        s.lines().forEach(out::println);
        return s;
    }

    private static String name(TestIdentifier id) {
        String owner = id.getSource().filter(MethodSource.class::isInstance).map(x -> ((MethodSource) x).getJavaClass().getSimpleName())
                .orElse("");
        return owner + "." + id.getDisplayName();
    }
}
