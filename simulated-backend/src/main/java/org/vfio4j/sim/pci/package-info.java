/**
 * vfio-pci ({@code drivers/vfio/pci/}) and the PCI hardware behind it. Not exported; sees the
 * core, not the IOMMU drivers. {@link org.vfio4j.sim.pci.PciFunction} implements the core's
 * {@link org.vfio4j.sim.core.VfioDevice}; what vfio-pci needs of the PCI core (the functions on a
 * bus, device memory) comes through {@link org.vfio4j.sim.pci.PciHost}.
 *
 * <table>
 *   <caption>Kernel file to class</caption>
 *   <tr><th>Kernel file</th><th>Class</th></tr>
 *   <tr><td>{@code drivers/vfio/pci/vfio_pci_core.c}</td><td>{@link org.vfio4j.sim.pci.PciFunction}
 *       (open, close, the ioctls, reset, mmap), {@link org.vfio4j.sim.pci.PciHotReset} (hot reset and
 *       its info), {@link org.vfio4j.sim.pci.PciDeviceFeatures} (DEVICE_FEATURE, the VF token)</td></tr>
 *   <tr><td>{@code drivers/vfio/pci/vfio_pci_rdwr.c}</td><td>{@link org.vfio4j.sim.pci.PciRegionIo}
 *       (region read/write, ioeventfds)</td></tr>
 *   <tr><td>{@code drivers/vfio/pci/vfio_pci_intrs.c}</td><td>{@link org.vfio4j.sim.pci.PciIrqs}</td></tr>
 *   <tr><td>{@code drivers/vfio/pci/vfio_pci_config.c}</td><td>{@link org.vfio4j.sim.pci.VirtualConfig}</td></tr>
 *   <tr><td>{@code samples/vfio-mdev/mbochs.c}</td><td>{@link org.vfio4j.sim.pci.MbochsDisplay}</td></tr>
 *   <tr><td>{@code drivers/pci/msi/} (the device's MSI and MSI-X state)</td><td>{@link
 *       org.vfio4j.sim.pci.MsiHardware}</td></tr>
 *   <tr><td>{@code drivers/pci/} (the function itself: config space, BARs, bus walks)</td><td>{@link
 *       org.vfio4j.sim.pci.PciHardware}, {@link org.vfio4j.sim.pci.FunctionSpec}, {@link
 *       org.vfio4j.sim.pci.PciHost}</td></tr>
 *   <tr><td>(simulator only: a model's view of its function)</td><td>{@link
 *       org.vfio4j.sim.pci.FunctionContext}</td></tr>
 * </table>
 */
package org.vfio4j.sim.pci;
