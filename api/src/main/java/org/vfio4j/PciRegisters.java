package org.vfio4j;

/**
 * Names of PCI config-space registers, bits and capability IDs, as {@code <linux/pci_regs.h>}
 * defines them (each constant is that header's {@code PCI_} name without the prefix, and the ABI
 * proof checks every value against the header with gcc). Use them with {@link PciConfig}:
 * <pre>{@code
 * PciConfig config = device.config();
 * config.enableCommand(PciRegisters.COMMAND_MEMORY | PciRegisters.COMMAND_MASTER);
 * int msi = config.find(PciRegisters.CAP_ID_MSI);
 * }</pre>
 */
public final class PciRegisters {
    private PciRegisters() {}

    // ---- Sizes of config space ----

    /** Size of conventional config space; extended capabilities start here. */
    public static final int CFG_SPACE_SIZE = 256;

    /** Size of PCI Express (extended) config space. */
    public static final int CFG_SPACE_EXP_SIZE = 4096;

    /** Size of the standard header; capabilities live above it. */
    public static final int STD_HEADER_SIZEOF = 64;

    /** Number of standard BARs in a type 0 header. */
    public static final int STD_NUM_BARS = 6;

    // ---- Header registers (type 0), byte offsets ----

    /** Vendor ID, 16 bits. */
    public static final int VENDOR_ID = 0x00;

    /** Device ID, 16 bits. */
    public static final int DEVICE_ID = 0x02;

    /** Command register, 16 bits: the {@code COMMAND_*} bits. */
    public static final int COMMAND = 0x04;

    /** Status register, 16 bits: the {@code STATUS_*} bits. */
    public static final int STATUS = 0x06;

    /** Revision ID, 8 bits. */
    public static final int REVISION_ID = 0x08;

    /** Revision ID and class code as one dword (class in the high 24 bits). */
    public static final int CLASS_REVISION = 0x08;

    /** Programming interface, 8 bits. */
    public static final int CLASS_PROG = 0x09;

    /** Base class and subclass, 16 bits. */
    public static final int CLASS_DEVICE = 0x0a;

    /** Cache line size, 8 bits. */
    public static final int CACHE_LINE_SIZE = 0x0c;

    /** Latency timer, 8 bits. */
    public static final int LATENCY_TIMER = 0x0d;

    /** Header type, 8 bits (bit 7: multi-function). */
    public static final int HEADER_TYPE = 0x0e;

    /** Built-in self test, 8 bits. */
    public static final int BIST = 0x0f;

    /** BAR 0. */
    public static final int BASE_ADDRESS_0 = 0x10;

    /** BAR 1. */
    public static final int BASE_ADDRESS_1 = 0x14;

    /** BAR 2. */
    public static final int BASE_ADDRESS_2 = 0x18;

    /** BAR 3. */
    public static final int BASE_ADDRESS_3 = 0x1c;

    /** BAR 4. */
    public static final int BASE_ADDRESS_4 = 0x20;

    /** BAR 5. */
    public static final int BASE_ADDRESS_5 = 0x24;

    /** CardBus CIS pointer. */
    public static final int CARDBUS_CIS = 0x28;

    /** Subsystem vendor ID, 16 bits. */
    public static final int SUBSYSTEM_VENDOR_ID = 0x2c;

    /** Subsystem ID, 16 bits. */
    public static final int SUBSYSTEM_ID = 0x2e;

    /** Expansion ROM base address (bit 0: enable). */
    public static final int ROM_ADDRESS = 0x30;

    /** Offset of the first capability, 8 bits. */
    public static final int CAPABILITY_LIST = 0x34;

    /** Interrupt line, 8 bits. */
    public static final int INTERRUPT_LINE = 0x3c;

    /** Interrupt pin, 8 bits (1 = INTA). */
    public static final int INTERRUPT_PIN = 0x3d;

    /** Minimum grant, 8 bits. */
    public static final int MIN_GNT = 0x3e;

    /** Maximum latency, 8 bits. */
    public static final int MAX_LAT = 0x3f;

    // ---- BAR and expansion ROM bits ----

