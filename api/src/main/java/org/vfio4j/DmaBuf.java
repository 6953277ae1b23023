package org.vfio4j;

import java.lang.foreign.MemorySegment;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/** A dma-buf fd from VFIO_DEVICE_GET_GFX_DMABUF: a display plane's pixels, mapped with {@link #map}. */
public final class DmaBuf extends FdHandle {
    DmaBuf(VfioKernel kernel, Fd fd) {
        super(kernel, fd);
    }

    /** Maps {@code length} bytes of it, shared and read-only; unmap with the seam's munmap. */
    public MemorySegment map(long length) throws VfioException {
        return kernel.mmap(fd, 0, length, LinuxAbi.PROT_READ, LinuxAbi.MAP_SHARED);
    }
}
