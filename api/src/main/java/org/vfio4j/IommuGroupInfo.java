package org.vfio4j;

import java.util.List;

/**
 * An IOMMU group as sysfs shows it ({@code /sys/kernel/iommu_groups/<id>}), with its devices and
 * the VFIO node that opens it, if any.
 *
 * @param id      the group number
 * @param devices its PCI functions, sorted by address
 * @param vfioNode the {@code /dev/vfio} node name ({@code "7"}, {@code "noiommu-0"}), empty when no
 *                 function of the group is bound to a VFIO driver
 */
public record IommuGroupInfo(int id, List<PciDeviceInfo> devices, java.util.Optional<String> vfioNode) {
    /** Keeps an unmodifiable copy of {@code devices}. */
    public IommuGroupInfo {
        devices = List.copyOf(devices);
    }

    /** Whether every function is unbound or bound to vfio-pci or pci-stub: what VFIO requires to hand the group out. */
    public boolean looksViable() {
        return devices.stream().allMatch(d -> d.driver().isEmpty()
                || d.driver().get().equals("vfio-pci") || d.driver().get().equals("pci-stub"));
    }
}
