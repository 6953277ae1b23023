package org.vfio4j.sim;

import org.vfio4j.KernelProfile;

/**
 * The virtual config space of an open vfio-pci function ({@code vfio_pci_config.c}): built from the
 * hardware at first open, freed at last close. Every byte belongs to the standard header, a visible
 * capability, an extended capability, or nothing ("unassigned", raw pass-through). Structures with a
 * permission table have per-bit {@code virt} (the bit lives in {@code vconfig}) and {@code write}
 * (the user may change it) masks; capabilities without one read straight from hardware with their
 * ID/next bytes from vconfig and drop writes. Accesses are split as {@code vfio_config_do_rw} does.
 */
final class VirtualConfig {
    // structure kinds per byte
    private static final byte UNASSIGNED = 0;
    private static final byte BASIC = 1;
    private static final byte TABLE = 2;      // capability with a permission table (default read/write + hooks)
    private static final byte DIRECT = 3;     // capability without one: direct read, writes dropped
    private static final byte VENDOR = 4;     // vendor capability: direct read, raw write
    private static final byte ECAP_TABLE = 5;
    private static final byte ECAP_DIRECT = 6;
    private static final byte ECAP_VENDOR = 7;

    private static final int CAP_PM = 0x01, CAP_VPD = 0x03, CAP_MSI = 0x05, CAP_PCIX = 0x07, CAP_VNDR = 0x09,
            CAP_EXP = 0x10, CAP_AF = 0x13, CAP_ID_MAX = 0x14;
    private static final int ECAP_ERR = 0x01, ECAP_PWR = 0x04, ECAP_VNDR = 0x0b, ECAP_DVSEC = 0x23;

    private final PciHardware hw;
    private final boolean v61;
    final byte[] vconfig;
    private final byte[] kind;
    private final byte[] capId;   // id of the owning structure (ecap ids fit a byte here, as in the kernel)
    private final int[] capStart; // offset where the owning structure starts
    private final byte[] virt;
    private final byte[] write;
    private final java.lang.foreign.MemorySegment vseg;
    private final java.lang.foreign.MemorySegment virtSeg;
    private final java.lang.foreign.MemorySegment writeSeg;
    private final int[] rbar = new int[7];
    /** PCI_COMMAND INTX_DISABLE as the user set it (vfio_pci_intx_mask bookkeeping). */
    boolean virqDisabled;
    /** log2 of the MSI vectors last enabled through SET_IRQS; Multiple Message Enable is clamped to it. */
    int msiQmax;
    /** Whether MSI is enabled through SET_IRQS (the Enable bit stays 0 otherwise). */
    boolean msiActive;
    private final FunctionReset reset;

    /** What a virtualized FLR or power-state change asks of the device. */
    interface FunctionReset {
        void flr();

        void powerState(int state);

        /** The virtual PCI_COMMAND INTX_DISABLE bit changed ({@code vfio_pci_intx_mask}/{@code _unmask}). */
        void intxDisabled(boolean disabled);
    }

    VirtualConfig(PciHardware hw, KernelProfile profile, FunctionReset reset) {
        this.hw = hw;
        this.v61 = profile.isAtLeast61();
        this.reset = reset;
        int n = hw.cfgSize;
        vconfig = new byte[n];
        kind = new byte[n];
        capId = new byte[n];
        capStart = new int[n];
        virt = new byte[n];
        write = new byte[n];
        vseg = java.lang.foreign.MemorySegment.ofArray(vconfig);
        virtSeg = java.lang.foreign.MemorySegment.ofArray(virt);
        writeSeg = java.lang.foreign.MemorySegment.ofArray(write);
        fill(0, 0x40);
        for (int i = 0; i < 0x40; i++) {
            kind[i] = BASIC;
        }
        basicPerms();
        for (int i = 0; i < 6; i++) {
            rbar[i] = hw.u32(0x10 + 4 * i);
        }
        rbar[6] = hw.u32(0x30);
        if (hw.spec.isVirtualFunction()) {
            put16(0x00, hw.u16(0x00));
            put16(0x02, hw.u16(0x02));
            vconfig[0x3d] = 0;
            put16(0x04, u16(0x04) | 0x2);
        }
        boolean extendedCaps = capInit();
        if (extendedCaps) {
            ecapInit();
        }
    }

