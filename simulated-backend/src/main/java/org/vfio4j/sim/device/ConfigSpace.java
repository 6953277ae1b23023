package org.vfio4j.sim.device;

import static org.vfio4j.PciRegisters.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vfio4j.sim.internal.LittleEndian;

/**
 * The physical config space of an emulated function at power-on: its bytes and, per bit, whether
 * the hardware lets a write change it. Immutable. The simulated kernel virtualizes it as
 * {@code vfio_pci_config.c} does; the hardware write mask only matters for the bits vfio-pci
 * passes through.
 *
 * <p>Built with {@link #builder}: header fields, capabilities (chained in the order they are added,
 * at the next free dword from 0x40 or where {@link Builder#at} says) and extended capabilities
 * (chained from 0x100). A PCI Express capability or any extended capability makes the space 4096
 * bytes. Defaults follow QEMU 7.2's emulated hardware, which the real-kernel lane runs on: command
 * bits IO, MEM, MASTER, SERR and INTX_DISABLE, cache line size and interrupt line writable (not
 * PARITY, not the latency timer, not BIST), and bytes from 0x40 that no capability claims writable.
 */
public final class ConfigSpace {
    /** Offset of the capability pointer in the header. */
    public static final int CAPABILITY_POINTER = CAPABILITY_LIST;

    /**
     * Command bits QEMU 7.2 lets software change ({@code pci_init_wmask}, hw/pci/pci.c): IO, MEM,
     * MASTER, SERR and INTX_DISABLE; not PARITY (the real-kernel lane reads 0x0507 back after
     * all-ones).
     */
    private static final int QEMU_COMMAND_WRITABLE = COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER | COMMAND_SERR
            | COMMAND_INTX_DISABLE;
    /** PCI Express DEVCAP2: extended fmt field supported (no {@code <linux/pci_regs.h>} name). */
    private static final int EXP_DEVCAP2_EXT_FMT = 0x00100000;
    /** PCI Express DEVCTL2: end-end TLP prefix blocking (no {@code <linux/pci_regs.h>} name). */
    private static final int EXP_DEVCTL2_EETLPPB = 0x8000;
    /** Size of QEMU's version 2 PCI Express capability (its {@code PCI_EXP_VER2_SIZEOF}). */
    private static final int QEMU_EXP_VER2_SIZEOF = 0x3c;
    /** Power management capability version 3 in PMC's version field. */
    private static final int PM_CAP_VERSION_3 = 3;
    /** PCI Express capability version 2 in the flags' version field. */
    private static final int EXP_FLAGS_VERSION_2 = 2;
    /** Extended capability header: the version field's shift, and the next pointer's. */
    private static final int EXT_CAP_VER_SHIFT = 16;
    private static final int EXT_CAP_NEXT_SHIFT = 20;

    private final byte[] bytes;
    private final byte[] writeMask;

    private ConfigSpace(byte[] bytes, byte[] writeMask) {
        this.bytes = bytes;
        this.writeMask = writeMask;
    }

    /** 256 or 4096. */
    public int size() {
        return bytes.length;
    }

    /** A copy of the bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** A copy of the hardware write mask (1 bits are writable). */
    public byte[] writeMask() {
        return writeMask.clone();
    }

    /** The byte at {@code offset}, as the device's config space holds it now. */
    public int u8(int offset) {
        return LittleEndian.u8(bytes, offset);
    }

    /** The little-endian 16-bit value at {@code offset}. */
    public int u16(int offset) {
        return LittleEndian.u16(bytes, offset);
    }

    /** The little-endian 32-bit value at {@code offset}. */
    public int u32(int offset) {
        return LittleEndian.u32(bytes, offset);
    }

    /** Offset of the first capability with {@code id} in the chain, or -1. */
    public int findCapability(int id) {
        int at = (u16(STATUS) & STATUS_CAP_LIST) == 0 ? 0 : u8(CAPABILITY_POINTER) & 0xfc;
        for (int guard = 0; at != 0 && guard < 48; guard++) {
            if (u8(at + CAP_LIST_ID) == id) {
                return at;
            }
            at = u8(at + CAP_LIST_NEXT) & 0xfc;
        }
        return -1;
    }

