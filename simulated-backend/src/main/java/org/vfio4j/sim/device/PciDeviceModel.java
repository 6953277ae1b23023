package org.vfio4j.sim.device;

import java.util.List;
import java.util.Optional;

/**
 * An emulated PCI function: what the hardware is, for the simulated kernel's vfio-pci to drive. In
 * the spirit of libvfio-user's {@code vfu_setup_region}/{@code vfu_pci_add_capability}: the model
 * supplies its physical config space (with the capabilities the kernel will virtualize), its BARs
 * (memory or trapped registers), an optional ROM, device-specific regions and a reset; the kernel
 * does everything VFIO does on top (config virtualization, region access rules, mmap, reset
 * methods derived from the capabilities, ioeventfds).
 *
 * <p>Reset support follows the kernel's probing of the config space: FLR when the PCI Express
 * capability advertises it (or Advanced Features FLR+TP), a PM reset when the PM capability has
 * No_Soft_Reset clear, a bus reset when the function is alone on a non-root bus. VGA is offered
 * when the class code is 0x0300xx.
 */
public interface PciDeviceModel {
    /** The config space at power-on. */
    ConfigSpace config();

    /** The implemented BARs. */
    default List<Bar> bars() {
        return List.of();
    }

    /** The expansion ROM, if any. */
    default Optional<Rom> rom() {
        return Optional.empty();
    }

    /** The legacy VGA ranges' registers (0xa0000-0xbffff, 0x3b0-0x3bb, 0x3c0-0x3df), for a VGA-class function. */
    default MmioHandler vga() {
        return MmioHandler.zeros();
    }

    /** Device-specific regions, reported from index 9 on. */
    default List<DeviceRegion> regions() {
        return List.of();
    }

    /** The display output of a mediated graphics device, if this is one (VFIO_DEVICE_QUERY_GFX_PLANE answers then). */
    default Optional<Display> display() {
        return Optional.empty();
    }

    /** Called once per booted kernel, before any access, with the function's view of the machine. */
    default void attach(DeviceContext context) {}

    /** A function-level, PM or bus reset: internal state back to power-on (config space is the kernel's job). */
    default void reset() {}
}
