package org.vfio4j.sim.core;

import java.util.ArrayList;
import java.util.List;

/** The eventfd(2) counter. */
public final class EventFdFile implements OpenFile {
    long counter;
    /**
     * Kernel consumers attached with {@code vfio_virqfd_enable} (ioeventfds): on every signal they
     * consume the counter and run. Closing the eventfd detaches them (EPOLLHUP).
     */
    public final List<Runnable> virqfds = new ArrayList<>();
    /** What became of the interrupts that could have signalled this eventfd, for {@code SimulatedKernel.diagnose}. */
    public final IrqHistory history = new IrqHistory();
    /**
     * Its wait queue ({@code eventfd_ctx.wqh}): threads blocked in a read or write of it or in a poll
     * that includes it; a change of the counter wakes them and empties it (guarded by the kernel lock).
     */
    final List<EventFds.Waiter> waiters = new ArrayList<>();
    /** The eventfds of the kernel whose threads wait in {@link #waiters}: set when the first one queues. */
    EventFds waitQueueOwner;
    final boolean semaphore;
    final boolean nonblocking;

    /**
     * {@code vfio_virqfd_enable}: attaches a kernel consumer; if the eventfd is already signalled
     * the consumer runs at once, as if the signal had just come, and the counter is left as it is
     * (only later signals are consumed, by the wake-up).
     */
    public void attachVirqfd(Runnable consumer) {
        virqfds.add(consumer);
        if (counter != 0) {
            consumer.run();
        }
    }

    /**
     * {@code virqfd_shutdown}: detaches a kernel consumer, and {@code
     * eventfd_ctx_remove_wait_queue} reads the counter as it goes (one for a semaphore eventfd,
     * all of it otherwise), whatever the kernel did with signals before.
     */
    public void detachVirqfd(Runnable consumer) {
        if (virqfds.remove(consumer) && counter != 0) {
            counter = semaphore ? counter - 1 : 0;
            if (waitQueueOwner != null) {
                waitQueueOwner.consumed(this); // the read wakes writers blocked at the maximum, as eventfd_ctx_do_read does
            }
        }
    }

    EventFdFile(long initial, boolean semaphore, boolean nonblocking) {
        this.counter = initial;
        this.semaphore = semaphore;
        this.nonblocking = nonblocking;
    }

    @Override
    public String kind() {
        return "eventfd";
    }
}
