package org.vfio4j.conformance;

/** A vfio-pci device a conformance run may open: its IOMMU group and PCI name. */
public record TargetDevice(int group, String name) {}
