package org.vfio4j.sim.eeh;

import static org.vfio4j.uapi.VfioStructs.vfio_eeh_pe_err;
import static org.vfio4j.uapi.VfioStructs.vfio_eeh_pe_op;
import static org.vfio4j.uapi.VfioUapi.*;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.vfio4j.Errno;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.PowerFacts;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.UserArg;

/**
 * The EEH subsystem of a POWER host: the PEs (one per IOMMU group), their states, and the hooks
 * the sPAPR TCE IOMMU, vfio-pci and the IOMMU's DMA path ask. A host without EEH (EEH off, or
 * not a POWER host) has none.
 *
 * <p>Modelled on Linux 6.12 powernv with a PHB4: {@code vfio_spapr_ioctl_eeh_pe_op} ({@code
 * drivers/vfio/vfio_iommu_spapr_tce.c}), {@code eeh_pe_set_option}, {@code eeh_pe_get_state},
 * {@code eeh_pe_reset}, {@code eeh_pe_configure}, {@code eeh_pe_inject_err}, {@code
 * eeh_dev_open}/{@code eeh_dev_release} ({@code arch/powerpc/kernel/eeh.c}) over {@code
 * pnv_eeh_*} ({@code arch/powerpc/platforms/powernv/eeh-powernv.c}) and skiboot's {@code phb4}
 * freeze and injection calls. Where the simulator had to choose:
 * <ul>
 * <li>an error the PHB detects freezes MMIO and DMA together, as an ER error freezes a PE;</li>
 * <li>INJECT_ERR of a config function freezes the PE at once; the real injection arms the PHB so
 * that the next matching config access fails and freezes it. PHB4 firmware supports no other
 * function ({@code phb4_err_inject_mem32/mem64/dma} answer OPAL_UNSUPPORTED, I/O functions
 * OPAL_PARAMETER), so those are EIO, as {@code pnv_eeh_err_inject} turns every OPAL failure;</li>
 * <li>the host's own recovery of a PE nobody has open (the EEH event thread) is not modelled: such
 * a PE stays frozen until a function of it is opened ({@code eeh_dev_open} thaws it);</li>
 * <li>the devices {@code eeh_pe_change_owner} resets instead of thawing (a few Emulex and
 * Broadcom adapters in {@code eeh_reset_ids}) and those whose config space EEH blocks while frozen
 * ({@code EEH_PE_CFG_RESTRICTED}) are treated like any other.</li>
 * </ul>
 */
public final class Eeh {
    /** {@code EEH_ERR_TYPE_32} and {@code EEH_ERR_TYPE_64} ({@code arch/powerpc/include/uapi/asm/eeh.h}). */
    static final int EEH_ERR_TYPE_32 = 0;
    static final int EEH_ERR_TYPE_64 = 1;
    /** {@code EEH_ERR_FUNC_MIN} and {@code EEH_ERR_FUNC_MAX} ({@code uapi/asm/eeh.h}): load/store/DMA functions 0-19. */
    static final int EEH_ERR_FUNC_MIN = 0;
    static final int EEH_ERR_FUNC_MAX = 19;
    /** {@code EEH_ERR_FUNC_LD_CFG_ADDR}, {@code _LD_CFG_DATA}, {@code _ST_CFG_ADDR}, {@code _ST_CFG_DATA}: the config functions. */
    static final int EEH_ERR_FUNC_LD_CFG_ADDR = 4;
    static final int EEH_ERR_FUNC_LD_CFG_DATA = 5;
    static final int EEH_ERR_FUNC_ST_CFG_ADDR = 10;
    static final int EEH_ERR_FUNC_ST_CFG_DATA = 11;

    /** The VFIO_EEH_PE_* op names, by value, for the trace. */
    private static final String[] OP_NAMES = {"DISABLE", "ENABLE", "UNFREEZE_IO", "UNFREEZE_DMA", "GET_STATE", "RESET_DEACTIVATE",
        "RESET_HOT", "RESET_FUNDAMENTAL", "CONFIGURE", "INJECT_ERR"};

    private final KernelServices kernel;
    private final PowerFacts phb;
    private final Map<Integer, EehPe> pes = new TreeMap<>();
    private final Map<PciAddress, EehPe> peOfFunction = new HashMap<>();

    /**
     * The EEH of a host behind {@code phb}.
     *
     * @param kernel the kernel, for the trace
     * @param phb    the host's PHB, or null on a host that is not a POWER host (then EEH is off)
     */
    public Eeh(KernelServices kernel, PowerFacts phb) {
        this.kernel = kernel;
        this.phb = phb;
    }

