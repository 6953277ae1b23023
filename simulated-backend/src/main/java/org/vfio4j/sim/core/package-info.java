/**
 * The VFIO core ({@code drivers/vfio/vfio_main.c}, {@code container.c}, {@code group.c}) and what
 * it shares with the parts above it. Not exported.
 *
 * <table>
 *   <caption>Kernel file to class</caption>
 *   <tr><th>Kernel file</th><th>Class</th></tr>
 *   <tr><td>{@code vfio_main.c} ({@code vfio_info_cap_add}, {@code vfio_info_cap_shift})</td><td>{@link org.vfio4j.sim.core.InfoCapChain}</td></tr>
 *   <tr><td>{@code vfio_main.c}: the error return of a kernel function</td><td>{@link org.vfio4j.sim.core.KernelError}</td></tr>
 *   <tr><td>{@code copy_from_user}/{@code copy_to_user} on an ioctl argument</td><td>{@link org.vfio4j.sim.core.UserArg}</td></tr>
 *   <tr><td>(simulator) the one kernel lock</td><td>{@link org.vfio4j.sim.core.KernelLock}</td></tr>
 *   <tr><td>(simulator) the trace's decoded arguments</td><td>{@link org.vfio4j.sim.core.SyscallContext}, {@link org.vfio4j.sim.core.TraceText}</td></tr>
 *   <tr><td>{@code kernel/workqueue.c}: device work</td><td>{@link org.vfio4j.sim.core.DeviceWork}</td></tr>
 * </table>
 */
package org.vfio4j.sim.core;
