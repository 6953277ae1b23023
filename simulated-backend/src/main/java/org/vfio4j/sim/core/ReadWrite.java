package org.vfio4j.sim.core;

import java.lang.foreign.MemorySegment;
import org.vfio4j.Errno;

/**
 * read, write, pread and pwrite as {@code fs/read_write.c} dispatches them by file: device fds
 * reach their regions, eventfds their counter ({@link EventFds}, no file position), dma-bufs only
 * through mmap, and VFIO container and group fds refuse. The caller's buffer is checked first, as
 * {@code copy_to_user}/{@code copy_from_user} would fault on it, so a refused read consumes nothing.
 */
public final class ReadWrite {
    private final FaultGate plan;
    private final EventFds eventFds;

    /** Reads and writes that ask {@code plan} for injected faults and serve eventfds through {@code eventFds}. */
    public ReadWrite(FaultGate plan, EventFds eventFds) {
        this.plan = plan;
        this.eventFds = eventFds;
    }

    /** {@code pread64} of {@code f} at {@code offset}, its arguments and bytes told to the trace through {@code c}. */
    public long pread(OpenFile f, SyscallContext c, MemorySegment dst, long offset) throws KernelError {
        checkUserBuffer(dst, true);
        if (c.recorded()) { // a description made only to be dropped would still cost its lambda
            c.describe(() -> "{" + TraceText.where(f, offset) + ", " + dst.byteSize() + " bytes}");
        }
        if (offset < 0) {
            throw KernelError.of(Errno.EINVAL, "negative offset (ksys_pread64)");
        }
        long n = switch (f) {
            case DeviceFile d -> {
                plan.enter(Syscall.REGION_READ);
                yield d.device().read(dst, offset);
            }
            case EventFdFile e -> throw KernelError.of(Errno.ESPIPE, "an eventfd has no file position to read at (ksys_pread64)");
            case DmaBufFile b -> throw KernelError.of(Errno.EINVAL, "a dma-buf is read through mmap, not pread (dma_buf_fops)");
            default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be read (vfs_read)");
        };
        if (c.recorded()) {
            boolean device = f instanceof DeviceFile;
            long size = dst.byteSize();
            long shown = Math.min(n, size);
            long bits = TraceText.bits(dst, shown); // copied now: the trace may format it after the caller freed dst
            c.describeCopied(() -> "{" + TraceText.where(device, offset) + ", " + size + " bytes} -> " + TraceText.data(bits, shown, n));
        }
        return n;
    }

    /** {@code pwrite64} of {@code f} at {@code offset}. */
    public long pwrite(OpenFile f, SyscallContext c, MemorySegment src, long offset) throws KernelError {
        checkUserBuffer(src, false);
        if (c.recorded()) {
            boolean device = f instanceof DeviceFile;
            long size = src.byteSize();
            long bits = TraceText.bits(src, size); // copied now: the trace may format it after the caller freed src
            c.describeCopied(() -> "{" + TraceText.where(device, offset) + ", " + size + " bytes: " + TraceText.data(bits, size, size) + "}");
        }
        if (offset < 0) {
            throw KernelError.of(Errno.EINVAL, "negative offset (ksys_pwrite64)");
        }
        return switch (f) {
            case DeviceFile d -> {
                plan.enter(Syscall.REGION_WRITE);
                yield d.device().write(src, offset);
            }
            case EventFdFile e -> throw KernelError.of(Errno.ESPIPE, "an eventfd has no file position to write at (ksys_pwrite64)");
            case DmaBufFile b -> throw KernelError.of(Errno.EINVAL, "a dma-buf is written through mmap, not pwrite (dma_buf_fops)");
            default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be written (vfs_write)");
        };
    }

    /** {@code read}: an eventfd's counter, or a device file from offset 0. */
    public long read(OpenFile f, MemorySegment dst) throws KernelError {
        checkUserBuffer(dst, true);
        return switch (f) {
            case EventFdFile e -> eventFds.read(e, dst);
            case DeviceFile d -> {
                plan.enter(Syscall.REGION_READ);
                yield d.device().read(dst, 0);
            }
            default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be read (vfs_read)");
        };
    }

    /** {@code write}: adds to an eventfd's counter, or writes a device file from offset 0. */
    public long write(OpenFile f, MemorySegment src) throws KernelError {
        checkUserBuffer(src, false);
        return switch (f) {
            case EventFdFile e -> eventFds.write(e, src);
            case DeviceFile d -> {
                plan.enter(Syscall.REGION_WRITE);
                yield d.device().write(src, 0);
            }
            default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be written (vfs_write)");
        };
    }

    /** The Java side of a buffer argument: null is a programming error the C ABI cannot express. */
    public static void requireSegment(MemorySegment segment, String operation) {
        if (segment == null) {
            throw new IllegalArgumentException(operation + " needs a buffer segment, not null");
        }
    }

    /**
     * A buffer the kernel cannot reach faults ({@code copy_to_user}/{@code copy_from_user}: EFAULT):
     * memory of a closed arena is unmapped, memory confined to another thread is out of this
     * call's reach, and a read-only segment cannot receive what the kernel writes. Checked before
     * the file is touched, so a refused read consumes nothing.
     */
    private static void checkUserBuffer(MemorySegment buf, boolean kernelWrites) throws KernelError {
        String copy = kernelWrites ? "copy_to_user" : "copy_from_user";
        if (!buf.scope().isAlive()) {
            throw KernelError.of(Errno.EFAULT, copy + " faults: the buffer's arena was closed, so its memory is unmapped");
        }
        if (!buf.isAccessibleBy(Thread.currentThread())) {
            throw KernelError.of(Errno.EFAULT, copy + " faults: the buffer is confined to another thread's arena");
        }
        if (kernelWrites && buf.isReadOnly()) {
            throw KernelError.of(Errno.EFAULT, copy + " faults: the destination buffer is a read-only segment");
        }
    }
}
