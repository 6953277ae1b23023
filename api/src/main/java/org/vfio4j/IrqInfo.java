package org.vfio4j;

import org.vfio4j.uapi.VfioUapi;

/**
 * VFIO_DEVICE_GET_IRQ_INFO for one index (vfio-pci: INTx, MSI, MSI-X, ERR, REQ).
 *
 * @param index the IRQ index
 * @param flags the raw flags (EVENTFD, MASKABLE, AUTOMASKED, NORESIZE)
 * @param count how many vectors the index offers (0: the device has none)
 */
public record IrqInfo(int index, int flags, int count) {
    /** INTx is masked by the kernel when it fires, until unmasked (VFIO_IRQ_INFO_AUTOMASKED). */
    public boolean automasked() {
        return (flags & VfioUapi.VFIO_IRQ_INFO_AUTOMASKED) != 0;
    }

    /** The index can be masked and unmasked (VFIO_IRQ_INFO_MASKABLE). */
    public boolean maskable() {
        return (flags & VfioUapi.VFIO_IRQ_INFO_MASKABLE) != 0;
    }

    /** Changing the vector count requires disabling the index first (VFIO_IRQ_INFO_NORESIZE). */
    public boolean noResize() {
        return (flags & VfioUapi.VFIO_IRQ_INFO_NORESIZE) != 0;
    }
}
