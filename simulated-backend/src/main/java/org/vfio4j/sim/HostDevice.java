package org.vfio4j.sim;

import java.util.Objects;
import java.util.Optional;
import org.vfio4j.PciAddress;

/**
 * A PCI function of a simulated host: identity, the driver it is bound to, and the properties
 * VFIO looks at. Immutable; {@code with*} methods return changed copies.
 *
 * @param address    where it sits
 * @param vendor     PCI vendor id
 * @param device     PCI device id
 * @param classCode  24-bit class code (base class, subclass, programming interface)
 * @param driver     the bound driver ({@code "vfio-pci"}, {@code "pci-stub"}, {@code "e1000e"}, ...),
 *                   empty when unbound
 * @param bridge     whether its config header is not a normal (type 0) header; bridges never
 *                   make a group non-viable
 * @param resettable whether a function-level reset works (VFIO_DEVICE_FLAGS_RESET)
 */
public record HostDevice(PciAddress address, int vendor, int device, int classCode, Optional<String> driver,
                         boolean bridge, boolean resettable) {

    /** The driver of devices VFIO hands to userspace. */
    public static final String VFIO_PCI = "vfio-pci";

    public HostDevice {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(driver, "driver");
        if ((vendor & ~0xffff) != 0 || (device & ~0xffff) != 0 || (classCode & ~0xffffff) != 0) {
            throw new IllegalArgumentException("vendor/device are 16 bits and class 24 bits: " + address);
        }
    }

    /** An unbound, normal, non-resettable function. */
    public static HostDevice pci(String address, int vendor, int device, int classCode) {
        return new HostDevice(PciAddress.parse(address), vendor, device, classCode, Optional.empty(), false, false);
    }

    /** This device bound to {@code driver}. */
    public HostDevice boundTo(String driver) {
        return new HostDevice(address, vendor, device, classCode, Optional.of(driver), bridge, resettable);
    }

    /** This device with no driver. */
    public HostDevice unbound() {
        return new HostDevice(address, vendor, device, classCode, Optional.empty(), bridge, resettable);
    }

    /** This device with function-level reset support. */
    public HostDevice withReset() {
        return new HostDevice(address, vendor, device, classCode, driver, bridge, true);
    }

    /** This device as a bridge (type 1 header). */
    public HostDevice asBridge() {
        return new HostDevice(address, vendor, device, classCode, driver, true, resettable);
    }

    /** Whether vfio-pci drives it, so that VFIO offers it as a device of its group. */
    public boolean isVfioDevice() {
        return driver.filter(VFIO_PCI::equals).isPresent();
    }

    /**
     * Whether it lets its IOMMU group be viable: unbound, bound to vfio-pci or pci-stub (drivers
     * that manage DMA themselves), or a bridge ({@code vfio_dev_viable}; 6.x: {@code
     * driver_managed_dma}).
     */
    public boolean allowsViability() {
        return bridge || driver.isEmpty() || driver.get().equals(VFIO_PCI) || driver.get().equals("pci-stub");
    }
}
