package org.vfio4j;

import org.vfio4j.uapi.VfioUapi;

/**
 * The operations of VFIO_EEH_PE_OP ({@code VFIO_EEH_PE_*}), for {@link EehPe#op(EehOp)}. The
 * kernel ({@code vfio_spapr_iommu_eeh_ioctl}) answers any other number with {@code EINVAL}.
 */
public enum EehOp {
    /** Disables EEH for the PE: accepted and ignored by the kernel. */
    DISABLE(VfioUapi.VFIO_EEH_PE_DISABLE),
    /** Enables EEH for the PE: takes ownership and thaws a frozen PE; {@code EIO} when the host has EEH off. */
    ENABLE(VfioUapi.VFIO_EEH_PE_ENABLE),
    /** Re-enables MMIO of a frozen PE. */
    UNFREEZE_IO(VfioUapi.VFIO_EEH_PE_UNFREEZE_IO),
    /** Re-enables DMA of a frozen PE. */
    UNFREEZE_DMA(VfioUapi.VFIO_EEH_PE_UNFREEZE_DMA),
    /** Returns the PE's state as the ioctl's result ({@link EehState}). */
    GET_STATE(VfioUapi.VFIO_EEH_PE_GET_STATE),
    /** Deasserts the PE reset and brings its devices back. */
    RESET_DEACTIVATE(VfioUapi.VFIO_EEH_PE_RESET_DEACTIVATE),
    /** Freezes the PE and asserts a hot reset. */
    RESET_HOT(VfioUapi.VFIO_EEH_PE_RESET_HOT),
    /** Freezes the PE and asserts a fundamental reset. */
    RESET_FUNDAMENTAL(VfioUapi.VFIO_EEH_PE_RESET_FUNDAMENTAL),
    /** Configures the PE's bridges after a reset: the kernel only checks the PE exists. */
    CONFIGURE(VfioUapi.VFIO_EEH_PE_CONFIGURE),
    /** Injects an error ({@code struct vfio_eeh_pe_err}, see {@link EehPe#injectError}). */
    INJECT_ERR(VfioUapi.VFIO_EEH_PE_INJECT_ERR);

    private final int number;

    EehOp(int number) {
        this.number = number;
    }

    /** The {@code op} value the kernel receives. */
    public int number() {
        return number;
    }
}
