package org.vfio4j.sim.pci;

import static org.vfio4j.PciRegisters.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.vfio4j.Errno;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.core.HostFacts;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.BarRange;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.sim.device.Rom;
import org.vfio4j.sim.eeh.EehPe;
import org.vfio4j.sim.internal.LittleEndian;
import org.vfio4j.spi.Scalar;

/**
 * The physical side of one emulated function in a booted kernel: its config registers as the
 * hardware keeps them (writes honour the model's write mask), the BARs' assigned addresses and
 * memory, the power state. What vfio-pci reads with {@code pci_user_read_config_*} and reaches
 * through {@code pci_iomap}. Outlives device fds: state persists across open and close.
 *
 * <p>On a POWER host the function sits in an EEH PE: while the PHB has the PE's MMIO frozen, BAR
 * loads answer all ones and stores go nowhere; while a PE reset is asserted, config accesses fail
 * with ENODEV. Config space itself is not frozen: PHB3 and PHB4 let config cycles through to a
 * frozen PE (only P7IOC blocked them, {@code pnv_eeh_init}), and {@code pnv_pci_read_config}
 * returns what the device answers, leaving a passed-through PE to its owner ({@code
 * eeh_dev_check_failure}).
 */
public final class PciHardware {
    static final long PAGE = HostFacts.PAGE_SIZE;
    /** Power states as {@code pci_power_t} numbers them ({@code <linux/pci.h>}), the value of PM_CTRL's state field. */
    static final int PCI_D0 = 0;
    static final int PCI_D3HOT = 3;
    /** {@code PCI_CLASS_DISPLAY_VGA} ({@code <linux/pci_ids.h>}): base class and subclass of a VGA controller. */
    private static final int PCI_CLASS_DISPLAY_VGA = 0x0300;

    public final FunctionSpec spec;
    public final PciDeviceModel model;
    final int cfgSize;
    private final byte[] cfg;
    private final byte[] wmask;
    private final ConfigSpace powerOn;
    final Bar[] bars = new Bar[6];
    final long[] barAddress = new long[6];
    /**
     * Each memory BAR's bytes, allocated from {@link #arena} when first touched: a test that never
     * reads a BAR never pays for zero-filling it (guarded by this object's monitor).
     */
    private final AtomicReferenceArray<MemorySegment> barMemory = new AtomicReferenceArray<>(6);
    private final Arena arena;
    final Optional<Rom> rom;
    final long romAddress;
    final boolean vga;
    /** The MSI and MSI-X registers: mask and pending bits, the MSI-X table and PBA. */
    final MsiHardware msi;
    /** Where the MSI-X table is, as vfio-pci records it to hide it ({@code vfio_pci_core_enable}): BAR index or -1. */
    final int msixBar;
    final long msixOffset;
    final long msixSize;
    int powerState; // PCI_D0 ... PCI_D3HOT
    /**
     * Surprise-removed ({@code Fault.surpriseRemoval}): nothing answers on the bus any more, so the
     * reads vfio-pci makes for the user complete with all ones (what x86 gives a read nobody
     * claims) and writes go nowhere. The kernel's own view ({@link #u16} and friends) keeps the
     * registers as they were.
     */
    public boolean removed;
    /** The EEH PE of the function, or null on a host without EEH; set when vfio-pci probes the function. */
    EehPe pe;
    /** Dwords 0-15 as the PHB probed the function ({@code eeh_save_bars}), which an EEH reset restores from. */
    private final byte[] probed;

