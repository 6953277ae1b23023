package org.vfio4j.kernel.user;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.vfio4j.user.PassedFd;
import org.vfio4j.kernel.internal.PosixCalls;

/**
 * A descriptor this process holds as a {@link PassedFd}: one that arrived beside a message (its
 * channel closes it if the receiver has not by then) or one adopted with
 * {@link UnixSocketChannel#adopt(int)}. Closing it closes the number once.
 */
final class HeldFd implements PassedFd {
    private final int number;
    private final String origin;
    private final Consumer<HeldFd> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    HeldFd(int number, String origin, Consumer<HeldFd> onClose) {
        this.number = number;
        this.origin = origin;
        this.onClose = onClose;
    }

    @Override
    public int number() {
        return number;
    }

    /** Whether {@link #close} has not been called yet. */
    boolean isOpen() {
        return !closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            PosixCalls.close(SocketLibc.state(), number); // Linux releases the number even when close reports an error
            onClose.accept(this);
        }
    }

    @Override
    public String toString() {
        return "fd " + number + " (" + origin + (isOpen() ? "" : ", closed") + ")";
    }
}
