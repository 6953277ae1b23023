/**
 * The IOMMU drivers behind a container ({@code drivers/vfio/vfio_iommu_type1.c}). Not exported.
 *
 * <table>
 *   <caption>Kernel file to class</caption>
 *   <tr><th>Kernel file</th><th>Class</th></tr>
 *   <tr><td>{@code vfio_iommu_type1.c} ({@code struct rb_root dma_list})</td><td>{@link org.vfio4j.sim.iommu.IovaTree}</td></tr>
 * </table>
 */
package org.vfio4j.sim.iommu;
