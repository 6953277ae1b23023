package org.vfio4j.conformance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Wraps every property of every {@link Contract} (registered on that interface, so no contract and
 * no runner can leave it out) and holds the run to docs/safety.md, whatever the property did:
 *
 * <ul>
 *   <li>a seam the property booted and left open is closed, which makes the kernel release and
 *       restore its devices as at process exit, and the property fails naming the leak;</li>
 *   <li>where the target has a {@link HostView}, each named device's command register, MSI and
 *       MSI-X control and interrupts are read before and after the property, and the property
 *       fails when they differ, saying how;</li>
 *   <li>a property whose seam refused a {@link DestructiveOperation} the target does not allow is
 *       reported as skipped with the refusal's sentence (which names the flag), as {@link
 *       RequiresFeature} would have; one that reached for a group, device or file the target does
 *       not name fails.</li>
 * </ul>
 *
 * <p>Before its first property on a target with a host view, the guard opens and closes each named
 * device once: the first open through vfio-pci turns on memory and I/O decoding ({@code
 * pci_enable_device} in {@code vfio_pci_core_enable}), which the kernel leaves on at close, as it
 * does for every VFIO user; after that the device's state between properties is what the kernel
 * restores at each last close.
 */
public final class RunGuard implements AroundPropertyHook {
    private static final ThreadLocal<Watch> CURRENT = new ThreadLocal<>();
    private static final Set<String> SETTLED = ConcurrentHashMap.newKeySet();

    /** Made by jqwik from {@link Contract}'s lifecycle annotation. */
    public RunGuard() {}

    /** The watch of the property running on this thread, or null outside a guarded property. */
    static Watch watching() {
        return CURRENT.get();
    }

    /** What one property did through the seams it booted: which are still open, and what they refused. */
    static final class Watch {
        private final List<ConfinedSeam> open = new ArrayList<>();
        private final List<OperationRefused> refusals = new ArrayList<>();

        synchronized void booted(ConfinedSeam seam) {
            open.add(seam);
        }

        synchronized void closed(ConfinedSeam seam) {
            open.remove(seam);
        }

        synchronized void refused(OperationRefused e) {
            refusals.add(e);
        }

        /** Closes the seams still open; returns how many there were. */
        int closeLeftOpen() {
            List<ConfinedSeam> left;
            synchronized (this) {
                left = List.copyOf(open);
            }
            left.forEach(ConfinedSeam::close);
            return left.size();
        }

        synchronized List<OperationRefused> refusals() {
            return List.copyOf(refusals);
        }
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        if (!(context.testInstance() instanceof Contract contract)) {
            return property.execute();
        }
        ConformanceTarget target = contract.target();
        Optional<HostView> view = target.hostView();
        view.ifPresent(v -> settle(target));
        Map<String, DeviceState> before = view.map(v -> read(target, v)).orElse(Map.of());
        Watch watch = new Watch();
        CURRENT.set(watch);
        PropertyExecutionResult result;
        try {
            result = property.execute();
        } finally {
            CURRENT.remove();
        }
        int leaked = watch.closeLeftOpen();
        List<String> problems = new ArrayList<>();
        if (leaked > 0) {
            problems.add("the property left " + leaked + " seam(s) open; the guard closed them, and the kernel released the devices");
        }
        view.ifPresent(v -> read(target, v).forEach((device, after) -> {
            DeviceState was = before.get(device);
            List<String> changes = was == null ? List.of("it could be read only after the property") : after.changesSince(was);
            if (!changes.isEmpty()) {
                problems.add(device + " was not left as it was found: " + String.join("; ", changes));
            }
        }));
        List<OperationRefused> refusals = watch.refusals();
        refusals.stream().filter(r -> r.missing().isEmpty()).findFirst().ifPresent(r -> problems.add(r.getMessage()));
        if (!problems.isEmpty()) {
            return result.mapToFailed(String.join("; and ", problems));
        }
        return refusals.isEmpty() ? result : result.mapToAborted(refusals.get(0));
    }

    /** Each named device opened and closed once per target, so that the kernel's first enable is not taken for a change. */
    private static void settle(ConformanceTarget target) {
        if (!SETTLED.add(target.name() + " " + target.devices())) {
            return;
        }
        for (TargetDevice d : target.devices()) {
            try (Session s = new Session(target)) {
                s.open(d);
            } catch (Exception e) {
                // the property will meet the same problem and report it
            }
        }
    }

    private static Map<String, DeviceState> read(ConformanceTarget target, HostView view) {
        Map<String, DeviceState> states = new LinkedHashMap<>();
        for (TargetDevice d : target.devices()) {
            view.state(d.name()).ifPresent(s -> states.put(d.name(), s));
        }
        return states;
    }
}
