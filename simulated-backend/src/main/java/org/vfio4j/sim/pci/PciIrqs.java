package org.vfio4j.sim.pci;

import static org.vfio4j.PciRegisters.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.util.ArrayList;
import java.util.List;
import org.vfio4j.Errno;
import org.vfio4j.IrqIndex;
import org.vfio4j.sim.core.EventFdFile;
import org.vfio4j.sim.core.IrqHistory;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.OpenFile;
import org.vfio4j.sim.core.Syscall;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.TraceText;
import org.vfio4j.sim.core.UserArg;
import org.vfio4j.uapi.VfioStructs.vfio_irq_set;

/**
 * The interrupt state of an open vfio-pci function ({@code vfio_pci_intrs.c}): which of INTx, MSI
 * and MSI-X is active, the eventfd of each vector, INTx masking (automask, DisINTx, the unmask
 * irqfd), the ERR and REQ triggers; VFIO_DEVICE_SET_IRQS with the kernel's validation order and
 * errno; and what happens when the device raises an interrupt: INTx is level-triggered and masked
 * by the kernel when it fires, MSI and MSI-X messages go to their vector's eventfd unless the
 * vector is masked, in which case the pending bit is set and the message is delivered on unmask.
 *
 * <p>An interrupt that does not reach an eventfd is a trace event saying why, and is counted in the
 * history of the eventfd it would have signalled ({@link EventFdFile#history}), or in this
 * function's {@link #unrouted} history when no eventfd is bound where it went, for {@code
 * SimulatedKernel.diagnose}.
 *
 * <p>About 750 lines, as {@code vfio_pci_intrs.c} is about 800: one SET_IRQS validation and one
 * action table for four interrupt kinds (INTx with its automask and unmask irqfd, MSI, MSI-X, and the
 * ERR/REQ slots), which share the eventfd bookkeeping; splitting them would split that table.
 */
public final class PciIrqs {
    private static final int NONE = VFIO_PCI_NUM_IRQS; // irq_type when nothing is enabled
    /** The message address the simulated host programs into MSI-X entries (the x86 interrupt window). */
    private static final int HOST_MSI_ADDRESS = 0xfee00000;
    /** The message data of MSI-X vector 0 as the simulated host programs it; vector n gets this plus n. */
    private static final int HOST_MSI_DATA_BASE = 0x4000;

    private final PciFunction f;
    private final KernelServices kernel;
    private int type = NONE;
    private EventFdFile[] ctx = new EventFdFile[0];
    private boolean intxMasked;
    private Runnable unmaskIrqfd;
    private EventFdFile unmaskEventfd;
    private EventFdFile err;
    private EventFdFile req;
    /**
     * MSI vectors with a message held back, as the kernel tracks them: a function without per-vector
     * mask bits has no pending register, one with them also shows the bit in it ({@link MsiHardware}).
     */
    private boolean[] msiPending = new boolean[0];
    /** Who masked INTx, for the diagnosis of a suppressed interrupt. */
    private String intxMaskedBy = "";
    /** Interrupts this function raised that had no eventfd to be counted against (bounded). */
    public final IrqHistory unrouted = new IrqHistory();
    /** The function's address as text, formatted once for the diagnosis and the trace. */
    private String bdf;
    private String label;

    private static final String AUTOMASKED = "INTx is masked: the kernel masked it when it fired (VFIO_IRQ_INFO_AUTOMASKED) and"
            + " nothing unmasked it since; after handling each interrupt, unmask it with VFIO_IRQ_SET_ACTION_UNMASK on the INTx index";
    private static final String MASKED_BY_USER = "INTx is masked by VFIO_IRQ_SET_ACTION_MASK; unmask it with VFIO_IRQ_SET_ACTION_UNMASK";
    private static final String DISINTX = "INTx Disable (PCI_COMMAND_INTX_DISABLE) is set in the command register";
    /** Why a message of a function whose EEH PE has DMA frozen goes nowhere. */
    private static final String FROZEN = "its EEH PE has DMA frozen, and an MSI is a DMA write the PHB stops; VFIO_EEH_PE_OP"
            + " UNFREEZE_DMA or the reset sequence thaws it";
    private static final String NO_MASTER = "bus mastering is off (PCI_COMMAND_MASTER clear in the command register), so the"
            + " message, a memory write, is never sent";

    PciIrqs(PciFunction f, KernelServices kernel) {
        this.f = f;
        this.kernel = kernel;
    }

    private String bdf() {
        if (bdf == null) {
            bdf = f.address().toString();
            label = "device " + bdf;
        }
        return bdf;
    }

    /** How trace events name the function ({@code device 0000:01:00.0}), formatted once. */
    private String label() {
        bdf();
        return label;
    }

