package org.vfio4j.conformance;

import org.vfio4j.KernelProfile;

/** The whole suite on a simulated Linux 5.7 host. */
class SimulatedLinux57Test implements ContainerContract, GroupContract, Type1Contract, DeviceContract, PciDeviceContract, EduContract, IrqContract, ActionChainContract {
    private static final ConformanceTarget TARGET = SimulatedTargets.of(KernelProfile.LINUX_5_7);

    @Override
    public ConformanceTarget target() {
        return TARGET;
    }
}
