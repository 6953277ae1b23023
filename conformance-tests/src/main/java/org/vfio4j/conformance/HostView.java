package org.vfio4j.conformance;

import java.util.Optional;

/**
 * How the host sees a PCI device from outside VFIO: its hardware command register, MSI and MSI-X
 * control and the interrupts vfio-pci has set up for it. {@link RunGuard} reads it before and after
 * every property to check that the run left each named device as it found it (docs/safety.md).
 * This machine's view is {@link SysfsHostView}; a test's simulated machine offers its own.
 */
public interface HostView {
    /**
     * The state of {@code device} (a PCI name such as {@code 0000:01:00.0}) now.
     *
     * @param device the PCI name
     * @return its state, or empty when this view cannot read that device
     */
    Optional<DeviceState> state(String device);
}
