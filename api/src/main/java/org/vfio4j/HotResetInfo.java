package org.vfio4j;

import java.util.List;

/**
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: every function a slot or bus reset of the device would reset,
 * with its IOMMU group. A hot reset needs a group fd for each of those groups.
 */
public record HotResetInfo(List<Device> devices) {
    /** Keeps an unmodifiable copy of {@code devices}. */
    public HotResetInfo {
        devices = List.copyOf(devices);
    }

    /** One affected function ({@code struct vfio_pci_dependent_device}). */
    public record Device(int groupId, PciAddress address) {}
}
