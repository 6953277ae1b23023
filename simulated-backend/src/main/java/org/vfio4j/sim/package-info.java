/**
 * The simulated backend's public surface: a machine ({@code SimulatedHost}, {@code HostDevice},
 * {@code HostGroup}), the VFIO kernel booted on it ({@code SimulatedKernel}), what it reports
 * ({@code TraceEntry}, {@code KernelResources}) and the faults it can inject ({@code Fault},
 * {@code Call}). Device models plug in through {@code org.vfio4j.sim.device}.
 *
 * <p>Inside, the simulator is laid out like {@code drivers/vfio}: the VFIO core in {@code
 * org.vfio4j.sim.core}, vfio-pci in {@code org.vfio4j.sim.pci}, the IOMMU drivers in {@code
 * org.vfio4j.sim.iommu}, none of them exported. This package wires them together; the package
 * graph is a tree (this package, then pci and iommu, then core).
 *
 * <table>
 *   <caption>Kernel file to class</caption>
 *   <tr><th>Kernel file</th><th>Class</th></tr>
 *   <tr><td>the system calls ({@code open}, {@code close}, {@code ioctl}, {@code read}, {@code write},
 *       {@code eventfd}, {@code poll}) and vfio-pci's probe of the host's functions</td><td>{@code
 *       SimulatedKernel}</td></tr>
 *   <tr><td>{@code mm/mmap.c} (the process's mappings, munmap)</td><td>{@code MemoryMaps}</td></tr>
 *   <tr><td>{@code drivers/iommu/iommu.c} (groups), the PCI topology, the process's limits</td><td>{@code
 *       SimulatedHost}, {@code HostDevice}, {@code HostGroup}</td></tr>
 *   <tr><td>sysfs and devfs ({@code /sys/kernel/iommu_groups}, {@code /sys/bus/pci}, {@code
 *       /dev/vfio})</td><td>{@code Sysfs}</td></tr>
 *   <tr><td>{@code lib/fault-inject.c}</td><td>{@code Fault}, {@code Call}, {@code FaultPlan}</td></tr>
 *   <tr><td>(simulator only: the trace and the inspection)</td><td>{@code KernelTrace}, {@code TraceRing},
 *       {@code TraceEntry}, {@code KernelResources}</td></tr>
 * </table>
 */
package org.vfio4j.sim;