    /** BAR bit 0: the BAR decodes memory (0) or I/O (1). */
    public static final int BASE_ADDRESS_SPACE = 0x01;

    /** BAR bit 0 value of an I/O BAR. */
    public static final int BASE_ADDRESS_SPACE_IO = 0x01;

    /** BAR bit 0 value of a memory BAR. */
    public static final int BASE_ADDRESS_SPACE_MEMORY = 0x00;

    /** Memory BAR type field: 32-bit, or 64-bit taking the next BAR too. */
    public static final int BASE_ADDRESS_MEM_TYPE_MASK = 0x06;

    /** Memory BAR type of a 64-bit BAR. */
    public static final int BASE_ADDRESS_MEM_TYPE_64 = 0x04;

    /** Memory BAR is prefetchable. */
    public static final int BASE_ADDRESS_MEM_PREFETCH = 0x08;

    /** Address bits of a memory BAR. */
    public static final int BASE_ADDRESS_MEM_MASK = ~0x0f;

    /** Address bits of an I/O BAR. */
    public static final int BASE_ADDRESS_IO_MASK = ~0x03;

    /** Expansion ROM decode enable. */
    public static final int ROM_ADDRESS_ENABLE = 0x01;

    // ---- Command register bits ----

    /** Respond to I/O space accesses. */
    public static final int COMMAND_IO = 0x01;

    /** Respond to memory space accesses (BARs decode). */
    public static final int COMMAND_MEMORY = 0x02;

    /** Bus mastering: the function may issue DMA and MSI/MSI-X messages. */
    public static final int COMMAND_MASTER = 0x04;

    /** Special cycles. */
    public static final int COMMAND_SPECIAL = 0x08;

    /** Memory write and invalidate. */
    public static final int COMMAND_INVALIDATE = 0x10;

    /** VGA palette snoop. */
    public static final int COMMAND_VGA_PALETTE = 0x20;

    /** Parity error response. */
    public static final int COMMAND_PARITY = 0x40;

    /** Address/data stepping. */
    public static final int COMMAND_WAIT = 0x80;

    /** SERR# enable. */
    public static final int COMMAND_SERR = 0x100;

    /** Fast back-to-back writes. */
    public static final int COMMAND_FAST_BACK = 0x200;

    /** INTx emulation disable (DisINTx). */
    public static final int COMMAND_INTX_DISABLE = 0x400;

    // ---- Status register bits ----

    /** Immediate readiness. */
    public static final int STATUS_IMM_READY = 0x01;

    /** The function asserts INTx. */
    public static final int STATUS_INTERRUPT = 0x08;

    /** A capability list is present. */
    public static final int STATUS_CAP_LIST = 0x10;

    /** 66 MHz capable. */
    public static final int STATUS_66MHZ = 0x20;

    /** User-definable features. */
    public static final int STATUS_UDF = 0x40;

    /** Fast back-to-back capable. */
    public static final int STATUS_FAST_BACK = 0x80;

    /** Master data parity error. */
    public static final int STATUS_PARITY = 0x100;

    /** DEVSEL timing. */
    public static final int STATUS_DEVSEL_MASK = 0x600;

    /** Signalled target abort. */
    public static final int STATUS_SIG_TARGET_ABORT = 0x800;

    /** Received target abort. */
    public static final int STATUS_REC_TARGET_ABORT = 0x1000;

    /** Received master abort. */
    public static final int STATUS_REC_MASTER_ABORT = 0x2000;

    /** Signalled system error. */
    public static final int STATUS_SIG_SYSTEM_ERROR = 0x4000;

    /** Detected parity error. */
    public static final int STATUS_DETECTED_PARITY = 0x8000;

    // ---- Capability IDs (the standard list) ----

    /** Capability register: its ID, 8 bits (offset from the capability). */
    public static final int CAP_LIST_ID = 0;

    /** Capability register: offset of the next capability, 8 bits. */
    public static final int CAP_LIST_NEXT = 1;

    /** Capability register: the capability's own flags, 16 bits. */
    public static final int CAP_FLAGS = 2;

