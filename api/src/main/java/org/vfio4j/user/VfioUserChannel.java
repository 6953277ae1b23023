package org.vfio4j.user;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * A connection carrying whole vfio-user messages and the descriptors passed beside them, and what
 * a server may do with those descriptors. The kernel backend implements it over a UNIX socket; tests
 * implement it in memory.
 */
public interface VfioUserChannel extends AutoCloseable {
    /**
     * The next whole message, or null when the peer closed the connection. A message whose header is
     * malformed or whose size does not match what arrived is an {@link IOException} naming the rule.
     */
    VfioUserMessage receive() throws IOException;

    /** Sends a whole message, with its descriptors. */
    void send(VfioUserMessage message) throws IOException;

    /**
     * Maps {@code length} bytes at {@code offset} of a passed descriptor (guest memory), shared, so
     * that the device's DMA reaches the guest's pages; the mapping lives until {@link #close()} or
     * until the channel is told to unmap it.
     */
    MemorySegment map(PassedFd fd, long offset, long length, boolean writable) throws IOException;

    /** Undoes a {@link #map}. */
    void unmap(MemorySegment mapping) throws IOException;

    /** Adds 1 to a passed eventfd (an interrupt to the guest). */
    void signal(PassedFd eventfd) throws IOException;

    /**
     * Runs {@code onSignal} each time the peer signals a passed eventfd, as the kernel's virqfd does
     * for an eventfd given to VFIO_DEVICE_SET_IRQS ({@code vfio_virqfd_enable}): an INTx unmask
     * eventfd, which KVM signals at the guest's end of interrupt. The channel waits until the counter
     * is not 0, reads it (which resets it) and runs {@code onSignal} once, on a thread of its own;
     * signals that come before a read add up in the counter and make one run. {@code onSignal} should
     * be short and not throw. The descriptor stays the caller's, and may be closed once the watch is
     * closed. {@link #close()} stops every watch.
     *
     * @throws IOException when the descriptor is closed or not an eventfd, or the channel is closed
     */
    Watch watch(PassedFd eventfd, Runnable onSignal) throws IOException;

    /** A {@link #watch} in progress. */
    interface Watch extends AutoCloseable {
        /**
         * Stops the watch without waiting for it, so that it may be called while holding a lock that
         * {@code onSignal} takes: a run of {@code onSignal} that had already begun may end after
         * close returns, and no other run follows. A second close does nothing.
         */
        @Override
        void close();
    }

    /** Closes the connection, every mapping and every descriptor it still holds. */
    @Override
    void close();
}
