package org.vfio4j.sim.device;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The physical config space of an emulated function at power-on: its bytes and, per bit, whether
 * the hardware lets a write change it. Immutable. The simulated kernel virtualizes it as
 * {@code vfio_pci_config.c} does; the hardware write mask only matters for the bits vfio-pci
 * passes through.
 *
 * <p>Built with {@link #builder}: header fields, capabilities (chained in the order they are added,
 * at the next free dword from 0x40 or where {@link Builder#at} says) and extended capabilities
 * (chained from 0x100). A PCI Express capability or any extended capability makes the space 4096
 * bytes. Defaults follow QEMU's emulated hardware, which the real-kernel lane runs on: command
 * bits IO, MEM, MASTER, PARITY, SERR and INTX_DISABLE, cache line, latency timer and interrupt line
 * writable, and bytes from 0x40 that no capability claims writable.
 */
public final class ConfigSpace {
    /** Offset of the capability pointer in the header. */
    public static final int CAPABILITY_POINTER = 0x34;

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
        return bytes[offset] & 0xff;
    }

    /** The little-endian 16-bit value at {@code offset}. */
    public int u16(int offset) {
        return u8(offset) | u8(offset + 1) << 8;
    }

    /** The little-endian 32-bit value at {@code offset}. */
    public int u32(int offset) {
        return u16(offset) | u16(offset + 2) << 16;
    }

    /** Offset of the first capability with {@code id} in the chain, or -1. */
    public int findCapability(int id) {
        int at = (u16(0x06) & 0x10) == 0 ? 0 : u8(CAPABILITY_POINTER) & 0xfc;
        for (int guard = 0; at != 0 && guard < 48; guard++) {
            if (u8(at) == id) {
                return at;
            }
            at = u8(at + 1) & 0xfc;
        }
        return -1;
    }

    /** Offset of the first extended capability with {@code id} in the chain from 0x100, or -1. */
    public int findExtendedCapability(int id) {
        for (int at = 0x100, guard = 0; at >= 0x100 && at + 4 <= size() && guard < 1024; guard++) {
            int header = u32(at);
            if ((header & 0xffff) == id) {
                return at;
            }
            at = header >>> 20 & 0xffc;
        }
        return -1;
    }

    /** A config space of exactly these bytes and hardware write mask (256 or 4096 bytes). */
    public static ConfigSpace of(byte[] bytes, byte[] writeMask) {
        if ((bytes.length != 256 && bytes.length != 4096) || writeMask.length != bytes.length) {
            throw new IllegalArgumentException("config space is 256 or 4096 bytes with a mask of the same size");
        }
        return new ConfigSpace(bytes.clone(), writeMask.clone());
    }

    /** Starts a type 0 header with these identities (class: base, subclass, programming interface). */
    public static Builder builder(int vendor, int device, int classCode) {
        return new Builder(vendor, device, classCode);
    }

    /** Builds a {@link ConfigSpace}. */
    public static final class Builder {
        private final byte[] b = new byte[4096];
        private final byte[] w = new byte[4096];
        private final boolean[] claimed = new boolean[4096];
        private final List<Integer> caps = new ArrayList<>();
        private final List<Integer> ecaps = new ArrayList<>();
        private boolean extended;
        private boolean writableGaps = true;
        private int nextFree = 0x40;
        private int placement = -1;

        private Builder(int vendor, int device, int classCode) {
            put16(0x00, vendor);
            put16(0x02, device);
            put8(0x09, classCode);
            put8(0x0a, classCode >> 8);
            put8(0x0b, classCode >> 16);
            mask16(0x04, 0x0547);
            mask8(0x0c, 0xff);
            mask8(0x0d, 0xff);
            mask8(0x3c, 0xff);
            Arrays.fill(claimed, 0, 0x40, true);
        }

        /** The revision ID (0x08). */
        public Builder revision(int revision) {
            return put8(0x08, revision);
        }

        /** The subsystem vendor ID (0x2c) and subsystem ID (0x2e). */
        public Builder subsystem(int vendor, int id) {
            put16(0x2c, vendor);
            return put16(0x2e, id);
        }

        /** The command register as the function comes up (the kernel sets MEM/IO when it enables it). */
        public Builder command(int command) {
            return put16(0x04, command);
        }

        /** Status bits other than CAP_LIST, which follows the capabilities. */
        public Builder status(int status) {
            return put16(0x06, status & ~0x10);
        }

        /** Interrupt pin: 0 none, 1-4 INTA-INTD. */
        public Builder interruptPin(int pin) {
            return put8(0x3d, pin);
        }

        /** The interrupt line register (0x3c), as firmware left it. */
        public Builder interruptLine(int line) {
            return put8(0x3c, line);
        }

        /** The address firmware assigned to a BAR (otherwise the simulated host assigns one). */
        public Builder barAddress(int index, long address) {
            put32(0x10 + 4 * index, (int) address);
            return this;
        }

        /** Places the next capability at {@code offset} (dword aligned, 0x40-0xfc). */
        public Builder at(int offset) {
            if (offset < 0x40 || offset > 0xfc || (offset & 3) != 0) {
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
            int len = 2 + body.length;
            int at = placement >= 0 ? placement : nextFree;
            placement = -1;
            if (at + len > 256) {
                throw new IllegalArgumentException("capability 0x" + Integer.toHexString(id) + " does not fit below 0x100");
            }
            for (int i = 0; i < len; i++) {
                if (claimed[at + i]) {
                    throw new IllegalArgumentException("capability 0x" + Integer.toHexString(id) + " at 0x" + Integer.toHexString(at)
                            + " overlaps another");
                }
                claimed[at + i] = true;
            }
            put8(at, id);
            System.arraycopy(body, 0, b, at + 2, body.length);
            if (caps.isEmpty()) {
                put8(CAPABILITY_POINTER, at);
            } else {
                put8(caps.getLast() + 1, at);
            }
            caps.add(at);
            nextFree = Math.max(nextFree, (at + len + 3) & ~3);
            b[0x06] |= 0x10;
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
            int control = Integer.numberOfTrailingZeros(vectors) << 1 | (address64 ? 0x80 : 0) | (perVectorMask ? 0x100 : 0);
            body[0] = (byte) control;
            body[1] = (byte) (control >> 8);
            capability(0x05, body);
            int at = lastCapability();
            mask16(at + 2, 0x0071); // enable and multiple message enable
            mask(at + 4, len - 4 - (perVectorMask ? 8 : 0), 0xff); // address and data
            if (perVectorMask) {
                mask(at + len - 8, 4, 0xff);
            }
            return this;
        }

        /** MSI-X with {@code tableSize} vectors, its table and PBA in the given BARs at the given offsets (8-byte aligned). */
        public Builder msix(int tableSize, int tableBar, int tableOffset, int pbaBar, int pbaOffset) {
            if (tableSize < 1 || tableSize > 2048 || (tableOffset & 7) != 0 || (pbaOffset & 7) != 0) {
                throw new IllegalArgumentException("MSI-X: 1-2048 vectors, table and PBA offsets 8-byte aligned");
            }
            byte[] body = new byte[10];
            body[0] = (byte) (tableSize - 1);
            body[1] = (byte) ((tableSize - 1) >> 8);
            int table = tableOffset | tableBar;
            int pba = pbaOffset | pbaBar;
            for (int i = 0; i < 4; i++) {
                body[2 + i] = (byte) (table >> 8 * i);
                body[6 + i] = (byte) (pba >> 8 * i);
            }
            capability(0x11, body);
            mask16(lastCapability() + 2, 0xc000); // enable, function mask
            return this;
        }

        /** Power management (version 3); {@code noSoftReset} set means a D3hot-D0 transition is not a reset. */
        public Builder pm(boolean noSoftReset) {
            capability(0x01, new byte[] {0x03, 0x00, (byte) (noSoftReset ? 0x08 : 0), 0, 0, 0});
            mask16(lastCapability() + 4, 0x0003);
            return this;
        }

        /**
         * A PCI Express endpoint capability (version 2, 60 bytes) on a x1 2.5 GT/s link, as QEMU builds
         * it; {@code flr} advertises Function Level Reset. Makes the config space 4096 bytes.
         */
        public Builder pcie(boolean flr) {
            byte[] body = new byte[0x3a];
            MaskedBytes m = new MaskedBytes(body, -2);
            m.put16(0x02, 0x0002);
            m.put32(0x04, 0x00008000 | (flr ? 0x10000000 : 0));
            m.put32(0x0c, 0x00000411);
            m.put16(0x12, 0x0011);
            m.put32(0x24, 0x00300000);
            capability(0x10, body);
            int at = lastCapability();
            mask16(at + 0x08, flr ? 0x8000 : 0);
            mask16(at + 0x28, 0x8000);
            extended = true;
            return this;
        }

        /** A vendor-specific capability (09h) with {@code data} after its length byte. */
        public Builder vendorCapability(byte[] data) {
            byte[] body = new byte[1 + data.length];
            body[0] = (byte) (3 + data.length);
            System.arraycopy(data, 0, body, 1, data.length);
            return capability(0x09, body);
        }

        /** An extended capability at the next free dword from 0x100 with {@code body} after its header. */
        public Builder extendedCapability(int id, int version, byte[] body) {
            extended = true;
            int at = ecaps.isEmpty() ? 0x100 : (ecaps.getLast() + 4 + ecapLength(ecaps.getLast()) + 3) & ~3;
            if (at + 4 + body.length > 4096) {
                throw new IllegalArgumentException("extended capability does not fit");
            }
            put32(at, id & 0xffff | (version & 0xf) << 16);
            System.arraycopy(body, 0, b, at + 4, body.length);
            ecapLengths.add(body.length);
            if (!ecaps.isEmpty()) {
                int prev = ecaps.getLast();
                put32(prev, (int) (u32(prev) & 0x000fffffL) | at << 20);
            }
            ecaps.add(at);
            for (int i = 0; i < 4 + body.length; i++) {
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
            System.arraycopy(data, 0, b, offset, data.length);
            return this;
        }

        /** Hardware write mask for {@code length} bytes at {@code offset}, one mask byte repeated. */
        public Builder mask(int offset, int length, int maskByte) {
            for (int i = 0; i < length; i++) {
                w[offset + i] = (byte) maskByte;
            }
            return this;
        }

        /** Hardware write mask of the 16-bit register at {@code offset} (1 bits are writable). */
        public Builder mask16(int offset, int mask) {
            w[offset] = (byte) mask;
            w[offset + 1] = (byte) (mask >> 8);
            return this;
        }

        /** The config space; fails naming a capability or register that does not fit. */
        public ConfigSpace build() {
            int size = extended ? 4096 : 256;
            if (writableGaps) {
                for (int i = 0x40; i < 256; i++) {
                    if (!claimed[i]) {
                        w[i] = (byte) 0xff;
                    }
                }
            }
            return new ConfigSpace(Arrays.copyOf(b, size), Arrays.copyOf(w, size));
        }

        private Builder put8(int at, int v) {
            b[at] = (byte) v;
            return this;
        }

        private Builder put16(int at, int v) {
            put8(at, v);
            return put8(at + 1, v >> 8);
        }

        private void put32(int at, int v) {
            put16(at, v);
            put16(at + 2, v >>> 16);
        }

        private long u32(int at) {
            return (b[at] & 0xff | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xffL) << 24);
        }

        private void mask8(int at, int v) {
            w[at] = (byte) v;
        }
    }

    /** Little-endian puts into a capability body whose offsets count from the capability start. */
    private record MaskedBytes(byte[] body, int shift) {
        void put16(int at, int v) {
            body[at + shift] = (byte) v;
            body[at + shift + 1] = (byte) (v >> 8);
        }

        void put32(int at, int v) {
            put16(at, v);
            put16(at + 2, v >>> 16);
        }
    }
}
