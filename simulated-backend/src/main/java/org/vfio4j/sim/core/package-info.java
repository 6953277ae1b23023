/**
 * The VFIO core of the simulated kernel ({@code drivers/vfio/vfio_main.c}, {@code container.c},
 * {@code group.c}) and the kernel services around it (the fd table, eventfds, read and write,
 * pinned memory). Not exported.
 *
 * <p>The core sees neither vfio-pci nor an IOMMU driver: it defines what it needs from them, as
 * the kernel does. {@link org.vfio4j.sim.core.VfioDevice} is the role of {@code struct
 * vfio_device} with its {@code vfio_device_ops}, {@link org.vfio4j.sim.core.IommuDriver} and
 * {@link org.vfio4j.sim.core.IommuDriverOps} the role of {@code struct vfio_iommu_driver_ops},
 * {@link org.vfio4j.sim.core.IommuDma} a device's DMA through the IOMMU, and {@link
 * org.vfio4j.sim.core.KernelServices} what every part asks of the kernel that wires them together
 * (its lock, the host's facts, the fault plan, the fd table, eventfd signalling, the trace).
 *
 * <table>
 *   <caption>Kernel file to class</caption>
 *   <tr><th>Kernel file</th><th>Class</th></tr>
 *   <tr><td>{@code drivers/vfio/vfio_main.c}</td><td>{@link org.vfio4j.sim.core.VfioDevice}
 *       ({@code struct vfio_device}, {@code vfio_device_ops}), {@link org.vfio4j.sim.core.DeviceFile}
 *       ({@code vfio_device_fops}), {@link org.vfio4j.sim.core.InfoCapChain} ({@code vfio_info_cap_add},
 *       {@code vfio_info_cap_shift})</td></tr>
 *   <tr><td>{@code drivers/vfio/container.c}</td><td>{@link org.vfio4j.sim.core.Container},
 *       {@link org.vfio4j.sim.core.ContainerFile}, {@link org.vfio4j.sim.core.IommuDriver},
 *       {@link org.vfio4j.sim.core.IommuDriverOps} ({@code vfio_iommu_driver_ops},
 *       {@code vfio_register_iommu_driver})</td></tr>
 *   <tr><td>{@code drivers/vfio/group.c}</td><td>{@link org.vfio4j.sim.core.Group},
 *       {@link org.vfio4j.sim.core.GroupFile}</td></tr>
 *   <tr><td>{@code fs/eventfd.c}</td><td>{@link org.vfio4j.sim.core.EventFds},
 *       {@link org.vfio4j.sim.core.EventFdFile}, {@link org.vfio4j.sim.core.IrqHistory} (what became
 *       of the interrupts bound to an eventfd)</td></tr>
 *   <tr><td>{@code fs/file.c}, {@code struct file}</td><td>{@link org.vfio4j.sim.core.FdTable},
 *       {@link org.vfio4j.sim.core.OpenFile}</td></tr>
 *   <tr><td>{@code fs/read_write.c}</td><td>{@link org.vfio4j.sim.core.ReadWrite}</td></tr>
 *   <tr><td>{@code drivers/dma-buf/dma-buf.c}</td><td>{@link org.vfio4j.sim.core.DmaBufFile}</td></tr>
 *   <tr><td>{@code mm/gup.c}, {@code mm/mlock.c} (pinning, RLIMIT_MEMLOCK)</td><td>{@link
 *       org.vfio4j.sim.core.ProcessMemory}</td></tr>
 *   <tr><td>{@code copy_from_user}/{@code copy_to_user} on an ioctl argument</td><td>{@link
 *       org.vfio4j.sim.core.UserArg}</td></tr>
 *   <tr><td>a kernel function's {@code -errno} return</td><td>{@link org.vfio4j.sim.core.KernelError}</td></tr>
 *   <tr><td>{@code kernel/workqueue.c} (device work)</td><td>{@link org.vfio4j.sim.core.DeviceWork}</td></tr>
 *   <tr><td>{@code lib/fault-inject.c} (where a call may fail)</td><td>{@link org.vfio4j.sim.core.FaultGate},
 *       {@link org.vfio4j.sim.core.Syscall}</td></tr>
 *   <tr><td>(simulator only)</td><td>{@link org.vfio4j.sim.core.KernelServices},
 *       {@link org.vfio4j.sim.core.HostFacts}, {@link org.vfio4j.sim.core.IommuDma},
 *       {@link org.vfio4j.sim.core.KernelLock}, {@link org.vfio4j.sim.core.SyscallContext},
 *       {@link org.vfio4j.sim.core.TraceText}</td></tr>
 * </table>
 */
package org.vfio4j.sim.core;
