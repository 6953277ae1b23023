package org.vfio4j;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.Scalar;
import org.vfio4j.spi.VfioKernel;

/**
 * One region of a device, read and written by offset: through mmap where the region allows it (the
 * whole region, or its sparse-mmap areas), with pread/pwrite everywhere else.
 *
 * <p><b>Accesses through a mapping</b> are CPU loads and stores: {@link #readInt}, {@link
 * #writeLong} and the other scalar accessors make exactly one access of their width at their
 * offset, and the bulk {@link #read}/{@link #write} a run of naturally aligned accesses of up to 8
 * bytes. On the kernel backend these are real loads and stores to the device; on the simulator the
 * device model sees the same accesses and answers them, so driver code behaves alike on both.
 * <b>Accesses through pread/pwrite</b> follow the kernel's own rules ({@code vfio_pci_bar_rw}
 * splits them into naturally aligned accesses of at most 4 bytes and clips them at the end of the
 * region).
 *
 * <p>A scalar accessor never returns bytes that were not transferred: when the kernel moves fewer
 * bytes than the access names (the end of a BAR), it throws {@link ShortTransferException} with the
 * count. Offsets must lie in {@code [0, 2^40)}, the part of the device file a region owns;
 * anything else is {@code EINVAL}, as no region of the kernel's can be reached there.
 * {@link #close()} unmaps; an access after it fails with {@code EBADF}. A region may be used from
 * several threads.
 */
public final class Region implements AutoCloseable {
    /** Offsets a region can express: the low 40 bits of the device file offset ({@code VFIO_PCI_OFFSET_SHIFT}). */
    static final long OFFSET_LIMIT = 1L << 40;

    private final VfioKernel kernel;
    private final VfioDevice device;
    private final RegionInfo info;
    private volatile List<Window> windows;
    private volatile boolean closed;

    /** A mapped part of the region: {@code length} bytes from region offset {@code offset}. */
    private record Window(long offset, long length, MemorySegment mapping) {
        boolean covers(long at, long size) {
            return at >= offset && size <= length && at - offset <= length - size;
        }
    }

    Region(VfioKernel kernel, VfioDevice device, RegionInfo info) throws VfioException {
        this.kernel = kernel;
        this.device = device;
        this.info = info;
        List<Window> mapped = new ArrayList<>();
        int prot = (info.readable() ? LinuxAbi.PROT_READ : 0) | (info.writable() ? LinuxAbi.PROT_WRITE : 0);
        // sizes and offsets are the kernel's u64s, compared unsigned; nothing past 2^40 can be reached
        long end = Long.compareUnsigned(info.size(), OFFSET_LIMIT) < 0 ? info.size() : OFFSET_LIMIT;
        for (RegionCapability.Area a : info.mmapAreas()) {
            if (a.size() == 0 || (a.offset() & 4095) != 0 || Long.compareUnsigned(a.offset(), end) >= 0) {
                continue;
            }
            long reach = Long.compareUnsigned(a.size(), end - a.offset()) < 0 ? a.size() : end - a.offset();
            MemorySegment m = kernel.mmap(device.fd(), info.offset() + a.offset(), (reach + 4095) & -4096L, prot, LinuxAbi.MAP_SHARED);
            mapped.add(new Window(a.offset(), reach, m));
        }
        this.windows = List.copyOf(mapped);
    }

    /** What VFIO_DEVICE_GET_REGION_INFO said of this region. */
    public RegionInfo info() {
        return info;
    }

    /** Whether an access of {@code length} bytes at {@code offset} goes through a mapping. */
    public boolean isMapped(long offset, long length) {
        return window(offset, length) != null;
    }

    private Window window(long at, long length) {
        for (Window w : windows) {
            // a mapping the backend unmapped as it closed is gone: pread then says what became of the device fd
            if (w.covers(at, length) && w.mapping().scope().isAlive()) {
                return w;
            }
        }
        return null;
    }

