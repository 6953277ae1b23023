package org.vfio4j;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.PollFd;
import org.vfio4j.spi.VfioKernel;

/**
 * An eventfd(2) on the backend, for VFIO to signal (interrupts) or to be signalled through
 * (ioeventfds): a 64-bit counter that {@link #signal} adds to and a read returns and clears.
 * {@link #await()} blocks, {@link #await(Duration)} waits at most so long, {@link #poll()} never
 * blocks. On the kernel backend it is a real eventfd; on the simulator, the simulated one.
 */
public final class EventNotifier extends FdHandle {
    EventNotifier(VfioKernel kernel, Fd fd) {
        super(kernel, fd);
    }

    /** Adds {@code value} to the counter (a write of 8 bytes). */
    public void signal(long value) throws VfioException {
        kernel.writeEventCounter(fd, value);
    }

    /** Waits until the counter is non-zero, then returns and clears it. */
    public long await() throws VfioException {
        return kernel.readEventCounter(fd);
    }

    /** Like {@link #await()}, for at most {@code timeout}; empty if nothing arrived. */
    public OptionalLong await(Duration timeout) throws VfioException {
        short[] ready = kernel.poll(List.of(new PollFd(fd, LinuxAbi.POLLIN)), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        return (ready[0] & LinuxAbi.POLLIN) != 0 ? OptionalLong.of(kernel.readEventCounter(fd)) : OptionalLong.empty();
    }

    /** The counter if non-zero (and clears it), without blocking. */
    public OptionalLong poll() throws VfioException {
        return await(Duration.ZERO);
    }
}
