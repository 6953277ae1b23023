package org.vfio4j;

import org.vfio4j.uapi.VfioUapi;

/**
 * VFIO_DEVICE_GET_REGION_INFO for one region: where it lies in the device fd and what it allows.
 *
 * @param index  the region index (vfio-pci: BAR0-5, ROM, CONFIG, VGA, then device-specific)
 * @param flags  the raw flags (READ, WRITE, MMAP, CAPS)
 * @param size   bytes; 0 for a region the device does not implement
 * @param offset where the region starts in the device fd ({@code index << 40} for vfio-pci)
 */
public record RegionInfo(int index, int flags, long size, long offset) {
    public boolean readable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_READ) != 0;
    }

    public boolean writable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_WRITE) != 0;
    }

    public boolean mmappable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_MMAP) != 0;
    }
}
