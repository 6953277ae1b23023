/**
 * The ABI of {@code <linux/vfio.h>} in Java: constants and ioctl numbers ({@link
 * org.vfio4j.uapi.VfioUapi}) and struct layouts ({@link org.vfio4j.uapi.VfioLayouts}), no logic.
 * Checked against the C compiler by the ABI proof test. Exported only to vfio4j's own modules.
 */
package org.vfio4j.uapi;
