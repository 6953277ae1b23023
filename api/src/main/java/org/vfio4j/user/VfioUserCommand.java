package org.vfio4j.user;

import java.util.Optional;

/**
 * The commands of vfio-user (its {@code enum vfio_user_command}): what a message's command field
 * holds, in a command and in the reply to it. Code 14 (a dirty-page command of an older draft) is
 * unassigned.
 */
public enum VfioUserCommand {
    /** Negotiates the protocol version and capabilities; the first message of a connection. */
    VERSION(1),
    /** Client to server: a range of guest memory the device may reach, with its fd when it has one. */
    DMA_MAP(2),
    /** Client to server: removes DMA ranges. */
    DMA_UNMAP(3),
    /** {@code VFIO_DEVICE_GET_INFO}. */
    DEVICE_GET_INFO(4),
    /** {@code VFIO_DEVICE_GET_REGION_INFO}; an mmap-able region's reply may carry an fd. */
    DEVICE_GET_REGION_INFO(5),
    /** The ioeventfds and ioregionfds of a region's sub-ranges. */
    DEVICE_GET_REGION_IO_FDS(6),
    /** {@code VFIO_DEVICE_GET_IRQ_INFO}. */
    DEVICE_GET_IRQ_INFO(7),
    /** {@code VFIO_DEVICE_SET_IRQS}; eventfds travel beside the message. */
    DEVICE_SET_IRQS(8),
    /** Reads a region at an offset (the device fd's pread). */
    REGION_READ(9),
    /** Writes a region at an offset (the device fd's pwrite); often posted (no reply). */
    REGION_WRITE(10),
    /** Server to client: the device reads guest memory that came without an fd. */
    DMA_READ(11),
    /** Server to client: the device writes guest memory that came without an fd. */
    DMA_WRITE(12),
    /** {@code VFIO_DEVICE_RESET}. */
    DEVICE_RESET(13),
    /** Several region writes in one message (only when the server advertised it). */
    REGION_WRITE_MULTI(15),
    /** {@code VFIO_DEVICE_FEATURE}. */
    DEVICE_FEATURE(16),
    /** Migration data out of the device. */
    MIG_DATA_READ(17),
    /** Migration data into the device. */
    MIG_DATA_WRITE(18);

    private final int code;

    VfioUserCommand(int code) {
        this.code = code;
    }

    /** The command's number on the wire. */
    public int code() {
        return code;
    }

    /** The command numbered {@code code}, or empty for a number the protocol does not assign. */
    public static Optional<VfioUserCommand> of(int code) {
        for (VfioUserCommand c : values()) {
            if (c.code == code) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
