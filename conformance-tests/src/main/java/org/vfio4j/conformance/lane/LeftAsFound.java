package org.vfio4j.conformance.lane;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.vfio4j.conformance.DeviceState;
import org.vfio4j.conformance.HostView;

/**
 * The lane's check that the kernel suite leaves the guest's devices as it found them (docs/safety.md,
 * "Restores what it changed"): each device's hardware command register, MSI and MSI-X control and
 * the vfio interrupts in {@code /proc/interrupts}, read through the guest's sysfs and procfs ({@link
 * org.vfio4j.conformance.SysfsHostView}) before the kernel contracts and after them. A device whose
 * state cannot be read fails the check too: the lane must see what it claims.
 */
public final class LeftAsFound {
    private final HostView view;
    private final List<String> devices;
    private final Map<String, Optional<DeviceState>> before;

    private LeftAsFound(HostView view, List<String> devices) {
        this.view = view;
        this.devices = List.copyOf(devices);
        this.before = read();
    }

    /** Reads {@code devices} through {@code view} now, to compare with {@link #after()} later. */
    public static LeftAsFound before(HostView view, List<String> devices) {
        return new LeftAsFound(view, devices);
    }

    private Map<String, Optional<DeviceState>> read() {
        Map<String, Optional<DeviceState>> states = new LinkedHashMap<>();
        devices.forEach(d -> states.put(d, view.state(d)));
        return states;
    }

    /**
     * The outcome of the check.
     *
     * @param problems what differs, one sentence a device (or that it could not be read); empty when all is as it was
     * @param report   lines for the lane's report: each device's state before the suite, then what changed
     */
    public record Outcome(List<String> problems, String report) {
        /** Keeps a copy of {@code problems}. */
        public Outcome {
            problems = List.copyOf(problems);
        }
    }

    /** Reads the devices again and compares with the first reading. */
    public Outcome after() {
        List<String> problems = new ArrayList<>();
        read().forEach((device, now) -> {
            Optional<DeviceState> was = before.get(device);
            if (was.isEmpty() || now.isEmpty()) {
                problems.add(device + ": its state could not be read from sysfs (" + (was.isEmpty() ? "before" : "after") + " the suite)");
            } else if (!now.get().changesSince(was.get()).isEmpty()) {
                problems.add(device + ": " + String.join("; ", now.get().changesSince(was.get())));
            }
        });
        StringBuilder sb = new StringBuilder("devices left as found by the kernel suite (hardware command register, MSI/MSI-X"
                + " control, vfio interrupts; from sysfs and /proc/interrupts): ").append(problems.isEmpty() ? "yes" : "NO").append('\n');
        before.forEach((device, state) -> sb.append("  ").append(device).append(" before: ")
                .append(state.map(LeftAsFound::describe).orElse("unreadable")).append('\n'));
        problems.forEach(p -> sb.append("  changed: ").append(p).append('\n'));
        return new Outcome(problems, sb.toString());
    }

    private static String describe(DeviceState s) {
        return String.format("command 0x%04x, MSI control %s, MSI-X control %s, interrupts %s", s.command(),
                s.msiControl().isPresent() ? String.format("0x%04x", s.msiControl().getAsInt()) : "-",
                s.msixControl().isPresent() ? String.format("0x%04x", s.msixControl().getAsInt()) : "-", s.interrupts());
    }
}