    /** The hardware of function {@code spec}: {@code model}'s BARs placed by {@code allocator}, their memory from {@code arena}. */
    public PciHardware(FunctionSpec spec, PciDeviceModel model, BarAllocator allocator, Arena arena) {
        this.arena = arena;
        this.spec = spec;
        this.model = model;
        this.powerOn = model.config();
        this.cfgSize = powerOn.size();
        this.cfg = powerOn.bytes();
        this.wmask = powerOn.writeMask();
        for (Bar bar : model.bars()) {
            if (bars[bar.index()] != null || (bar.kind() == BarKind.MEMORY64 && bar.index() < 5 && bars[bar.index() + 1] != null)) {
                throw new IllegalArgumentException(spec.address() + ": BAR" + bar.index() + " declared twice");
            }
            bars[bar.index()] = bar;
            int at = BASE_ADDRESS_0 + 4 * bar.index();
            long given = Integer.toUnsignedLong(u32(at)) & (bar.kind() == BarKind.IO ? BASE_ADDRESS_IO_MASK : BASE_ADDRESS_MEM_MASK);
            if (bar.kind() == BarKind.MEMORY64) {
                given |= Integer.toUnsignedLong(u32(at + 4)) << 32;
            }
            long address = given != 0 ? given : allocator.assign(bar);
            barAddress[bar.index()] = address;
            int flags = bar.kind() == BarKind.IO ? BASE_ADDRESS_SPACE_IO : BASE_ADDRESS_SPACE_MEMORY
                    | (bar.prefetchable() ? BASE_ADDRESS_MEM_PREFETCH : 0) | (bar.kind() == BarKind.MEMORY64 ? BASE_ADDRESS_MEM_TYPE_64 : 0);
            put32(at, (int) address | flags);
            if (bar.kind() == BarKind.MEMORY64) {
                put32(at + 4, (int) (address >>> 32));
            }
        }
        this.rom = model.rom();
        this.romAddress = rom.map(allocator::assignRom).orElse(0L);
        if (rom.isPresent()) {
            put32(ROM_ADDRESS, (int) romAddress);
        }
        this.vga = (u32(CLASS_REVISION) >>> 8) == PCI_CLASS_DISPLAY_VGA << 8; // programming interface 0 only
        this.msi = new MsiHardware(this);
        this.msixBar = msi.tableBar;
        this.msixOffset = msi.tableOffset;
        this.msixSize = msi.tableSize;
        this.probed = cfg.clone();
    }

    /** After the model is attached: the MSI-X table as power-on leaves it (every vector masked). */
    public void poweredOn() {
        msi.resetMsixTable();
    }

    /**
     * The bytes behind BAR {@code index} (its size rounded up to whole pages, zeroed when first
     * asked for), or null when the function has no such BAR.
     */
    MemorySegment barMemory(int index) {
        if (index < 0 || index >= bars.length || bars[index] == null) {
            return null;
        }
        MemorySegment m = barMemory.get(index); // a volatile read: the zeroed bytes are seen with the segment
        return m != null ? m : allocateBar(index);
    }

    private synchronized MemorySegment allocateBar(int index) {
        MemorySegment m = barMemory.get(index);
        if (m == null) {
            m = arena.allocate(barMemorySize(index), PAGE);
            barMemory.set(index, m);
        }
        return m;
    }

    /** How many bytes {@link #barMemory} has for BAR {@code index}, without allocating them; 0 when there is no such BAR. */
    long barMemorySize(int index) {
        return index < 0 || index >= bars.length || bars[index] == null ? 0 : Math.max(PAGE, (bars[index].size() + PAGE - 1) & -PAGE);
    }

    PciAddress address() {
        return spec.address();
    }

    int u8(int at) {
        return LittleEndian.u8(cfg, at);
    }

    public int u16(int at) {
        return LittleEndian.u16(cfg, at);
    }

    int u32(int at) {
        return LittleEndian.u32(cfg, at);
    }

    /**
     * {@code pci_user_read_config_*}: {@code size} bytes little-endian; all ones once the device is
     * gone; ENODEV while its EEH PE is in reset.
     */
    int read(int at, int size) throws KernelError {
        checkConfigAccess(at, size, "read");
        return registers(at, size);
    }

    /** The registers as the function itself answers a config read: all ones once it is gone. */
    int registers(int at, int size) {
        if (removed) {
            return size == 4 ? -1 : (1 << 8 * size) - 1;
        }
        return LittleEndian.get(cfg, at, size);
    }

    /**
     * {@code pci_user_write_config_*}: the hardware keeps only the bits its write mask allows;
     * nothing once the device is gone; ENODEV while its EEH PE is in reset.
     */
    void write(int at, int size, int value) throws KernelError {
        checkConfigAccess(at, size, "write");
        writeRegisters(at, size, value);
    }

    /** A config write whose failure the kernel ignores (as {@code pcie_set_readrq}'s): dropped while the PE is in reset. */
    void writeIgnoringErrors(int at, int size, int value) {
        if (!configBlocked()) {
            writeRegisters(at, size, value);
        }
    }

