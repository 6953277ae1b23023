package org.vfio4j;

import org.vfio4j.uapi.VfioUapi;

/**
 * The state of a PE as VFIO_EEH_PE_OP(GET_STATE) returns it ({@code VFIO_EEH_PE_STATE_*}, mapped by
 * {@code eeh_pe_get_state} from what the platform reports). A frozen PE reads as all ones from
 * MMIO and config space, drops stores and blocks DMA until it is thawed or reset.
 *
 * <p>Linux returns only the five states below; any other value (a newer kernel, a backend's bug)
 * is {@link #UNKNOWN}, not an exception, and {@link EehPe#op(EehOp)} with {@link EehOp#GET_STATE}
 * gives the raw number.
 */
public enum EehState {
    /** MMIO and DMA work. */
    NORMAL(VfioUapi.VFIO_EEH_PE_STATE_NORMAL),
    /** A reset is asserted. */
    RESET(VfioUapi.VFIO_EEH_PE_STATE_RESET),
    /** Frozen: MMIO and DMA stopped. */
    STOPPED(VfioUapi.VFIO_EEH_PE_STATE_STOPPED),
    /** DMA stopped, MMIO works (after UNFREEZE_IO of a frozen PE). */
    STOPPED_DMA(VfioUapi.VFIO_EEH_PE_STATE_STOPPED_DMA),
    /** Unavailable: DMA on but MMIO off, or the host is recovering a parent PE; ask again later. */
    UNAVAILABLE(VfioUapi.VFIO_EEH_PE_STATE_UNAVAIL),
    /** A value Linux does not return; {@link #number()} is {@code -1}. */
    UNKNOWN(-1);

    private final int number;

    EehState(int number) {
        this.number = number;
    }

    /** The VFIO_EEH_PE_STATE_* value ({@code -1} for {@link #UNKNOWN}). */
    public int number() {
        return number;
    }

    /** The state for a GET_STATE result; {@link #UNKNOWN} when Linux has no such state. */
    public static EehState of(int number) {
        for (EehState s : values()) {
            if (s != UNKNOWN && s.number == number) {
                return s;
            }
        }
        return UNKNOWN;
    }
}
