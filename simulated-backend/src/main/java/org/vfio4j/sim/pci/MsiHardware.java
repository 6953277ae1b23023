package org.vfio4j.sim.pci;

import static org.vfio4j.PciRegisters.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The device side of one function's message-signalled interrupts: what its MSI capability's mask
 * and pending registers hold (config space), and what its MSI-X table and Pending Bit Array hold
 * (device memory, each in the BAR its own BIR names: the Table BIR/offset and the PBA BIR/offset
 * of the capability are independent, so the two may sit in different BARs).
 *
 * <p>The host writes the Enable bits, the table entries and the mask bits (the PCI core's MSI code,
 * called by {@code vfio_pci_intrs.c}); the hardware sets a vector's pending bit when it has a
 * message for it while it is masked. vfio-pci keeps none of this: {@code vfio_pci_core_enable}
 * only records where the table is, to hide it from pread/pwrite, and the PBA is read through its
 * BAR like any device memory.
 */
final class MsiHardware {
    private final PciHardware hw;
    /** Where the MSI-X table is: BAR index or -1 without MSI-X, offset and length in bytes. */
    final int tableBar;
    final long tableOffset;
    final long tableSize;
    /** Where the Pending Bit Array is: BAR index or -1 without MSI-X, and offset. */
    private final int pbaBar;
    private final long pbaOffset;
    /** Why the model's MSI-X table or PBA lies outside its BARs, or null: MSI-X is then refused when used. */
    private final String misplacedMsix;

    /** Reads the table and PBA locations from the MSI-X capability of {@code hw} (read-only registers). */
    MsiHardware(PciHardware hw) {
        this.hw = hw;
        int msix = hw.capability(CAP_ID_MSIX);
        if (msix >= 0) {
            int table = hw.u32(msix + MSIX_TABLE);
            int pba = hw.u32(msix + MSIX_PBA);
            tableBar = table & MSIX_TABLE_BIR;
            tableOffset = table & ~MSIX_TABLE_BIR;
            tableSize = ((hw.u16(msix + MSIX_FLAGS) & MSIX_FLAGS_QSIZE) + 1) * (long) MSIX_ENTRY_SIZE;
            pbaBar = pba & MSIX_PBA_BIR;
            pbaOffset = pba & ~MSIX_PBA_BIR;
            String problem = misplaced("table", tableBar, tableOffset, tableSize);
            misplacedMsix = problem != null ? problem
                    : misplaced("PBA", pbaBar, pbaOffset, (tableSize / MSIX_ENTRY_SIZE + 63) / 64 * Long.BYTES);
        } else {
            tableBar = -1;
            tableOffset = 0;
            tableSize = 0;
            pbaBar = -1;
            pbaOffset = 0;
            misplacedMsix = null;
        }
    }

    /**
     * Why a model's MSI-X capability cannot work, or null: the hardware holds the table and the PBA
     * inside memory BARs, and the kernel reaches both through the BAR their BIR names. A model may
     * describe MSI-X it never uses (config-space tests do); the use is refused ({@link #msixBar}).
     */
    private String misplaced(String what, int bar, long offset, long size) {
        long memory = hw.barMemorySize(bar);
        if (memory == 0 || offset + size > memory) {
            return String.format("%s: the model's MSI-X %s (BIR %d, offset 0x%x, %d bytes) is not inside one of its memory"
                    + " BARs; fix the MSI-X capability of the model", hw.address(), what, bar, offset, size);
        }
        return null;
    }

    /** The memory of the BAR holding the MSI-X table or PBA, once the model is known to place them in BARs it has. */
    private MemorySegment msixBar(int bar) {
        if (misplacedMsix != null) {
            throw new IllegalStateException(misplacedMsix);
        }
        return hw.barMemory(bar);
    }

    // ---- what the host programs ----

    /** The host enables MSI: Enable set, Multiple Message Enable {@code 2^qmax} vectors. */
    void enableMsi(int qmax) {
        int cap = hw.capability(CAP_ID_MSI);
        hw.put(cap + MSI_FLAGS, 2, hw.u16(cap + MSI_FLAGS) & ~(MSI_FLAGS_QSIZE | MSI_FLAGS_ENABLE) | MSI_FLAGS_ENABLE | qmax << 4);
    }

    /** The host disables MSI: Enable cleared. */
    void disableMsi() {
        int cap = hw.capability(CAP_ID_MSI);
        hw.put(cap + MSI_FLAGS, 2, hw.u16(cap + MSI_FLAGS) & ~MSI_FLAGS_ENABLE);
    }

    /** The host enables or disables MSI-X: Enable follows {@code enable}, the Function Mask is cleared. */
    void setMsixEnabled(boolean enable) {
        int cap = hw.capability(CAP_ID_MSIX);
        hw.put(cap + MSIX_FLAGS, 2, hw.u16(cap + MSIX_FLAGS) & ~(MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL)
                | (enable ? MSIX_FLAGS_ENABLE : 0));
    }

    /** The MSI-X table's number of entries (0 without MSI-X). */
    int msixTableEntries() {
        return (int) (tableSize / MSIX_ENTRY_SIZE);
    }

    /** Whether the MSI-X capability's Enable bit is set in the hardware. */
    boolean msixEnabled() {
        int cap = hw.capability(CAP_ID_MSIX);
        return cap >= 0 && (hw.u16(cap + MSIX_FLAGS) & MSIX_FLAGS_ENABLE) != 0;
    }