    /** Offset of the first extended capability with {@code id} in the chain from 0x100, or -1. */
    public int findExtendedCapability(int id) {
        for (int at = CFG_SPACE_SIZE, guard = 0; at >= CFG_SPACE_SIZE && at + CAP_SIZEOF <= size() && guard < 1024; guard++) {
            int header = u32(at);
            if ((header & 0xffff) == id) {
                return at;
            }
            at = header >>> EXT_CAP_NEXT_SHIFT & 0xffc;
        }
        return -1;
    }

    /** A config space of exactly these bytes and hardware write mask (256 or 4096 bytes). */
    public static ConfigSpace of(byte[] bytes, byte[] writeMask) {
        if ((bytes.length != CFG_SPACE_SIZE && bytes.length != CFG_SPACE_EXP_SIZE) || writeMask.length != bytes.length) {
            throw new IllegalArgumentException("config space is 256 or 4096 bytes with a mask of the same size");
        }
        return new ConfigSpace(bytes.clone(), writeMask.clone());
    }

    /**
     * The standard header alone, 256 bytes with read-only gaps: what {@code builder(vendor, device,
     * classCode).interruptPin(pin).readOnlyGaps().bytes(HEADER_TYPE, headerType).build()} makes,
     * without the builder's work (a bare function of every booted host has one).
     */
    public static ConfigSpace header(int vendor, int device, int classCode, int pin, int headerType) {
        byte[] b = new byte[CFG_SPACE_SIZE];
        byte[] w = new byte[CFG_SPACE_SIZE];
        LittleEndian.put16(b, VENDOR_ID, vendor);
        LittleEndian.put16(b, DEVICE_ID, device);
        b[CLASS_PROG] = (byte) classCode;
        LittleEndian.put16(b, CLASS_DEVICE, classCode >> 8);
        b[HEADER_TYPE] = (byte) headerType;
        b[INTERRUPT_PIN] = (byte) pin;
        LittleEndian.put16(w, COMMAND, QEMU_COMMAND_WRITABLE);
        w[CACHE_LINE_SIZE] = (byte) 0xff;
        w[INTERRUPT_LINE] = (byte) 0xff;
        return new ConfigSpace(b, w);
    }

    /** Starts a type 0 header with these identities (class: base, subclass, programming interface). */
    public static Builder builder(int vendor, int device, int classCode) {
        return new Builder(vendor, device, classCode);
    }

    /** Builds a {@link ConfigSpace}. */
    public static final class Builder {
        // 256 bytes until something beyond them is written: most functions have no extended space
        private byte[] b = new byte[CFG_SPACE_SIZE];
        private byte[] w = new byte[CFG_SPACE_SIZE];
        private boolean[] claimed = new boolean[CFG_SPACE_SIZE];
        private final List<Integer> caps = new ArrayList<>();
        private final List<Integer> ecaps = new ArrayList<>();
        private boolean extended;
        private boolean writableGaps = true;
        private int nextFree = STD_HEADER_SIZEOF;
        private int placement = -1;

        private Builder(int vendor, int device, int classCode) {
            put16(VENDOR_ID, vendor);
            put16(DEVICE_ID, device);
            put8(CLASS_PROG, classCode);
            put16(CLASS_DEVICE, classCode >> 8);
            mask16(COMMAND, QEMU_COMMAND_WRITABLE);
            mask8(CACHE_LINE_SIZE, 0xff); // the latency timer stays read-only zero on QEMU's endpoints (pci_init_wmask)
            mask8(INTERRUPT_LINE, 0xff);
            Arrays.fill(claimed, 0, STD_HEADER_SIZEOF, true);
        }

        /** The revision ID (0x08). */
        public Builder revision(int revision) {
            return put8(REVISION_ID, revision);
        }

        /** The subsystem vendor ID (0x2c) and subsystem ID (0x2e). */
        public Builder subsystem(int vendor, int id) {
            put16(SUBSYSTEM_VENDOR_ID, vendor);
            return put16(SUBSYSTEM_ID, id);
        }

