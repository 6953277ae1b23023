package org.vfio4j.sim;

import java.util.Objects;
import java.util.Optional;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.PciDeviceModel;

/**
 * A PCI function of a simulated host: identity, the driver it is bound to, the properties VFIO
 * looks at, and the emulated hardware behind it. Immutable; {@code with*} methods return changed
 * copies.
 *
 * @param address          where it sits
 * @param vendor           PCI vendor id
 * @param device           PCI device id
 * @param classCode        24-bit class code (base class, subclass, programming interface)
 * @param driver           the bound driver ({@code "vfio-pci"}, {@code "pci-stub"}, {@code "e1000e"}, ...),
 *                         empty when unbound
 * @param bridge           whether its config header is not a normal (type 0) header; bridges never
 *                         make a group non-viable
 * @param resettable       forces a working function reset (VFIO_DEVICE_FLAGS_RESET) even when the
 *                         model's capabilities offer none, like a device-specific reset quirk
 * @param model            the emulated hardware; empty: a bare function with the standard header only
 * @param physicalFunction for an SR-IOV virtual function, its PF (VF-token rules apply when the PF
 *                         is bound to vfio-pci)
 */
public record HostDevice(PciAddress address, int vendor, int device, int classCode, Optional<String> driver,
                         boolean bridge, boolean resettable, Optional<PciDeviceModel> model,
                         Optional<PciAddress> physicalFunction) {

    /** The driver of devices VFIO hands to userspace. */
    public static final String VFIO_PCI = "vfio-pci";

    public HostDevice {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(physicalFunction, "physicalFunction");
        if ((vendor & ~0xffff) != 0 || (device & ~0xffff) != 0 || (classCode & ~0xffffff) != 0) {
            throw new IllegalArgumentException("vendor/device are 16 bits and class 24 bits: " + address);
        }
    }

    /** An unbound, normal, non-resettable function. */
    public static HostDevice pci(String address, int vendor, int device, int classCode) {
        return new HostDevice(PciAddress.parse(address), vendor, device, classCode, Optional.empty(), false, false,
                Optional.empty(), Optional.empty());
    }

    /**
     * An unbound function whose hardware is {@code model}; identity comes from the model's config
     * space.
     */
    public static HostDevice of(String address, PciDeviceModel model) {
        ConfigSpace c = model.config();
        return new HostDevice(PciAddress.parse(address), c.u16(0), c.u16(2), c.u32(8) >>> 8, Optional.empty(), false, false,
                Optional.of(model), Optional.empty());
    }

    /** This device bound to {@code driver}. */
    public HostDevice boundTo(String driver) {
        return new HostDevice(address, vendor, device, classCode, Optional.of(driver), bridge, resettable, model, physicalFunction);
    }

    /** This device with no driver. */
    public HostDevice unbound() {
        return new HostDevice(address, vendor, device, classCode, Optional.empty(), bridge, resettable, model, physicalFunction);
    }

    /** This device with a function reset that works whatever its capabilities say. */
    public HostDevice withReset() {
        return new HostDevice(address, vendor, device, classCode, driver, bridge, true, model, physicalFunction);
    }

    /** This device as a bridge (type 1 header). */
    public HostDevice asBridge() {
        return new HostDevice(address, vendor, device, classCode, driver, true, resettable, model, physicalFunction);
    }

    /** This device as an SR-IOV virtual function of the PF at {@code pf}. */
    public HostDevice asVirtualFunctionOf(String pf) {
        return new HostDevice(address, vendor, device, classCode, driver, bridge, resettable, model, Optional.of(PciAddress.parse(pf)));
    }

    /** Whether it is an SR-IOV virtual function. */
    public boolean isVirtualFunction() {
        return physicalFunction.isPresent();
    }

    /** Whether it is an SR-IOV physical function: its config space has the SR-IOV extended capability. */
    public boolean isPhysicalFunction() {
        return hardware().config().findExtendedCapability(0x10) >= 0;
    }

    /** The emulated hardware: the model, or a bare header with interrupt pin A. */
    public PciDeviceModel hardware() {
        return model.orElseGet(() -> {
            ConfigSpace c = ConfigSpace.builder(vendor, device, classCode).interruptPin(1).readOnlyGaps()
                    .bytes(0x0e, new byte[] {(byte) (bridge ? 1 : 0)}).build();
            return () -> c;
        });
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
