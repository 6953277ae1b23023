package org.vfio4j;

import java.util.Optional;

/**
 * A PCI function as sysfs shows it ({@code /sys/bus/pci/devices/<BDF>}).
 *
 * @param address   its address
 * @param vendor    {@code vendor}
 * @param device    {@code device}
 * @param classCode {@code class} (24 bits)
 * @param driver    the bound driver's name, empty when unbound
 */
public record PciDeviceInfo(PciAddress address, int vendor, int device, int classCode, Optional<String> driver) {}
