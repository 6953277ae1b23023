package org.vfio4j.sim.eeh;

import org.vfio4j.Errno;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.core.PowerFacts;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.UserArg;

/**
 * The EEH subsystem of a POWER host: the PEs (one per IOMMU group), their states, and the hooks
 * the sPAPR TCE IOMMU, vfio-pci and the IOMMU's DMA path ask. A host without EEH (EEH off, or
 * not a POWER host) has none.
 */
public final class Eeh {
    private final KernelServices kernel;
    private final PowerFacts phb;

    /** The EEH of a host behind {@code phb}. */
    public Eeh(KernelServices kernel, PowerFacts phb) {
        this.kernel = kernel;
        this.phb = phb;
    }

    /** {@code eeh_enabled()}: the answer to CHECK_EXTENSION(VFIO_EEH) on an sPAPR container. */
    public boolean enabled() {
        return phb.eehEnabled();
    }

    /** VFIO_EEH_PE_OP for the PE of {@code group} ({@code vfio_spapr_iommu_eeh_ioctl}). */
    public int peOp(int group, UserArg arg, SyscallContext call) throws KernelError {
        throw KernelError.of(Errno.ENODEV, "group " + group + " has no EEH PE (vfio_spapr_iommu_eeh_ioctl)");
    }

    /** Whether the PE of {@code function} has MMIO (and config access) frozen: reads all ones, writes dropped. */
    public boolean mmioFrozen(PciAddress function) {
        return false;
    }

    /** Whether the PE of {@code function} has DMA frozen: the IOMMU blocks its transfers. */
    public boolean dmaFrozen(PciAddress function) {
        return false;
    }

    /**
     * The PHB detected an error of {@code function} ({@code what}, e.g. a DMA the TCE table refused):
     * on a PHB that freezes, its PE freezes.
     */
    public void errorDetected(PciAddress function, String what) {
        // a PHB that never freezes ignores it
    }
}
