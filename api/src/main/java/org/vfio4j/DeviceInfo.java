package org.vfio4j;

/**
 * VFIO_DEVICE_GET_INFO.
 *
 * @param flags      the raw flags (VFIO_DEVICE_FLAGS_RESET, _PCI, ...)
 * @param numRegions regions, counting the fixed vfio-pci ones (9) and device-specific ones
 * @param numIrqs    IRQ indexes (5 for vfio-pci)
 */
public record DeviceInfo(int flags, int numRegions, int numIrqs) {
    /** VFIO_DEVICE_FLAGS_PCI. */
    public boolean isPci() {
        return (flags & org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_FLAGS_PCI) != 0;
    }

    /** VFIO_DEVICE_FLAGS_RESET: VFIO_DEVICE_RESET works. */
    public boolean canReset() {
        return (flags & org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_FLAGS_RESET) != 0;
    }
}