    /** {@code eeh_enabled()}: the answer to CHECK_EXTENSION(VFIO_EEH) on an sPAPR container. */
    public boolean enabled() {
        return phb != null && phb.eehEnabled();
    }

    /**
     * The PHB probes a function ({@code eeh_probe_device} from {@code pnv_pcibios_bus_add_device}):
     * it joins the PE of its IOMMU group. With EEH off no PE is made, and every EEH op then finds
     * none (ENODEV), as a pseries 6.12 guest without EEH answers.
     *
     * @param group    the function's IOMMU group
     * @param function the function, for the resets of the PE
     * @return its PE, or empty with EEH off
     */
    public Optional<EehPe> probe(int group, PeFunction function) {
        if (!enabled()) {
            return Optional.empty();
        }
        EehPe pe = pes.computeIfAbsent(group, g -> new EehPe(g, phb.eehFreezes(), kernel));
        pe.functions.add(function);
        peOfFunction.put(function.address(), pe);
        return Optional.of(pe);
    }

    /** The PE of IOMMU group {@code group} ({@code eeh_iommu_group_to_pe}), if it has one. */
    public Optional<EehPe> pe(int group) {
        return Optional.ofNullable(pes.get(group));
    }

    /**
     * VFIO_EEH_PE_OP for the PE of {@code group} ({@code vfio_spapr_ioctl_eeh_pe_op}), in the
     * kernel's order: no PE is ENODEV; {@code copy_from_user} of the first 12 bytes (EFAULT);
     * {@code argsz} below 12 or any {@code flags} is EINVAL; then the op:
     * <ul>
     * <li>DISABLE: nothing ({@code eeh_pe_set_option(EEH_OPT_DISABLE)} returns 0);</li>
     * <li>ENABLE: {@code eeh_pe_change_owner}: a frozen PE is thawed;</li>
     * <li>UNFREEZE_IO, UNFREEZE_DMA: thaw MMIO or DMA ({@code eeh_pci_enable}), 0 if already thawed;</li>
     * <li>GET_STATE: the state as the result ({@link EehPe#vfioState()});</li>
     * <li>RESET_HOT, RESET_FUNDAMENTAL: freeze, block config access, reset every function;</li>
     * <li>RESET_DEACTIVATE: unblock config access, restore the functions, thaw;</li>
     * <li>CONFIGURE: nothing ({@code eeh_pe_configure} returns 0 for an existing PE);</li>
     * <li>INJECT_ERR: {@code argsz} below 40 is EINVAL, then {@code copy_from_user} of 40 bytes,
     * {@code err.type} not 32- or 64-bit or {@code err.func} outside 0-19 is EINVAL; then the
     * PHB's answer: on a PHB that freezes, a config function freezes the PE and the others are EIO
     * (PHB4 firmware injects config errors only); on QEMU's PHB4 every injection is EIO (OPAL
     * answered -7, OPAL_UNSUPPORTED, in the lane);</li>
     * <li>anything else is EINVAL.</li>
     * </ul>
     *
     * @param group the IOMMU group, one of the container's
     * @param arg   a {@code struct vfio_eeh_pe_op}
     * @param call  the call, for the trace
     * @return the op's result: the state for GET_STATE, else 0
     * @throws KernelError the op's errno and the rule it broke
     */
    public int peOp(int group, UserArg arg, SyscallContext call) throws KernelError {
        EehPe pe = pes.get(group);
        if (pe == null) {
            throw KernelError.of(Errno.ENODEV, "group " + group + " has no EEH PE (" + (phb == null ? "not a POWER host"
                    : "EEH is off on this host") + "; eeh_iommu_group_to_pe finds none in vfio_spapr_ioctl_eeh_pe_op)");
        }
        int minsz = vfio_eeh_pe_op.op + Integer.BYTES; // offsetofend(struct vfio_eeh_pe_op, op)
        int argsz = arg.copyIn(minsz, "struct vfio_eeh_pe_op");
        int flags = arg.u32(vfio_eeh_pe_op.flags);
        int op = arg.u32(vfio_eeh_pe_op.op);
        call.describe(() -> "{argsz=" + Integer.toUnsignedString(argsz) + ", flags=0x" + Integer.toHexString(flags) + ", op=" + opName(op) + "}");
        if (Integer.compareUnsigned(argsz, minsz) < 0 || flags != 0) {
            throw KernelError.of(Errno.EINVAL, (flags != 0 ? "flags must be 0, not 0x" + Integer.toHexString(flags)
                    : "argsz " + Integer.toUnsignedString(argsz) + " is below offsetofend(struct vfio_eeh_pe_op, op) = " + minsz)
                    + " (vfio_spapr_ioctl_eeh_pe_op)");
        }
        return switch (op) {
            case VFIO_EEH_PE_DISABLE, VFIO_EEH_PE_CONFIGURE -> 0; // eeh_pe_set_option(EEH_OPT_DISABLE), eeh_pe_configure
            case VFIO_EEH_PE_ENABLE -> {
                changeOwner(pe, "VFIO_EEH_PE_ENABLE: eeh_pe_change_owner");
                yield 0;
            }
            case VFIO_EEH_PE_UNFREEZE_IO -> {
                pe.thawMmio("VFIO_EEH_PE_UNFREEZE_IO");
                yield 0;
            }
            case VFIO_EEH_PE_UNFREEZE_DMA -> {
                pe.thawDma("VFIO_EEH_PE_UNFREEZE_DMA");
                yield 0;
            }
            case VFIO_EEH_PE_GET_STATE -> {
                int state = pe.vfioState();
                call.describe(() -> "{argsz=" + Integer.toUnsignedString(argsz) + ", flags=0x0, op=GET_STATE} -> " + stateName(state));
                yield state;
            }
            case VFIO_EEH_PE_RESET_HOT, VFIO_EEH_PE_RESET_FUNDAMENTAL -> {
                pe.assertReset(op == VFIO_EEH_PE_RESET_FUNDAMENTAL);
                yield 0;
            }
            case VFIO_EEH_PE_RESET_DEACTIVATE -> {
                pe.deassertReset();
                yield 0;
            }
            case VFIO_EEH_PE_INJECT_ERR -> injectError(pe, arg, argsz, call);
            default -> throw KernelError.of(Errno.EINVAL, "op " + Integer.toUnsignedString(op) + " is not a VFIO_EEH_PE_* op (0-9)"
                    + " (vfio_spapr_ioctl_eeh_pe_op)");
        };
    }