    /** The window a write may use: none on a region the kernel did not map writable. */
    private Window writeWindow(long at, long length) {
        return info.writable() ? window(at, length) : null;
    }

    /**
     * Reads {@code dst.byteSize()} bytes at {@code offset} and returns how many were read: fewer at
     * the end of a BAR, as the kernel clips the transfer.
     */
    public long read(long offset, MemorySegment dst) throws VfioException {
        requireBuffer(dst);
        checkRange(offset, dst.byteSize(), "pread");
        Window w = window(offset, dst.byteSize());
        if (w == null) {
            return Reply.transferred("pread", device.fd(), kernel.pread(device.fd(), dst, info.offset() + offset),
                    dst.byteSize());
        }
        if (dst.isReadOnly()) {
            throw new VfioException(Errno.EFAULT, "read", device.name(), "the destination segment is read-only");
        }
        long done = 0;
        while (done < dst.byteSize()) {
            int size = chunk(offset + done, dst.byteSize() - done);
            long v = kernel.load(w.mapping(), offset + done - w.offset(), size);
            Scalar.put(dst, done, size, v);
            done += size;
        }
        return done;
    }

    /** Writes {@code src} at {@code offset}; returns how many bytes were written (fewer at the end of a BAR). */
    public long write(long offset, MemorySegment src) throws VfioException {
        requireBuffer(src);
        checkRange(offset, src.byteSize(), "pwrite");
        Window w = writeWindow(offset, src.byteSize());
        if (w == null) {
            return Reply.transferred("pwrite", device.fd(), kernel.pwrite(device.fd(), src, info.offset() + offset),
                    src.byteSize());
        }
        long done = 0;
        while (done < src.byteSize()) {
            int size = chunk(offset + done, src.byteSize() - done);
            kernel.store(w.mapping(), offset + done - w.offset(), size, Scalar.get(src, done, size));
            done += size;
        }
        return done;
    }

    /** One byte at {@code offset}, zero-extended. */
    public int readByte(long offset) throws VfioException {
        return (int) scalarRead(offset, 1);
    }

    /** One 16-bit little-endian value at {@code offset}, zero-extended. */
    public int readShort(long offset) throws VfioException {
        return (int) scalarRead(offset, 2);
    }

    /**
     * One 32-bit little-endian value at {@code offset}: a single access of 4 bytes where {@code
     * offset} is a multiple of 4; elsewhere the aligned pieces pread would make (also through a
     * mapping: see {@link org.vfio4j.spi.VfioKernel#load}).
     */
    public int readInt(long offset) throws VfioException {
        return (int) scalarRead(offset, 4);
    }

    /**
     * One 64-bit little-endian value at {@code offset}: a single 8-byte access through a mapping at
     * a multiple of 8 (elsewhere aligned pieces, as {@link #readInt} says); through pread the
     * kernel splits it into two 4-byte accesses ({@code vfio_pci_core_do_io_rw}).
     */
    public long readLong(long offset) throws VfioException {
        return scalarRead(offset, 8);
    }

    /** Writes the low byte of {@code value} at {@code offset}. */
    public void writeByte(long offset, int value) throws VfioException {
        scalarWrite(offset, 1, value);
    }

    /** Writes the low 16 bits of {@code value} at {@code offset}, little-endian. */
    public void writeShort(long offset, int value) throws VfioException {
        scalarWrite(offset, 2, value);
    }

    /** Writes {@code value} at {@code offset}, little-endian: a single access of 4 bytes. */
    public void writeInt(long offset, int value) throws VfioException {
        scalarWrite(offset, 4, value);
    }

    /** Writes {@code value} at {@code offset}, little-endian: one 8-byte access through a mapping (see {@link #readLong}). */
    public void writeLong(long offset, long value) throws VfioException {
        scalarWrite(offset, 8, value);
    }