    /** Size of a capability header; capabilities are dword aligned. */
    public static final int CAP_SIZEOF = 4;

    /** Power management. */
    public static final int CAP_ID_PM = 0x01;

    /** AGP. */
    public static final int CAP_ID_AGP = 0x02;

    /** Vital product data. */
    public static final int CAP_ID_VPD = 0x03;

    /** Slot identification. */
    public static final int CAP_ID_SLOTID = 0x04;

    /** Message signalled interrupts. */
    public static final int CAP_ID_MSI = 0x05;

    /** CompactPCI hot swap. */
    public static final int CAP_ID_CHSWP = 0x06;

    /** PCI-X. */
    public static final int CAP_ID_PCIX = 0x07;

    /** HyperTransport. */
    public static final int CAP_ID_HT = 0x08;

    /** Vendor-specific. */
    public static final int CAP_ID_VNDR = 0x09;

    /** Debug port. */
    public static final int CAP_ID_DBG = 0x0a;

    /** CompactPCI central resource control. */
    public static final int CAP_ID_CCRC = 0x0b;

    /** PCI standard hot-plug controller. */
    public static final int CAP_ID_SHPC = 0x0c;

    /** Bridge subsystem vendor/device ID. */
    public static final int CAP_ID_SSVID = 0x0d;

    /** AGP target PCI-PCI bridge. */
    public static final int CAP_ID_AGP3 = 0x0e;

    /** Secure device. */
    public static final int CAP_ID_SECDEV = 0x0f;

    /** PCI Express. */
    public static final int CAP_ID_EXP = 0x10;

    /** MSI-X. */
    public static final int CAP_ID_MSIX = 0x11;

    /** SATA data/index configuration. */
    public static final int CAP_ID_SATA = 0x12;

    /** PCI Advanced Features. */
    public static final int CAP_ID_AF = 0x13;

    /** Enhanced allocation. */
    public static final int CAP_ID_EA = 0x14;

    /** Highest standard capability ID the header knows. */
    public static final int CAP_ID_MAX = CAP_ID_EA;

    // ---- Extended capability IDs (from 0x100) ----

    /** Advanced error reporting. */
    public static final int EXT_CAP_ID_ERR = 0x01;

    /** Virtual channel. */
    public static final int EXT_CAP_ID_VC = 0x02;

    /** Device serial number. */
    public static final int EXT_CAP_ID_DSN = 0x03;

    /** Power budgeting. */
    public static final int EXT_CAP_ID_PWR = 0x04;

    /** Multi-function virtual channel. */
    public static final int EXT_CAP_ID_MFVC = 0x08;

    /** Virtual channel (the second ID it may carry). */
    public static final int EXT_CAP_ID_VC9 = 0x09;

    /** Vendor-specific. */
    public static final int EXT_CAP_ID_VNDR = 0x0b;

    /** Access control services. */
    public static final int EXT_CAP_ID_ACS = 0x0d;

    /** Alternative routing-ID interpretation. */
    public static final int EXT_CAP_ID_ARI = 0x0e;

    /** Address translation services. */
    public static final int EXT_CAP_ID_ATS = 0x0f;

    /** Single root I/O virtualization. */
    public static final int EXT_CAP_ID_SRIOV = 0x10;

    /** Multicast. */
    public static final int EXT_CAP_ID_MCAST = 0x12;

    /** Page request interface. */
    public static final int EXT_CAP_ID_PRI = 0x13;

    /** Resizable BAR. */
    public static final int EXT_CAP_ID_REBAR = 0x15;

    /** Dynamic power allocation. */
    public static final int EXT_CAP_ID_DPA = 0x16;

    /** TLP processing hints requester. */
    public static final int EXT_CAP_ID_TPH = 0x17;

    /** Latency tolerance reporting. */
    public static final int EXT_CAP_ID_LTR = 0x18;

    /** Process address space ID. */
    public static final int EXT_CAP_ID_PASID = 0x1b;

    /** Downstream port containment. */
    public static final int EXT_CAP_ID_DPC = 0x1d;

