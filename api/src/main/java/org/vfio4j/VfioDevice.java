package org.vfio4j;

import static org.vfio4j.Structs.U32;
import static org.vfio4j.Structs.U64;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.VfioKernel;
import org.vfio4j.uapi.VfioLayouts;

/**
 * An open VFIO device (a device fd from VFIO_GROUP_GET_DEVICE_FD): its info, regions, and
 * config space. Each open device counts as a user of its group's container until closed.
 */
public final class VfioDevice extends FdHandle {
    private static final long INFO_SIZE = VfioLayouts.vfio_device_info.byteSize();
    private static final long REGION_SIZE = VfioLayouts.vfio_region_info.byteSize();
    private static final long CONFIG_OFFSET = (long) VFIO_PCI_CONFIG_REGION_INDEX << 40;

    private final String name;
    private final MemorySegment dword = Structs.buffer(4);

    VfioDevice(VfioKernel kernel, String name, Fd fd) {
        super(kernel, fd);
        this.name = name;
    }

    /** The name it was opened with. */
    public String name() {
        return name;
    }

    /** VFIO_DEVICE_GET_INFO. */
    public DeviceInfo info() throws VfioException {
        MemorySegment info = Structs.withArgsz(INFO_SIZE);
        kernel.ioctl(fd, VFIO_DEVICE_GET_INFO, info);
        return new DeviceInfo(info.get(U32, 4), info.get(U32, 8), info.get(U32, 12));
    }

    /** VFIO_DEVICE_GET_REGION_INFO for {@code index} (capability chains are decoded by the region API). */
    public RegionInfo regionInfo(int index) throws VfioException {
        MemorySegment r = Structs.withArgsz(REGION_SIZE);
        r.set(U32, 8, index);
        kernel.ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, r);
        return new RegionInfo(index, r.get(U32, 4), r.get(U64, 16), r.get(U64, 24));
    }

    /** Reads {@code dst.byteSize()} bytes of config space at {@code offset} (pread on the config region). */
    public long readConfig(long offset, MemorySegment dst) throws VfioException {
        return kernel.pread(fd, dst, CONFIG_OFFSET + offset);
    }

    /** Writes config space at {@code offset}; the kernel keeps only what it lets userspace change. */
    public long writeConfig(long offset, MemorySegment src) throws VfioException {
        return kernel.pwrite(fd, src, CONFIG_OFFSET + offset);
    }

    /** One little-endian dword of config space. Not thread-safe: one buffer per device. */
    public int readConfigDword(long offset) throws VfioException {
        kernel.pread(fd, dword, CONFIG_OFFSET + offset);
        return dword.get(U32, 0);
    }

    /** Closes the device fd: one user less for the group's container. */
    @Override
    public void close() throws VfioException {
        super.close();
    }
}
