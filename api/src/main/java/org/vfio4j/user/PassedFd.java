package org.vfio4j.user;

/**
 * A file descriptor that travelled beside a vfio-user message (SCM_RIGHTS): guest memory with a
 * DMA_MAP, eventfds with SET_IRQS, or one this side passes to the peer. What can be done with it
 * (map it, signal it) is the channel's business; the descriptor is the receiver's to close.
 */
public interface PassedFd extends AutoCloseable {
    /** The descriptor's number in this process (for messages and diagnostics). */
    int number();

    /** Closes the descriptor; a second close does nothing. */
    @Override
    void close();
}