    private void writeRegisters(int at, int size, int value) {
        if (removed) {
            return;
        }
        for (int i = 0; i < size; i++) {
            int m = wmask[at + i] & 0xff;
            cfg[at + i] = (byte) (cfg[at + i] & ~m | (value >>> 8 * i) & m);
        }
    }

    /** Whether config access is blocked: the function's EEH PE has a reset asserted ({@code EEH_PE_CFG_BLOCKED}). */
    boolean configBlocked() {
        return pe != null && pe.configBlocked();
    }

    private void checkConfigAccess(int at, int size, String what) throws KernelError {
        if (configBlocked()) {
            throw KernelError.of(Errno.ENODEV, String.format("config %s of %d bytes at 0x%x of %s fails: its EEH %s has a reset asserted"
                    + " (EEH_PE_CFG_BLOCKED until VFIO_EEH_PE_OP RESET_DEACTIVATE), so pnv_pci_%s_config answers"
                    + " PCIBIOS_DEVICE_NOT_FOUND, which pci_user_%s_config_* returns as ENODEV", what, size, at, address(), pe, what, what));
        }
    }

    /**
     * Whether BAR accesses reach nothing: loads answer all ones and stores are dropped, because the
     * device is gone or its EEH PE has MMIO frozen (the PHB drops the access and completes loads
     * with all ones; {@code eeh_check_failure} leaves a passed-through PE to its owner).
     */
    boolean mmioDead() {
        return removed || pe != null && pe.mmioFrozen();
    }

    /** Whether the PHB stops the function's DMA, MSI writes included: its EEH PE has DMA frozen. */
    boolean dmaFrozen() {
        return pe != null && pe.dmaFrozen();
    }

    /** A register the kernel itself programs (BAR restore, power state): no write mask. */
    void put(int at, int size, int value) {
        LittleEndian.put(cfg, at, size, value);
    }

    private void put32(int at, int value) {
        put(at, 4, value);
    }

    /** A copy of the current registers, for {@code pci_save_state}. */
    byte[] save() {
        return cfg.clone();
    }

    /** {@code pci_restore_state}. */
    void restore(byte[] saved) {
        System.arraycopy(saved, 0, cfg, 0, cfg.length);
    }

    /** Whether the function is a PCI Express function (has the capability). */
    boolean isPcie() {
        return powerOn.findCapability(CAP_ID_EXP) >= 0;
    }

    int capability(int id) {
        return powerOn.findCapability(id);
    }

    /** Function reset methods the PCI core would find ({@code pci_init_reset_methods}): FLR, AF FLR, PM. */
    boolean functionResettable() {
        int exp = capability(CAP_ID_EXP);
        if (exp >= 0 && (u32(exp + EXP_DEVCAP) & EXP_DEVCAP_FLR) != 0) {
            return true;
        }
        int af = capability(CAP_ID_AF);
        int afFlr = AF_CAP_TP | AF_CAP_FLR;
        if (af >= 0 && (u8(af + AF_CAP) & afFlr) == afFlr) {
            return true;
        }
        int pm = capability(CAP_ID_PM);
        return pm >= 0 && (u16(pm + PM_CTRL) & PM_CTRL_NO_SOFT_RESET) == 0;
    }

    /**
     * A reset of the function: the model's state goes back to power-on; the PCI core saves and
     * restores config space around it ({@code pci_reset_function}), so registers are unchanged.
     */
    void reset() {
        byte[] saved = save();
        boolean msixOn = msi.msixEnabled();
        model.reset();
        if (!msixOn) {
            msi.resetMsixTable(); // while MSI-X is on, pci_restore_msi_state writes the entries back after the reset
        }
        restore(saved);
        powerState = PCI_D0;
    }

    /**
     * The PHB resets the function's bus for EEH ({@code pci_bus_error_reset}, or the PHB's
     * fundamental reset): the model goes back to power-on, and so do its config registers, with
     * nothing saved and restored around it (unlike {@link #reset()}, the PCI core's function
     * reset): bus mastering, the MSI and MSI-X Enable bits, the BAR addresses (their type bits are
     * read-only and stay) are cleared, the MSI-X table masked.
     */
    void busReset() {
        model.reset();
        System.arraycopy(powerOn.bytes(), 0, cfg, 0, cfg.length);
        for (Bar b : bars) {
            if (b != null) {
                int at = BASE_ADDRESS_0 + 4 * b.index();
                put32(at, u32(at) & (b.kind() == BarKind.IO ? ~BASE_ADDRESS_IO_MASK : ~BASE_ADDRESS_MEM_MASK));
                if (b.kind() == BarKind.MEMORY64) {
                    put32(at + 4, 0);
                }
            }
        }
        if (rom.isPresent()) {
            put32(ROM_ADDRESS, 0);
        }
        msi.resetMsixTable();
        powerState = PCI_D0;
    }

