package org.vfio4j.sim.pci;

import java.util.Optional;
import org.vfio4j.PciAddress;

/**
 * What vfio-pci knows of a PCI function when it probes it: where it is, whether it has a reset of
 * its own, and its SR-IOV role. Taken from the public {@code HostDevice}, which this package cannot
 * see.
 *
 * @param address          the function's address
 * @param resettable       whether the platform can reset the function alone
 * @param physicalFunction for an SR-IOV VF, its PF
 * @param sriovCapable     whether the function has the SR-IOV capability (is a PF)
 */
public record FunctionSpec(PciAddress address, boolean resettable, Optional<PciAddress> physicalFunction, boolean sriovCapable) {
    /** Whether the function is an SR-IOV VF. */
    boolean isVirtualFunction() {
        return physicalFunction.isPresent();
    }

    /** Whether the function is an SR-IOV PF. */
    boolean isPhysicalFunction() {
        return sriovCapable;
    }
}
