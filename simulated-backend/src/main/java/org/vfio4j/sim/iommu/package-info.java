/**
 * The IOMMU drivers a container can use, as the VFIO core's {@link
 * org.vfio4j.sim.core.IommuDriver} and {@link org.vfio4j.sim.core.IommuDriverOps} ask for them,
 * and a device's DMA through them. Not exported; sees the core and EEH, not vfio-pci.
 *
 * <table>
 *   <caption>Kernel file to class</caption>
 *   <tr><th>Kernel file</th><th>Class</th></tr>
 *   <tr><td>{@code drivers/vfio/vfio_iommu_type1.c}</td><td>{@link org.vfio4j.sim.iommu.Type1Iommu},
 *       {@link org.vfio4j.sim.iommu.IovaTree} (the {@code dma_list} rb-tree),
 *       {@link org.vfio4j.sim.iommu.KernelRbTree} (its exact shape, {@code lib/rbtree.c}, for the unmap order before 5.12)</td></tr>
 *   <tr><td>{@code drivers/vfio/container.c} ({@code vfio_noiommu_ops})</td><td>{@link
 *       org.vfio4j.sim.iommu.NoIommuDriver}</td></tr>
 *   <tr><td>{@code drivers/vfio/vfio_iommu_spapr_tce.c} (Linux 6.12), {@code
 *       arch/powerpc/platforms/powernv/pci-ioda*.c}</td><td>{@link org.vfio4j.sim.iommu.SpaprTceIommu},
 *       {@code TceTable} (one DMA window, {@code struct iommu_table})</td></tr>
 *   <tr><td>{@code arch/powerpc/mm/book3s64/iommu_api.c} ({@code mm_iommu_*})</td><td>{@code
 *       PreregisteredMemory}</td></tr>
 *   <tr><td>the IOMMU hardware's translation of a device's DMA ({@code iommu_iova_to_phys}, a PHB's
 *       TCE lookup)</td><td>{@link org.vfio4j.sim.iommu.DeviceDma} over each driver's {@code
 *       DmaTranslator}</td></tr>
 * </table>
 */
package org.vfio4j.sim.iommu;
