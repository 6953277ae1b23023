package org.vfio4j;

import org.vfio4j.spi.Fd;
import org.vfio4j.spi.VfioKernel;

/**
 * What the typed handles share: the backend and the descriptor they issue their calls on, and a
 * {@link #close()} that closes the descriptor once (a second close does nothing).
 */
abstract sealed class FdHandle implements AutoCloseable permits VfioContainer, VfioGroup, VfioDevice, EventNotifier, DmaBuf {
    final VfioKernel kernel;
    final Fd fd;

    FdHandle(VfioKernel kernel, Fd fd) {
        this.kernel = kernel;
        this.fd = fd;
    }

    /** The descriptor on the backend (for raw calls through {@link Vfio#seam()}). */
    public Fd fd() {
        return fd;
    }

    /** Closes the descriptor. */
    @Override
    public void close() throws VfioException {
        if (fd.isOpen()) {
            kernel.close(fd);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + fd + "]";
    }
}