    private PciHardware hw() {
        return f.hw;
    }

    /** The device's MSI and MSI-X registers, which the host programs and the device sets pending bits in. */
    private MsiHardware msi() {
        return f.hw.msi;
    }

    private boolean virqDisabled() {
        return f.vconfig != null && f.vconfig.virqDisabled;
    }

    public String typeName() {
        return switch (type) {
            case VFIO_PCI_INTX_IRQ_INDEX -> "INTx";
            case VFIO_PCI_MSI_IRQ_INDEX -> "MSI";
            case VFIO_PCI_MSIX_IRQ_INDEX -> "MSI-X";
            default -> "none";
        };
    }

    private static String name(int index) {
        return IrqIndex.name(index);
    }

    // ---- VFIO_DEVICE_SET_IRQS -----------------------------------------------------------------

    /** {@code vfio_pci_ioctl_set_irqs}: validate ({@code vfio_set_irqs_validate_and_prepare}), copy the data, dispatch. */
    int setIrqs(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_irq_set.SIZE, "struct vfio_irq_set");
        int flags = arg.u32(vfio_irq_set.flags);
        int index = arg.u32(vfio_irq_set.index);
        int start = arg.u32(vfio_irq_set.start);
        int count = arg.u32(vfio_irq_set.count);
        call.describe(() -> "{argsz=" + argsz + ", flags=" + TraceText.irqSetFlags(flags) + ", index="
                + TraceText.irqIndex(Integer.toUnsignedLong(index)) + ", start=" + Integer.toUnsignedString(start) + ", count="
                + Integer.toUnsignedString(count) + "}");
        kernel.faults().enter(Syscall.SET_IRQS);
        int max = Integer.compareUnsigned(index, VFIO_PCI_NUM_IRQS) < 0 ? irqCount(index) : 0;
        boolean shortArgsz = Integer.compareUnsigned(argsz, vfio_irq_set.SIZE) < 0;
        if (shortArgsz || Integer.compareUnsigned(index, VFIO_PCI_NUM_IRQS) >= 0
                || Integer.compareUnsigned(count, -1 - start) >= 0
                || (flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)) != 0) {
            throw KernelError.of(Errno.EINVAL, shortArgsz ? "argsz " + argsz + " is below the 20-byte header"
                    : Integer.compareUnsigned(index, VFIO_PCI_NUM_IRQS) >= 0 ? "IRQ index " + Integer.toUnsignedString(index) + " is not below 5"
                    : (flags & ~0x3f) != 0 ? "flags 0x" + Integer.toHexString(flags) + " has bits beyond DATA (0x7) and ACTION (0x38)"
                    : "start + count overflows" + " (vfio_set_irqs_validate_and_prepare)");
        }
        if (Integer.compareUnsigned(start, max) >= 0 || Integer.toUnsignedLong(start) + Integer.toUnsignedLong(count) > max) {
            throw KernelError.of(Errno.EINVAL, String.format("vectors [%s, +%s) do not fit the %d %s vector(s) of %s (GET_IRQ_INFO count)"
                    + " (vfio_set_irqs_validate_and_prepare)", Integer.toUnsignedString(start), Integer.toUnsignedString(count), max,
                    name(index), f));
        }
        int data = flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
        int size = switch (data) {
            case VFIO_IRQ_SET_DATA_NONE -> 0;
            case VFIO_IRQ_SET_DATA_BOOL -> 1;
            case VFIO_IRQ_SET_DATA_EVENTFD -> 4;
            default -> throw KernelError.of(Errno.EINVAL, "exactly one of DATA_NONE, DATA_BOOL, DATA_EVENTFD must be set, flags are 0x"
                    + Integer.toHexString(flags) + " (vfio_set_irqs_validate_and_prepare)");
        };
        long dataSize = (long) count * size;
        long room = Integer.toUnsignedLong(argsz) - vfio_irq_set.data;
        if (size != 0 && room < dataSize) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " leaves " + room + " bytes of data for "
                    + count + " " + (size == 1 ? "bools" : "eventfds") + " of " + size + " byte(s) (vfio_set_irqs_validate_and_prepare)");
        }
        if (dataSize > 0) {
            arg.checkReadable(vfio_irq_set.data, dataSize, "the SET_IRQS data");
            call.describe(() -> "{argsz=" + argsz + ", flags=" + TraceText.irqSetFlags(flags) + ", index=" + TraceText.irqIndex(index)
                    + ", start=" + Integer.toUnsignedString(start) + ", count=" + Integer.toUnsignedString(count) + ", "
                    + describeData(arg, count, size) + "}");
        }
        int action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
        boolean supported = switch (index) {
            case VFIO_PCI_INTX_IRQ_INDEX -> action == VFIO_IRQ_SET_ACTION_MASK || action == VFIO_IRQ_SET_ACTION_UNMASK
                    || action == VFIO_IRQ_SET_ACTION_TRIGGER;
            case VFIO_PCI_ERR_IRQ_INDEX -> action == VFIO_IRQ_SET_ACTION_TRIGGER && hw().isPcie();
            default -> action == VFIO_IRQ_SET_ACTION_TRIGGER;
        };
        if (!supported) {
            throw KernelError.of(Errno.ENOTTY, "action 0x" + Integer.toHexString(action) + " is not one the " + name(index)
                    + " index supports (INTx: MASK, UNMASK or TRIGGER; others: TRIGGER only; exactly one) (vfio_pci_set_irqs_ioctl)");
        }
        return switch (index) {
            case VFIO_PCI_INTX_IRQ_INDEX -> switch (action) {
                case VFIO_IRQ_SET_ACTION_MASK -> intxMask(start, count, data, arg);
                case VFIO_IRQ_SET_ACTION_UNMASK -> intxUnmask(start, count, data, arg);
                default -> intxTrigger(start, count, data, arg);
            };
            case VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX -> msiTrigger(index, start, count, data, arg);
            default -> ctxTriggerSingle(index, start, count, data, arg);
        };
    }

    /** The SET_IRQS data for the trace: {@code fds=[7, -1]} or {@code bools=[1, 0]}, the first 8. */
    private static String describeData(UserArg arg, int count, int size) {
        StringBuilder sb = new StringBuilder(size == 4 ? "fds=[" : "bools=[");
        for (int i = 0; i < Math.min(count, 8); i++) {
            sb.append(i == 0 ? "" : ", ").append(size == 4 ? eventfdAt(arg, i) : arg.u8(vfio_irq_set.data + i));
        }
        return sb.append(count > 8 ? ", ...]" : "]").toString();
    }

    /** {@code data[i]} of a DATA_BOOL request: whether vector start + i is meant. */
    private static boolean boolAt(UserArg arg, long i) {
        return arg.u8(vfio_irq_set.data + i) != 0;
    }

    /** {@code data[i]} of a DATA_EVENTFD request: the s32 fd for vector start + i (-1: none). */
    private static int eventfdAt(UserArg arg, long i) {
        return arg.u32(vfio_irq_set.data + (long) Integer.BYTES * i);
    }

    /** {@code vfio_pci_get_irq_count}. */
    int irqCount(int index) {
        return f.irqCount(index);
    }

    private EventFdFile eventfd(int fd) throws KernelError {
        OpenFile file = kernel.fileOf(fd);
        if (file == null) {
            throw KernelError.of(Errno.EBADF, "fd " + fd + " is not open (eventfd_ctx_fdget)");
        }
        if (!(file instanceof EventFdFile e)) {
            throw KernelError.of(Errno.EINVAL, "fd " + fd + " is a " + file.kind() + ", not an eventfd (eventfd_ctx_fdget)");
        }
        return e;
    }

    // ---- INTx ----

    private int intxMask(int start, int count, int data, UserArg arg) throws KernelError {
        if (type != VFIO_PCI_INTX_IRQ_INDEX || start != 0 || count != 1) {
            throw KernelError.of(Errno.EINVAL, type != VFIO_PCI_INTX_IRQ_INDEX ? "INTx is not enabled (" + typeName()
                    + " is): nothing to mask (vfio_pci_set_intx_mask)" : "INTx MASK takes start 0, count 1 (vfio_pci_set_intx_mask)");
        }
        if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
            throw KernelError.of(Errno.ENOTTY, "masking INTx from an eventfd is not implemented by vfio-pci (vfio_pci_set_intx_mask)");
        }
        if (data == VFIO_IRQ_SET_DATA_NONE || boolAt(arg, 0)) {
            mask();
            intxMaskedBy = MASKED_BY_USER;
        }
        return 0;
    }

    private int intxUnmask(int start, int count, int data, UserArg arg) throws KernelError {
        if (type != VFIO_PCI_INTX_IRQ_INDEX || start != 0 || count != 1) {
            throw KernelError.of(Errno.EINVAL, type != VFIO_PCI_INTX_IRQ_INDEX ? "INTx is not enabled (" + typeName()
                    + " is): nothing to unmask (vfio_pci_set_intx_unmask)" : "INTx UNMASK takes start 0, count 1 (vfio_pci_set_intx_unmask)");
        }
        if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
            int fd = eventfdAt(arg, 0);
            if (fd >= 0) {
                EventFdFile e = eventfd(fd);
                if (unmaskEventfd != null && unmaskEventfd.virqfds.contains(unmaskIrqfd)) {
                    throw KernelError.of(Errno.EBUSY, "INTx already has an unmask eventfd; remove it first with fd -1"
                            + " (vfio_virqfd_enable)");
                }
                removeUnmaskIrqfd(); // one whose eventfd hung up (its last fd closed) is gone, as virqfd_wakeup's EPOLLHUP clears it
                unmaskEventfd = e;
                unmaskIrqfd = this::unmask;
                e.attachVirqfd(unmaskIrqfd);
            } else {
                removeUnmaskIrqfd();
            }
        } else if (data == VFIO_IRQ_SET_DATA_NONE || boolAt(arg, 0)) {
            unmask();
        }
        return 0;
    }

    private void removeUnmaskIrqfd() {
        if (unmaskEventfd != null) {
            unmaskEventfd.detachVirqfd(unmaskIrqfd);
        }
        unmaskEventfd = null;
        unmaskIrqfd = null;
    }

    private int intxTrigger(int start, int count, int data, UserArg arg) throws KernelError {
        if (type == VFIO_PCI_INTX_IRQ_INDEX && count == 0 && data == VFIO_IRQ_SET_DATA_NONE) {
            intxDisable();
            return 0;
        }
        if (!(type == VFIO_PCI_INTX_IRQ_INDEX || type == NONE) || start != 0 || count != 1) {
            throw KernelError.of(Errno.EINVAL, type != VFIO_PCI_INTX_IRQ_INDEX && type != NONE ? typeName()
                    + " is enabled: INTx, MSI and MSI-X exclude each other; disable it first (vfio_pci_set_intx_trigger)"
                    : count == 0 ? "count 0 disables INTx only with DATA_NONE while INTx is enabled (vfio_pci_set_intx_trigger)"
                    : "INTx TRIGGER takes start 0, count 1 (vfio_pci_set_intx_trigger)");
        }
        if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
            int fd = eventfdAt(arg, 0);
            if (type == VFIO_PCI_INTX_IRQ_INDEX) {
                setIntxSignal(fd);
                return 0;
            }
            if (hw().u8(INTERRUPT_PIN) == 0) {
                throw KernelError.of(Errno.ENODEV, f + " has no INTx line (vfio_intx_enable)");
            }
            type = VFIO_PCI_INTX_IRQ_INDEX; // vfio_intx_enable
            ctx = new EventFdFile[1];
            intxMasked = virqDisabled();
            intxMaskedBy = DISINTX;
            setDisIntx(intxMasked);
            try {
                setIntxSignal(fd);
            } catch (KernelError e) {
                intxDisable();
                throw e;
            }
            return 0;
        }
        if (type != VFIO_PCI_INTX_IRQ_INDEX) {
            throw KernelError.of(Errno.EINVAL, "INTx is not enabled: a loop-back trigger needs an enabled index (vfio_pci_set_intx_trigger)");
        }
        if ((data == VFIO_IRQ_SET_DATA_NONE || boolAt(arg, 0)) && ctx[0] == null && !virqDisabled()) {
            // vfio_send_intx_eventfd signals ctx[0].trigger without a NULL check before 6.9: the real kernel oopses here
            throw KernelError.of(Errno.EINVAL, "INTx is enabled without an eventfd (fd -1): Linux 6.1 would dereference the missing"
                    + " eventfd in vfio_send_intx_eventfd and oops (fixed in 6.9); bind an eventfd before a loop-back trigger");
        }
        if (data == VFIO_IRQ_SET_DATA_NONE || boolAt(arg, 0)) {
            sendIntx("loop-back trigger");
        }
        return 0;
    }

    private void setIntxSignal(int fd) throws KernelError {
        EventFdFile e = fd < 0 ? null : eventfd(fd);
        ctx[0] = e;
        if (e != null) {
            fireIntxIfAsserted();
        }
    }

    private void intxDisable() {
        removeUnmaskIrqfd();
        ctx = new EventFdFile[0];
        type = NONE;
    }

    private void setDisIntx(boolean disabled) {
        hw().put(COMMAND, 2, hw().u16(COMMAND) & ~COMMAND_INTX_DISABLE | (disabled ? COMMAND_INTX_DISABLE : 0));
    }

    /** {@code vfio_send_intx_eventfd}. */
    private void sendIntx(String why) {
        if (type == VFIO_PCI_INTX_IRQ_INDEX && !virqDisabled() && ctx[0] != null) {
            EventFdFile e = ctx[0];
            kernel.event(label(), "INTx", () -> why + " -> " + kernel.describeEventFd(e));
            kernel.signal(e);
        }
    }

    /** {@code vfio_pci_intx_mask}: also called for the virtual DisINTx bit. */
    void mask() {
        if (type != VFIO_PCI_INTX_IRQ_INDEX) {
            setDisIntx(true); // the physical bit follows the virtual one
        } else if (!intxMasked) {
            setDisIntx(true);
            intxMasked = true;
            intxMaskedBy = DISINTX;
        }
    }

    /** {@code vfio_pci_intx_unmask}: unmasks unless the line is still asserted, in which case it re-signals and stays masked. */
    void unmask() {
        if (type != VFIO_PCI_INTX_IRQ_INDEX) {
            setDisIntx(false);
        } else if (intxMasked && !virqDisabled()) {
            if (intxAsserted()) {
                sendIntx("unmask with the line still asserted");
            } else {
                setDisIntx(false);
                intxMasked = false;
            }
        }
    }

    private boolean intxAsserted() {
        return (hw().u16(STATUS) & STATUS_INTERRUPT) != 0;
    }

    /** The device drives its INTx line: the status bit follows it; a rising, unmasked line fires ({@code vfio_intx_handler}). */
    void intxLevel(boolean asserted) {
        boolean was = intxAsserted();
        hw().put(STATUS, 2, hw().u16(STATUS) & ~STATUS_INTERRUPT | (asserted ? STATUS_INTERRUPT : 0));
        if (asserted && !fireIntxIfAsserted()) {
            intxSuppressed(was);
        }
    }

    private boolean fireIntxIfAsserted() {
        if (type == VFIO_PCI_INTX_IRQ_INDEX && ctx[0] != null && intxAsserted() && !intxMasked && (hw().u16(COMMAND) & COMMAND_INTX_DISABLE) == 0) {
            setDisIntx(true); // pci_check_and_mask_intx
            intxMasked = true;
            intxMaskedBy = AUTOMASKED;
            sendIntx("the device asserted INTx; the kernel masked it");
            return true;
        }
        return false;
    }

    /** Why an asserted INTx signalled nothing: a trace event, and a note where a diagnosis will look. */
    private void intxSuppressed(boolean wasAsserted) {
        String source = "INTx";
        String outcome = wasAsserted ? "not signalled (the line was still asserted)" : "not signalled";
        if (type != VFIO_PCI_INTX_IRQ_INDEX) {
            suppressed(null, source, outcome, "INTx is not enabled (" + (type == NONE ? "no interrupt index is enabled"
                    : typeName() + " is") + "); enable it with VFIO_DEVICE_SET_IRQS DATA_EVENTFD|ACTION_TRIGGER on the INTx index");
        } else if (ctx[0] == null) {
            suppressed(null, source, outcome, "no eventfd is bound to INTx (it was enabled with fd -1)");
        } else if (virqDisabled()) {
            suppressed(ctx[0], source, outcome, DISINTX);
        } else if (intxMasked) {
            suppressed(ctx[0], source, outcome, intxMaskedBy.isEmpty() ? AUTOMASKED : intxMaskedBy);
        } else {
            suppressed(ctx[0], source, outcome, DISINTX);
        }
    }

    /** Records an interrupt that did not reach an eventfd: counted against {@code target}, or the function's unrouted history. */
    private void suppressed(EventFdFile target, String what, String outcome, String reason) {
        (target != null ? target.history : unrouted).note(what + " of " + bdf(), outcome, reason);
        kernel.event(label(), what, () -> outcome + ": " + reason);
    }

    /** How the diagnosis names where {@code e} is bound on this function ({@code "MSI vector 0 of 0000:01:00.0"}). */
    public List<String> bindingsOf(EventFdFile e) {
        List<String> out = new ArrayList<>();
        for (int v = 0; v < ctx.length; v++) {
            if (ctx[v] == e) {
                out.add(type == VFIO_PCI_INTX_IRQ_INDEX ? "INTx of " + bdf() : name(type) + " vector " + v + " of " + bdf());
            }
        }
        if (err == e) {
            out.add("ERR of " + bdf());
        }
        if (req == e) {
            out.add("REQ of " + bdf());
        }
        return out;
    }

    /**
     * Every trigger set through SET_IRQS that holds an eventfd, one line each, for {@code
     * SimulatedKernel.resources()}: {@code 0000:01:00.0 MSI vector 0 -> fd 6 (eventfd)}, INTx, ERR,
     * REQ, and the INTx unmask eventfd ({@code vfio_virqfd}) as {@code INTx unmask <- fd 7 (eventfd)}.
     */
    public List<String> armed() {
        List<String> out = new ArrayList<>();
        for (int v = 0; v < ctx.length; v++) {
            if (ctx[v] != null) {
                out.add(bdf() + " " + (type == VFIO_PCI_INTX_IRQ_INDEX ? "INTx" : name(type) + " vector " + v) + " -> "
                        + kernel.describeEventFd(ctx[v]));
            }
        }
        if (unmaskEventfd != null) {
            out.add(bdf() + " INTx unmask <- " + kernel.describeEventFd(unmaskEventfd));
        }
        if (err != null) {
            out.add(bdf() + " ERR -> " + kernel.describeEventFd(err));
        }
        if (req != null) {
            out.add(bdf() + " REQ -> " + kernel.describeEventFd(req));
        }
        return out;
    }

    // ---- MSI / MSI-X ----

    private int msiTrigger(int index, int start, int count, int data, UserArg arg) throws KernelError {
        boolean msix = index == VFIO_PCI_MSIX_IRQ_INDEX;
        if (type == index && count == 0 && data == VFIO_IRQ_SET_DATA_NONE) {
            msiDisable();
            return 0;
        }
        if (!(type == index || type == NONE)) {
            throw KernelError.of(Errno.EINVAL, typeName() + " is enabled: INTx, MSI and MSI-X exclude each other; disable it first"
                    + " (vfio_pci_set_msi_trigger)");
        }
        if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
            if (type == index) {
                return setBlock(start, count, arg, msix);
            }
            int nvec = start + count;
            if (nvec == 0) {
                throw KernelError.of(Errno.ERANGE, "enabling " + name(index) + " with no vectors (start + count = 0): the allocator's"
                        + " maximum is below its minimum of 1 (pci_alloc_irq_vectors in vfio_msi_enable)");
            }
            int granted = Math.min(nvec, kernel.facts().irqVectorLimit());
            if (granted < nvec) {
                kernel.event(label(), name(index), "asked for " + nvec + " vectors, the platform grants " + granted + ": nothing enabled");
                return granted; // vfio_msi_enable: the number of vectors available, positive
            }
            type = index;
            ctx = new EventFdFile[nvec];
            msiPending = new boolean[nvec];
            if (msix) {
                programMsix(true);
            } else {
                int qmax = 32 - Integer.numberOfLeadingZeros(nvec * 2 - 1) - 1;
                f.vconfig.msiQmax = qmax;
                f.vconfig.msiActive = true;
                msi().enableMsi(qmax);
            }
            try {
                return setBlock(start, count, arg, msix);
            } catch (KernelError e) {
                msiDisable();
                throw e;
            }
        }
        // 6.5+ (xarray contexts): no range check, vectors without a context are skipped
        boolean dynamic = kernel.profile().hasDynamicMsix();
        if (type != index || (!dynamic && start + count > ctx.length)) {
            throw KernelError.of(Errno.EINVAL, type != index ? name(index) + " is not enabled: a loop-back trigger needs an enabled"
                    + " index (vfio_pci_set_msi_trigger)" : String.format("vectors [%d, %d) pass the %d enabled (vfio_pci_set_msi_trigger)",
                    start, start + count, ctx.length));
        }
        for (int i = start; i < start + count; i++) {
            if (i >= ctx.length || ctx[i] == null) {
                continue;
            }
            if (data == VFIO_IRQ_SET_DATA_NONE || boolAt(arg, i - start)) {
                EventFdFile e = ctx[i];
                kernel.event(label(), name(index) + " vector " + i, () -> "loop-back trigger -> " + kernel.describeEventFd(e));
                kernel.signal(ctx[i]);
            }
        }
        return 0;
    }

    /**
     * {@code vfio_msi_set_block}: a range past the enabled vectors is refused up front (NORESIZE);
     * otherwise fds for [start, start+count), and if one fails the vectors set so far lose their trigger.
     */
    private int setBlock(int start, int count, UserArg arg, boolean msix) throws KernelError {
        if (!kernel.profile().hasDynamicMsix() && (start >= ctx.length || start + count > ctx.length)) {
            throw KernelError.of(Errno.EINVAL, String.format("vectors [%d, %d) pass the %d enabled; the count cannot grow without"
                    + " disabling (NORESIZE) (vfio_msi_set_block)", start, start + count, ctx.length));
        }
        int j = start;
        try {
            for (int i = 0; i < count; i++, j++) {
                setVectorSignal(j, eventfdAt(arg, i), msix);
            }
        } catch (KernelError e) {
            for (--j; j >= start; j--) {
                if (j < ctx.length) {
                    ctx[j] = null;
                    maskVector(j, msix, true);
                }
            }
            throw e;
        }
        return 0;
    }

    private void setVectorSignal(int vector, int fd, boolean msix) throws KernelError {
        if (vector >= ctx.length) {
            if (kernel.profile().hasDynamicMsix()) {
                if (fd < 0) {
                    return; // no context to release, none wanted
                }
                if (!msix || vector >= msi().msixTableEntries()) {
                    throw KernelError.of(Errno.EINVAL, "vector " + vector + " is beyond the " + ctx.length + " allocated and cannot be"
                            + " added: " + (msix ? "past the MSI-X table" : "MSI cannot allocate vectors after enabling")
                            + " (vfio_msi_alloc_irq)");
                }
                growMsix(vector + 1); // pci_msix_alloc_irq_at
            } else {
                throw KernelError.of(Errno.EINVAL, "vector " + vector + " is beyond the " + ctx.length + " enabled; the count cannot grow"
                        + " without disabling (NORESIZE) (vfio_msi_set_vector_signal)");
            }
        }
        ctx[vector] = null;
        maskVector(vector, msix, true); // free_irq masks the vector
        if (fd < 0) {
            return;
        }
        ctx[vector] = eventfd(fd);
        maskVector(vector, msix, false); // request_irq unmasks it: a pending message goes out now
        deliverPending(vector, msix);
    }

    /** Dynamic MSI-X: the vectors up to {@code n} are allocated and their table entries programmed. */
    private void growMsix(int n) {
        int old = ctx.length;
        ctx = java.util.Arrays.copyOf(ctx, n);
        msiPending = java.util.Arrays.copyOf(msiPending, n);
        for (int v = old; v < n; v++) {
            msi().writeMsixEntry(v, HOST_MSI_ADDRESS, 0, HOST_MSI_DATA_BASE + v);
        }
    }

    private void msiDisable() {
        boolean msix = type == VFIO_PCI_MSIX_IRQ_INDEX;
        if (msix) {
            programMsix(false);
        } else if (f.vconfig != null) {
            f.vconfig.msiActive = false;
            msi().disableMsi();
        }
        ctx = new EventFdFile[0];
        msiPending = new boolean[0];
        type = NONE;
    }

    /** The host programs the MSI-X capability and table when it enables or disables MSI-X. */
    private void programMsix(boolean enable) {
        msi().setMsixEnabled(enable);
        if (enable) {
            for (int v = 0; v < ctx.length; v++) {
                msi().writeMsixEntry(v, HOST_MSI_ADDRESS, 0, HOST_MSI_DATA_BASE + v);
            }
        }
    }

    /** {@code free_irq} masks a vector, {@code request_irq} unmasks it (the PCI core writes the device's mask bit). */
    private void maskVector(int vector, boolean msix, boolean masked) {
        msi().setMasked(vector, msix, masked);
    }

    /** Whether a message of {@code vector} is held back: masked in the device, or, where it cannot mask, no eventfd bound. */
    private boolean vectorMasked(int vector, boolean msix) {
        return msi().canMask(msix) ? msi().masked(vector, msix) : ctx[vector] == null;
    }

    private void setPending(int vector, boolean msix, boolean pending) {
        if (!msix) {
            msiPending[vector] = pending;
        }
        msi().setPending(vector, msix, pending);
    }

    private boolean pending(int vector, boolean msix) {
        return msix ? msi().msixPending(vector) : msiPending[vector];
    }

    private void deliverPending(int vector, boolean msix) {
        if (pending(vector, msix) && !vectorMasked(vector, msix) && ctx[vector] != null) {
            setPending(vector, msix, false);
            EventFdFile e = ctx[vector];
            kernel.event(label(), name(type) + " vector " + vector, () -> "pending message delivered on unmask -> " + kernel.describeEventFd(e));
            kernel.signal(e);
        }
    }

    /** The device sends an MSI or MSI-X message for {@code vector}: delivered, or pending while masked. */
    void message(int vector) {
        boolean enabled = type == VFIO_PCI_MSI_IRQ_INDEX || type == VFIO_PCI_MSIX_IRQ_INDEX;
        boolean msix = type == VFIO_PCI_MSIX_IRQ_INDEX;
        boolean inRange = enabled && vector >= 0 && vector < ctx.length;
        if ((hw().u16(COMMAND) & COMMAND_MASTER) == 0) {
            suppressed(inRange ? ctx[vector] : null, vectorName(msix, vector), "dropped", NO_MASTER);
            return;
        }
        if (hw().dmaFrozen()) {
            suppressed(inRange ? ctx[vector] : null, vectorName(msix, vector), "dropped", FROZEN);
            return;
        }
        if (!enabled) {
            suppressed(null, vectorName(msix, vector), "dropped", "neither MSI nor MSI-X is enabled (" + (type == NONE ? "no interrupt index is enabled"
                    : typeName() + " is") + "); enable MSI with VFIO_DEVICE_SET_IRQS DATA_EVENTFD|ACTION_TRIGGER on the MSI index");
            return;
        }
        if (!inRange) {
            suppressed(null, vectorName(msix, vector), "dropped", "the vector is not enabled (" + ctx.length + " " + name(type) + " vector"
                    + (ctx.length == 1 ? " is" : "s are") + ")");
            return;
        }
        for (int v = 0; v < ctx.length; v++) {
            deliverPending(v, msix); // the table may have been unmasked through a mapping since
        }
        if (vectorMasked(vector, msix)) {
            setPending(vector, msix, true);
            String why = msix && msi().functionMasked()
                    ? "the MSI-X Function Mask bit is set in the message control register"
                    : ctx[vector] == null ? "no eventfd is bound to the vector, and the kernel keeps such a vector masked; the message"
                            + " is delivered when one is bound"
                    : "the vector is masked (" + (msix ? "the Mask bit of its MSI-X table entry" : "its bit in the MSI mask register")
                            + "); the message is delivered when it is unmasked";
            suppressed(ctx[vector], vectorName(msix, vector), "held pending", why);
        } else if (ctx[vector] != null) {
            EventFdFile e = ctx[vector];
            kernel.event(label(), name(type) + " vector " + vector, () -> "the device sent a message -> " + kernel.describeEventFd(e));
            kernel.signal(e);
        } else {
            suppressed(null, vectorName(msix, vector), "dropped", "no eventfd is bound to the vector");
        }
    }

    private static String vectorName(boolean msix, int vector) {
        return (msix ? "MSI-X vector " : "MSI vector ") + vector;
    }

    // ---- ERR / REQ ----

    /** {@code vfio_pci_set_ctx_trigger_single}. */
    private int ctxTriggerSingle(int index, int start, int count, int data, UserArg arg) throws KernelError {
        if (start != 0 || count > 1) {
            throw KernelError.of(Errno.EINVAL, name(index) + " has one vector: start 0, count 0 or 1 (vfio_pci_set_" + name(index).toLowerCase()
                    + "_trigger)");
        }
        EventFdFile current = index == VFIO_PCI_ERR_IRQ_INDEX ? err : req;
        if (data == VFIO_IRQ_SET_DATA_NONE) {
            if (current != null) {
                if (count != 0) {
                    kernel.event(label(), name(index), () -> "loop-back trigger -> " + kernel.describeEventFd(current));
                    kernel.signal(current);
                } else {
                    setSingle(index, null);
                }
                return 0;
            }
            throw KernelError.of(Errno.EINVAL, name(index) + " has no eventfd: DATA_NONE can neither trigger nor release"
                    + " (vfio_pci_set_ctx_trigger_single)");
        }
        if (count == 0) {
            throw KernelError.of(Errno.EINVAL, "DATA_BOOL and DATA_EVENTFD need count 1 (vfio_pci_set_ctx_trigger_single)");
        }
        if (data == VFIO_IRQ_SET_DATA_BOOL) {
            if (boolAt(arg, 0) && current != null) {
                kernel.event(label(), name(index), () -> "loop-back trigger -> " + kernel.describeEventFd(current));
                kernel.signal(current);
            }
            return 0;
        }
        int fd = eventfdAt(arg, 0);
        if (fd == -1) {
            setSingle(index, null);
        } else if (fd >= 0) {
            setSingle(index, eventfd(fd));
        } else if (kernel.profile().refusesBadErrReqEventfd()) {
            throw KernelError.of(Errno.EINVAL, "fd " + fd + " is neither an eventfd nor -1 (to release) (vfio_pci_set_ctx_trigger_single)");
        } // before 6.12's stable series an fd below -1 was ignored
        return 0;
    }

    private void setSingle(int index, EventFdFile e) {
        if (index == VFIO_PCI_ERR_IRQ_INDEX) {
            err = e;
        } else {
            req = e;
        }
    }

    /** Whether a REQ eventfd is set. */
    public boolean hasRequestTrigger() {
        return req != null;
    }

    /** Whether an ERR eventfd is set. */
    public boolean hasErrorTrigger() {
        return err != null;
    }

    /** The host wants the device back ({@code vfio_pci_core_request}): REQ is signalled; false if nobody listens. */
    public boolean request() {
        if (req == null) {
            return false;
        }
        kernel.event(label(), "REQ", () -> "the host asks for the device back -> " + kernel.describeEventFd(req));
        kernel.signal(req);
        return true;
    }

    /** An AER error was detected ({@code vfio_pci_aer_err_detected}): ERR is signalled; false if nobody listens. */
    public boolean error() {
        if (err == null) {
            return false;
        }
        kernel.event(label(), "ERR", () -> "AER error detected -> " + kernel.describeEventFd(err));
        kernel.signal(err);
        return true;
    }

    /** Last close: everything torn down ({@code vfio_pci_core_close_device}). */
    void teardown() {
        if (type == VFIO_PCI_INTX_IRQ_INDEX) {
            intxDisable();
        } else if (type != NONE) {
            msiDisable();
        }
        err = null;
        req = null;
    }
}