        /** The command register as the function comes up (the kernel sets MEM/IO when it enables it). */
        public Builder command(int command) {
            return put16(COMMAND, command);
        }

        /** Status bits other than CAP_LIST, which follows the capabilities. */
        public Builder status(int status) {
            return put16(STATUS, status & ~STATUS_CAP_LIST);
        }

        /** Interrupt pin: 0 none, 1-4 INTA-INTD. */
        public Builder interruptPin(int pin) {
            return put8(INTERRUPT_PIN, pin);
        }

        /** The interrupt line register (0x3c), as firmware left it. */
        public Builder interruptLine(int line) {
            return put8(INTERRUPT_LINE, line);
        }

        /** The address firmware assigned to a BAR (otherwise the simulated host assigns one). */
        public Builder barAddress(int index, long address) {
            put32(BASE_ADDRESS_0 + 4 * index, (int) address);
            return this;
        }

        /** Places the next capability at {@code offset} (dword aligned, 0x40-0xfc). */
        public Builder at(int offset) {
            if (offset < STD_HEADER_SIZEOF || offset > CFG_SPACE_SIZE - CAP_SIZEOF || (offset & 3) != 0) {
                throw new IllegalArgumentException("capabilities sit on a dword in [0x40, 0xfc]: 0x" + Integer.toHexString(offset));
            }
            placement = offset;
            return this;
        }

        /** Bytes from 0x40 that no capability claims stay read-only zero (QEMU makes them writable). */
        public Builder readOnlyGaps() {
            writableGaps = false;
            return this;
        }

        /**
         * A capability with {@code id}: {@code body} follows the ID and next bytes. Returns its offset
         * through {@link #lastCapability()}.
         */
        public Builder capability(int id, byte[] body) {
            int len = CAP_FLAGS + body.length;
            int at = placement >= 0 ? placement : nextFree;
            placement = -1;
            if (at + len > CFG_SPACE_SIZE) {
                throw new IllegalArgumentException("capability 0x" + Integer.toHexString(id) + " does not fit below 0x100");
            }
            for (int i = 0; i < len; i++) {
                if (claimed[at + i]) {
                    throw new IllegalArgumentException("capability 0x" + Integer.toHexString(id) + " at 0x" + Integer.toHexString(at)
                            + " overlaps another");
                }
                claimed[at + i] = true;
            }
            put8(at + CAP_LIST_ID, id);
            System.arraycopy(body, 0, b, at + CAP_FLAGS, body.length);
            if (caps.isEmpty()) {
                put8(CAPABILITY_POINTER, at);
            } else {
                put8(caps.getLast() + CAP_LIST_NEXT, at);
            }
            caps.add(at);
            nextFree = Math.max(nextFree, (at + len + 3) & ~3);
            b[STATUS] |= STATUS_CAP_LIST;
            return this;
        }

        /** Offset of the capability added last. */
        public int lastCapability() {
            return caps.getLast();
        }

        /** Message Signalled Interrupts: {@code vectors} (1-32, a power of two), 64-bit addresses, per-vector masking. */
        public Builder msi(int vectors, boolean address64, boolean perVectorMask) {
            if (Integer.bitCount(vectors) != 1 || vectors > 32) {
                throw new IllegalArgumentException("MSI offers 1, 2, 4, 8, 16 or 32 vectors: " + vectors);
            }
            int len = 10 + (address64 ? 4 : 0) + (perVectorMask ? 10 : 0);
            byte[] body = new byte[len - 2];
            int control = Integer.numberOfTrailingZeros(vectors) << 1 | (address64 ? MSI_FLAGS_64BIT : 0)
                    | (perVectorMask ? MSI_FLAGS_MASKBIT : 0);
            LittleEndian.put16(body, MSI_FLAGS - CAP_FLAGS, control);
            capability(CAP_ID_MSI, body);
            int at = lastCapability();
            mask16(at + MSI_FLAGS, MSI_FLAGS_ENABLE | MSI_FLAGS_QSIZE);
            mask(at + MSI_ADDRESS_LO, len - MSI_ADDRESS_LO - (perVectorMask ? 8 : 0), 0xff); // address and data
            if (perVectorMask) {
                mask(at + (address64 ? MSI_MASK_64 : MSI_MASK_32), 4, 0xff);
            }
            return this;
        }