    /** L1 PM substates. */
    public static final int EXT_CAP_ID_L1SS = 0x1e;

    /** Precision time measurement. */
    public static final int EXT_CAP_ID_PTM = 0x1f;

    /** Designated vendor-specific. */
    public static final int EXT_CAP_ID_DVSEC = 0x23;

    // ---- MSI capability: registers (offsets from the capability) and bits ----

    /** Message control, 16 bits. */
    public static final int MSI_FLAGS = 0x02;

    /** MSI enable. */
    public static final int MSI_FLAGS_ENABLE = 0x01;

    /** Multiple Message Capable. */
    public static final int MSI_FLAGS_QMASK = 0x0e;

    /** Multiple Message Enable. */
    public static final int MSI_FLAGS_QSIZE = 0x70;

    /** 64-bit addresses. */
    public static final int MSI_FLAGS_64BIT = 0x80;

    /** Per-vector masking. */
    public static final int MSI_FLAGS_MASKBIT = 0x100;

    /** Message address, low 32 bits. */
    public static final int MSI_ADDRESS_LO = 0x04;

    /** Message address, high 32 bits (64-bit capability). */
    public static final int MSI_ADDRESS_HI = 0x08;

    /** Message data of a 32-bit capability. */
    public static final int MSI_DATA_32 = 0x08;

    /** Message data of a 64-bit capability. */
    public static final int MSI_DATA_64 = 0x0c;

    /** Mask bits of a 32-bit capability. */
    public static final int MSI_MASK_32 = 0x0c;

    /** Mask bits of a 64-bit capability. */
    public static final int MSI_MASK_64 = 0x10;

    /** Pending bits of a 32-bit capability with per-vector masking. */
    public static final int MSI_PENDING_32 = 0x10;

    /** Pending bits of a 64-bit capability with per-vector masking. */
    public static final int MSI_PENDING_64 = 0x14;

    // ---- MSI-X capability: registers (offsets from the capability) and bits ----

    /** Message control, 16 bits. */
    public static final int MSIX_FLAGS = 0x02;

    /** Table size minus one. */
    public static final int MSIX_FLAGS_QSIZE = 0x7ff;

    /** Function mask. */
    public static final int MSIX_FLAGS_MASKALL = 0x4000;

    /** MSI-X enable. */
    public static final int MSIX_FLAGS_ENABLE = 0x8000;

    /** Table offset and BIR. */
    public static final int MSIX_TABLE = 0x04;

    /** The BAR indicator (BIR) bits of {@link #MSIX_TABLE}; the rest is the offset in that BAR. */
    public static final int MSIX_TABLE_BIR = 0x07;

    /** Pending bit array offset and BIR. */
    public static final int MSIX_PBA = 0x08;

    /** The BAR indicator (BIR) bits of {@link #MSIX_PBA}; the rest is the offset in that BAR. */
    public static final int MSIX_PBA_BIR = 0x07;

    /** Size of the MSI-X capability. */
    public static final int CAP_MSIX_SIZEOF = 12;

    /** Size of one MSI-X table entry (in the BAR, not config space). */
    public static final int MSIX_ENTRY_SIZE = 16;

    /** Table entry: message address, low 32 bits. */
    public static final int MSIX_ENTRY_LOWER_ADDR = 0x0;

    /** Table entry: message address, high 32 bits. */
    public static final int MSIX_ENTRY_UPPER_ADDR = 0x4;

    /** Table entry: message data. */
    public static final int MSIX_ENTRY_DATA = 0x8;

    /** Table entry: vector control. */
    public static final int MSIX_ENTRY_VECTOR_CTRL = 0xc;

    /** Vector control: the vector is masked. */
    public static final int MSIX_ENTRY_CTRL_MASKBIT = 0x1;

    // ---- Power management capability ----

    /** Power management capabilities (PMC), 16 bits. */
    public static final int PM_PMC = 2;

    /** PMC: the power states PME can be signalled from. */
    public static final int PM_CAP_PME_MASK = 0xf800;

    /** Power management control/status, 16 bits. */
    public static final int PM_CTRL = 0x04;

