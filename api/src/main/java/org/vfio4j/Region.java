package org.vfio4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/**
 * One region of a device, read and written by offset: through mmap where the region allows it (the
 * whole region, or its sparse-mmap areas), with pread/pwrite everywhere else. Accesses of 1, 2, 4
 * and 8 bytes through a mapping are single loads and stores. Mappings a backend hands out
 * read-only (the simulator's register ranges, whose side effects only system calls reach) are
 * used for nothing, so every access reaches the device model. {@link #close()} unmaps.
 */
public final class Region implements AutoCloseable {
    private final VfioKernel kernel;
    private final VfioDevice device;
    private final RegionInfo info;
    private final List<Window> windows = new ArrayList<>();
    private final MemorySegment scratch = Structs.buffer(8);

    private record Window(long offset, MemorySegment memory, MemorySegment mapping) {
        boolean covers(long at, long length) {
            return at >= offset && at + length <= offset + memory.byteSize();
        }
    }

    Region(VfioKernel kernel, VfioDevice device, RegionInfo info) throws VfioException {
        this.kernel = kernel;
        this.device = device;
        this.info = info;
        int prot = (info.readable() ? LinuxAbi.PROT_READ : 0) | (info.writable() ? LinuxAbi.PROT_WRITE : 0);
        for (RegionCapability.Area a : info.mmapAreas()) {
            if (a.size() == 0 || (a.offset() & 4095) != 0) {
                continue;
            }
            long length = Math.min((a.size() + 4095) & -4096L, Math.max(a.size(), info.size() - a.offset()));
            MemorySegment m = kernel.mmap(device.fd(), info.offset() + a.offset(), (length + 4095) & -4096L, prot, LinuxAbi.MAP_SHARED);
            if (m.isReadOnly()) {
                kernel.munmap(m);
                continue;
            }
            windows.add(new Window(a.offset(), m.asSlice(0, Math.min(m.byteSize(), info.size() - a.offset())), m));
        }
    }

    public RegionInfo info() {
        return info;
    }

    /** Whether an access of {@code length} bytes at {@code offset} goes through a mapping. */
    public boolean isMapped(long offset, long length) {
        return window(offset, length) != null;
    }

    private Window window(long at, long length) {
        for (Window w : windows) {
            if (w.covers(at, length)) {
                return w;
            }
        }
        return null;
    }

    /** Reads {@code dst.byteSize()} bytes at {@code offset}; returns how many (short at the end of a BAR). */
    public long read(long offset, MemorySegment dst) throws VfioException {
        Window w = window(offset, dst.byteSize());
        if (w != null) {
            MemorySegment.copy(w.memory(), offset - w.offset(), dst, 0, dst.byteSize());
            return dst.byteSize();
        }
        return kernel.pread(device.fd(), dst, info.offset() + offset);
    }

    /** Writes {@code src} at {@code offset}; returns how many bytes were written. */
    public long write(long offset, MemorySegment src) throws VfioException {
        Window w = window(offset, src.byteSize());
        if (w != null) {
            MemorySegment.copy(src, 0, w.memory(), offset - w.offset(), src.byteSize());
            return src.byteSize();
        }
        return kernel.pwrite(device.fd(), src, info.offset() + offset);
    }

    public int readInt(long offset) throws VfioException {
        return (int) scalar(offset, 4, false, 0);
    }

    public void writeInt(long offset, int value) throws VfioException {
        scalar(offset, 4, true, value);
    }

    public long readLong(long offset) throws VfioException {
        return scalar(offset, 8, false, 0);
    }

    public void writeLong(long offset, long value) throws VfioException {
        scalar(offset, 8, true, value);
    }

    /** One 4- or 8-byte access: a single load or store through a mapping, else one pread/pwrite. */
    private long scalar(long offset, int size, boolean write, long value) throws VfioException {
        Window w = window(offset, size);
        MemorySegment m = w != null ? w.memory() : scratch;
        long at = w != null ? offset - w.offset() : 0;
        if (write) {
            if (size == 4) {
                m.set(ValueLayout.JAVA_INT_UNALIGNED, at, (int) value);
            } else {
                m.set(ValueLayout.JAVA_LONG_UNALIGNED, at, value);
            }
            if (w == null) {
                kernel.pwrite(device.fd(), scratch.asSlice(0, size), info.offset() + offset);
            }
            return 0;
        }
        if (w == null) {
            kernel.pread(device.fd(), scratch.asSlice(0, size), info.offset() + offset);
        }
        return size == 4 ? m.get(ValueLayout.JAVA_INT_UNALIGNED, at) : m.get(ValueLayout.JAVA_LONG_UNALIGNED, at);
    }

    /** Unmaps what it mapped. */
    @Override
    public void close() throws VfioException {
        for (Window w : windows) {
            kernel.munmap(w.mapping());
        }
        windows.clear();
    }
}
