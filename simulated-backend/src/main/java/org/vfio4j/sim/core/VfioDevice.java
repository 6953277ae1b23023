package org.vfio4j.sim.core;

import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.UUID;
import org.vfio4j.PciAddress;

/**
 * A device as the VFIO core sees it: the role of {@code struct vfio_device} with its {@code
 * vfio_device_ops}. The group looks devices up by name, the fd table opens and closes them, and
 * the file operations of a device fd go to them; vfio-pci implements it.
 */
public interface VfioDevice {
    /** The device's address, whose text is its name ({@code dev_name}). */
    PciAddress address();

    /** The group the device belongs to. */
    Group group();

    /**
     * Whether the device was removed and its last fd closed, so that its driver finished
     * unregistering it and the group no longer lists it ({@code vfio_unregister_group_dev}).
     */
    boolean unregistered();

    /** The {@code vf_token} check of {@code match}, once the name matched. */
    void matchToken(Optional<UUID> token) throws KernelError;

    /** A device fd is opened ({@code open_device} on the first). */
    void open();

    /** A device fd is released ({@code close_device} on the last). */
    void close();

    /** {@code ioctl} on a device fd. */
    int ioctl(long request, UserArg arg, SyscallContext call) throws KernelError;

    /** {@code read} (pread) on a device fd. */
    long read(MemorySegment dst, long offset) throws KernelError;

    /** {@code write} (pwrite) on a device fd. */
    long write(MemorySegment src, long offset) throws KernelError;

    /** {@code mmap} of a device fd: the memory behind the mapping. */
    MemorySegment mmap(long offset, long length, int flags) throws KernelError;

    /** A load ({@code write} false) or store through a mapping of region {@code index} at {@code pos} (the mapping's fault path). */
    long mappedAccess(int index, long pos, int size, boolean write, long value) throws KernelError;

    /** Whether an access at {@code pos} of region {@code index} traps to the driver rather than reaching memory. */
    boolean isTrapped(int index, long pos);
}