    /** The power state: 0 = D0 ... 3 = D3hot. */
    public static final int PM_CTRL_STATE_MASK = 0x03;

    /** The D3hot to D0 transition does not reset the function. */
    public static final int PM_CTRL_NO_SOFT_RESET = 0x0008;

    /** PME enable. */
    public static final int PM_CTRL_PME_ENABLE = 0x0100;

    /** PME status (write 1 to clear). */
    public static final int PM_CTRL_PME_STATUS = 0x8000;

    /** Size of the power management capability. */
    public static final int PM_SIZEOF = 8;

    // ---- AGP capability ----

    /** Size of the AGP capability. */
    public static final int AGP_SIZEOF = 12;

    // ---- Vital product data capability ----

    /** VPD address, 16 bits: the low 15 bits address VPD, the top bit is {@link #VPD_ADDR_F}. */
    public static final int VPD_ADDR = 2;

    /** Set by software to write VPD (clear to read); the function toggles it when done. */
    public static final int VPD_ADDR_F = 0x8000;

    /** VPD data, 32 bits. */
    public static final int VPD_DATA = 4;

    /** Size of the VPD capability. */
    public static final int CAP_VPD_SIZEOF = 8;

    // ---- PCI-X capability ----

    /** PCI-X command, 16 bits (bits 13:12: capability version). */
    public static final int X_CMD = 2;

    /** PCI-X status, 32 bits. */
    public static final int X_STATUS = 4;

    /** PCI-X ECC control and status, 32 bits (version 1 and 2). */
    public static final int X_ECC_CSR = 8;

    /** Size of a version 0 PCI-X capability. */
    public static final int CAP_PCIX_SIZEOF_V0 = 8;

    /** Size of a version 1 PCI-X capability. */
    public static final int CAP_PCIX_SIZEOF_V1 = 24;

    /** Size of a version 2 PCI-X capability (as version 1). */
    public static final int CAP_PCIX_SIZEOF_V2 = 24;

    // ---- SATA capability ----

    /** SATA capability register 1: where the SATA registers live. */
    public static final int SATA_REGS = 4;

    /** The location bits of {@link #SATA_REGS}. */
    public static final int SATA_REGS_MASK = 0xf;

    /** Location value: the registers follow inline in config space. */
    public static final int SATA_REGS_INLINE = 0xf;

    /** Size of the SATA capability without inline registers. */
    public static final int SATA_SIZEOF_SHORT = 8;

    /** Size of the SATA capability with inline registers. */
    public static final int SATA_SIZEOF_LONG = 16;

    // ---- PCI Advanced Features capability ----

    /** AF structure length, 8 bits. */
    public static final int AF_LENGTH = 2;

    /** AF capabilities, 8 bits. */
    public static final int AF_CAP = 3;

    /** AF capability: Transactions Pending is supported. */
    public static final int AF_CAP_TP = 0x01;

    /** AF capability: function level reset is supported. */
    public static final int AF_CAP_FLR = 0x02;

    /** AF control, 8 bits. */
    public static final int AF_CTRL = 4;

    /** AF control: initiate a function level reset. */
    public static final int AF_CTRL_FLR = 0x01;

    /** AF status, 8 bits. */
    public static final int AF_STATUS = 5;

    /** AF status: transactions are pending. */
    public static final int AF_STATUS_TP = 0x01;

    /** Size of the AF capability. */
    public static final int CAP_AF_SIZEOF = 6;

    // ---- PCI Express capability: registers (offsets from the capability) and bits ----

    /** PCI Express capabilities register, 16 bits. */
    public static final int EXP_FLAGS = 0x02;

    /** The capability version. */
    public static final int EXP_FLAGS_VERS = 0x000f;

    /** The device/port type, one of the {@code EXP_TYPE_*} values shifted left by 4. */
    public static final int EXP_FLAGS_TYPE = 0x00f0;

    /** Device/port type: root complex integrated endpoint. */
    public static final int EXP_TYPE_RC_END = 0x9;

    /** Device capabilities, 32 bits. */
    public static final int EXP_DEVCAP = 0x04;

