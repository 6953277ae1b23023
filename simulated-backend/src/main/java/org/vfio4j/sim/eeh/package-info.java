/**
 * EEH, POWER's enhanced error handling, as VFIO_EEH_PE_OP reaches it: one partitionable endpoint
 * (PE) per IOMMU group, its freeze and recovery state machine ({@code arch/powerpc/kernel/eeh.c},
 * {@code eeh_pe.c}, {@code eeh_driver.c}), the per-group op ({@code vfio_spapr_iommu_eeh_ioctl}) and
 * what a frozen PE does to its devices' MMIO, config space and DMA. Not exported.
 */
package org.vfio4j.sim.eeh;
