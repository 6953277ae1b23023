package org.vfio4j.kernel.user;

import java.io.IOException;
import org.vfio4j.kernel.internal.ErrnoCalls.CallState;
import org.vfio4j.kernel.internal.PosixCalls;

/**
 * A socket descriptor shared by the threads that call on it and the one that closes it. Closing
 * first shuts the socket down, which wakes a thread blocked in {@code recvmsg} or {@code accept}
 * (they return end-of-file or EINVAL); the number itself is closed only when no call is using it,
 * so a call in flight never reaches a descriptor number that a later {@code open} was given.
 */
final class SocketFd {
    private final int number;
    private final String description;
    private int users;
    private boolean closed;
    private boolean released;

    SocketFd(int number, String description) {
        this.number = number;
        this.description = description;
    }

    /** Marks a call as using the descriptor and returns its number; fails once the socket is closed. */
    synchronized int enter() throws IOException {
        if (closed) {
            throw closedException();
        }
        users++;
        return number;
    }

    /** Ends a call begun with {@link #enter}; the last one out after a close closes the number. */
    void exit() {
        boolean release;
        synchronized (this) {
            users--;
            release = closed && users == 0 && !released;
            released |= release;
        }
        if (release) {
            PosixCalls.close(SocketLibc.state(), number);
        }
    }

    /** Whether {@link #close} was called. */
    synchronized boolean isClosed() {
        return closed;
    }

    /** The exception for using a closed socket. */
    IOException closedException() {
        return new IOException(description + " is closed");
    }

    /** Shuts the socket down and closes it when idle; returns false when it was already closed. */
    boolean close() {
        boolean release;
        synchronized (this) {
            if (closed) {
                return false;
            }
            closed = true;
            release = users == 0;
            released = release;
        }
        CallState s = SocketLibc.state();
        SocketLibc.shutdown(s, number, SocketLibc.SHUT_RDWR); // wakes blocked callers; ENOTCONN on an unconnected one is harmless
        if (release) {
            PosixCalls.close(s, number);
        }
        return true;
    }

    /** The descriptor's number (for diagnostics and tests). */
    int number() {
        return number;
    }

    @Override
    public String toString() {
        return description;
    }
}
