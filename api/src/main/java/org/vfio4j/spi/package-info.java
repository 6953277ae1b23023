/**
 * The system-call seam ({@link org.vfio4j.spi.VfioKernel}) that the kernel and simulated backends
 * implement. Exported only to vfio4j's own modules.
 */
package org.vfio4j.spi;
