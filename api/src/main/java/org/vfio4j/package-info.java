/** The typed VFIO API and its error model ({@link org.vfio4j.VfioException}, {@link org.vfio4j.Errno}). */
package org.vfio4j;
