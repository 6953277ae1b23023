package org.vfio4j.sim;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.vfio4j.PciAddress;
import org.vfio4j.PciRegisters;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.PciDeviceModel;

/**
 * A PCI function of a simulated host: identity, the driver it is bound to, the properties VFIO
 * looks at, and the emulated hardware behind it. Immutable; {@code with*} methods return changed
 * copies. The hardware is a factory of device models: every kernel booted from a host gets fresh
 * models, so device state (registers, pending interrupts, DMA in flight) is never shared between
 * kernels; {@link SimulatedKernel#model(PciAddress, Class)} gives a test the booted kernel's one.
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
 * @param model            makes the emulated hardware, once per booted kernel; empty: a bare function
 *                         with the standard header only
 * @param physicalFunction for an SR-IOV virtual function, its PF (VF-token rules apply when the PF
 *                         is bound to vfio-pci)
 */
public record HostDevice(PciAddress address, int vendor, int device, int classCode, Optional<String> driver,
                         boolean bridge, boolean resettable, Optional<Supplier<? extends PciDeviceModel>> model,
                         Optional<PciAddress> physicalFunction) {

    /** The driver of devices VFIO hands to userspace. */
    public static final String VFIO_PCI = "vfio-pci";

    /** Checks the identity's widths; every component but the ids must be present. */
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
     * An unbound function whose hardware {@code factory} makes: each kernel booted from the host
     * calls it once, so each boot has its own device state ({@code HostDevice.of(address,
     * QemuEdu::new)}). Identity (vendor, device, class) comes from the config space of one model
     * the factory makes now, as a probe that is never attached.
     *
     * @param address where it sits, {@code "0000:00:03.0"}
     * @param factory makes the model; called once per boot (and once now for the probe)
     * @return the unbound function
     */
    public static HostDevice of(String address, Supplier<? extends PciDeviceModel> factory) {
        return identified(PciAddress.parse(address), new Models(Objects.requireNonNull(factory, "factory"), null));
    }

    /**
     * An unbound function whose hardware is this very {@code model} instance, for a test that keeps
     * the instance to drive or inspect it. A model has one set of state, so it can serve one live
     * kernel at a time: booting a second kernel from the host while the first is open fails with
     * {@link IllegalStateException}; use the factory form {@link #of(String, Supplier)} for hosts
     * that boot more than once, and {@link SimulatedKernel#model(PciAddress, Class)} to reach each
     * kernel's model.
     *
     * @param address where it sits, {@code "0000:00:03.0"}
     * @param model   the model every kernel booted from the host uses, one at a time
     * @return the unbound function
     */
    public static HostDevice ofInstance(String address, PciDeviceModel model) {
        return identified(PciAddress.parse(address), new Models(null, Objects.requireNonNull(model, "model")));
    }

    private static HostDevice identified(PciAddress address, Models models) {
        ConfigSpace c = models.probe;
        return new HostDevice(address, c.u16(PciRegisters.VENDOR_ID), c.u16(PciRegisters.DEVICE_ID),
                c.u32(PciRegisters.CLASS_REVISION) >>> 8, Optional.empty(), false, false, Optional.of(models), Optional.empty());
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
        if (model.isEmpty()) {
            return false; // the bare header is 256 bytes: no extended capability, so no SR-IOV
        }
        ConfigSpace c = model.get() instanceof Models m ? m.probe : hardware().config();
        return c.findExtendedCapability(0x10) >= 0;
    }

    /**
     * A new instance of the emulated hardware: the factory's next model (the one instance, for
     * {@link #ofInstance}), or a bare header with interrupt pin A.
     *
     * @return the model
     */
    public PciDeviceModel hardware() {
        return model.<PciDeviceModel>map(f -> Objects.requireNonNull(f.get(), () -> address + ": the model factory returned null"))
                .orElseGet(() -> {
            ConfigSpace c = ConfigSpace.header(vendor, device, classCode, 1, bridge ? 1 : 0);
            return () -> c;
        });
    }

    /**
     * The hardware for {@code kernel}, which is booting: a fresh model, or the one instance of
     * {@link #ofInstance} if no other live kernel holds it.
     */
    PciDeviceModel attachTo(Object kernel) {
        if (model.isPresent() && model.get() instanceof Models m && m.instance != null) {
            m.claim(address, kernel);
            return m.instance;
        }
        return hardware();
    }

    /** {@code kernel} closed: an instance it held may serve another kernel. */
    void detachFrom(Object kernel) {
        if (model.isPresent() && model.get() instanceof Models m) {
            m.release(kernel);
        }
    }

    /** The factory or instance behind {@link #of(String, Supplier)} and {@link #ofInstance}, with the identity probe. */
    private static final class Models implements Supplier<PciDeviceModel> {
        private final Supplier<? extends PciDeviceModel> factory;
        private final PciDeviceModel instance;
        private final ConfigSpace probe;
        private Object owner; // the live kernel holding the instance

        Models(Supplier<? extends PciDeviceModel> factory, PciDeviceModel instance) {
            this.factory = factory;
            this.instance = instance;
            PciDeviceModel m = instance != null ? instance : Objects.requireNonNull(factory.get(), "the model factory returned null");
            this.probe = m.config();
        }

        @Override
        public PciDeviceModel get() {
            return instance != null ? instance : factory.get();
        }

        synchronized void claim(PciAddress address, Object kernel) {
            if (owner != null && owner != kernel) {
                throw new IllegalStateException(address + ": this " + instance.getClass().getSimpleName() + " instance is the"
                        + " hardware of a kernel that is still open, and one model has one device state; build the host with"
                        + " HostDevice.of(address, factory) (e.g. QemuEdu::new) so each boot() gets its own model, or close the"
                        + " first kernel");
            }
            owner = kernel;
        }

        synchronized void release(Object kernel) {
            if (owner == kernel) {
                owner = null;
            }
        }

        @Override
        public String toString() {
            return instance != null ? "the instance " + instance : "a model factory";
        }
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