    /** VFIO_EEH_PE_INJECT_ERR: {@code vfio_spapr_ioctl_eeh_pe_op}'s second copy, {@code eeh_pe_inject_err}, {@code pnv_eeh_err_inject}. */
    private int injectError(EehPe pe, UserArg arg, int argsz, SyscallContext call) throws KernelError {
        int minsz = vfio_eeh_pe_op.err + vfio_eeh_pe_err.mask + Long.BYTES; // offsetofend(struct vfio_eeh_pe_op, err.mask)
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + Integer.toUnsignedString(argsz) + " is below offsetofend(struct"
                    + " vfio_eeh_pe_op, err.mask) = " + minsz + ": INJECT_ERR needs the error (vfio_spapr_ioctl_eeh_pe_op)");
        }
        arg.checkReadable(0, minsz, "struct vfio_eeh_pe_op");
        int type = arg.u32(vfio_eeh_pe_op.err + vfio_eeh_pe_err.type);
        int func = arg.u32(vfio_eeh_pe_op.err + vfio_eeh_pe_err.func);
        long addr = arg.u64(vfio_eeh_pe_op.err + vfio_eeh_pe_err.addr);
        long mask = arg.u64(vfio_eeh_pe_op.err + vfio_eeh_pe_err.mask);
        call.describe(() -> String.format("{argsz=%s, flags=0x0, op=INJECT_ERR, err={type=%d, func=%d, addr=0x%x, mask=0x%x}}",
                Integer.toUnsignedString(argsz), type, func, addr, mask));
        if (type != EEH_ERR_TYPE_32 && type != EEH_ERR_TYPE_64) {
            throw KernelError.of(Errno.EINVAL, "err.type " + type + " is neither EEH_ERR_TYPE_32 (0) nor EEH_ERR_TYPE_64 (1)"
                    + " (eeh_pe_inject_err)");
        }
        if (func < EEH_ERR_FUNC_MIN || func > EEH_ERR_FUNC_MAX) { // int compare, as the kernel's: 0xffffffff is -1
            throw KernelError.of(Errno.EINVAL, "err.func " + func + " is outside EEH_ERR_FUNC_MIN..EEH_ERR_FUNC_MAX (0-19)"
                    + " (eeh_pe_inject_err)");
        }
        if (!phb.eehFreezes()) {
            throw KernelError.of(Errno.EIO, "QEMU's PHB4 refuses the injection: opal_pci_err_inject returns OPAL_UNSUPPORTED (-7),"
                    + " which pnv_eeh_err_inject makes EIO (seen on the powernv9 lane)");
        }
        boolean config = func == EEH_ERR_FUNC_LD_CFG_ADDR || func == EEH_ERR_FUNC_LD_CFG_DATA
                || func == EEH_ERR_FUNC_ST_CFG_ADDR || func == EEH_ERR_FUNC_ST_CFG_DATA;
        if (!config) {
            throw KernelError.of(Errno.EIO, "PHB4 firmware injects config errors only (functions 4, 5, 10, 11): function " + func
                    + " is OPAL_UNSUPPORTED or OPAL_PARAMETER in phb4_err_inject, which pnv_eeh_err_inject makes EIO");
        }
        pe.freeze("VFIO_EEH_PE_INJECT_ERR of config function " + func);
        return 0;
    }

    /** Whether the PE of {@code function} has MMIO frozen: BAR loads answer all ones, stores are dropped. */
    public boolean mmioFrozen(PciAddress function) {
        EehPe pe = peOfFunction.get(function);
        return pe != null && pe.mmioFrozen();
    }

    /** Whether the PE of {@code function} has DMA frozen: the IOMMU blocks its transfers. */
    public boolean dmaFrozen(PciAddress function) {
        EehPe pe = peOfFunction.get(function);
        return pe != null && pe.dmaFrozen();
    }

    /**
     * The PHB detected an error of {@code function} ({@code what}, e.g. a DMA the TCE table refused):
     * on a PHB that freezes, its PE freezes, MMIO and DMA. Linux does not recover a PE a user has
     * open ({@code eeh_dev_check_failure} leaves a passed-through PE to its owner), so nothing is
     * signalled: the user sees all-ones reads and GET_STATE. QEMU's PHB4 never freezes: only the
     * trace notes the error.
     */
    public void errorDetected(PciAddress function, String what) {
        EehPe pe = peOfFunction.get(function);
        if (pe == null) {
            return;
        }
        if (phb.eehFreezes()) {
            pe.freeze(what + " of " + function);
        } else {
            kernel.event(pe, "EEH error", () -> what + " of " + function + ": QEMU's PHB4 never freezes a PE, so nothing changes");
        }
    }

    /**
     * vfio-pci opened {@code function} ({@code eeh_dev_open} from {@code vfio_pci_core_finish_enable}):
     * a frozen PE is thawed first ({@code eeh_pe_change_owner}), then the PE counts one more
     * function passed through. vfio-pci ignores the result, as the simulator does.
     */
    public void deviceOpened(PciAddress function) {
        EehPe pe = peOfFunction.get(function);
        if (pe != null) {
            changeOwner(pe, "eeh_dev_open of " + function + ": eeh_pe_change_owner");
            pe.opened();
        }
    }

    /**
     * vfio-pci released {@code function} ({@code eeh_dev_release} from {@code
     * vfio_pci_core_close_device}, before it disables the function): one fewer passed through, and
     * a frozen PE is thawed ({@code eeh_pe_change_owner}). A config block from a reset the user
     * never deactivated stays: only RESET_DEACTIVATE lifts it.
     */
    public void deviceReleased(PciAddress function) {
        EehPe pe = peOfFunction.get(function);
        if (pe != null && pe.released()) {
            changeOwner(pe, "eeh_dev_release of " + function + ": eeh_pe_change_owner");
        }
    }

    /** {@code eeh_pe_change_owner}: a PE not fully working (by its state) is thawed ({@code eeh_unfreeze_pe}). */
    private static void changeOwner(EehPe pe, String why) {
        if (pe.vfioState() != VFIO_EEH_PE_STATE_NORMAL) {
            pe.thaw(why);
        }
    }

    private static String opName(int op) {
        return op >= 0 && op < OP_NAMES.length ? OP_NAMES[op] : Integer.toUnsignedString(op);
    }

    private static String stateName(int state) {
        return switch (state) {
            case VFIO_EEH_PE_STATE_NORMAL -> "NORMAL (0)";
            case VFIO_EEH_PE_STATE_RESET -> "RESET (1)";
            case VFIO_EEH_PE_STATE_STOPPED -> "STOPPED (2)";
            case VFIO_EEH_PE_STATE_STOPPED_DMA -> "STOPPED_DMA (4)";
            default -> "UNAVAIL (5)";
        };
    }
}
