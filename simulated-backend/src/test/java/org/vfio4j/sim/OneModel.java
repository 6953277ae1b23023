package org.vfio4j.sim;

import org.vfio4j.IommuType;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.device.PciDeviceModel;

/** One device model on a host of its own, opened through the public API as a driver opens it, for tests of what the kernel makes of the model. */
final class OneModel {
    static final String BDF = "0000:01:00.0";

    private OneModel() {}

    /** What a test does with the open device. */
    interface DeviceCheck {
        void check(Vfio vfio, VfioDevice device) throws Exception;
    }

    /** Boots {@code model} at {@value #BDF} alone in group 1, attaches a type1v2 container, opens the device, runs {@code check}. */
    static void withDevice(PciDeviceModel model, DeviceCheck check) throws Exception {
        SimulatedHost host = SimulatedHost.builder().group(1, HostDevice.ofInstance(BDF, model).boundTo(HostDevice.VFIO_PCI)).build();
        try (Vfio vfio = Vfio.open(host)) {
            VfioContainer container = vfio.openContainer();
            VfioGroup group = vfio.openGroup(1);
            group.setContainer(container);
            container.setIommu(IommuType.TYPE1V2);
            try (VfioDevice device = group.openDevice(BDF)) {
                check.check(vfio, device);
            }
        }
    }
}