    /** DEVCAP: role-based error reporting. */
    public static final int EXP_DEVCAP_RBER = 0x00008000;

    /** DEVCAP: function level reset is supported. */
    public static final int EXP_DEVCAP_FLR = 0x10000000;

    /** Device control, 16 bits. */
    public static final int EXP_DEVCTL = 0x08;

    /** DEVCTL: Max_Payload_Size. */
    public static final int EXP_DEVCTL_PAYLOAD = 0x00e0;

    /** DEVCTL: phantom functions enable. */
    public static final int EXP_DEVCTL_PHANTOM = 0x0200;

    /** DEVCTL: Max_Read_Request_Size. */
    public static final int EXP_DEVCTL_READRQ = 0x7000;

    /** DEVCTL: bridge configuration retry enable, or initiate function level reset. */
    public static final int EXP_DEVCTL_BCR_FLR = 0x8000;

    /** Device status, 16 bits. */
    public static final int EXP_DEVSTA = 0x0a;

    /** Link capabilities, 32 bits. */
    public static final int EXP_LNKCAP = 0x0c;

    /** LNKCAP: supported link speeds field value for 2.5 GT/s. */
    public static final int EXP_LNKCAP_SLS_2_5GB = 0x00000001;

    /** LNKCAP: maximum link width. */
    public static final int EXP_LNKCAP_MLW = 0x000003f0;

    /** LNKCAP: ASPM L0s is supported. */
    public static final int EXP_LNKCAP_ASPM_L0S = 0x00000400;

    /** Link control, 16 bits. */
    public static final int EXP_LNKCTL = 0x10;

    /** Link status, 16 bits. */
    public static final int EXP_LNKSTA = 0x12;

    /** LNKSTA: current link speed 2.5 GT/s. */
    public static final int EXP_LNKSTA_CLS_2_5GB = 0x0001;

    /** LNKSTA: negotiated link width x1. */
    public static final int EXP_LNKSTA_NLW_X1 = 0x0010;

    /** Device capabilities 2, 32 bits. */
    public static final int EXP_DEVCAP2 = 0x24;

    /** DEVCAP2: end-end TLP prefix is supported. */
    public static final int EXP_DEVCAP2_EE_PREFIX = 0x00200000;

    /** Device control 2, 16 bits. */
    public static final int EXP_DEVCTL2 = 0x28;

    /** DEVCTL2: alternative routing-ID forwarding enable. */
    public static final int EXP_DEVCTL2_ARI = 0x0020;

    /** Device status 2, 16 bits. */
    public static final int EXP_DEVSTA2 = 0x2a;

    /** Link capabilities 2, 32 bits. */
    public static final int EXP_LNKCAP2 = 0x2c;

    /** Link control 2, 16 bits. */
    public static final int EXP_LNKCTL2 = 0x30;

    /** Link status 2, 16 bits. */
    public static final int EXP_LNKSTA2 = 0x32;

    /** Size of a version 1 capability of a root complex integrated endpoint (no link registers). */
    public static final int CAP_EXP_RC_ENDPOINT_SIZEOF_V1 = 12;

    /** Size of a version 1 capability with link registers. */
    public static final int CAP_EXP_ENDPOINT_SIZEOF_V1 = 20;

    /** Size of a version 2 capability of a root complex integrated endpoint (no link registers). */
    public static final int CAP_EXP_RC_ENDPOINT_SIZEOF_V2 = 0x2c;

    // ---- Extended capabilities: common ----

    /** Size of the device serial number capability. */
    public static final int EXT_CAP_DSN_SIZEOF = 12;

    /** Size of the power budgeting capability. */
    public static final int EXT_CAP_PWR_SIZEOF = 0x10;

    /** Size of the ARI capability. */
    public static final int EXT_CAP_ARI_SIZEOF = 8;

    /** Size of the ATS capability. */
    public static final int EXT_CAP_ATS_SIZEOF = 8;

    /** Size of the SR-IOV capability. */
    public static final int EXT_CAP_SRIOV_SIZEOF = 0x40;

