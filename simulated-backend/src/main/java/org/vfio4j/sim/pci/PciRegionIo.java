package org.vfio4j.sim.pci;

import static org.vfio4j.uapi.VfioStructs.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.vfio4j.Errno;
import org.vfio4j.sim.core.EventFdFile;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.OpenFile;
import org.vfio4j.sim.core.Syscall;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.TraceText;
import org.vfio4j.sim.core.UserArg;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.DeviceRegion;
import org.vfio4j.spi.Scalar;

/**
 * Reads and writes of a vfio-pci function's regions through its device fd, and the ioeventfds that
 * write a BAR on an eventfd signal ({@code drivers/vfio/pci/vfio_pci_rdwr.c}: {@code
 * vfio_pci_bar_rw}, {@code vfio_pci_vga_rw}, {@code vfio_pci_core_do_io_rw}, {@code
 * vfio_pci_ioeventfd}; the dispatch of {@code vfio_pci_rw} and {@code vfio_pci_ioctl_ioeventfd} in
 * {@code vfio_pci_core.c}). Config space goes to the function's {@link VirtualConfig}.
 */
final class PciRegionIo {
    static final int IOEVENTFD_MAX = 1000;
    private static final int NUM_FIXED_REGIONS = PciFunction.NUM_FIXED_REGIONS;

    private final PciFunction function;
    private final PciHardware hw;
    private final KernelServices kernel;
    private final List<IoEventFd> ioeventfds = new ArrayList<>();

    /** One VFIO_DEVICE_IOEVENTFD entry ({@code struct vfio_pci_ioeventfd}). */
    private record IoEventFd(int bar, long pos, long data, int count, EventFdFile eventfd, Runnable trigger) {}

    PciRegionIo(PciFunction function, KernelServices kernel) {
        this.function = function;
        this.hw = function.hw;
        this.kernel = kernel;
    }

    /** Last close ({@code vfio_pci_core_disable}): every ioeventfd goes. */
    void removeIoeventfds() {
        for (IoEventFd e : ioeventfds) {
            e.eventfd().detachVirqfd(e.trigger());
        }
        ioeventfds.clear();
    }

    // ---- ioeventfd ------------------------------------------------------------------------------