    // ---- init -------------------------------------------------------------------------------

    private void fill(int at, int len) {
        for (int i = 0; i < len && at + i < vconfig.length; i++) {
            vconfig[at + i] = (byte) hw.u8(at + i);
        }
    }

    /** {@code init_pci_cap_basic_perm}. */
    private void basicPerms() {
        perm16(0, 0x00, 0xffff, 0);
        perm16(0, 0x02, 0xffff, 0);
        perm16(0, 0x04, 0x0400, 0xffff);
        perm16(0, 0x06, 0x0010, 0);
        perm8(0, 0x0c, 0, 0xff);
        perm8(0, 0x0d, 0, 0xff);
        perm8(0, 0x0f, 0, 0xff);
        for (int at = 0x10; at < 0x28; at += 4) {
            perm32(0, at, -1, -1);
        }
        perm32(0, 0x30, -1, -1);
        perm8(0, 0x34, 0xff, 0);
        perm8(0, 0x3c, 0xff, 0xff);
        perm8(0, 0x3d, 0xff, 0);
    }

    /** Walks the hardware capability list, hiding what vfio-pci hides ({@code vfio_cap_init}). */
    private boolean capInit() {
        boolean extendedCaps = false;
        if ((hw.u16(0x06) & 0x10) == 0) {
            return false;
        }
        int pos = hw.u8(0x34);
        int prev = 0x34;
        int caps = 0;
        for (int loops = (256 - 0x40) / 4; pos != 0 && loops > 0; loops--) {
            if (pos + 2 > 256) {
                break;
            }
            int cap = hw.u8(pos);
            int next = hw.u8(pos + 1);
            int len = 0;
            if (cap != 0 && cap <= CAP_ID_MAX) {
                len = capLength(cap, pos);
                if (cap == CAP_EXP || cap == CAP_PCIX && len == 24) {
                    extendedCaps |= hw.cfgSize > 256 && hw.u32(0x100) != 0;
                }
            }
            if (len == 0 || pos + len > 256) {
                vconfig[prev] = (byte) next; // hidden: unlinked from the virtual chain
                pos = next;
                continue;
            }
            for (int i = 0; i < len; i++) {
                kind[pos + i] = cap == CAP_VNDR ? VENDOR : hasTable(cap) ? TABLE : DIRECT;
                capId[pos + i] = (byte) cap;
                capStart[pos + i] = pos;
            }
            fill(pos, len);
            capPerms(cap, pos, len);
            prev = pos + 1;
            pos = next;
            caps++;
        }
        if (caps == 0) {
            vconfig[0x06] &= ~0x10;
        }
        return extendedCaps;
    }

    private static boolean hasTable(int cap) {
        return cap == CAP_PM || cap == CAP_VPD || cap == CAP_MSI || cap == CAP_PCIX || cap == CAP_EXP || cap == CAP_AF;
    }

    /** {@code pci_cap_length} and {@code vfio_cap_len}. */
    private int capLength(int cap, int pos) {
        return switch (cap) {
            case CAP_PM -> 8;
            case 0x02 -> 12; // AGP
            case CAP_VPD -> 8;
            case CAP_MSI -> {
                int flags = hw.u16(pos + 2);
                yield 10 + ((flags & 0x80) != 0 ? 4 : 0) + ((flags & 0x100) != 0 ? 10 : 0);
            }
            case CAP_PCIX -> (hw.u16(pos + 2) & 0x3000) != 0 ? 24 : 8;
            case 0x08 -> (hw.u8(pos + 3) & 0xe0) != 0 ? 24 : 28; // HyperTransport: short or long form
            case CAP_VNDR -> hw.u8(pos + 2);
            case CAP_EXP -> {
                int flags = hw.u16(pos + 2);
                boolean rcEnd = (flags >> 4 & 0xf) == 0x9;
                yield (flags & 0xf) == 1 ? (rcEnd ? 0xc : 0x14) : (rcEnd ? 0x2c : 0x3c);
            }
            case 0x11 -> 12; // MSI-X
            case 0x12 -> (hw.u8(pos + 2) & 0xf) == 0xf ? 16 : 8; // SATA: registers inline or not
            case CAP_AF -> 6;
            default -> 0; // slot id, CompactPCI, debug port, SHPC, bridge subsystem, AGP3, secure, EA: hidden
        };
    }

