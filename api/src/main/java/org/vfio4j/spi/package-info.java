/**
 * The system-call seam ({@link org.vfio4j.spi.VfioKernel}) that the kernel and simulated backends
 * implement: open, ioctl, pread/pwrite, mmap, eventfd and poll, one method each, with the kernel's
 * errno. The typed API ({@code org.vfio4j}) is built on it; ported C code and tests may call it
 * directly through {@link org.vfio4j.Vfio#seam()}.
 */
package org.vfio4j.spi;
