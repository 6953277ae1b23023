package org.vfio4j.conformance;

import org.vfio4j.KernelProfile;

/** The whole suite on a simulated Linux 5.10 host. */
class SimulatedLinux510Test implements ContainerContract, GroupContract, Type1Contract, DeviceContract, PciDeviceContract, EduContract, IrqContract, ActionChainContract {
    private static final ConformanceTarget TARGET = SimulatedTargets.of(KernelProfile.LINUX_5_10);

    @Override
    public ConformanceTarget target() {
        return TARGET;
    }
}
