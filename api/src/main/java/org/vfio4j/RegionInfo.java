package org.vfio4j;

import java.util.List;
import java.util.Optional;
import org.vfio4j.uapi.VfioUapi;

/**
 * VFIO_DEVICE_GET_REGION_INFO for one region: where it lies in the device fd, what it allows, and
 * its decoded capability chain.
 *
 * @param index        the region index (vfio-pci: BAR0-5, ROM, CONFIG, VGA, then device-specific)
 * @param flags        the raw flags (READ, WRITE, MMAP, CAPS)
 * @param size         bytes; 0 for a region the device does not implement
 * @param offset       where the region starts in the device fd ({@code index << 40} for vfio-pci)
 * @param capabilities the chain, in order (empty without CAPS)
 */
public record RegionInfo(int index, int flags, long size, long offset, List<RegionCapability> capabilities) {
    /** Keeps an unmodifiable copy of {@code capabilities}. */
    public RegionInfo {
        capabilities = List.copyOf(capabilities);
    }

    /** Whether the region can be read ({@code VFIO_REGION_INFO_FLAG_READ}). */
    public boolean readable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_READ) != 0;
    }

    /** Whether the region can be written ({@code VFIO_REGION_INFO_FLAG_WRITE}). */
    public boolean writable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_WRITE) != 0;
    }

    /** Whether (parts of) the region can be mmapped ({@code VFIO_REGION_INFO_FLAG_MMAP}). */
    public boolean mmappable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_MMAP) != 0;
    }

    /** The TYPE capability of a device-specific region. */
    public Optional<RegionCapability.Type> type() {
        return capabilities.stream().filter(c -> c instanceof RegionCapability.Type).map(c -> (RegionCapability.Type) c).findFirst();
    }

    /**
     * The areas that may be mmapped: the SPARSE_MMAP areas when the region has that capability, the
     * whole region when it is mmappable without it, none otherwise.
     */
    public List<RegionCapability.Area> mmapAreas() {
        if (!mmappable()) {
            return List.of();
        }
        return capabilities.stream().filter(c -> c instanceof RegionCapability.SparseMmap).map(c -> ((RegionCapability.SparseMmap) c).areas())
                .findFirst().orElse(List.of(new RegionCapability.Area(0, size)));
    }
}
