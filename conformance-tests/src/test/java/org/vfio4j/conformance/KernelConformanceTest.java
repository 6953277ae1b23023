package org.vfio4j.conformance;

import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * The whole suite on this machine's kernel; skipped with the reason unless a device is configured
 * ({@code -Dvfio4j.kernel.group=N -Dvfio4j.kernel.device=BDF}) and VFIO is usable.
 */
@AddLifecycleHook(RequiresKernelVfio.class)
class KernelConformanceTest implements ContainerContract, GroupContract, Type1Contract, DeviceContract, PciDeviceContract, EduContract, IrqContract, ActionChainContract {

    @Override
    public ConformanceTarget target() {
        return KernelTargets.fromSystemProperties().orElseThrow();
    }

    @Override
    public int chainLength() {
        return 15;
    }
}
