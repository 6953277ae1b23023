package org.vfio4j;

/**
 * An error for VFIO_EEH_PE_OP(INJECT_ERR) ({@code struct vfio_eeh_pe_err}): the platform makes the
 * PE see a failure of {@code function} at {@code addr} (bits selected by {@code mask}), which
 * normally freezes it. The kernel ({@code eeh_pe_inject_err}) refuses a type or function outside
 * the ranges below with {@code EINVAL} and a platform without injection with {@code ENOENT}; the
 * platform firmware may refuse the rest.
 *
 * @param type     32-bit or 64-bit address space
 * @param function what access fails
 * @param addr     the address the error is tied to
 * @param mask     which bits of {@code addr} must match
 */
public record EehError(Type type, Function function, long addr, long mask) {

    /** Both constants are required ({@link IllegalArgumentException} for null). */
    public EehError {
        FdHandle.required(type, "the error type");
        FdHandle.required(function, "the error function");
    }

    /** {@code EEH_ERR_TYPE_*} of {@code <asm/eeh.h>} (POWER only, so not in {@code org.vfio4j.uapi}). */
    public enum Type {
        /** EEH_ERR_TYPE_32 (0): an error in the 32-bit address space. */
        BITS_32(0),
        /** EEH_ERR_TYPE_64 (1): an error in the 64-bit address space. */
        BITS_64(1);

        private final int number;

        Type(int number) {
            this.number = number;
        }

        /** The {@code type} value the kernel receives. */
        public int number() {
            return number;
        }
    }

    /** {@code EEH_ERR_FUNC_*} of {@code <asm/eeh.h>}: which kind of access fails, and on what. */
    public enum Function {
        /** EEH_ERR_FUNC_LD_MEM_ADDR (0): memory load, address phase. */
        LD_MEM_ADDR(0),
        /** EEH_ERR_FUNC_LD_MEM_DATA (1): memory load, data phase. */
        LD_MEM_DATA(1),
        /** EEH_ERR_FUNC_LD_IO_ADDR (2): I/O load, address phase. */
        LD_IO_ADDR(2),
        /** EEH_ERR_FUNC_LD_IO_DATA (3): I/O load, data phase. */
        LD_IO_DATA(3),
        /** EEH_ERR_FUNC_LD_CFG_ADDR (4): config load, address phase. */
        LD_CFG_ADDR(4),
        /** EEH_ERR_FUNC_LD_CFG_DATA (5): config load, data phase. */
        LD_CFG_DATA(5),
        /** EEH_ERR_FUNC_ST_MEM_ADDR (6): memory store, address phase. */
        ST_MEM_ADDR(6),
        /** EEH_ERR_FUNC_ST_MEM_DATA (7): memory store, data phase. */
        ST_MEM_DATA(7),
        /** EEH_ERR_FUNC_ST_IO_ADDR (8): I/O store, address phase. */
        ST_IO_ADDR(8),
        /** EEH_ERR_FUNC_ST_IO_DATA (9): I/O store, data phase. */
        ST_IO_DATA(9),
        /** EEH_ERR_FUNC_ST_CFG_ADDR (10): config store, address phase. */
        ST_CFG_ADDR(10),
        /** EEH_ERR_FUNC_ST_CFG_DATA (11): config store, data phase. */
        ST_CFG_DATA(11),
        /** EEH_ERR_FUNC_DMA_RD_ADDR (12): DMA read, address phase. */
        DMA_RD_ADDR(12),
        /** EEH_ERR_FUNC_DMA_RD_DATA (13): DMA read, data phase. */
        DMA_RD_DATA(13),
        /** EEH_ERR_FUNC_DMA_RD_MASTER (14): DMA read, master abort. */
        DMA_RD_MASTER(14),
        /** EEH_ERR_FUNC_DMA_RD_TARGET (15): DMA read, target abort. */
        DMA_RD_TARGET(15),
        /** EEH_ERR_FUNC_DMA_WR_ADDR (16): DMA write, address phase. */
        DMA_WR_ADDR(16),
        /** EEH_ERR_FUNC_DMA_WR_DATA (17): DMA write, data phase. */
        DMA_WR_DATA(17),
        /** EEH_ERR_FUNC_DMA_WR_MASTER (18): DMA write, master abort. */
        DMA_WR_MASTER(18),
        /** EEH_ERR_FUNC_DMA_WR_TARGET (19): DMA write, target abort. */
        DMA_WR_TARGET(19);

        private final int number;

        Function(int number) {
            this.number = number;
        }

        /** The {@code func} value the kernel receives. */
        public int number() {
            return number;
        }
    }
}