    /** Size of the multicast capability of an endpoint. */
    public static final int EXT_CAP_MCAST_ENDPOINT_SIZEOF = 40;

    /** Size of the page request interface capability. */
    public static final int EXT_CAP_PRI_SIZEOF = 16;

    /** Size of the LTR capability. */
    public static final int EXT_CAP_LTR_SIZEOF = 8;

    // ---- Advanced error reporting (extended capability) ----

    /** Uncorrectable error status, 32 bits. */
    public static final int ERR_UNCOR_STATUS = 0x04;

    /** Uncorrectable error: undefined (training error). */
    public static final int ERR_UNC_UND = 0x00000001;

    /** Uncorrectable error: data link protocol. */
    public static final int ERR_UNC_DLP = 0x00000010;

    /** Uncorrectable error: surprise down. */
    public static final int ERR_UNC_SURPDN = 0x00000020;

    /** Uncorrectable error: poisoned TLP. */
    public static final int ERR_UNC_POISON_TLP = 0x00001000;

    /** Uncorrectable error: flow control protocol. */
    public static final int ERR_UNC_FCP = 0x00002000;

    /** Uncorrectable error: completion timeout. */
    public static final int ERR_UNC_COMP_TIME = 0x00004000;

    /** Uncorrectable error: completer abort. */
    public static final int ERR_UNC_COMP_ABORT = 0x00008000;

    /** Uncorrectable error: unexpected completion. */
    public static final int ERR_UNC_UNX_COMP = 0x00010000;

    /** Uncorrectable error: receiver overflow. */
    public static final int ERR_UNC_RX_OVER = 0x00020000;

    /** Uncorrectable error: malformed TLP. */
    public static final int ERR_UNC_MALF_TLP = 0x00040000;

    /** Uncorrectable error: ECRC. */
    public static final int ERR_UNC_ECRC = 0x00080000;

    /** Uncorrectable error: unsupported request. */
    public static final int ERR_UNC_UNSUP = 0x00100000;

    /** Uncorrectable error: ACS violation. */
    public static final int ERR_UNC_ACSV = 0x00200000;

    /** Uncorrectable error: internal. */
    public static final int ERR_UNC_INTN = 0x00400000;

    /** Uncorrectable error: multicast blocked TLP. */
    public static final int ERR_UNC_MCBTLP = 0x00800000;

    /** Uncorrectable error: AtomicOp egress blocked. */
    public static final int ERR_UNC_ATOMEG = 0x01000000;

    /** Uncorrectable error: TLP prefix blocked. */
    public static final int ERR_UNC_TLPPRE = 0x02000000;

    /** Uncorrectable error mask, 32 bits. */
    public static final int ERR_UNCOR_MASK = 0x08;

    /** Uncorrectable error severity, 32 bits. */
    public static final int ERR_UNCOR_SEVER = 0x0c;

    /** Correctable error status, 32 bits. */
    public static final int ERR_COR_STATUS = 0x10;

    /** Correctable error: receiver error. */
    public static final int ERR_COR_RCVR = 0x00000001;

    /** Correctable error: bad TLP. */
    public static final int ERR_COR_BAD_TLP = 0x00000040;

    /** Correctable error: bad DLLP. */
    public static final int ERR_COR_BAD_DLLP = 0x00000080;

    /** Correctable error: REPLAY_NUM rollover. */
    public static final int ERR_COR_REP_ROLL = 0x00000100;

    /** Correctable error: replay timer timeout. */
    public static final int ERR_COR_REP_TIMER = 0x00001000;

    /** Correctable error: advisory non-fatal. */
    public static final int ERR_COR_ADV_NFAT = 0x00002000;

    /** Correctable error: corrected internal. */
    public static final int ERR_COR_INTERNAL = 0x00004000;

    /** Correctable error: header log overflow. */
    public static final int ERR_COR_LOG_OVER = 0x00008000;

    /** Correctable error mask, 32 bits. */
    public static final int ERR_COR_MASK = 0x14;

    /** Advanced error capabilities and control, 32 bits. */
    public static final int ERR_CAP = 0x18;

