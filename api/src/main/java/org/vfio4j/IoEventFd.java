package org.vfio4j;

import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_IOEVENTFD;

import org.vfio4j.uapi.VfioStructs.vfio_device_ioeventfd;

import java.lang.foreign.MemorySegment;
import org.vfio4j.spi.VfioKernel;

/**
 * A VFIO_DEVICE_IOEVENTFD: each signal of its {@link EventNotifier} makes the kernel write
 * {@code data} ({@code size} bytes) at {@code offset} of a BAR, without a system call from the
 * user. {@link #close()} removes it (the same ioctl with fd -1).
 *
 * @see VfioDevice#ioeventfd
 */
public final class IoEventFd implements AutoCloseable {
    private final VfioKernel kernel;
    private final VfioDevice device;
    private final long offset;
    private final long data;
    private final int size;
    private boolean removed;

    IoEventFd(VfioKernel kernel, VfioDevice device, long offset, long data, int size) {
        this.kernel = kernel;
        this.device = device;
        this.offset = offset;
        this.data = data;
        this.size = size;
    }

    static MemorySegment arg(long offset, long data, int size, int fd) {
        MemorySegment a = Structs.withArgsz(vfio_device_ioeventfd.SIZE);
        a.set(Structs.U32, vfio_device_ioeventfd.flags, size); // the size flags are the byte count
        a.set(Structs.U64, vfio_device_ioeventfd.offset, offset);
        a.set(Structs.U64, vfio_device_ioeventfd.data, data);
        a.set(Structs.U32, vfio_device_ioeventfd.fd, fd);
        return a;
    }

    /**
     * Removes it; a second close does nothing, and so does a close after the device fd was closed:
     * there is no fd left to remove it through, and the device's last close removes every
     * ioeventfd it has ({@code vfio_pci_core_disable}).
     */
    @Override
    public void close() throws VfioException {
        if (!removed && !device.fd().isOpen()) {
            removed = true;
        }
        if (!removed) {
            kernel.ioctl(device.fd(), VFIO_DEVICE_IOEVENTFD, arg(offset, data, size, -1));
            removed = true;
        }
    }
}
