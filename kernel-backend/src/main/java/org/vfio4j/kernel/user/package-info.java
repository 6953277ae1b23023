/**
 * vfio-user over a real UNIX socket: {@link org.vfio4j.kernel.user.UnixSocketChannel} implements
 * {@link org.vfio4j.user.VfioUserChannel} with {@code recvmsg}/{@code sendmsg} and SCM_RIGHTS
 * descriptors, maps passed guest memory with {@code mmap} and signals passed eventfds with
 * {@code write}; {@link org.vfio4j.kernel.user.UnixSocketListener} is the listening socket a server
 * accepts its client (QEMU's {@code vfio-user-pci}) on.
 */
package org.vfio4j.kernel.user;