    /** ECRC generation enable. */
    public static final int ERR_CAP_ECRC_GENE = 0x00000040;

    /** ECRC check enable. */
    public static final int ERR_CAP_ECRC_CHKE = 0x00000100;

    /** Root error command, 32 bits: where the registers of an endpoint's AER capability end. */
    public static final int ERR_ROOT_COMMAND = 0x2c;

    // ---- Virtual channel (extended capability) ----

    /** Port VC capability 1, 32 bits. */
    public static final int VC_PORT_CAP1 = 0x04;

    /** Port VC capability 1: extended VC count. */
    public static final int VC_CAP1_EVCC = 0x00000007;

    /** Port VC capability 2, 32 bits. */
    public static final int VC_PORT_CAP2 = 0x08;

    /** Port VC capability 2: 32-phase arbitration. */
    public static final int VC_CAP2_32_PHASE = 0x00000002;

    /** Port VC capability 2: 64-phase arbitration. */
    public static final int VC_CAP2_64_PHASE = 0x00000004;

    /** Port VC capability 2: 128-phase arbitration. */
    public static final int VC_CAP2_128_PHASE = 0x00000008;

    /** Size of the VC capability without per-VC resources. */
    public static final int CAP_VC_BASE_SIZEOF = 0x10;

    /** Size of the resource registers of one VC. */
    public static final int CAP_VC_PER_VC_SIZEOF = 0x0c;

    // ---- Power budgeting (extended capability) ----

    /** Data select, 8 bits. */
    public static final int PWR_DSR = 0x04;

    /** Data, 32 bits: the budget entry the data select chose. */
    public static final int PWR_DATA = 0x08;

    // ---- Vendor-specific (extended capability) ----

    /** Vendor-specific header, 32 bits: ID, revision and length. */
    public static final int VSEC_HDR = 4;

    /** Shift of the length field in {@link #VSEC_HDR}. */
    public static final int VSEC_HDR_LEN_SHIFT = 20;

    // ---- Access control services (extended capability) ----

    /** ACS capability, 16 bits. */
    public static final int ACS_CAP = 0x04;

    /** ACS capability: P2P egress control, with an egress control vector. */
    public static final int ACS_EC = 0x0020;

    /** Egress control vector size, 8 bits (0 means 256). */
    public static final int ACS_EGRESS_BITS = 0x05;

    // ---- Resizable BAR (extended capability) ----

    /** Control of the first resizable BAR, 32 bits. */
    public static final int REBAR_CTRL = 8;

    /** Control: number of resizable BARs. */
    public static final int REBAR_CTRL_NBAR_MASK = 0x000000e0;

    /** Shift of {@link #REBAR_CTRL_NBAR_MASK}. */
    public static final int REBAR_CTRL_NBAR_SHIFT = 5;

    // ---- Dynamic power allocation (extended capability) ----

    /** DPA capability, 32 bits. */
    public static final int DPA_CAP = 4;

    /** DPA capability: number of substates minus one. */
    public static final int DPA_CAP_SUBSTATE_MASK = 0x1f;

    /** Size of the DPA capability with no substates. */
    public static final int DPA_BASE_SIZEOF = 16;

    // ---- TLP processing hints requester (extended capability) ----

    /** TPH requester capability, 32 bits. */
    public static final int TPH_CAP = 4;

    /** TPH capability: where the steering tag table is. */
    public static final int TPH_CAP_LOC_MASK = 0x600;

    /** Steering tag table location: in the capability. */
    public static final int TPH_LOC_CAP = 0x200;

    /** TPH capability: steering tag table size minus one. */
    public static final int TPH_CAP_ST_MASK = 0x07ff0000;

    /** Shift of {@link #TPH_CAP_ST_MASK}. */
    public static final int TPH_CAP_ST_SHIFT = 16;

    /** Size of the TPH capability without a steering tag table. */
    public static final int TPH_BASE_SIZEOF = 0xc;

    // ---- Designated vendor-specific (extended capability) ----

    /** DVSEC header 1, 32 bits: vendor, revision and length (bits 31:20). */
    public static final int DVSEC_HEADER1 = 0x4;
}
