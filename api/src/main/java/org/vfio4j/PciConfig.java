package org.vfio4j;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.vfio4j.spi.Scalar;

/**
 * A device's config space through VFIO (the CONFIG region): reads and writes by width, little
 * endian, and the capability lists as vfio-pci presents them. The walks stop at a null pointer,
 * a pointer outside the space or into the header, or a capability seen before, so a bad chain
 * ends the list rather than looping. Register names are in {@link PciRegisters}. The accessors
 * allocate their own buffers, so one {@code PciConfig} may be used from several threads.
 *
 * <p>Every config access of the API goes through here, {@link VfioDevice#readConfig}, {@link
 * VfioDevice#writeConfig} and {@link VfioDevice#readConfigDword} included: a pread or pwrite at
 * the offset the kernel reported for the CONFIG region in VFIO_DEVICE_GET_REGION_INFO.
 */
public final class PciConfig {
    private final VfioDevice device;
    private final long size;
    private final long fileOffset;

    PciConfig(VfioDevice device, RegionInfo region) {
        this.device = device;
        this.size = region.size();
        this.fileOffset = region.offset();
    }

    /** The size of the config region: 256, or 4096 with extended config space. */
    public long size() {
        return size;
    }

    /** One byte of config space at {@code offset}, zero-extended. */
    public int read8(int offset) throws VfioException {
        return (int) readScalar(offset, 1);
    }

    /** A 16-bit little-endian register at {@code offset}, zero-extended. */
    public int read16(int offset) throws VfioException {
        return (int) readScalar(offset, 2);
    }

    /** A 32-bit little-endian register at {@code offset}. */
    public int read32(int offset) throws VfioException {
        return (int) readScalar(offset, 4);
    }

    /** Writes the low byte of {@code value} at {@code offset}; vfio-pci keeps only the bits userspace may change. */
    public void write8(int offset, int value) throws VfioException {
        writeScalar(offset, 1, value);
    }

    /** Writes the low 16 bits of {@code value} at {@code offset}, little-endian. */
    public void write16(int offset, int value) throws VfioException {
        writeScalar(offset, 2, value);
    }

    /** Writes {@code value} at {@code offset}, little-endian. */
    public void write32(int offset, int value) throws VfioException {
        writeScalar(offset, 4, value);
    }

    /**
     * Sets {@code bits} in the command register (a read, then a 16-bit write), e.g.
     * {@code PciRegisters.COMMAND_MEMORY | PciRegisters.COMMAND_MASTER} before touching BARs and
     * starting DMA or MSI: without memory decode BAR accesses fail with EIO, without bus mastering
     * the device's DMA and messages never leave it.
     */
    public void enableCommand(int bits) throws VfioException {
        write16(PciRegisters.COMMAND, read16(PciRegisters.COMMAND) | bits);
    }

    /** Clears {@code bits} in the command register (a read, then a 16-bit write). */
    public void disableCommand(int bits) throws VfioException {
        write16(PciRegisters.COMMAND, read16(PciRegisters.COMMAND) & ~bits);
    }

    /** What every driver does first: memory decode and bus mastering on ({@link #enableCommand}). */
    public void enableMemoryAndBusMaster() throws VfioException {
        enableCommand(PciRegisters.COMMAND_MEMORY | PciRegisters.COMMAND_MASTER);
    }

    /** Reads {@code dst.byteSize()} bytes at {@code offset} with one pread; returns how many the kernel moved. */
    long read(long offset, MemorySegment dst) throws VfioException {
        Region.checkRegionRange(offset, dst == null ? 0 : dst.byteSize(), "pread", this);
        long moved = device.kernel.pread(device.fd, dst, fileOffset + offset);
        return Reply.transferred("pread", device.fd, moved, dst.byteSize());
    }

    /** Writes {@code src} at {@code offset} with one pwrite; the kernel keeps only what userspace may change. */
    long write(long offset, MemorySegment src) throws VfioException {
        Region.checkRegionRange(offset, src == null ? 0 : src.byteSize(), "pwrite", this);
        return Reply.transferred("pwrite", device.fd, device.kernel.pwrite(device.fd, src, fileOffset + offset), src.byteSize());
    }

    /** A little-endian register of {@code size} bytes, zero-extended, in the calling thread's buffer; short transfers throw. */
    /**
     * The calling thread's buffer for a scalar of {@code size} bytes (1, 2, 4 or 8): register reads
     * are the hot path of a driver, and a buffer per thread keeps them free of allocation while
     * several threads read at once. A scalar read never calls back into this API on its thread, so
     * one buffer per thread is never in use twice.
     */
    private static MemorySegment scalarBuffer(int size) {
        return SCALAR_BUFFERS.get()[Integer.numberOfTrailingZeros(size)];
    }

    private static final ThreadLocal<MemorySegment[]> SCALAR_BUFFERS = ThreadLocal.withInitial(() -> {
        MemorySegment eight = MemorySegment.ofArray(new long[1]);
        return new MemorySegment[] {eight.asSlice(0, 1), eight.asSlice(0, 2), eight.asSlice(0, 4), eight};
    });

    long readScalar(long offset, int size) throws VfioException {
        MemorySegment buf = scalarBuffer(size);
        long n = read(offset, buf);
        if (n != size) {
            throw new ShortTransferException("pread", target(), offset, size, n);
        }
        return Scalar.get(buf, 0, size);
    }

    private void writeScalar(long offset, int size, long value) throws VfioException {
        MemorySegment buf = Structs.buffer(size);
        Scalar.put(buf, 0, size, value);
        long n = write(offset, buf);
        if (n != size) {
            throw new ShortTransferException("pwrite", target(), offset, size, n);
        }
    }

    private String target() {
        return device.name() + " CONFIG";
    }

    /** Config space as errors name it, e.g. {@code 0000:01:00.0 CONFIG}. */
    @Override
    public String toString() {
        return target();
    }

    /** The standard capability list from the pointer at 0x34 (empty when STATUS has no CAP_LIST). */
    public List<PciCapability> capabilities() throws VfioException {
        List<PciCapability> out = new ArrayList<>();
        if ((read16(PciRegisters.STATUS) & PciRegisters.STATUS_CAP_LIST) == 0) {
            return out;
        }
        Set<Integer> seen = new HashSet<>();
        int at = read8(PciRegisters.CAPABILITY_LIST) & 0xfc;
        while (at >= 0x40 && at < 256 && seen.add(at)) {
            int header = read16(at);
            out.add(new PciCapability(header & 0xff, at, false, 0));
            at = header >> 8 & 0xfc;
        }
        return out;
    }

    /** The extended capability list from 0x100 (empty on 256-byte spaces or when the first header is 0). */
    public List<PciCapability> extendedCapabilities() throws VfioException {
        List<PciCapability> out = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        int at = 0x100;
        while (size > 256 && at >= 0x100 && at + 4 <= size && seen.add(at)) {
            int header = read32(at);
            if (header == 0) {
                break;
            }
            out.add(new PciCapability(header & 0xffff, at, true, header >>> 16 & 0xf));
            at = header >>> 20 & 0xffc;
        }
        return out;
    }

    /** The first capability with {@code id} in the standard list, or -1. */
    public int find(int id) throws VfioException {
        return capabilities().stream().filter(c -> c.id() == id).mapToInt(PciCapability::offset).findFirst().orElse(-1);
    }
}
