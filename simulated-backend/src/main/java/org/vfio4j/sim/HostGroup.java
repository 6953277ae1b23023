package org.vfio4j.sim;

import java.util.List;

/**
 * An IOMMU group of a simulated host: the functions the IOMMU cannot isolate from each other, which
 * VFIO hands out together ({@code /sys/kernel/iommu_groups/<id>}).
 */
public record HostGroup(int id, List<HostDevice> devices) {
    /** Keeps an unmodifiable copy of {@code devices}. */
    public HostGroup {
        if (id < 0) {
            throw new IllegalArgumentException("group id must be >= 0: " + id);
        }
        devices = List.copyOf(devices);
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("IOMMU group " + id + " has no devices");
        }
    }

    /** Whether every function allows viability ({@link HostDevice#allowsViability()}). */
    public boolean viable() {
        for (HostDevice d : devices) {
            if (!d.allowsViability()) {
                return false;
            }
        }
        return true;
    }

    /** Whether VFIO registers a group node for it: at least one function is bound to vfio-pci. */
    public boolean hasVfioDevices() {
        for (HostDevice d : devices) {
            if (d.isVfioDevice()) {
                return true;
            }
        }
        return false;
    }
}