    private void capPerms(int cap, int pos, int len) {
        switch (cap) {
            case CAP_PM -> {
                perm8(pos, 1, 0xff, 0);
                if (v61) {
                    // PME support and PME_En/PME_Status are virtual and start at 0 (vfio_update_pm_vconfig_bytes)
                    perm16(pos, 2, 0xf800, 0);
                    perm32(pos, 4, 0x8100, ~(0x8100 | 0x3));
                    put16(pos + 2, u16(pos + 2) & ~0xf800);
                    put16(pos + 4, u16(pos + 4) & ~0x8100);
                } else {
                    perm32(pos, 4, 0, ~0x3);
                }
            }
            case CAP_VPD -> {
                perm8(pos, 1, 0xff, 0);
                perm16(pos, 2, 0xffff, 0xffff);
                perm32(pos, 4, -1, -1);
            }
            case CAP_PCIX -> {
                perm8(pos, 1, 0xff, 0);
                perm16(pos, 2, 0, 0xffff);
                perm32(pos, 4, 0, -1);
            }
            case CAP_EXP -> {
                perm8(pos, 1, 0xff, 0);
                perm16(pos, 8, 0x8000 | 0x00e0 | 0x7000, ~0x0200);
                perm16(pos, 0x28, 0, ~0x0020);
            }
            case CAP_AF -> {
                perm8(pos, 1, 0xff, 0);
                perm8(pos, 5, 0x01, 0x01);
            }
            case CAP_MSI -> {
                int flags = hw.u16(pos + 2);
                perm8(pos, 1, 0xff, 0);
                perm8(pos, 2, 0xff, 0xff);
                perm32(pos, 4, -1, -1);
                if ((flags & 0x80) != 0) {
                    perm32(pos, 8, -1, -1);
                    perm16(pos, 12, 0xffff, 0xffff);
                    if ((flags & 0x100) != 0) {
                        perm32(pos, 16, 0, -1);
                        perm32(pos, 20, 0, -1);
                    }
                } else {
                    perm16(pos, 8, 0xffff, 0xffff);
                    if ((flags & 0x100) != 0) {
                        perm32(pos, 12, 0, -1);
                        perm32(pos, 16, 0, -1);
                    }
                }
            }
            default -> { }
        }
    }