    /** {@code vfio_pci_ioctl_ioeventfd} and {@code vfio_pci_ioeventfd}. */
    int ioeventfd(UserArg arg, SyscallContext call) throws KernelError {
        int minsz = vfio_device_ioeventfd.fd + Integer.BYTES; // offsetofend(fd)
        int argsz = arg.copyIn(minsz, "struct vfio_device_ioeventfd");
        int flags = arg.u32(vfio_device_ioeventfd.flags);
        long offset = arg.u64(vfio_device_ioeventfd.offset);
        long data = arg.u64(vfio_device_ioeventfd.data);
        int fd = arg.u32(vfio_device_ioeventfd.fd);
        call.describe(() -> String.format("{argsz=%d, flags=%s, offset=%s, data=0x%x, fd=%d}", argsz, TraceText.ioeventfdFlags(flags),
                TraceText.regionOffset(offset), data, fd));
        kernel.faults().enter(Syscall.IOEVENTFD);
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below offsetofend(struct vfio_device_ioeventfd, fd) = 28"
                    + " (vfio_pci_ioctl_ioeventfd)");
        }
        if ((flags & ~VFIO_DEVICE_IOEVENTFD_SIZE_MASK) != 0) {
            throw KernelError.of(Errno.EINVAL, "flags 0x" + Integer.toHexString(flags) + " has bits beyond the size mask 0xf"
                    + " (vfio_pci_ioctl_ioeventfd)");
        }
        int count = flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
        if (Integer.bitCount(count) != 1 || fd < -1) {
            throw KernelError.of(Errno.EINVAL, (fd < -1 ? "fd " + fd + " is neither an eventfd nor -1 (to remove)"
                    : "size flags 0x" + Integer.toHexString(count) + " must be exactly one of 1, 2, 4, 8 bytes") + " (vfio_pci_ioctl_ioeventfd)");
        }
        long index = offset >>> 40;
        long pos = offset & PciFunction.OFFSET_MASK;
        if (index > VFIO_PCI_BAR5_REGION_INDEX) {
            throw KernelError.of(Errno.EINVAL, "ioeventfds live in BARs 0-5; offset 0x" + Long.toHexString(offset) + " selects region "
                    + index + " (vfio_pci_ioeventfd)");
        }
        int bar = (int) index;
        long len = hw.bars[bar] == null ? 0 : hw.bars[bar].size();
        if (pos + count > len) {
            throw KernelError.of(Errno.EINVAL, String.format("a %d-byte write at 0x%x does not fit BAR%d (0x%x bytes) (vfio_pci_ioeventfd)",
                    count, pos, bar, len));
        }
        if (bar == hw.msixBar && !(pos + count <= hw.msixOffset || pos >= hw.msixOffset + hw.msixSize)) {
            throw KernelError.of(Errno.EINVAL, String.format("[0x%x, 0x%x) overlaps the MSI-X table [0x%x, 0x%x) of BAR%d: interrupts"
                    + " are set up with SET_IRQS (vfio_pci_ioeventfd)", pos, pos + count, hw.msixOffset, hw.msixOffset + hw.msixSize, bar));
        }
        if (count == 8 && !kernel.profile().hasEightByteIoeventfd()) {
            throw KernelError.of(Errno.EINVAL, "this kernel has no iowrite64 for an 8-byte ioeventfd (vfio_pci_ioeventfd, before 6.1)");
        }
        for (IoEventFd e : ioeventfds) {
            if (e.bar() == bar && e.pos() == pos && e.data() == data && e.count() == count) {
                if (fd == -1) {
                    e.eventfd().detachVirqfd(e.trigger());
                    ioeventfds.remove(e);
                    return 0;
                }
                throw KernelError.of(Errno.EEXIST, String.format("an ioeventfd already writes 0x%x (%d bytes) at BAR%d+0x%x;"
                        + " remove it with fd -1 first (vfio_pci_ioeventfd)", data, count, bar, pos));
            }
        }
        if (fd < 0) {
            throw KernelError.of(Errno.ENODEV, String.format("no ioeventfd writes 0x%x (%d bytes) at BAR%d+0x%x, so there is"
                    + " nothing to remove (vfio_pci_ioeventfd)", data, count, bar, pos));
        }
        if (ioeventfds.size() >= IOEVENTFD_MAX) {
            throw KernelError.of(Errno.ENOSPC, "a device has at most " + IOEVENTFD_MAX + " ioeventfds (VFIO_PCI_IOEVENTFD_MAX)");
        }
        OpenFile f = kernel.fileOf(fd);
        if (f == null) {
            throw KernelError.of(Errno.EBADF, "fd " + fd + " is not open (fdget in vfio_virqfd_enable)");
        }
        if (!(f instanceof EventFdFile efd)) {
            throw KernelError.of(Errno.EINVAL, "fd " + fd + " is a " + f.kind() + ", not an eventfd (eventfd_ctx_fileget in"
                    + " vfio_virqfd_enable)");
        }
        boolean mem = hw.bars[bar].kind().isMemory();
        Runnable trigger = () -> {
            VirtualConfig vconfig = function.vconfig; // read at signal time: the device may be closed or decode off by then
            if (!mem || vconfig == null || vconfig.memoryEnabled()) { // writes to MEM BARs are skipped while decode is off
                ioWrite(bar, pos, count, data);
            }
        };
        IoEventFd entry = new IoEventFd(bar, pos, data, count, efd, trigger);
        ioeventfds.add(entry);
        efd.attachVirqfd(trigger);
        return 0;
    }

    /** The live ioeventfds, one line each, for {@code SimulatedKernel.resources()}. */
    List<String> ioeventfdLines() {
        List<String> out = new ArrayList<>();
        for (IoEventFd e : ioeventfds) {
            out.add(String.format("%s BAR%d+0x%x: %d-byte write of 0x%x <- %s", function.address(), e.bar(), e.pos(), e.count(), e.data(),
                    kernel.describeEventFd(e.eventfd())));
        }
        return out;
    }

    /** {@code vfio_pci_ioeventfd_do_write}: one access of the entry's size, 8 bytes included ({@code iowrite64} on x86-64). */
    private void ioWrite(int bar, long pos, int count, long data) {
        hw.mmioWrite(bar, pos, count, data);
    }

    // ---- region access (vfio_pci_rw) --------------------------------------------------------------

    /** {@code pread} on the device fd: fills {@code dst} from the region and offset {@code offset} selects, returns the count. */
    long read(MemorySegment dst, long offset) throws KernelError {
        return access(dst, offset, false);
    }

    /** {@code pwrite} on the device fd: writes {@code src} to the region and offset {@code offset} selects, returns the count. */
    long write(MemorySegment src, long offset) throws KernelError {
        return access(src, offset, true);
    }

    private long access(MemorySegment buf, long offset, boolean write) throws KernelError {
        long count = buf.byteSize();
        if (count == 0) {
            return 0;
        }
        long index = offset >>> 40;
        long pos = offset & PciFunction.OFFSET_MASK;
        if (index >= function.numRegions()) {
            throw KernelError.of(Errno.EINVAL, "offset 0x" + Long.toHexString(offset) + " selects region " + index + ", not below "
                    + function.numRegions() + " (vfio_pci_rw)");
        }
        if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
            return configAccess(buf, pos, write);
        }
        if (index <= VFIO_PCI_BAR5_REGION_INDEX) {
            return barAccess(buf, (int) index, pos, write);
        }
        if (index == VFIO_PCI_ROM_REGION_INDEX) {
            return romRead(buf, pos, write);
        }
        if (index == VFIO_PCI_VGA_REGION_INDEX) {
            return vgaAccess(buf, pos, write);
        }
        return regionAccess(buf, (int) index - NUM_FIXED_REGIONS, pos, write);
    }

    private long configAccess(MemorySegment buf, long pos, boolean write) throws KernelError {
        long count = buf.byteSize();
        if (pos + count > hw.cfgSize || pos >= hw.cfgSize) {
            throw KernelError.of(Errno.EFAULT, String.format("config access [0x%x, 0x%x) passes the end of the %d-byte config"
                    + " space (vfio_config_do_rw)", pos, pos + count, hw.cfgSize));
        }
        VirtualConfig vconfig = function.vconfig;
        int at = (int) pos;
        int n = (int) count;
        if (vconfig.single(at, n)) { // the common case: one aligned access, no buffer
            if (write) {
                int v = switch (n) {
                    case 1 -> buf.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
                    case 2 -> buf.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xffff;
                    default -> buf.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
                };
                vconfig.writeSingle(at, n, v);
            } else {
                int v = vconfig.readSingle(at, n);
                switch (n) {
                    case 1 -> buf.set(ValueLayout.JAVA_BYTE, 0, (byte) v);
                    case 2 -> buf.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) v);
                    default -> buf.set(ValueLayout.JAVA_INT_UNALIGNED, 0, v);
                }
            }
            return count;
        }
        byte[] bytes = new byte[n];
        if (write) {
            MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, bytes, 0, bytes.length);
            vconfig.write((int) pos, bytes);
        } else {
            vconfig.read((int) pos, bytes);
            MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, bytes.length);
        }
        return count;
    }

    /** {@code vfio_pci_bar_rw}: clipped at the BAR end; MSI-X table bytes read 0xff and drop writes. */
    private long barAccess(MemorySegment buf, int bar, long pos, boolean write) throws KernelError {
        Bar b = hw.bars[bar];
        if (b == null || hw.barAddress[bar] == 0) {
            throw KernelError.of(Errno.EINVAL, "BAR" + bar + " of " + function + " is not implemented (vfio_pci_bar_rw)");
        }
        if (pos >= b.size()) {
            throw KernelError.of(Errno.EINVAL, String.format("offset 0x%x is past the end of BAR%d (0x%x bytes) (vfio_pci_bar_rw)",
                    pos, bar, b.size()));
        }
        long count = Math.min(buf.byteSize(), b.size() - pos);
        if (b.kind().isMemory() && !function.vconfig.memoryEnabled()) {
            throw KernelError.of(Errno.EIO, "memory decode is off" + (hw.powerState >= 3 ? " (the function is in D3hot)"
                    : " (PCI_COMMAND_MEMORY is clear in the virtual command register)") + ": BAR" + bar + " cannot be accessed"
                    + " (__vfio_pci_memory_enabled in vfio_pci_core_do_io_rw)");
        }
        long xStart = bar == hw.msixBar ? hw.msixOffset : 0;
        long xEnd = bar == hw.msixBar ? hw.msixOffset + hw.msixSize : 0;
        doIoRw(buf, count, pos, xStart, xEnd, write, (at, size) -> hw.mmioRead(bar, at, size), (at, size, v) -> hw.mmioWrite(bar, at, size, v));
        return count;
    }

    private interface Reader {
        long read(long at, int size);
    }

    private interface Writer {
        void write(long at, int size, long value);
    }

    /**
     * {@code vfio_pci_core_do_io_rw}: naturally aligned accesses of 4, 2 or 1 bytes (and 8 where the
     * kernel has them), as large as fits before the excluded range; the excluded range itself reads
     * 0xff and drops writes, all of it that the transfer covers at once.
     */
    private void doIoRw(MemorySegment buf, long count, long pos, long xStart, long xEnd, boolean write, Reader r, Writer w) {
        boolean eight = kernel.profile().hasEightByteIoAccess();
        long done = 0;
        while (done < count) {
            long at = pos + done;
            long left = count - done;
            long fillable = xEnd <= xStart || at >= xEnd ? left : at < xStart ? Math.min(left, xStart - at) : 0;
            int size = eight && fillable >= 8 && at % 8 == 0 ? 8 : fillable >= 4 && at % 4 == 0 ? 4
                    : fillable >= 2 && at % 2 == 0 ? 2 : fillable > 0 ? 1 : 0;
            if (size == 0) {
                long filled = Math.min(left, xEnd - at);
                if (!write) {
                    buf.asSlice(done, filled).fill((byte) 0xff);
                }
                done += filled;
                continue;
            }
            if (write) {
                w.write(at, size, Scalar.get(buf, done, size));
            } else {
                Scalar.put(buf, done, size, r.read(at, size));
            }
            done += size;
        }
    }

    private long romRead(MemorySegment buf, long pos, boolean write) throws KernelError {
        if (write) {
            throw KernelError.of(Errno.EINVAL, "the ROM region is read-only (vfio_pci_rw)");
        }
        if (hw.rom.isEmpty()) {
            throw KernelError.of(Errno.EINVAL, function + " has no expansion ROM (vfio_pci_bar_rw)");
        }
        long size = hw.rom.get().size();
        if (function.romRegionSize() == 0) {
            throw KernelError.of(Errno.ENOMEM, "the ROM of " + function + " holds no image with the 0x55aa signature, so pci_map_rom"
                    + " cannot map it (vfio_pci_bar_rw)");
        }
        if (pos >= size) {
            throw KernelError.of(Errno.EINVAL, String.format("offset 0x%x is past the 0x%x-byte ROM BAR (vfio_pci_bar_rw)", pos, size));
        }
        byte[] image = hw.rom.get().image();
        long count = Math.min(buf.byteSize(), size - pos);
        for (long i = 0; i < count; i++) {
            long at = pos + i;
            buf.set(ValueLayout.JAVA_BYTE, i, at < image.length && !hw.mmioDead() ? image[(int) at] : (byte) 0xff);
        }
        return count;
    }

    /** {@code vfio_pci_vga_rw}: three legacy windows at their own addresses, clipped to the window. */
    private long vgaAccess(MemorySegment buf, long pos, boolean write) throws KernelError {
        if (!hw.vga) {
            throw KernelError.of(Errno.EINVAL, function + " is not a VGA device (vfio_pci_vga_rw)");
        }
        long end;
        if (pos >= 0xa0000 && pos <= 0xbffff) {
            end = 0xc0000;
        } else if (pos >= 0x3b0 && pos <= 0x3bb) {
            end = 0x3bc;
        } else if (pos >= 0x3c0 && pos <= 0x3df) {
            end = 0x3e0;
        } else {
            throw KernelError.of(Errno.EINVAL, String.format("VGA offset 0x%x is outside 0xa0000-0xbffff, 0x3b0-0x3bb and"
                    + " 0x3c0-0x3df (vfio_pci_vga_rw)", pos));
        }
        long count = Math.min(buf.byteSize(), end - pos);
        var vga = hw.model.vga();
        doIoRw(buf, count, pos, 0, 0, write, vga::read, vga::write);
        return count;
    }

    private long regionAccess(MemorySegment buf, int n, long pos, boolean write) throws KernelError {
        DeviceRegion r = function.regions.get(n);
        if (write && !r.writable()) {
            throw KernelError.of(Errno.EINVAL, "region " + (n + NUM_FIXED_REGIONS) + " (type 0x" + Integer.toHexString(r.type())
                    + ", subtype " + r.subtype() + ") is read-only (its rw op refuses writes)");
        }
        if (pos >= r.size()) {
            throw KernelError.of(Errno.EINVAL, String.format("offset 0x%x is past the end of region %d (0x%x bytes)", pos,
                    n + NUM_FIXED_REGIONS, r.size()));
        }
        long count = Math.min(buf.byteSize(), r.size() - pos);
        if (r.handler().isPresent()) {
            var h = r.handler().get();
            doIoRw(buf, count, pos, 0, 0, write, h::read, h::write);
        } else if (write) {
            MemorySegment.copy(buf, 0, function.regionMemory.get(n), pos, count);
        } else {
            MemorySegment.copy(function.regionMemory.get(n), pos, buf, 0, count);
        }
        return count;
    }
}