    /**
     * The MSI-X table and PBA as a reset leaves them (PCI spec 6.8.2.9, QEMU's {@code msix_reset}):
     * every vector's address and data zero and its mask bit set, no bit pending. Nothing for a
     * function without MSI-X or with a misplaced table.
     */
    void resetMsixTable() {
        if (tableBar < 0 || misplacedMsix != null) {
            return;
        }
        MemorySegment table = hw.barMemory(tableBar);
        for (long at = tableOffset; at < tableOffset + tableSize; at += MSIX_ENTRY_SIZE) {
            table.asSlice(at, MSIX_ENTRY_SIZE).fill((byte) 0);
            table.set(ValueLayout.JAVA_INT_UNALIGNED, at + MSIX_ENTRY_VECTOR_CTRL, MSIX_ENTRY_CTRL_MASKBIT);
        }
        hw.barMemory(pbaBar).asSlice(pbaOffset, (tableSize / MSIX_ENTRY_SIZE + 63) / 64 * Long.BYTES).fill((byte) 0);
    }

    /** The host writes MSI-X table entry {@code vector}: message address and data, and the vector masked. */
    void writeMsixEntry(int vector, int addressLow, int addressHigh, int data) {
        MemorySegment table = msixBar(tableBar);
        long at = entry(vector);
        table.set(ValueLayout.JAVA_INT_UNALIGNED, at + MSIX_ENTRY_LOWER_ADDR, addressLow);
        table.set(ValueLayout.JAVA_INT_UNALIGNED, at + MSIX_ENTRY_UPPER_ADDR, addressHigh);
        table.set(ValueLayout.JAVA_INT_UNALIGNED, at + MSIX_ENTRY_DATA, data);
        table.set(ValueLayout.JAVA_INT_UNALIGNED, at + MSIX_ENTRY_VECTOR_CTRL, MSIX_ENTRY_CTRL_MASKBIT);
    }

    /**
     * The host sets or clears the mask bit of {@code vector}: the Mask bit of its MSI-X table
     * entry, or its bit in the MSI mask register; nothing for MSI without per-vector masking.
     */
    void setMasked(int vector, boolean msix, boolean masked) {
        if (msix) {
            MemorySegment table = msixBar(tableBar);
            long at = entry(vector) + MSIX_ENTRY_VECTOR_CTRL;
            table.set(ValueLayout.JAVA_INT_UNALIGNED, at, table.get(ValueLayout.JAVA_INT_UNALIGNED, at) & ~MSIX_ENTRY_CTRL_MASKBIT
                    | (masked ? MSIX_ENTRY_CTRL_MASKBIT : 0));
        } else {
            setMsiBit(msiRegister(MSI_MASK_32, MSI_MASK_64), vector, masked);
        }
    }

    // ---- what the hardware holds ----

    /** Whether the function can hold back a message of one vector: always with MSI-X, with MSI only given per-vector masking. */
    boolean canMask(boolean msix) {
        return msix || msiRegister(MSI_MASK_32, MSI_MASK_64) >= 0;
    }

    /** Whether MSI-X's Function Mask bit is set in the message control register. */
    boolean functionMasked() {
        return (hw.u16(hw.capability(CAP_ID_MSIX) + MSIX_FLAGS) & MSIX_FLAGS_MASKALL) != 0;
    }

    /**
     * Whether the function holds back messages of {@code vector}: for MSI-X the Function Mask or
     * the entry's Mask bit, for MSI its bit in the mask register (never without per-vector masking).
     */
    boolean masked(int vector, boolean msix) {
        if (msix) {
            return functionMasked() || (msixBar(tableBar).get(ValueLayout.JAVA_INT_UNALIGNED, entry(vector) + MSIX_ENTRY_VECTOR_CTRL)
                    & MSIX_ENTRY_CTRL_MASKBIT) != 0;
        }
        int reg = msiRegister(MSI_MASK_32, MSI_MASK_64);
        return reg >= 0 && (hw.u32(reg) & 1 << vector) != 0;
    }

    /**
     * The hardware sets or clears the pending bit of {@code vector}: in the PBA, in the BAR the PBA
     * BIR names, or in the MSI pending register (none without per-vector masking).
     */
    void setPending(int vector, boolean msix, boolean pending) {
        if (msix) {
            MemorySegment pba = msixBar(pbaBar);
            long at = pbaOffset + vector / 8;
            byte b = pba.get(ValueLayout.JAVA_BYTE, at);
            pba.set(ValueLayout.JAVA_BYTE, at, (byte) (b & ~(1 << vector % 8) | (pending ? 1 << vector % 8 : 0)));
        } else {
            setMsiBit(msiRegister(MSI_PENDING_32, MSI_PENDING_64), vector, pending);
        }
    }

    /** Whether the PBA has the pending bit of MSI-X {@code vector} set. */
    boolean msixPending(int vector) {
        return (msixBar(pbaBar).get(ValueLayout.JAVA_BYTE, pbaOffset + vector / 8) & 1 << vector % 8) != 0;
    }

    /** Offset in the table's BAR of MSI-X table entry {@code vector}. */
    private long entry(int vector) {
        return tableOffset + (long) MSIX_ENTRY_SIZE * vector;
    }

    /** An MSI per-vector register at {@code at32} or {@code at64} (by the 64-bit flag), or -1 without per-vector masking. */
    private int msiRegister(int at32, int at64) {
        int cap = hw.capability(CAP_ID_MSI);
        int flags = hw.u16(cap + MSI_FLAGS);
        return (flags & MSI_FLAGS_MASKBIT) == 0 ? -1 : cap + ((flags & MSI_FLAGS_64BIT) != 0 ? at64 : at32);
    }

    private void setMsiBit(int reg, int vector, boolean set) {
        if (reg >= 0) {
            hw.put(reg, 4, hw.u32(reg) & ~(1 << vector) | (set ? 1 << vector : 0));
        }
    }
}
