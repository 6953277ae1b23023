/**
 * vfio-user: VFIO's device API carried over a UNIX socket, as QEMU's {@code vfio-user-pci} client
 * speaks it (QEMU's {@code docs/interop/vfio-user.rst}). This package holds the wire format as Java
 * values and the two seams a server is built on: {@link org.vfio4j.user.VfioUserChannel}, which moves
 * whole messages with the descriptors passed beside them, and {@link org.vfio4j.user.PassedFd}, a
 * descriptor the peer passed (guest memory, an eventfd). The kernel backend implements them over a
 * real socket; the simulated backend serves a simulated device through them.
 */
package org.vfio4j.user;
