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

    /**
     * The descriptors of handles passed inside an ioctl's argument (a container to join, eventfds
     * for interrupts, groups proving ownership), held for the call: each gets the checks a handle
     * gets when a call is made on it (a handle of another {@link Vfio} is {@link
     * IllegalArgumentException}, a closed one {@code EBADF}), and none can be closed and its number
     * reused by another file before the call returns.
     */
    static final class HeldArguments implements AutoCloseable {
        private final VfioKernel kernel;
        private final String operation;
        private final java.util.List<Fd> held = new java.util.ArrayList<>();

        HeldArguments(VfioKernel kernel, String operation) {
            this.kernel = kernel;
            this.operation = operation;
        }

        /** The descriptor number to put in the argument; {@code -1} for a null handle when {@code nullable}. */
        int hold(FdHandle handle, boolean nullable, String what) throws VfioException {
            if (handle == null) {
                if (nullable) {
                    return -1;
                }
                throw new IllegalArgumentException(operation + " needs " + what + ", not null");
            }
            int n = handle.fd.enter(kernel, operation + " (" + what + ")");
            held.add(handle.fd);
            return n;
        }

        @Override
        public void close() {
            held.forEach(Fd::exit);
            held.clear();
        }
    }

    /** A null argument is a programming error the C ABI cannot express: {@link IllegalArgumentException} naming it. */
    static <T> T required(T argument, String name) {
        if (argument == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return argument;
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
