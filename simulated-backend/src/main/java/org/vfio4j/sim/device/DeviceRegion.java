package org.vfio4j.sim.device;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.vfio4j.RegionCapability;

/**
 * A device-specific region after the fixed vfio-pci ones (index 9 onwards), as vendor code registers
 * with {@code vfio_pci_core_register_dev_region}: the kernel reports a TYPE capability with
 * {@code type}/{@code subtype} first, then {@code capabilities} (sparse mmap, NVLink2 SSATGT/LNKSPD,
 * a device's own). Backed by {@code handler} when present, by plain memory otherwise.
 *
 * @param type         vendor-qualified type ({@code VFIO_REGION_TYPE_*}, or {@code vendorId | 1 << 31})
 * @param subtype      subtype within the type
 * @param size         bytes
 * @param writable     whether writes are allowed (reads always are); a write to a read-only region is EINVAL
 * @param mmappable    whether the region may be mmapped (memory-backed regions only)
 * @param capabilities further capabilities after TYPE
 * @param handler      registers behind the region, or empty for memory
 */
public record DeviceRegion(int type, int subtype, long size, boolean writable, boolean mmappable,
                           List<RegionCapability> capabilities, Optional<MmioHandler> handler) {
    /** Keeps an unmodifiable copy of {@code capabilities}. */
    public DeviceRegion {
        capabilities = List.copyOf(capabilities);
        Objects.requireNonNull(handler, "handler");
        if (size < 0) {
            throw new IllegalArgumentException("negative region size");
        }
        if (mmappable && handler.isPresent()) {
            throw new IllegalArgumentException("a region of registers cannot be mmappable");
        }
        if (capabilities.stream().anyMatch(c -> c instanceof RegionCapability.Type)) {
            throw new IllegalArgumentException("the TYPE capability comes from type/subtype; do not list it");
        }
    }

    /** A read-only memory region of the given type, e.g. an IGD OpRegion copy. */
    public static DeviceRegion readOnly(int type, int subtype, long size) {
        return new DeviceRegion(type, subtype, size, false, false, List.of(), Optional.empty());
    }
}
