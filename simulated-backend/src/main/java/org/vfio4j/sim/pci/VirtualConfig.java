package org.vfio4j.sim.pci;

import static org.vfio4j.PciRegisters.*;

import org.vfio4j.KernelProfile;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.internal.LittleEndian;

/**
 * The virtual config space of an open vfio-pci function ({@code vfio_pci_config.c}): built from the
 * hardware at first open, freed at last close. Every byte belongs to the standard header, a visible
 * capability, an extended capability, or nothing ("unassigned", raw pass-through). Structures with a
 * permission table have per-bit {@code virt} (the bit lives in {@code vconfig}) and {@code write}
 * (the user may change it) masks; capabilities without one read straight from hardware with their
 * ID/next bytes from vconfig and drop writes. Accesses are split as {@code vfio_config_do_rw} does.
 * A piece that reaches the hardware fails when the hardware access does (ENODEV while the
 * function's EEH PE is in reset), and the whole access with it, as {@code vfio_pci_config_rw}
 * returns the first error; pieces all of whose bits are virtual still succeed then.
 *
 * <p>About 800 lines, as {@code vfio_pci_config.c} is about 2,000: the permission tables of every
 * capability the kernel virtualizes live here side by side, so each can be read against its kernel
 * counterpart in one place.
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

    // vfio-pci's own names (vfio_pci_config.c, vfio_pci_priv.h)
    /** The fake capability ID of the standard header in {@code pci_config_map}. */
    private static final int PCI_CAP_ID_BASIC = 0;
    /** {@code pci_config_map} of bytes no structure claims. */
    private static final int PCI_CAP_ID_INVALID = 0xff;
    private static final int NO_VIRT = 0;
    private static final int ALL_VIRT = 0xffff_ffff;
    private static final int NO_WRITE = 0;
    private static final int ALL_WRITE = 0xffff_ffff;
    /** A capability length table entry that {@code vfio_cap_len}/{@code vfio_ext_cap_len} computes. */
    private static final int VARIABLE = 0xff;

    // <linux/pci_regs.h> names outside the PCI_ prefix
    private static final int HT_3BIT_CAP_MASK = 0xe0;
    private static final int HT_CAP_SIZEOF_LONG = 28;
    private static final int HT_CAP_SIZEOF_SHORT = 24;

    /** The next-capability field of an extended capability header ({@code PCI_EXT_CAP_NEXT}). */
    private static final int EXT_CAP_NEXT_FIELD = 0xffc << 20;

    /**
     * The length of a version 2 PCI Express capability with a link. Differs from vfio-pci, which
     * uses {@code PCI_CAP_EXP_ENDPOINT_SIZEOF_V2} (0x32 in 6.1's header, 0x34 from 7.0).
     */
    private static final int EXP_ENDPOINT_V2_LENGTH = 0x3c;

    /** {@code pci_cap_length}: 0 hides the capability from the user's chain. */
    private static final int[] PCI_CAP_LENGTH = new int[CAP_ID_MAX + 1];
    /** {@code pci_ext_cap_length}, up to the last ID with a length. */
    private static final int[] PCI_EXT_CAP_LENGTH = new int[EXT_CAP_ID_DVSEC + 1];

    static {
        PCI_CAP_LENGTH[PCI_CAP_ID_BASIC] = STD_HEADER_SIZEOF;
        PCI_CAP_LENGTH[CAP_ID_PM] = PM_SIZEOF;
        PCI_CAP_LENGTH[CAP_ID_AGP] = AGP_SIZEOF;
        PCI_CAP_LENGTH[CAP_ID_VPD] = CAP_VPD_SIZEOF;
        PCI_CAP_LENGTH[CAP_ID_MSI] = VARIABLE;  // 10, 14, 20 or 24
        PCI_CAP_LENGTH[CAP_ID_PCIX] = VARIABLE; // 8 or 24
        PCI_CAP_LENGTH[CAP_ID_HT] = VARIABLE;
        PCI_CAP_LENGTH[CAP_ID_VNDR] = VARIABLE;
        PCI_CAP_LENGTH[CAP_ID_EXP] = VARIABLE;
        PCI_CAP_LENGTH[CAP_ID_MSIX] = CAP_MSIX_SIZEOF;
        PCI_CAP_LENGTH[CAP_ID_SATA] = VARIABLE;
        PCI_CAP_LENGTH[CAP_ID_AF] = CAP_AF_SIZEOF;
        // slot ID, CompactPCI, debug port, SHPC, bridge subsystem, AGP3, secure device, EA: 0, hidden

        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_ERR] = ERR_ROOT_COMMAND;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_VC] = VARIABLE;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_DSN] = EXT_CAP_DSN_SIZEOF;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_PWR] = EXT_CAP_PWR_SIZEOF;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_MFVC] = VARIABLE;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_VC9] = VARIABLE;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_VNDR] = VARIABLE;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_ACS] = VARIABLE;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_ARI] = EXT_CAP_ARI_SIZEOF;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_ATS] = EXT_CAP_ATS_SIZEOF;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_SRIOV] = EXT_CAP_SRIOV_SIZEOF;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_MCAST] = EXT_CAP_MCAST_ENDPOINT_SIZEOF;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_PRI] = EXT_CAP_PRI_SIZEOF;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_REBAR] = VARIABLE;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_DPA] = VARIABLE;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_TPH] = VARIABLE;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_LTR] = EXT_CAP_LTR_SIZEOF;
        PCI_EXT_CAP_LENGTH[EXT_CAP_ID_DVSEC] = VARIABLE;
        // root-complex only, obsolete, or not exposed: 0, hidden
    }

    private final PciHardware hw;
    private final boolean v61;
    final byte[] vconfig;
    private final byte[] kind;
    private final byte[] capId;   // id of the owning structure (ecap ids fit a byte here, as in the kernel)
    private final int[] capStart; // offset where the owning structure starts
    private final byte[] virt;
    private final byte[] write;
    /** The BARs and then the ROM BAR as they were at open, for {@code vfio_bar_restore}. */
    private final int[] rbar = new int[STD_NUM_BARS + 1];
    /** PCI_COMMAND INTX_DISABLE as the user set it (vfio_pci_intx_mask bookkeeping). */
    boolean virqDisabled;
    /** log2 of the MSI vectors last enabled through SET_IRQS; Multiple Message Enable is clamped to it. */
    int msiQmax;
    /** Whether MSI is enabled through SET_IRQS (the Enable bit stays 0 otherwise). */
    boolean msiActive;
    private final FunctionReset reset;
    /** The function's interrupts, masked and unmasked with the virtual DisINTx bit. */
    private final PciIrqs irqs;

    /** What a virtualized FLR or power-state change asks of the device. */
    interface FunctionReset {
        void flr();

        void powerState(int state);
    }

    /** {@code vfio_config_init}. */
    VirtualConfig(PciHardware hw, KernelProfile profile, FunctionReset reset, PciIrqs irqs) {
        this.hw = hw;
        this.v61 = profile.virtualizesPowerManagement();
        this.reset = reset;
        this.irqs = irqs;
        int n = hw.cfgSize;
        vconfig = new byte[n];
        kind = new byte[n];
        capId = new byte[n];
        capStart = new int[n];
        virt = new byte[n];
        write = new byte[n];
        fill(0, STD_HEADER_SIZEOF);
        for (int i = 0; i < STD_HEADER_SIZEOF; i++) {
            kind[i] = BASIC;
        }
        basicPerms();
        for (int i = 0; i < STD_NUM_BARS; i++) {
            rbar[i] = hw.u32(BASE_ADDRESS_0 + 4 * i);
        }
        rbar[STD_NUM_BARS] = hw.u32(ROM_ADDRESS);
        if (hw.spec.isVirtualFunction()) {
            put16(VENDOR_ID, hw.u16(VENDOR_ID));
            put16(DEVICE_ID, hw.u16(DEVICE_ID));
            vconfig[INTERRUPT_PIN] = 0;
            put16(COMMAND, u16(COMMAND) | COMMAND_MEMORY);
        }
        boolean extendedCaps = capInit();
        if (extendedCaps) {
            ecapInit();
        }
    }

    // ---- init -------------------------------------------------------------------------------

    /** {@code vfio_fill_vconfig_bytes}. */
    private void fill(int at, int len) {
        for (int i = 0; i < len && at + i < vconfig.length; i++) {
            vconfig[at + i] = (byte) hw.u8(at + i);
        }
    }

    /** Where the capability whose permissions are being set ends ({@link #perm}); the whole space otherwise. */
    private int permEnd = Integer.MAX_VALUE;

    /** {@code init_pci_cap_basic_perm}. */
    private void basicPerms() {
        perm16(0, VENDOR_ID, ALL_VIRT, NO_WRITE);
        perm16(0, DEVICE_ID, ALL_VIRT, NO_WRITE);
        perm16(0, COMMAND, COMMAND_INTX_DISABLE, ALL_WRITE);
        perm16(0, STATUS, STATUS_CAP_LIST, NO_WRITE);
        perm8(0, CACHE_LINE_SIZE, NO_VIRT, ALL_WRITE);
        perm8(0, LATENCY_TIMER, NO_VIRT, ALL_WRITE);
        perm8(0, BIST, NO_VIRT, ALL_WRITE);
        for (int bar = BASE_ADDRESS_0; bar <= BASE_ADDRESS_5; bar += 4) {
            perm32(0, bar, ALL_VIRT, ALL_WRITE);
        }
        perm32(0, ROM_ADDRESS, ALL_VIRT, ALL_WRITE);
        perm8(0, CAPABILITY_LIST, ALL_VIRT, NO_WRITE);
        perm8(0, INTERRUPT_LINE, ALL_VIRT, ALL_WRITE);
        perm8(0, INTERRUPT_PIN, ALL_VIRT, NO_WRITE);
    }

    /** Walks the hardware capability list, hiding what vfio-pci hides ({@code vfio_cap_init}). */
    private boolean capInit() {
        boolean extendedCaps = false;
        if ((hw.u16(STATUS) & STATUS_CAP_LIST) == 0) {
            return false;
        }
        int pos = hw.u8(CAPABILITY_LIST);
        int prev = CAPABILITY_LIST;
        int caps = 0;
        for (int loops = (CFG_SPACE_SIZE - STD_HEADER_SIZEOF) / CAP_SIZEOF; pos != 0 && loops > 0; loops--) {
            if (pos + CAP_FLAGS > CFG_SPACE_SIZE) { // the ID and next bytes do not fit
                break;
            }
            int cap = hw.u8(pos + CAP_LIST_ID);
            int next = hw.u8(pos + CAP_LIST_NEXT);
            int len = 0;
            if (cap != 0 && cap <= CAP_ID_MAX) {
                len = PCI_CAP_LENGTH[cap];
                if (len == VARIABLE) {
                    // the bytes a length is read from lie past the end: the capability cannot fit, and is hidden below
                    len = pos + CAP_FLAGS + 2 > CFG_SPACE_SIZE ? CFG_SPACE_SIZE : capLen(cap, pos);
                }
                if (cap == CAP_ID_EXP || cap == CAP_ID_PCIX && len == CAP_PCIX_SIZEOF_V2) {
                    extendedCaps |= hw.cfgSize > CFG_SPACE_SIZE && hw.u32(CFG_SPACE_SIZE) != 0;
                }
            }
            if (len == 0 || pos + len > CFG_SPACE_SIZE) {
                vconfig[prev] = (byte) next; // hidden: unlinked from the virtual chain
                pos = next;
                continue;
            }
            for (int i = 0; i < len; i++) {
                kind[pos + i] = cap == CAP_ID_VNDR ? VENDOR : hasTable(cap) ? TABLE : DIRECT;
                capId[pos + i] = (byte) cap;
                capStart[pos + i] = pos;
            }
            fill(pos, len);
            permEnd = pos + len;
            capPerms(cap, pos, len);
            permEnd = Integer.MAX_VALUE;
            prev = pos + CAP_LIST_NEXT;
            pos = next;
            caps++;
        }
        if (caps == 0) {
            put16(STATUS, u16(STATUS) & ~STATUS_CAP_LIST);
        }
        return extendedCaps;
    }

    /** The capabilities {@code vfio_pci_init_perm_bits} gives a permission table (MSI's is per device). */
    private static boolean hasTable(int cap) {
        return cap == CAP_ID_PM || cap == CAP_ID_VPD || cap == CAP_ID_MSI || cap == CAP_ID_PCIX || cap == CAP_ID_EXP
                || cap == CAP_ID_AF;
    }

    /** {@code vfio_cap_len}: the length of a variable-length capability. */
    private int capLen(int cap, int pos) {
        return switch (cap) {
            case CAP_ID_MSI -> { // vfio_msi_cap_len
                int flags = hw.u16(pos + MSI_FLAGS);
                yield 10 + ((flags & MSI_FLAGS_64BIT) != 0 ? 4 : 0) + ((flags & MSI_FLAGS_MASKBIT) != 0 ? 10 : 0);
            }
            case CAP_ID_PCIX -> pcixCmdVersion(hw.u16(pos + X_CMD)) != 0 ? CAP_PCIX_SIZEOF_V2 : CAP_PCIX_SIZEOF_V0;
            case CAP_ID_VNDR -> hw.u8(pos + CAP_FLAGS); // the length follows the next pointer
            case CAP_ID_EXP -> {
                int flags = hw.u16(pos + EXP_FLAGS);
                boolean rcEnd = (flags & EXP_FLAGS_TYPE) >> 4 == EXP_TYPE_RC_END;
                yield (flags & EXP_FLAGS_VERS) == 1
                        ? (rcEnd ? CAP_EXP_RC_ENDPOINT_SIZEOF_V1 : CAP_EXP_ENDPOINT_SIZEOF_V1)
                        : (rcEnd ? CAP_EXP_RC_ENDPOINT_SIZEOF_V2 : EXP_ENDPOINT_V2_LENGTH);
            }
            case CAP_ID_HT -> (hw.u8(pos + 3) & HT_3BIT_CAP_MASK) != 0 ? HT_CAP_SIZEOF_SHORT : HT_CAP_SIZEOF_LONG;
            case CAP_ID_SATA -> (hw.u8(pos + SATA_REGS) & SATA_REGS_MASK) == SATA_REGS_INLINE ? SATA_SIZEOF_LONG : SATA_SIZEOF_SHORT;
            default -> 0;
        };
    }

    /** {@code PCI_X_CMD_VERSION}: the capability version in the PCI-X command register. */
    private static int pcixCmdVersion(int cmd) {
        return cmd >> 12 & 3;
    }

    /** The permission table of a capability ({@code init_pci_cap_*_perm}). */
    private void capPerms(int cap, int pos, int len) {
        switch (cap) {
            case CAP_ID_PM -> {
                perm8(pos, CAP_LIST_NEXT, ALL_VIRT, NO_WRITE);
                if (v61) {
                    // PME support and PME_En/PME_Status are virtual and start at 0 (vfio_update_pm_vconfig_bytes)
                    int pme = PM_CTRL_PME_ENABLE | PM_CTRL_PME_STATUS;
                    perm16(pos, PM_PMC, PM_CAP_PME_MASK, NO_WRITE);
                    perm32(pos, PM_CTRL, pme, ~(pme | PM_CTRL_STATE_MASK));
                    put16(pos + PM_PMC, u16(pos + PM_PMC) & ~PM_CAP_PME_MASK);
                    put16(pos + PM_CTRL, u16(pos + PM_CTRL) & ~pme);
                } else {
                    perm32(pos, PM_CTRL, NO_VIRT, ~PM_CTRL_STATE_MASK);
                }
            }
            case CAP_ID_VPD -> {
                perm8(pos, CAP_LIST_NEXT, ALL_VIRT, NO_WRITE);
                perm16(pos, VPD_ADDR, ALL_VIRT, ALL_WRITE);
                perm32(pos, VPD_DATA, ALL_VIRT, ALL_WRITE);
            }
            case CAP_ID_PCIX -> {
                perm8(pos, CAP_LIST_NEXT, ALL_VIRT, NO_WRITE);
                perm16(pos, X_CMD, NO_VIRT, ALL_WRITE);
                perm32(pos, X_ECC_CSR, NO_VIRT, ALL_WRITE); // init_pci_cap_pcix_perm
            }
            case CAP_ID_EXP -> {
                perm8(pos, CAP_LIST_NEXT, ALL_VIRT, NO_WRITE);
                perm16(pos, EXP_DEVCTL, EXP_DEVCTL_BCR_FLR | EXP_DEVCTL_PAYLOAD | EXP_DEVCTL_READRQ, ~EXP_DEVCTL_PHANTOM);
                perm16(pos, EXP_DEVCTL2, NO_VIRT, ~EXP_DEVCTL2_ARI);
            }
            case CAP_ID_AF -> {
                perm8(pos, CAP_LIST_NEXT, ALL_VIRT, NO_WRITE);
                perm8(pos, AF_CTRL, AF_CTRL_FLR, AF_CTRL_FLR); // init_pci_cap_af_perm
            }
            case CAP_ID_MSI -> { // init_pci_cap_msi_perm
                int flags = hw.u16(pos + MSI_FLAGS);
                perm8(pos, CAP_LIST_NEXT, ALL_VIRT, NO_WRITE);
                perm8(pos, MSI_FLAGS, ALL_VIRT, ALL_WRITE); // the upper byte is reserved
                perm32(pos, MSI_ADDRESS_LO, ALL_VIRT, ALL_WRITE);
                if ((flags & MSI_FLAGS_64BIT) != 0) {
                    perm32(pos, MSI_ADDRESS_HI, ALL_VIRT, ALL_WRITE);
                    perm16(pos, MSI_DATA_64, ALL_VIRT, ALL_WRITE);
                    if ((flags & MSI_FLAGS_MASKBIT) != 0) {
                        perm32(pos, MSI_MASK_64, NO_VIRT, ALL_WRITE);
                        perm32(pos, MSI_PENDING_64, NO_VIRT, ALL_WRITE);
                    }
                } else {
                    perm16(pos, MSI_DATA_32, ALL_VIRT, ALL_WRITE);
                    if ((flags & MSI_FLAGS_MASKBIT) != 0) {
                        perm32(pos, MSI_MASK_32, NO_VIRT, ALL_WRITE);
                        perm32(pos, MSI_PENDING_32, NO_VIRT, ALL_WRITE);
                    }
                }
            }
            default -> { }
        }
    }

    /** Walks extended capabilities from 0x100 ({@code vfio_ecap_init}). */
    private void ecapInit() {
        int epos = CFG_SPACE_SIZE;
        int prev = -1;
        int ecaps = 0;
        for (int loops = (hw.cfgSize - CFG_SPACE_SIZE) / CAP_SIZEOF; loops > 0 && epos >= CFG_SPACE_SIZE
                && epos + CAP_SIZEOF <= hw.cfgSize; loops--) {
            int header = hw.u32(epos);
            int ecap = extCapId(header);
            int next = extCapNext(header);
            int len = ecap < PCI_EXT_CAP_LENGTH.length ? PCI_EXT_CAP_LENGTH[ecap] : 0;
            if (len == VARIABLE) {
                len = extCapLen(ecap, epos);
            }
            boolean hidden = false;
            if (len == 0) {
                if (prev >= 0) {
                    put32(prev, u32(prev) & ~EXT_CAP_NEXT_FIELD | next << 20);
                    epos = next;
                    continue;
                }
                len = CAP_SIZEOF; // a placeholder anchoring the chain
                hidden = true;
            }
            len = Math.min(len, hw.cfgSize - epos);
            for (int i = 0; i < len; i++) {
                kind[epos + i] = ecap == EXT_CAP_ID_VNDR ? ECAP_VENDOR
                        : ecap == EXT_CAP_ID_ERR || ecap == EXT_CAP_ID_PWR ? ECAP_TABLE : ECAP_DIRECT;
                capId[epos + i] = (byte) ecap;
                capStart[epos + i] = epos;
            }
            fill(epos, len);
            permEnd = epos + len;
            if (ecap == EXT_CAP_ID_ERR) {
                errPerms(epos);
            } else if (ecap == EXT_CAP_ID_PWR && !hidden) {
                perm32(epos, 0, ALL_VIRT, NO_WRITE); // the header, with the next pointer
                perm8(epos, PWR_DATA, NO_VIRT, ALL_WRITE); // init_pci_ext_cap_pwr_perm opens PCI_PWR_DATA (its comment says the selector)
            }
            permEnd = Integer.MAX_VALUE;
            if (hidden) {
                put32(epos, u32(epos) & EXT_CAP_NEXT_FIELD);
            } else {
                ecaps++;
            }
            prev = epos;
            epos = next;
        }
        if (ecaps == 0) {
            put32(CFG_SPACE_SIZE, 0);
        }
    }

    /** {@code init_pci_ext_cap_err_perm}: the error status, mask and severity bits are writable. */
    private void errPerms(int epos) {
        int uncorrectable = ERR_UNC_UND | ERR_UNC_DLP | ERR_UNC_SURPDN | ERR_UNC_POISON_TLP | ERR_UNC_FCP | ERR_UNC_COMP_TIME
                | ERR_UNC_COMP_ABORT | ERR_UNC_UNX_COMP | ERR_UNC_RX_OVER | ERR_UNC_MALF_TLP | ERR_UNC_ECRC | ERR_UNC_UNSUP
                | ERR_UNC_ACSV | ERR_UNC_INTN | ERR_UNC_MCBTLP | ERR_UNC_ATOMEG | ERR_UNC_TLPPRE;
        int correctable = ERR_COR_RCVR | ERR_COR_BAD_TLP | ERR_COR_BAD_DLLP | ERR_COR_REP_ROLL | ERR_COR_REP_TIMER
                | ERR_COR_ADV_NFAT | ERR_COR_INTERNAL | ERR_COR_LOG_OVER;
        perm32(epos, 0, ALL_VIRT, NO_WRITE); // the header, with the next pointer
        perm32(epos, ERR_UNCOR_STATUS, NO_VIRT, uncorrectable);
        perm32(epos, ERR_UNCOR_MASK, NO_VIRT, uncorrectable);
        perm32(epos, ERR_UNCOR_SEVER, NO_VIRT, uncorrectable);
        perm32(epos, ERR_COR_STATUS, NO_VIRT, correctable);
        perm32(epos, ERR_COR_MASK, NO_VIRT, correctable);
        perm32(epos, ERR_CAP, NO_VIRT, ERR_CAP_ECRC_GENE | ERR_CAP_ECRC_CHKE);
    }

    /** {@code PCI_EXT_CAP_ID}. */
    private static int extCapId(int header) {
        return header & 0xffff;
    }

    /** {@code PCI_EXT_CAP_NEXT}. */
    private static int extCapNext(int header) {
        return header >>> 20 & 0xffc;
    }

    /** {@code vfio_ext_cap_len}: the length of a variable-length extended capability. */
    private int extCapLen(int ecap, int epos) {
        return switch (ecap) {
            case EXT_CAP_ID_VNDR -> hw.u32(epos + VSEC_HDR) >>> VSEC_HDR_LEN_SHIFT;
            case EXT_CAP_ID_VC, EXT_CAP_ID_VC9, EXT_CAP_ID_MFVC -> vcCapLen(epos);
            case EXT_CAP_ID_ACS -> {
                if ((hw.u8(epos + ACS_CAP) & ACS_EC) != 0) {
                    int bits = hw.u8(epos + ACS_EGRESS_BITS);
                    bits = bits != 0 ? (bits + 31) & ~31 : 256;
                    yield 8 + bits / 8;
                }
                yield 8;
            }
            case EXT_CAP_ID_REBAR -> 4 + ((hw.u8(epos + REBAR_CTRL) & REBAR_CTRL_NBAR_MASK) >> REBAR_CTRL_NBAR_SHIFT) * 8;
            case EXT_CAP_ID_DPA -> DPA_BASE_SIZEOF + (hw.u8(epos + DPA_CAP) & DPA_CAP_SUBSTATE_MASK) + 1;
            case EXT_CAP_ID_TPH -> {
                int cap = hw.u32(epos + TPH_CAP);
                yield (cap & TPH_CAP_LOC_MASK) == TPH_LOC_CAP
                        ? TPH_BASE_SIZEOF + ((cap & TPH_CAP_ST_MASK) >>> TPH_CAP_ST_SHIFT) * 2 + 2
                        : TPH_BASE_SIZEOF;
            }
            case EXT_CAP_ID_DVSEC -> v61 ? dvsecHeader1Len(hw.u32(epos + DVSEC_HEADER1)) : 0;
            default -> 0;
        };
    }

    /** {@code PCI_DVSEC_HEADER1_LEN}. */
    private static int dvsecHeader1Len(int header1) {
        return header1 >>> 20 & 0xfff;
    }

    /** {@code vfio_vc_cap_len}: VC and MFVC, with the arbitration table when there is one. */
    private int vcCapLen(int epos) {
        int evcc = hw.u32(epos + VC_PORT_CAP1) & VC_CAP1_EVCC;
        int cap2 = hw.u32(epos + VC_PORT_CAP2);
        int phases = (cap2 & VC_CAP2_128_PHASE) != 0 ? 128 : (cap2 & VC_CAP2_64_PHASE) != 0 ? 64
                : (cap2 & VC_CAP2_32_PHASE) != 0 ? 32 : 0;
        int len = CAP_VC_BASE_SIZEOF + (1 + evcc) * CAP_VC_PER_VC_SIZEOF;
        if (phases != 0) {
            len = (len + 15) & ~15;
            len += phases * 4 / 8;
        }
        return len;
    }

    // ---- permission helpers ----------------------------------------------------------------

    /** {@code p_setb}. */
    private void perm8(int base, int off, int v, int w) {
        perm(base + off, 1, v, w);
    }

    /** {@code p_setw}. */
    private void perm16(int base, int off, int v, int w) {
        perm(base + off, 2, v, w);
    }

    /** {@code p_setd}. */
    private void perm32(int base, int off, int v, int w) {
        perm(base + off, 4, v, w);
    }

    /**
     * The permission bytes of {@code size} bytes at {@code at}, little-endian, stopping at the end
     * of the capability being set up: the kernel keeps one table per capability ID and uses only
     * the first {@code len} bytes of it, so a field past a short capability (DEVCTL2 of a version-1
     * PCI Express capability) belongs to whatever follows, not to this capability.
     */
    private void perm(int at, int size, int v, int w) {
        for (int i = 0; i < size && at + i < permEnd; i++) {
            virt[at + i] = (byte) (v >>> 8 * i);
            write[at + i] = (byte) (w >>> 8 * i);
        }
    }

    int u8(int at) {
        return LittleEndian.u8(vconfig, at);
    }

    int u16(int at) {
        return LittleEndian.u16(vconfig, at);
    }

    int u32(int at) {
        return LittleEndian.u32(vconfig, at);
    }

    private void put16(int at, int v) {
        LittleEndian.put16(vconfig, at, v);
    }

    private void put32(int at, int v) {
        LittleEndian.put32(vconfig, at, v);
    }

    private int vread(int at, int count) {
        return LittleEndian.get(vconfig, at, count);
    }

    private void vwrite(int at, int count, int value) {
        LittleEndian.put(vconfig, at, count, value);
    }

    private static int mask(byte[] perm, int at, int count) {
        return LittleEndian.get(perm, at, count);
    }

    private static int ones(int count) {
        return count == 4 ? -1 : (1 << 8 * count) - 1;
    }

    // ---- access -----------------------------------------------------------------------------

    /** Whether memory decode is on as vfio-pci sees it ({@code __vfio_pci_memory_enabled}). */
    boolean memoryEnabled() {
        boolean cmd = hw.spec.isVirtualFunction() || (u16(COMMAND) & COMMAND_MEMORY) != 0;
        return cmd && (!v61 || hw.powerState < PciHardware.PCI_D3HOT);
    }

    /** Whether an access is one naturally aligned piece of 1, 2 or 4 bytes that needs no splitting. */
    boolean single(int pos, int count) {
        return (count == 1 || count == 2 || count == 4) && pos % count == 0 && piece(pos, count) == count;
    }

    /** A {@link #single} read. */
    int readSingle(int pos, int count) throws KernelError {
        return readPiece(pos, count);
    }

    /** A {@link #single} write. */
    void writeSingle(int pos, int count, int value) throws KernelError {
        writePiece(pos, count, value);
    }

    /** Reads {@code count} bytes at {@code pos} into {@code out} as pieces of 4, 2, 1 bytes ({@code vfio_pci_config_rw}). */
    void read(int pos, byte[] out) throws KernelError {
        int done = 0;
        while (done < out.length) {
            int at = pos + done;
            int count = piece(at, out.length - done);
            int v = readPiece(at, count);
            LittleEndian.put(out, done, count, v);
            done += count;
        }
    }

    void write(int pos, byte[] in) throws KernelError {
        int done = 0;
        while (done < in.length) {
            int at = pos + done;
            int count = piece(at, in.length - done);
            writePiece(at, count, LittleEndian.get(in, done, count));
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
        return kind[at] == UNASSIGNED ? PCI_CAP_ID_INVALID : kind[at] == BASIC ? PCI_CAP_ID_BASIC : capId[at] & 0xff;
    }

    private int readPiece(int pos, int count) throws KernelError {
        int offset = pos - capStart[pos];
        return switch (kind[pos]) {
            case UNASSIGNED -> hw.read(pos, count);
            case BASIC -> {
                if (isBar(pos)) {
                    barFixup();
                }
                int v = defaultRead(pos, count);
                if (pos == COMMAND && hw.spec.isVirtualFunction()) {
                    v |= u16(COMMAND) & COMMAND_MEMORY; // the virtual memory enable of an SR-IOV VF
                }
                yield v;
            }
            case TABLE, ECAP_TABLE -> defaultRead(pos, count);
            default -> directRead(pos, count, offset);
        };
    }

    private int defaultRead(int pos, int count) throws KernelError {
        int v = vread(pos, count);
        int vm = mask(virt, pos, count);
        if (vm != ones(count)) {
            v = hw.read(pos, count) & ~vm | v & vm;
        }
        return v;
    }

    /** {@code vfio_direct_config_read}: hardware, with the header (ID/next, or the ecap's first dword) from vconfig. */
    private int directRead(int pos, int count, int offset) throws KernelError {
        int v = hw.read(pos, count);
        if (pos >= CFG_SPACE_SIZE) {
            if (offset < CAP_SIZEOF) {
                v = vread(pos, count);
            }
        } else if (offset == CAP_LIST_ID && count > 1) {
            int n = Math.min(CAP_FLAGS, count);
            v = v & ~ones(n) | vread(pos, n);
        } else if (offset == CAP_LIST_NEXT) {
            v = v & ~ones(1) | u8(pos);
        }
        return v;
    }

    private void writePiece(int pos, int count, int val) throws KernelError {
        int offset = pos - capStart[pos];
        switch (kind[pos]) {
            case UNASSIGNED, VENDOR, ECAP_VENDOR -> hw.write(pos, count, val);
            case BASIC -> basicWrite(pos, count, val);
            case TABLE -> {
                int cap = capId[pos] & 0xff;
                int start = capStart[pos];
                int oldReadRq = cap == CAP_ID_EXP ? u16(start + EXP_DEVCTL) & EXP_DEVCTL_READRQ : 0;
                defaultWrite(pos, count, val);
                switch (cap) {
                    case CAP_ID_PM -> {
                        if (offset == PM_CTRL) {
                            reset.powerState(val & PM_CTRL_STATE_MASK); // vfio_pm_config_write sets the state itself
                        }
                    }
                    case CAP_ID_MSI -> msiWrite(start, offset, count);
                    case CAP_ID_EXP -> expWrite(start, oldReadRq);
                    case CAP_ID_AF -> afWrite(start);
                    case CAP_ID_VPD -> vpdWrite(start, offset, count);
                    default -> { }
                }
            }
            case ECAP_TABLE -> defaultWrite(pos, count, val);
            default -> { } // no permission table: writes are dropped
        }
    }

    private void defaultWrite(int pos, int count, int val) throws KernelError {
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
        return at >= BASE_ADDRESS_0 && at < BASE_ADDRESS_5 + 4 || at >= ROM_ADDRESS && at < ROM_ADDRESS + 4;
    }

    /** {@code vfio_basic_config_write}. */
    private void basicWrite(int pos, int count, int val) throws KernelError {
        if (pos == COMMAND) {
            int phys = hw.u16(COMMAND);
            int virtCmd = u16(COMMAND);
            boolean restore = (val & COMMAND_MEMORY) != 0 && (virtCmd & COMMAND_MEMORY) != 0 && (phys & COMMAND_MEMORY) == 0
                    || (val & COMMAND_IO) != 0 && (virtCmd & COMMAND_IO) != 0 && (phys & COMMAND_IO) == 0 || needBarRestore();
            if (restore) {
                barRestore();
            }
        }
        defaultWrite(pos, count, val);
        if (pos == COMMAND) {
            int memIo = COMMAND_MEMORY | COMMAND_IO; // kept to detect a backdoor reset next time
            put16(COMMAND, u16(COMMAND) & ~memIo | val & memIo);
        }
        if (pos >= COMMAND && pos <= COMMAND + 1) {
            boolean disabled = (u16(COMMAND) & COMMAND_INTX_DISABLE) != 0;
            if (disabled != virqDisabled) {
                virqDisabled = disabled;
                if (disabled) { // vfio_basic_config_write calls vfio_pci_intx_mask / vfio_pci_intx_unmask
                    irqs.mask();
                } else {
                    irqs.unmask();
                }
            }
        }
    }

    private boolean needBarRestore() {
        for (int i = 0; i < STD_NUM_BARS; i++) {
            if (rbar[i] != 0 && hw.u32(BASE_ADDRESS_0 + 4 * i) != rbar[i]) {
                return true;
            }
        }
        return false;
    }

    /** {@code vfio_bar_restore}: the hardware BARs get the values saved at open (its config writes fail silently during an EEH reset). */
    private void barRestore() {
        if (hw.spec.isVirtualFunction() || hw.configBlocked()) {
            return;
        }
        for (int i = 0; i < STD_NUM_BARS; i++) {
            hw.put(BASE_ADDRESS_0 + 4 * i, 4, rbar[i]);
        }
        hw.put(ROM_ADDRESS, 4, rbar[STD_NUM_BARS]);
    }

    /** {@code vfio_bar_fixup}: the sizing protocol over the virtual BARs. */
    private void barFixup() {
        for (int i = 0; i < STD_NUM_BARS; i++) {
            int at = BASE_ADDRESS_0 + 4 * i;
            var bar = hw.bars[i];
            if (bar == null || hw.barAddress[i] == 0) {
                put32(at, 0);
                continue;
            }
            long mask = ~(bar.size() - 1);
            int prefetch = bar.prefetchable() ? BASE_ADDRESS_MEM_PREFETCH : 0;
            int flags = switch (bar.kind()) { // vfio_generate_bar_flags
                case IO -> BASE_ADDRESS_SPACE_IO;
                case MEMORY32 -> BASE_ADDRESS_SPACE_MEMORY | prefetch;
                case MEMORY64 -> BASE_ADDRESS_SPACE_MEMORY | BASE_ADDRESS_MEM_TYPE_64 | prefetch;
            };
            put32(at, u32(at) & (int) mask | flags);
            if (bar.kind() == BarKind.MEMORY64) {
                put32(at + 4, u32(at + 4) & (int) (mask >>> 32));
                i++;
            }
        }
        if (hw.rom.isPresent()) {
            put32(ROM_ADDRESS, u32(ROM_ADDRESS) & ((int) ~(hw.rom.get().size() - 1) | ROM_ADDRESS_ENABLE));
        } else {
            put32(ROM_ADDRESS, 0);
        }
    }

    /**
     * {@code vfio_msi_config_write}: the Enable bit only while MSI is on through SET_IRQS, Multiple
     * Message Enable clamped to what SET_IRQS allocated; the result goes to vconfig and hardware.
     * (The matching read-side fix-up of Multiple Message Capable writes at the capability start in
     * these kernels, onto the ID/next word, so the user sees what was written: verified on 6.1.)
     */
    private void msiWrite(int start, int offset, int count) throws KernelError {
        if (offset <= MSI_FLAGS && offset + count >= MSI_FLAGS) {
            int flags = u16(start + MSI_FLAGS);
            if (!msiActive) {
                flags &= ~MSI_FLAGS_ENABLE;
            }
            if ((flags & MSI_FLAGS_QSIZE) >> 4 > msiQmax) {
                flags = flags & ~MSI_FLAGS_QSIZE | msiQmax << 4;
            }
            put16(start + MSI_FLAGS, flags);
            hw.write(start + MSI_FLAGS, 2, flags);
        }
    }

    /** {@code vfio_exp_config_write}: FLR is virtual and resets when DEVCAP offers it; MRRS goes to hardware, never below MPS. */
    private void expWrite(int start, int oldReadRq) {
        int ctrl = u16(start + EXP_DEVCTL);
        if ((ctrl & EXP_DEVCTL_BCR_FLR) != 0) {
            put16(start + EXP_DEVCTL, ctrl & ~EXP_DEVCTL_BCR_FLR);
            if ((hw.u32(start + EXP_DEVCAP) & EXP_DEVCAP_FLR) != 0) {
                reset.flr();
            }
        }
        int readRq = u16(start + EXP_DEVCTL) & EXP_DEVCTL_READRQ;
        if (readRq != oldReadRq) {
            int mps = 128 << ((hw.u16(start + EXP_DEVCTL) & EXP_DEVCTL_PAYLOAD) >> 5); // pcie_get_mps
            int bytes = Math.max(128 << (readRq >> 12), mps);
            int field = Integer.numberOfTrailingZeros(bytes / 128) << 12; // pcie_set_readrq
            hw.writeIgnoringErrors(start + EXP_DEVCTL, 2, hw.u16(start + EXP_DEVCTL) & ~EXP_DEVCTL_READRQ | field); // pcie_set_readrq's result is ignored
        }
    }

    /** {@code vfio_af_config_write}: FLR is virtual, clears itself, and resets when AF offers FLR and TP. */
    private void afWrite(int start) {
        if ((u8(start + AF_CTRL) & AF_CTRL_FLR) != 0) {
            vconfig[start + AF_CTRL] &= ~AF_CTRL_FLR;
            int both = AF_CAP_FLR | AF_CAP_TP;
            if ((hw.u8(start + AF_CAP) & both) == both) {
                reset.flr();
            }
        }
    }

    /** {@code vfio_vpd_config_write}: an address write with F reads or writes a dword of VPD; F toggles when done. */
    private void vpdWrite(int start, int offset, int count) {
        if (offset > VPD_ADDR + 1 || offset + count <= VPD_ADDR + 1) {
            return; // the write left the F bit alone
        }
        int addr = u16(start + VPD_ADDR);
        if ((addr & VPD_ADDR_F) == 0) {
            put32(start + VPD_DATA, 0); // the simulated functions carry no VPD contents
        }
        put16(start + VPD_ADDR, addr ^ VPD_ADDR_F);
    }
}
