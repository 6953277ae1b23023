package org.vfio4j.spi;

import java.util.Objects;

/**
 * One entry of a {@link VfioKernel#poll} request: the descriptor and the events to wait for
 * ({@link LinuxAbi#POLLIN} and friends), as {@code struct pollfd} without its result field.
 */
public record PollFd(Fd fd, short events) {
    public PollFd {
        Objects.requireNonNull(fd, "fd");
    }

    /** Waits for the descriptor to become readable (an eventfd with a non-zero counter). */
    public static PollFd readable(Fd fd) {
        return new PollFd(fd, LinuxAbi.POLLIN);
    }
}