    /**
     * EEH brings the function back after its PE's reset ({@code eeh_pe_reenable_devices}): {@code
     * eeh_restore_device_bars} writes the BARs, the ROM BAR, cache line size, latency timer and
     * dword 15 (interrupt line and pin, min grant, max latency) saved at probe, and the PERR and
     * SERR command bits as they were then; {@code pci_reenable_device} turns memory and I/O decode
     * on for the BARs the function has if it is enabled (opened through vfio-pci). Bus mastering
     * and MSI stay off: the user turns them on again. The firmware's own restore of the PCI
     * Express control registers ({@code opal_pci_reinit}) is not modelled: they keep power-on values.
     */
    void eehRestore(boolean enabled) {
        for (int i = 0; i < STD_NUM_BARS; i++) {
            put32(BASE_ADDRESS_0 + 4 * i, LittleEndian.u32(probed, BASE_ADDRESS_0 + 4 * i));
        }
        put32(ROM_ADDRESS, LittleEndian.u32(probed, ROM_ADDRESS));
        put(CACHE_LINE_SIZE, 1, LittleEndian.u8(probed, CACHE_LINE_SIZE));
        put(LATENCY_TIMER, 1, LittleEndian.u8(probed, LATENCY_TIMER));
        put32(INTERRUPT_LINE, LittleEndian.u32(probed, INTERRUPT_LINE));
        int keep = COMMAND_PARITY | COMMAND_SERR;
        int cmd = u16(COMMAND) & ~keep | LittleEndian.u16(probed, COMMAND) & keep;
        if (enabled) {
            for (Bar b : bars) {
                if (b != null) {
                    cmd |= b.kind() == BarKind.IO ? COMMAND_IO : COMMAND_MEMORY;
                }
            }
        }
        put(COMMAND, 2, cmd); // the ROM adds no decode: pci_enable_resources skips it unless it is enabled
    }

    /** The BAR range holding {@code offset} of BAR {@code index}. */
    BarRange rangeAt(int index, long offset) {
        for (BarRange r : bars[index].ranges()) {
            if (offset < r.end()) {
                return r;
            }
        }
        throw new IllegalStateException("offset past BAR" + index);
    }

    /** One MMIO access of 1, 2 or 4 bytes inside BAR {@code index}. */
    long mmioRead(int index, long offset, int size) {
        if (mmioDead()) {
            return size == 8 ? -1L : (1L << 8 * size) - 1;
        }
        BarRange r = rangeAt(index, offset);
        if (r instanceof BarRange.Trapped t) {
            return t.handler().read(offset, size);
        }
        return Scalar.get(barMemory(index), offset, size);
    }

    void mmioWrite(int index, long offset, int size, long value) {
        if (mmioDead()) {
            return;
        }
        BarRange r = rangeAt(index, offset);
        if (r instanceof BarRange.Trapped t) {
            t.handler().write(offset, size, value);
            return;
        }
        Scalar.put(barMemory(index), offset, size, value);
    }

    /** Assigns bus addresses to BARs firmware left at 0, naturally aligned, one window per host. */
    public static final class BarAllocator {
        private long mem32 = 0xc000_0000L;
        private long mem64 = 0x80_0000_0000L;
        private long io = 0xc000;

        long assign(Bar bar) {
            return switch (bar.kind()) {
                case IO -> {
                    long at = align(io, bar.size());
                    io = at + bar.size();
                    yield at;
                }
                case MEMORY32 -> next32(bar.size());
                case MEMORY64 -> {
                    long at = align(mem64, bar.size());
                    mem64 = at + bar.size();
                    yield at;
                }
            };
        }

        long assignRom(Rom rom) {
            return next32(rom.size());
        }

        private long next32(long size) {
            long at = align(mem32, size);
            mem32 = at + size;
            return at;
        }

        private static long align(long v, long a) {
            return (v + a - 1) & -a;
        }
    }
}
