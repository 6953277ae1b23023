package org.vfio4j.conformance;

import org.vfio4j.KernelProfile;

/** The whole suite on a simulated Linux 6.12 host. */
class SimulatedLinux612Test implements ContainerContract, GroupContract, Type1Contract, DeviceContract, PciDeviceContract, EduContract, IrqContract, ActionChainContract {
    private static final ConformanceTarget TARGET = SimulatedTargets.of(KernelProfile.LINUX_6_12);

    @Override
    public ConformanceTarget target() {
        return TARGET;
    }
}
