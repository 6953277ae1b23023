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

    /** Closes the connection, every mapping and every descriptor it still holds. */
    @Override
    void close();
}
