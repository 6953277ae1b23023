package org.vfio4j;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Supplier;
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
    private final Supplier<Duration> awaitTimeout;

    EventNotifier(VfioKernel kernel, Fd fd, Supplier<Duration> awaitTimeout) {
        super(kernel, fd);
        this.awaitTimeout = awaitTimeout;
    }

    /** Adds {@code value} to the counter (a write of 8 bytes). */
    public void signal(long value) throws VfioException {
        kernel.writeEventCounter(fd, value);
    }

    /**
     * Waits until the counter is non-zero, then returns and clears it; for as long as it takes,
     * unless the {@link Vfio#awaitTimeout(Duration)} of the Vfio that made this notifier bounds it.
     *
     * @throws VfioException {@link Errno#ETIMEDOUT} past that bound, saying what became of the
     *         interrupts that could have signalled this eventfd (on the simulator)
     */
    public long await() throws VfioException {
        Duration bound = awaitTimeout.get();
        if (bound == null) {
            return kernel.readEventCounter(fd);
        }
        OptionalLong count = await(bound);
        if (count.isPresent()) {
            return count.getAsLong();
        }
        throw timedOut(bound, "await() gave up: no signal within " + text(bound) + ", the await timeout of its Vfio"
                + " (Vfio.awaitTimeout; a @VfioTest sets it: @VfioTest(awaitTimeoutMillis = ...)), on " + fd);
    }

    /**
     * Like {@link #await()}, for at most {@code timeout} (any length; {@link Duration#ZERO} does not
     * wait); empty if nothing arrived.
     *
     * @throws IllegalArgumentException if {@code timeout} is null or negative
     */
    public OptionalLong await(Duration timeout) throws VfioException {
        FdHandle.required(timeout, "the timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("a timeout cannot be negative: " + timeout + " (await() waits without one)");
        }
        long deadline = System.nanoTime() + saturatedNanos(timeout);
        while (true) {
            long left = deadline - System.nanoTime();
            // poll(2) takes milliseconds as an int: round up so that a short wait is not a zero one, wait in slices if long
            int millis = left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
            short[] ready = kernel.poll(List.of(new PollFd(fd, LinuxAbi.POLLIN)), millis);
            if (ready == null || ready.length != 1) {
                throw new Reply("poll", fd).malformed("poll was asked about 1 descriptor and answered for "
                        + (ready == null ? "none (null)" : ready.length) + "; it returns one revents per descriptor");
            }
            if ((ready[0] & LinuxAbi.POLLIN) != 0) {
                return OptionalLong.of(kernel.readEventCounter(fd));
            }
            if (deadline - System.nanoTime() <= 0) {
                return OptionalLong.empty();
            }
        }
    }

    private static long saturatedNanos(Duration d) {
        return d.compareTo(Duration.ofDays(365L * 100)) > 0 ? 365L * 100 * 86_400_000_000_000L : d.toNanos();
    }

    /** The counter if non-zero (and clears it), without blocking. */
    public OptionalLong poll() throws VfioException {
        return await(Duration.ZERO);
    }

    /**
     * Waits like {@link #await(Duration)} for a signal that must come: returns the counter (and
     * clears it), or on timeout throws with what the backend knows about why nothing came (the
     * simulator names the interrupts that were dropped or held back for this eventfd and why).
     *
     * @param timeout how long to wait
     * @return the counter, non-zero
     * @throws VfioException {@link Errno#ETIMEDOUT} when nothing arrived within {@code timeout}
     */
    public long expectSignal(Duration timeout) throws VfioException {
        OptionalLong count = await(timeout);
        if (count.isPresent()) {
            return count.getAsLong();
        }
        throw timedOut(timeout, "no signal within " + text(timeout) + " on " + fd);
    }

    private VfioException timedOut(Duration timeout, String what) {
        return new VfioException(Errno.ETIMEDOUT, "await", fd.toString(), what + kernel.diagnose(fd).map(d -> ": " + d).orElse(""));
    }

    private static String text(Duration d) {
        return d.toMillisPart() == 0 && d.toNanosPart() % 1_000_000 == 0 ? d.getSeconds() + "s" : d.toMillis() + "ms";
    }
}
