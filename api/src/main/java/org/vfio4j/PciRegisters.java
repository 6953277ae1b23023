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

    // ---- Extended capability IDs (from 0x100) ----

    /** Advanced error reporting. */
    public static final int EXT_CAP_ID_ERR = 0x01;

    /** Virtual channel. */
    public static final int EXT_CAP_ID_VC = 0x02;

    /** Device serial number. */
    public static final int EXT_CAP_ID_DSN = 0x03;

    /** Power budgeting. */
    public static final int EXT_CAP_ID_PWR = 0x04;

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

    /** Page request interface. */
    public static final int EXT_CAP_ID_PRI = 0x13;

    /** Resizable BAR. */
    public static final int EXT_CAP_ID_REBAR = 0x15;

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

    /** Pending bit array offset and BIR. */
    public static final int MSIX_PBA = 0x08;

    // ---- Power management capability ----

    /** Power management control/status, 16 bits. */
    public static final int PM_CTRL = 0x04;

    /** The power state: 0 = D0 ... 3 = D3hot. */
    public static final int PM_CTRL_STATE_MASK = 0x03;
}