        /** MSI-X with {@code tableSize} vectors, its table and PBA in the given BARs at the given offsets (8-byte aligned). */
        public Builder msix(int tableSize, int tableBar, int tableOffset, int pbaBar, int pbaOffset) {
            if (tableSize < 1 || tableSize > 2048 || (tableOffset & 7) != 0 || (pbaOffset & 7) != 0) {
                throw new IllegalArgumentException("MSI-X: 1-2048 vectors, table and PBA offsets 8-byte aligned");
            }
            byte[] body = new byte[CAP_MSIX_SIZEOF - CAP_FLAGS];
            LittleEndian.put16(body, MSIX_FLAGS - CAP_FLAGS, tableSize - 1);
            LittleEndian.put32(body, MSIX_TABLE - CAP_FLAGS, tableOffset | tableBar);
            LittleEndian.put32(body, MSIX_PBA - CAP_FLAGS, pbaOffset | pbaBar);
            capability(CAP_ID_MSIX, body);
            mask16(lastCapability() + MSIX_FLAGS, MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
            return this;
        }

        /** Power management (version 3); {@code noSoftReset} set means a D3hot-D0 transition is not a reset. */
        public Builder pm(boolean noSoftReset) {
            byte[] body = new byte[PM_SIZEOF - CAP_FLAGS];
            LittleEndian.put16(body, PM_PMC - CAP_FLAGS, PM_CAP_VERSION_3);
            LittleEndian.put16(body, PM_CTRL - CAP_FLAGS, noSoftReset ? PM_CTRL_NO_SOFT_RESET : 0);
            capability(CAP_ID_PM, body);
            mask16(lastCapability() + PM_CTRL, PM_CTRL_STATE_MASK);
            return this;
        }

        /**
         * A PCI Express endpoint capability (version 2, 60 bytes) on a x1 2.5 GT/s link, as QEMU builds
         * it; {@code flr} advertises Function Level Reset. Makes the config space 4096 bytes.
         */
        public Builder pcie(boolean flr) {
            byte[] body = new byte[QEMU_EXP_VER2_SIZEOF - CAP_FLAGS];
            CapabilityBody m = new CapabilityBody(body);
            m.put16(EXP_FLAGS, EXP_FLAGS_VERSION_2); // type 0: endpoint
            m.put32(EXP_DEVCAP, EXP_DEVCAP_RBER | (flr ? EXP_DEVCAP_FLR : 0));
            m.put32(EXP_LNKCAP, EXP_LNKCAP_ASPM_L0S | 1 << 4 /* x1 */ | EXP_LNKCAP_SLS_2_5GB);
            m.put16(EXP_LNKSTA, EXP_LNKSTA_NLW_X1 | EXP_LNKSTA_CLS_2_5GB);
            m.put32(EXP_DEVCAP2, EXP_DEVCAP2_EE_PREFIX | EXP_DEVCAP2_EXT_FMT);
            capability(CAP_ID_EXP, body);
            int at = lastCapability();
            mask16(at + EXP_DEVCTL, flr ? EXP_DEVCTL_BCR_FLR : 0);
            mask16(at + EXP_DEVCTL2, EXP_DEVCTL2_EETLPPB);
            extended = true;
            return this;
        }

        /** A vendor-specific capability (09h) with {@code data} after its length byte. */
        public Builder vendorCapability(byte[] data) {
            byte[] body = new byte[1 + data.length];
            body[0] = (byte) (CAP_FLAGS + 1 + data.length); // the vendor capability's length byte sits at CAP_FLAGS
            System.arraycopy(data, 0, body, 1, data.length);
            return capability(CAP_ID_VNDR, body);
        }

        /** An extended capability at the next free dword from 0x100 with {@code body} after its header. */
        public Builder extendedCapability(int id, int version, byte[] body) {
            extended = true;
            int at = ecaps.isEmpty() ? CFG_SPACE_SIZE : (ecaps.getLast() + CAP_SIZEOF + ecapLength(ecaps.getLast()) + 3) & ~3;
            if (at + CAP_SIZEOF + body.length > CFG_SPACE_EXP_SIZE) {
                throw new IllegalArgumentException("extended capability does not fit");
            }
            reach(CFG_SPACE_EXP_SIZE);
            put32(at, id & 0xffff | (version & 0xf) << EXT_CAP_VER_SHIFT);
            System.arraycopy(body, 0, b, at + CAP_SIZEOF, body.length);
            ecapLengths.add(body.length);
            if (!ecaps.isEmpty()) {
                int prev = ecaps.getLast();
                put32(prev, LittleEndian.u32(b, prev) & 0x000fffff | at << EXT_CAP_NEXT_SHIFT);
            }
            ecaps.add(at);
            for (int i = 0; i < CAP_SIZEOF + body.length; i++) {
                claimed[at + i] = true;
            }
            return this;
        }

        private final List<Integer> ecapLengths = new ArrayList<>();

        private int ecapLength(int at) {
            return ecapLengths.get(ecaps.indexOf(at));
        }

        /** Any bytes, e.g. to mirror a real device exactly. */
        public Builder bytes(int offset, byte[] data) {
            reach(offset + data.length);
            System.arraycopy(data, 0, b, offset, data.length);
            return this;
        }

        /** Hardware write mask for {@code length} bytes at {@code offset}, one mask byte repeated. */
        public Builder mask(int offset, int length, int maskByte) {
            reach(offset + length);
            for (int i = 0; i < length; i++) {
                w[offset + i] = (byte) maskByte;
            }
            return this;
        }

        /** Hardware write mask of the 16-bit register at {@code offset} (1 bits are writable). */
        public Builder mask16(int offset, int mask) {
            reach(offset + 2);
            w[offset] = (byte) mask;
            w[offset + 1] = (byte) (mask >> 8);
            return this;
        }

        /** The config space; fails naming a capability or register that does not fit. */
        public ConfigSpace build() {
            int size = extended ? CFG_SPACE_EXP_SIZE : CFG_SPACE_SIZE;
            if (writableGaps) {
                for (int i = STD_HEADER_SIZEOF; i < CFG_SPACE_SIZE; i++) {
                    if (!claimed[i]) {
                        w[i] = (byte) 0xff;
                    }
                }
            }
            return new ConfigSpace(Arrays.copyOf(b, size), Arrays.copyOf(w, size));
        }

        /**
         * Makes the arrays hold {@code end} bytes: beyond 256 they become 4096, as if they had been
         * from the start (an offset past 4096 still fails as it did, on the array bound).
         */
        private void reach(int end) {
            if (end > b.length && b.length < CFG_SPACE_EXP_SIZE) {
                b = Arrays.copyOf(b, CFG_SPACE_EXP_SIZE);
                w = Arrays.copyOf(w, CFG_SPACE_EXP_SIZE);
                claimed = Arrays.copyOf(claimed, CFG_SPACE_EXP_SIZE);
            }
        }

        private Builder put8(int at, int v) {
            b[at] = (byte) v;
            return this;
        }

        private Builder put16(int at, int v) {
            LittleEndian.put16(b, at, v);
            return this;
        }

        private void put32(int at, int v) {
            LittleEndian.put32(b, at, v);
        }

        private void mask8(int at, int v) {
            w[at] = (byte) v;
        }
    }

    /** Little-endian puts into a capability body (what follows the ID and next bytes) by register offset in the capability. */
    private record CapabilityBody(byte[] body) {
        void put16(int register, int v) {
            LittleEndian.put16(body, register - CAP_FLAGS, v);
        }

        void put32(int register, int v) {
            LittleEndian.put32(body, register - CAP_FLAGS, v);
        }
    }
}
