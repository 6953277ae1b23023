package org.vfio4j;

import static org.vfio4j.Structs.U32;
import static org.vfio4j.Structs.U64;
import static org.vfio4j.uapi.VfioStructs.vfio_eeh_pe_err;
import static org.vfio4j.uapi.VfioStructs.vfio_eeh_pe_op;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_OP;

import java.lang.foreign.MemorySegment;

/**
 * EEH (POWER's enhanced error handling) of the partitionable endpoint behind a sPAPR container,
 * from {@link VfioContainer#eeh()}. Each method is one VFIO_EEH_PE_OP on the container fd with the
 * whole {@code struct vfio_eeh_pe_op} ({@code argsz} 40, {@code flags} 0), and the kernel's errno
 * is a {@link VfioException}: {@code ENODEV} when a group has no PE, {@code ENOENT} when the
 * platform lacks the operation, {@code ENOTTY} on a type1 container.
 *
 * <p>The request goes to the container, not to a group: the kernel ({@code tce_iommu_ioctl}) applies
 * it to every attached group's PE in turn and returns the first non-zero answer, an error or a
 * state. With one group per container, as QEMU uses it, that is the group's PE; with several,
 * {@link #state()} is the first group's that is not {@link EehState#NORMAL}.
 *
 * <p>A driver's recovery after it reads all ones: {@link #state()}; {@link #unfreezeIo()} to read
 * the device's registers; {@link #resetHot()} or {@link #resetFundamental()}, then {@link
 * #resetDeactivate()} and {@link #configure()}; then set the device up again.
 */
public final class EehPe {
    private final VfioContainer container;

    EehPe(VfioContainer container) {
        this.container = container;
    }

    /** VFIO_CHECK_EXTENSION(VFIO_EEH) on the container: whether the host has EEH enabled ({@code eeh_enabled()}). */
    public boolean supported() throws VfioException {
        return container.checkExtension(VFIO_EEH) > 0;
    }

    /** ENABLE: takes ownership of the PE and thaws it if frozen; {@code EIO} when the host has EEH off. */
    public void enable() throws VfioException {
        op(EehOp.ENABLE);
    }

    /** DISABLE: the kernel accepts it and does nothing. */
    public void disable() throws VfioException {
        op(EehOp.DISABLE);
    }

    /** GET_STATE: the state the kernel returns as the ioctl's result ({@link EehState#UNKNOWN} for a value Linux does not use). */
    public EehState state() throws VfioException {
        return EehState.of(op(EehOp.GET_STATE));
    }

    /** UNFREEZE_IO: re-enables MMIO of a frozen PE (DMA stays stopped: {@link EehState#STOPPED_DMA}). */
    public void unfreezeIo() throws VfioException {
        op(EehOp.UNFREEZE_IO);
    }

    /** UNFREEZE_DMA: re-enables DMA of a frozen PE. */
    public void unfreezeDma() throws VfioException {
        op(EehOp.UNFREEZE_DMA);
    }

    /** RESET_HOT: freezes the PE, blocks config access and asserts a hot reset; end it with {@link #resetDeactivate()}. */
    public void resetHot() throws VfioException {
        op(EehOp.RESET_HOT);
    }

    /** RESET_FUNDAMENTAL: as {@link #resetHot()} with a fundamental reset. */
    public void resetFundamental() throws VfioException {
        op(EehOp.RESET_FUNDAMENTAL);
    }

    /** RESET_DEACTIVATE: deasserts the reset, restores the devices' BARs and thaws the PE. */
    public void resetDeactivate() throws VfioException {
        op(EehOp.RESET_DEACTIVATE);
    }

    /** CONFIGURE: configures the PE's bridges after a reset; the kernel only checks that the PE exists. */
    public void configure() throws VfioException {
        op(EehOp.CONFIGURE);
    }

    /** INJECT_ERR with {@code error} in the struct's {@code err} member (the platform decides what follows). */
    public void injectError(EehError error) throws VfioException {
        FdHandle.required(error, "the error");
        MemorySegment arg = argument(EehOp.INJECT_ERR);
        arg.set(U32, vfio_eeh_pe_op.err + vfio_eeh_pe_err.type, error.type().number());
        arg.set(U32, vfio_eeh_pe_op.err + vfio_eeh_pe_err.func, error.function().number());
        arg.set(U64, vfio_eeh_pe_op.err + vfio_eeh_pe_err.addr, error.addr());
        arg.set(U64, vfio_eeh_pe_op.err + vfio_eeh_pe_err.mask, error.mask());
        container.kernel.ioctl(container.fd, VFIO_EEH_PE_OP, arg);
    }

    /**
     * VFIO_EEH_PE_OP with {@code op} and a zeroed {@code err}: the raw call. Returns the ioctl's
     * non-negative result: the state number for {@link EehOp#GET_STATE}, otherwise 0 (a negative
     * one breaks the seam's contract: {@link Errno#EPROTO}).
     */
    public int op(EehOp op) throws VfioException {
        FdHandle.required(op, "the EEH operation");
        int result = container.kernel.ioctl(container.fd, VFIO_EEH_PE_OP, argument(op));
        return new Reply("VFIO_EEH_PE_OP", container.fd).result(result);
    }

    private static MemorySegment argument(EehOp op) {
        MemorySegment arg = Structs.withArgsz(vfio_eeh_pe_op.SIZE);
        arg.set(U32, vfio_eeh_pe_op.op, op.number());
        return arg;
    }

    @Override
    public String toString() {
        return "EehPe[" + container.fd + "]";
    }
}