    /** Walks extended capabilities from 0x100 ({@code vfio_ecap_init}). */
    private void ecapInit() {
        int epos = 0x100;
        int prev = -1;
        int ecaps = 0;
        for (int loops = (hw.cfgSize - 256) / 4; loops > 0 && epos >= 256 && epos + 4 <= hw.cfgSize; loops--) {
            int header = hw.u32(epos);
            int ecap = header & 0xffff;
            int next = header >>> 20 & 0xffc;
            int len = ecapLength(ecap, epos);
            boolean hidden = false;
            if (len == 0) {
                if (prev >= 0) {
                    put32(prev, u32(prev) & ~(0xffc << 20) | next << 20);
                    epos = next;
                    continue;
                }
                len = 4;
                hidden = true;
            }
            len = Math.min(len, hw.cfgSize - epos);
            for (int i = 0; i < len; i++) {
                kind[epos + i] = ecap == ECAP_VNDR ? ECAP_VENDOR : ecap == ECAP_ERR || ecap == ECAP_PWR ? ECAP_TABLE : ECAP_DIRECT;
                capId[epos + i] = (byte) ecap;
                capStart[epos + i] = epos;
            }
            fill(epos, len);
            if (ecap == ECAP_ERR) {
                perm32(epos, 0, -1, 0);
                perm32(epos, 4, 0, 0x03fff031);
                perm32(epos, 8, 0, 0x03fff031);
                perm32(epos, 12, 0, 0x03fff031);
                perm32(epos, 16, 0, 0xf1c1);
                perm32(epos, 20, 0, 0xf1c1);
                perm32(epos, 24, 0, 0x140);
            } else if (ecap == ECAP_PWR && !hidden) {
                perm32(epos, 0, -1, 0);
                perm8(epos, 4, 0, 0xff);
            }
            if (hidden) {
                put32(epos, u32(epos) & 0xffc << 20);
            } else {
                ecaps++;
            }
            prev = epos;
            epos = next;
        }
        if (ecaps == 0) {
            put32(0x100, 0);
        }
    }

    /** {@code pci_ext_cap_length} and {@code vfio_ext_cap_len}. */
    private int ecapLength(int ecap, int epos) {
        return switch (ecap) {
            case ECAP_ERR -> 0x2c;
            case 0x02, 0x09, 0x08 -> vcLength(epos); // VC, VC9, MFVC
            case 0x03 -> 12; // DSN
            case ECAP_PWR -> 16;
            case ECAP_VNDR -> hw.u32(epos + 4) >>> 20;
            case 0x0d -> { // ACS
                if ((hw.u8(epos + 4) & 0x20) != 0) {
                    int bits = hw.u8(epos + 5);
                    bits = bits != 0 ? (bits + 31) & ~31 : 256;
                    yield 8 + bits / 8;
                }
                yield 8;
            }
            case 0x0e, 0x0f -> 8; // ARI, ATS
            case 0x10 -> 0x40; // SR-IOV
            case 0x12 -> 40; // multicast
            case 0x13 -> 16; // PRI
            case 0x15 -> 4 + ((hw.u8(epos + 8) & 0xe0) >> 5) * 8; // resizable BAR
            case 0x16 -> 16 + (hw.u8(epos + 4) & 0x1f) + 1; // DPA
            case 0x17 -> { // TPH
                int cap = hw.u32(epos + 4);
                yield (cap & 0x600) == 0x200 ? 12 + ((cap >>> 16) & 0x7ff) * 2 + 2 : 12;
            }
            case 0x18 -> 8; // LTR
            case ECAP_DVSEC -> v61 ? hw.u32(epos + 4) >>> 20 : 0;
            default -> 0; // root-complex only, obsolete, or not exposed: hidden
        };
    }

    private int vcLength(int epos) {
        int evcc = hw.u32(epos + 4) & 0x7;
        int cap2 = hw.u32(epos + 8);
        int phases = (cap2 & 0x8) != 0 ? 128 : (cap2 & 0x4) != 0 ? 64 : (cap2 & 0x2) != 0 ? 32 : 0;
        int len = 0x10 + (1 + evcc) * 0xc;
        if (phases != 0) {
            len = (len + 15) & ~15;
            len += phases * 4 / 8;
        }
        return len;
    }

    // ---- permission helpers ----------------------------------------------------------------

    private void perm8(int base, int off, int v, int w) {
        virt[base + off] = (byte) v;
        write[base + off] = (byte) w;
    }

    private void perm16(int base, int off, int v, int w) {
        perm8(base, off, v, w);
        perm8(base, off + 1, v >> 8, w >> 8);
    }

    private void perm32(int base, int off, int v, int w) {
        perm16(base, off, v, w);
        perm16(base, off + 2, v >>> 16, w >>> 16);
    }

    int u8(int at) {
        return vconfig[at] & 0xff;
    }

    int u16(int at) {
        return u8(at) | u8(at + 1) << 8;
    }

