package org.vfio4j.sim.pci;

import static org.vfio4j.PciRegisters.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.core.HostFacts;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.BarRange;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.sim.device.Rom;
import org.vfio4j.sim.internal.LittleEndian;
import org.vfio4j.spi.Scalar;

/**
 * The physical side of one emulated function in a booted kernel: its config registers as the
 * hardware keeps them (writes honour the model's write mask), the BARs' assigned addresses and
 * memory, the power state. What vfio-pci reads with {@code pci_user_read_config_*} and reaches
 * through {@code pci_iomap}. Outlives device fds: state persists across open and close.
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
    final MemorySegment[] barMemory = new MemorySegment[6];
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

    /** The hardware of function {@code spec}: {@code model}'s BARs placed by {@code allocator}, their memory from {@code arena}. */
    public PciHardware(FunctionSpec spec, PciDeviceModel model, BarAllocator allocator, Arena arena) {
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
            barMemory[bar.index()] = arena.allocate(Math.max(PAGE, (bar.size() + PAGE - 1) & -PAGE), PAGE);
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
    }

    /** After the model is attached: the MSI-X table as power-on leaves it (every vector masked). */
    public void poweredOn() {
        msi.resetMsixTable();
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

    /** {@code pci_user_read_config_*}: {@code size} bytes little-endian. */
    int read(int at, int size) {
        if (removed) {
            return size == 4 ? -1 : (1 << 8 * size) - 1;
        }
        return LittleEndian.get(cfg, at, size);
    }

    /** {@code pci_user_write_config_*}: the hardware keeps only the bits its write mask allows. */
    void write(int at, int size, int value) {
        if (removed) {
            return;
        }
        for (int i = 0; i < size; i++) {
            int m = wmask[at + i] & 0xff;
            cfg[at + i] = (byte) (cfg[at + i] & ~m | (value >>> 8 * i) & m);
        }
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
        if (removed) {
            return size == 8 ? -1L : (1L << 8 * size) - 1;
        }
        BarRange r = rangeAt(index, offset);
        if (r instanceof BarRange.Trapped t) {
            return t.handler().read(offset, size);
        }
        return Scalar.get(barMemory[index], offset, size);
    }

    void mmioWrite(int index, long offset, int size, long value) {
        if (removed) {
            return;
        }
        BarRange r = rangeAt(index, offset);
        if (r instanceof BarRange.Trapped t) {
            t.handler().write(offset, size, value);
            return;
        }
        Scalar.put(barMemory[index], offset, size, value);
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
