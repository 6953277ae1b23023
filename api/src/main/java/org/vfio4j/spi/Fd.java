package org.vfio4j.spi;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;

/**
 * A file descriptor owned by one {@link VfioKernel}: its number, what it refers to, and whether it
 * is still open.
 *
 * <p>Handles make two mistakes impossible that raw {@code int}s allow. A handle given to a backend
 * that did not make it is rejected with {@link IllegalArgumentException} (as Jimfs rejects a foreign
 * {@code Path}). A handle used after it was closed fails with {@code EBADF} before any system call,
 * because the kernel may already have given its number to another file.
 *
 * <p>Backends bracket every call with {@link #enter} and {@link #exit}; {@link #close} marks the
 * handle closed and runs the backend's {@link Releaser} exactly once, either at once or, when other
 * threads are inside a call on it, when the last of them exits. That matches the kernel, which keeps
 * a file alive while a system call holds a reference to it.
 */
public final class Fd {

    /** Releases the descriptor number in the backend; returns 0 or an errno. */
    @FunctionalInterface
    public interface Releaser {
        int release(int number);
    }

    private static final int CLOSED = 1 << 30;

    private final VfioKernel owner;
    private final int number;
    private final String description;
    private final Releaser releaser;
    /** Bit 30: closed; bits 0-29: calls in flight. */
    private final AtomicInteger state = new AtomicInteger();
    private final AtomicBoolean released = new AtomicBoolean();
    /** {@link #toString()}, made on first use: the trace names the fd in every entry. */
    private String name;

    /**
     * For backends: a handle for {@code number}, described as {@code description} in messages
     * (a path, {@code "eventfd"}, {@code "device 0000:01:00.0"}).
     */
    public Fd(VfioKernel owner, int number, String description, Releaser releaser) {
        this.owner = Objects.requireNonNull(owner, "owner");
        this.number = number;
        this.description = Objects.requireNonNull(description, "description");
        this.releaser = Objects.requireNonNull(releaser, "releaser");
    }

    /** The descriptor number the backend gave out. */
    public int number() {
        return number;
    }

    /** What the descriptor refers to, for messages. */
    public String description() {
        return description;
    }

    /** The backend that owns this handle. */
    public VfioKernel owner() {
        return owner;
    }

    /** Whether {@link #close} has not been called yet. */
    public boolean isOpen() {
        return (state.get() & CLOSED) == 0;
    }

    /**
     * For backends: checks ownership and openness and counts a call in flight; pair with {@link #exit()}.
     *
     * @return the descriptor number to pass to the system call
     * @throws IllegalArgumentException if {@code caller} does not own this handle
     * @throws VfioException            {@code EBADF} if the handle was closed
     */
    public int enter(VfioKernel caller, String operation) throws VfioException {
        checkOwner(caller);
        int s = state.getAndIncrement();
        if ((s & CLOSED) != 0) {
            exit();
            throw closedError(operation);
        }
        return number;
    }

    /** For backends: ends a call begun with {@link #enter}; releases the number if it was the last one after a close. */
    public void exit() {
        if (state.decrementAndGet() == CLOSED && released.compareAndSet(false, true)) {
            releaser.release(number); // deferred close: the errno has nowhere to go, as in the kernel
        }
    }

    /**
     * For backends: marks the handle closed and releases it unless a call is in flight.
     *
     * @return the releaser's errno, or 0 (also when the release is deferred)
     * @throws VfioException {@code EBADF} if it was already closed
     */
    public int close(VfioKernel caller) throws VfioException {
        checkOwner(caller);
        int s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                throw closedError("close");
            }
        } while (!state.compareAndSet(s, s | CLOSED));
        if (s == 0 && released.compareAndSet(false, true)) {
            return releaser.release(number);
        }
        return 0;
    }

    private void checkOwner(VfioKernel caller) {
        if (caller != owner) {
            throw new IllegalArgumentException("fd " + number + " (" + description + ") belongs to "
                    + (owner.name().equals(caller.name()) ? "another instance of the " + owner.name() + " backend (another Vfio)"
                            : "the " + owner.name() + " backend, not to the " + caller.name() + " backend"));
        }
    }

    private VfioException closedError(String operation) {
        return new VfioException(Errno.EBADF, operation, toString(),
                "the handle was closed; its number may already belong to another file");
    }

    @Override
    public String toString() {
        String n = name;
        if (n == null) {
            n = "fd " + number + " (" + description + ")";
            name = n; // racy but benign: every thread makes the same string from final fields
        }
        return n;
    }
}