    int u32(int at) {
        return u16(at) | u16(at + 2) << 16;
    }

    private void put16(int at, int v) {
        vconfig[at] = (byte) v;
        vconfig[at + 1] = (byte) (v >> 8);
    }

    private void put32(int at, int v) {
        put16(at, v);
        put16(at + 2, v >>> 16);
    }

    private int vread(int at, int count) {
        return get(vseg, at, count);
    }

    /** A little-endian value of 1, 2 or 4 bytes. */
    private static int get(java.lang.foreign.MemorySegment m, int at, int count) {
        return switch (count) {
            case 4 -> m.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, at);
            case 2 -> m.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, at) & 0xffff;
            default -> m.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at) & 0xff;
        };
    }

    private void vwrite(int at, int count, int value) {
        for (int i = 0; i < count; i++) {
            vconfig[at + i] = (byte) (value >>> 8 * i);
        }
    }

    private int mask(byte[] perm, int at, int count) {
        return get(perm == virt ? virtSeg : writeSeg, at, count);
    }

    private static int ones(int count) {
        return count == 4 ? -1 : (1 << 8 * count) - 1;
    }

    // ---- access -----------------------------------------------------------------------------

    /** Whether memory decode is on as vfio-pci sees it ({@code __vfio_pci_memory_enabled}). */
    boolean memoryEnabled() {
        boolean cmd = hw.spec.isVirtualFunction() || (u16(0x04) & 0x2) != 0;
        return cmd && (!v61 || hw.powerState < 3);
    }

    /** Whether an access is one naturally aligned piece of 1, 2 or 4 bytes that needs no splitting. */
    boolean single(int pos, int count) {
        return (count == 1 || count == 2 || count == 4) && pos % count == 0 && piece(pos, count) == count;
    }

    /** A {@link #single} read. */
    int readSingle(int pos, int count) {
        return readPiece(pos, count);
    }

    /** A {@link #single} write. */
    void writeSingle(int pos, int count, int value) {
        writePiece(pos, count, value);
    }

    /** Reads {@code count} bytes at {@code pos} into {@code out} as pieces of 4, 2, 1 bytes ({@code vfio_pci_config_rw}). */
    void read(int pos, byte[] out) {
        int done = 0;
        while (done < out.length) {
            int at = pos + done;
            int count = piece(at, out.length - done);
            int v = readPiece(at, count);
            for (int i = 0; i < count; i++) {
                out[done + i] = (byte) (v >>> 8 * i);
            }
            done += count;
        }
    }

    void write(int pos, byte[] in) {
        int done = 0;
        while (done < in.length) {
            int at = pos + done;
            int count = piece(at, in.length - done);
            int v = 0;
            for (int i = 0; i < count; i++) {
                v |= (in[done + i] & 0xff) << 8 * i;
            }
            writePiece(at, count, v);
            done += count;
        }
    }

    /** {@code vfio_config_do_rw}'s chop: within one dword and one structure, then the widest aligned size. */
    private int piece(int at, int remaining) {
        int same = 1;
        while ((at + same) % 4 != 0 && at + same < kind.length && sameStructure(at, at + same)) {
            same++;
        }
        int count = Math.min(remaining, same);
        if (count >= 4 && at % 4 == 0) {
            return 4;
        }
        if (count >= 2 && at % 2 == 0) {
            return 2;
        }
        return 1;
    }

    private boolean sameStructure(int a, int b) {
        return mapId(a) == mapId(b);
    }

    /** The kernel's {@code pci_config_map} value: BASIC, INVALID (unassigned) or the capability id. */
    private int mapId(int at) {
        return kind[at] == UNASSIGNED ? 0xff : kind[at] == BASIC ? 0 : capId[at] & 0xff;
    }

    private int readPiece(int pos, int count) {
        int offset = pos - capStart[pos];
        return switch (kind[pos]) {
            case UNASSIGNED -> hw.read(pos, count);
            case BASIC -> {
                if (isBar(pos)) {
                    barFixup();
                }
                int v = defaultRead(pos, count);
                if (pos == 0x04 && hw.spec.isVirtualFunction()) {
                    v |= u16(0x04) & 0x2;
                }
                yield v;
            }
            case TABLE, ECAP_TABLE -> defaultRead(pos, count);
            default -> directRead(pos, count, offset);
        };
    }

    private int defaultRead(int pos, int count) {
        int v = vread(pos, count);
        int vm = mask(virt, pos, count);
        if (vm != ones(count)) {
            v = hw.read(pos, count) & ~vm | v & vm;
        }
        return v;
    }

    /** {@code vfio_direct_config_read}: hardware, with the header (ID/next, or the ecap's first dword) from vconfig. */
    private int directRead(int pos, int count, int offset) {
        int v = hw.read(pos, count);
        if (pos >= 256) {
            if (offset < 4) {
                v = vread(pos, count);
            }
        } else if (offset == 0 && count > 1) {
            int n = Math.min(2, count);
            v = v & ~ones(n) | vread(pos, n);
        } else if (offset == 1) {
            v = v & ~0xff | u8(pos);
        }
        return v;
    }

    private void writePiece(int pos, int count, int val) {
        int offset = pos - capStart[pos];
        switch (kind[pos]) {
            case UNASSIGNED, VENDOR, ECAP_VENDOR -> hw.write(pos, count, val);
            case BASIC -> basicWrite(pos, count, val);
            case TABLE -> {
                int cap = capId[pos] & 0xff;
                int start = capStart[pos];
                int oldReadRq = cap == CAP_EXP ? u16(start + 8) & 0x7000 : 0;
                defaultWrite(pos, count, val);
                switch (cap) {
                    case CAP_PM -> {
                        if (offset == 4) {
                            reset.powerState(val & 0x3); // vfio_pm_config_write sets the state itself
                        }
                    }
                    case CAP_MSI -> msiWrite(start, offset, count);
                    case CAP_EXP -> expWrite(start, oldReadRq);
                    case CAP_AF -> {
                        if ((u8(start + 5) & 1) != 0) {
                            vconfig[start + 5] &= ~1;
                            if ((hw.u8(start + 3) & 0x3) == 0x3) {
                                reset.flr();
                            }
                        }
                    }
                    case CAP_VPD -> vpdWrite(start, offset, count);
                    default -> { }
                }
            }
            case ECAP_TABLE -> defaultWrite(pos, count, val);
            default -> { } // no permission table: writes are dropped
        }
    }

    private void defaultWrite(int pos, int count, int val) {
        int w = mask(write, pos, count);
        if (w == 0) {
            return;
        }
        int v = mask(virt, pos, count);
        if ((w & v) != 0) {
            vwrite(pos, count, vread(pos, count) & ~(w & v) | val & w & v);
        }
        if ((w & ~v) != 0) {
            int phys = hw.read(pos, count);
            hw.write(pos, count, phys & ~(w & ~v) | val & w & ~v);
        }
    }

    private static boolean isBar(int at) {
        return at >= 0x10 && at < 0x28 || at >= 0x30 && at < 0x34;
    }

    /** {@code vfio_basic_config_write}. */
    private void basicWrite(int pos, int count, int val) {
        if (pos == 0x04) {
            int phys = hw.u16(0x04);
            int virtCmd = u16(0x04);
            boolean restore = (val & 2) != 0 && (virtCmd & 2) != 0 && (phys & 2) == 0
                    || (val & 1) != 0 && (virtCmd & 1) != 0 && (phys & 1) == 0 || needBarRestore();
            if (restore) {
                barRestore();
            }
        }
        defaultWrite(pos, count, val);
        if (pos == 0x04) {
            put16(0x04, u16(0x04) & ~0x3 | val & 0x3);
        }
        if (pos >= 0x04 && pos <= 0x05) {
            boolean disabled = (u16(0x04) & 0x400) != 0;
            if (disabled != virqDisabled) {
                virqDisabled = disabled;
                reset.intxDisabled(disabled);
            }
        }
    }

    private boolean needBarRestore() {
        for (int i = 0; i < 6; i++) {
            if (rbar[i] != 0 && hw.u32(0x10 + 4 * i) != rbar[i]) {
                return true;
            }
        }
        return false;
    }

    /** {@code vfio_bar_restore}: the hardware BARs get the values saved at open. */
    private void barRestore() {
        if (hw.spec.isVirtualFunction()) {
            return;
        }
        for (int i = 0; i < 6; i++) {
            hw.put(0x10 + 4 * i, 4, rbar[i]);
        }
        hw.put(0x30, 4, rbar[6]);
    }

    /** {@code vfio_bar_fixup}: the sizing protocol over the virtual BARs. */
    private void barFixup() {
        for (int i = 0; i < 6; i++) {
            int at = 0x10 + 4 * i;
            var bar = hw.bars[i];
            if (bar == null || hw.barAddress[i] == 0) {
                put32(at, 0);
                continue;
            }
            long mask = ~(bar.size() - 1);
            int flags = switch (bar.kind()) {
                case IO -> 1;
                case MEMORY32 -> bar.prefetchable() ? 8 : 0;
                case MEMORY64 -> 4 | (bar.prefetchable() ? 8 : 0);
            };
            put32(at, u32(at) & (int) mask | flags);
            if (bar.kind() == org.vfio4j.sim.device.BarKind.MEMORY64) {
                put32(at + 4, u32(at + 4) & (int) (mask >>> 32));
                i++;
            }
        }
        if (hw.rom.isPresent()) {
            put32(0x30, u32(0x30) & ((int) ~(hw.rom.get().size() - 1) | 1));
        } else {
            put32(0x30, 0);
        }
    }

    /**
     * {@code vfio_msi_config_write}: the Enable bit only while MSI is on through SET_IRQS, Multiple
     * Message Enable clamped to what SET_IRQS allocated; the result goes to vconfig and hardware.
     * (The matching read-side fix-up of Multiple Message Capable writes at the capability start in
     * these kernels, onto the ID/next word, so the user sees what was written: verified on 6.1.)
     */
    private void msiWrite(int start, int offset, int count) {
        if (offset <= 2 && offset + count >= 2) {
            int flags = u16(start + 2);
            if (!msiActive) {
                flags &= ~1;
            }
            if ((flags & 0x70) >> 4 > msiQmax) {
                flags = flags & ~0x70 | msiQmax << 4;
            }
            put16(start + 2, flags);
            hw.write(start + 2, 2, flags);
        }
    }

    /** {@code vfio_exp_config_write}: FLR is virtual and resets when DEVCAP offers it; MRRS goes to hardware, never below MPS. */
    private void expWrite(int start, int oldReadRq) {
        int ctrl = u16(start + 8);
        if ((ctrl & 0x8000) != 0) {
            put16(start + 8, ctrl & ~0x8000);
            if ((hw.u32(start + 4) & (1 << 28)) != 0) {
                reset.flr();
            }
        }
        int readRq = u16(start + 8) & 0x7000;
        if (readRq != oldReadRq) {
            int bytes = Math.max(128 << (readRq >> 12), 128 << ((hw.u16(start + 8) & 0xe0) >> 5));
            int field = Integer.numberOfTrailingZeros(bytes / 128) << 12;
            hw.write(start + 8, 2, hw.u16(start + 8) & ~0x7000 | field);
        }
    }

    /** {@code vfio_vpd_config_write}: an address write with F reads or writes a dword of VPD; F toggles when done. */
    private void vpdWrite(int start, int offset, int count) {
        if (offset > 3 || offset + count <= 3) {
            return;
        }
        int addr = u16(start + 2);
        if ((addr & 0x8000) == 0) {
            put32(start + 4, 0); // the simulated functions carry no VPD contents
        }
        put16(start + 2, addr ^ 0x8000);
    }
}