    private long scalarRead(long offset, int size) throws VfioException {
        checkRange(offset, size, "pread");
        Window w = window(offset, size);
        if (w != null && (offset & (size - 1)) == 0) {
            return kernel.load(w.mapping(), offset - w.offset(), size);
        }
        if (w != null) { // unaligned: the aligned pieces a pread would make, through the mapping
            MemorySegment buf = Structs.buffer(size);
            read(offset, buf);
            return Scalar.get(buf, 0, size);
        }
        MemorySegment buf = Structs.buffer(size);
        long n = Reply.transferred("pread", device.fd(), kernel.pread(device.fd(), buf, info.offset() + offset), size);
        if (n != size) {
            throw new ShortTransferException("pread", device.name() + " " + RegionIndex.name(info.index()), offset, size, n);
        }
        return Scalar.get(buf, 0, size);
    }

    private void scalarWrite(long offset, int size, long value) throws VfioException {
        checkRange(offset, size, "pwrite");
        Window w = writeWindow(offset, size);
        if (w != null && (offset & (size - 1)) == 0) {
            kernel.store(w.mapping(), offset - w.offset(), size, value);
            return;
        }
        if (w != null) { // unaligned: the aligned pieces a pwrite would make, through the mapping
            MemorySegment buf = Structs.buffer(size);
            Scalar.put(buf, 0, size, value);
            write(offset, buf);
            return;
        }
        MemorySegment buf = Structs.buffer(size);
        Scalar.put(buf, 0, size, value);
        long n = Reply.transferred("pwrite", device.fd(), kernel.pwrite(device.fd(), buf, info.offset() + offset), size);
        if (n != size) {
            throw new ShortTransferException("pwrite", device.name() + " " + RegionIndex.name(info.index()), offset, size, n);
        }
    }

    /** The largest naturally aligned access of at most 8 bytes that starts at {@code at} and fits in {@code left}. */
    private static int chunk(long at, long left) {
        for (int size = 8; size > 1; size >>= 1) {
            if (left >= size && (at & (size - 1)) == 0) {
                return size;
            }
        }
        return 1;
    }

    private static void requireBuffer(MemorySegment buffer) {
        if (buffer == null) {
            throw new IllegalArgumentException("a region access needs a buffer segment, not null");
        }
    }

    /** An access needs an open region and must stay inside the 40-bit window of the device file that belongs to one region. */
    private void checkRange(long offset, long length, String operation) throws VfioException {
        if (closed) {
            throw new VfioException(Errno.EBADF, operation, target(), "the Region was closed and its mappings unmapped;"
                    + " VfioDevice.region(" + info.index() + ") gives a new one");
        }
        checkRegionRange(offset, length, operation, this);
    }

    /** How errors name this region: {@code 0000:01:00.0 BAR2}. */
    private String target() {
        return device.name() + " " + RegionIndex.name(info.index());
    }

    /** The region as errors name it, e.g. {@code 0000:01:00.0 BAR2}. */
    @Override
    public String toString() {
        return target();
    }

    /**
     * The 40-bit window check. It sits on every access, so {@code target} (whose {@code toString}
     * names what is accessed) is only turned into text when the check fails, and passing an object
     * that already exists costs nothing.
     */
    static void checkRegionRange(long offset, long length, String operation, Object target) throws VfioException {
        if (offset < 0 || offset >= OFFSET_LIMIT || length > OFFSET_LIMIT - offset) {
            throw new VfioException(Errno.EINVAL, operation, String.valueOf(target), String.format("offset 0x%x (+%d bytes) is outside [0, 2^40):"
                    + " the device file puts each region in its own 2^40-byte window (VFIO_PCI_OFFSET_SHIFT), so no region can be"
                    + " reached there", offset, length));
        }
    }

    /**
     * Unmaps what it mapped; an access afterwards fails with {@code EBADF}. A second close does
     * nothing, and so does a close after the backend was closed, which unmapped everything.
     */
    @Override
    public synchronized void close() throws VfioException {
        closed = true;
        List<Window> mapped = windows;
        windows = List.of();
        for (Window w : mapped) {
            if (w.mapping().scope().isAlive()) {
                kernel.munmap(w.mapping());
            }
        }
    }
}
