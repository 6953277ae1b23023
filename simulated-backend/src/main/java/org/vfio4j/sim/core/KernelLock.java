package org.vfio4j.sim.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The simulated kernel's one lock, which serializes its calls as if the kernel took one big lock,
 * the wake-ups a call leaves for after it lets the lock go, and the measurement of how long a call
 * holds it (for the seam fuzzer). A call that waits (a blocking eventfd read or write, a poll)
 * parks outside the lock ({@link #park}); the wait does not count as holding it. Measuring is off
 * by default: it costs two clock reads a call.
 */
public final class KernelLock {

    /** A seam call's body, run under the kernel lock. */
    @FunctionalInterface
    public interface Held<T, E extends Exception> {
        T run() throws E;
    }

    private final Object monitor = new Object();
    private LongSupplier holdClock; // null: not measuring
    private int holdDepth;
    private long holdSince;
    private long longestHold;
    private String longestHoldCall = "";
    /** Threads to unpark once the thread holding the monitor lets it go (guarded by the monitor). */
    private final List<Thread> wakeAfterRelease = new ArrayList<>();

    /** The monitor every part of the simulated kernel synchronizes on. */
    public Object monitor() {
        return monitor;
    }

    /**
     * Runs a seam call's body under the kernel lock, measuring how long it holds the lock when asked
     * to; the waiters it woke are unparked after it lets the lock go.
     */
    public <T, E extends Exception> T held(Supplier<String> what, Held<T, E> body) throws E {
        Thread[] wake = null;
        try {
            synchronized (monitor) {
                enter();
                try {
                    return body.run();
                } finally {
                    wake = exit(what);
                }
            }
        } finally {
            wake(wake);
        }
    }

    /**
     * What {@link #held} does before its body, for a hot path that inlines it (holding the
     * monitor): counts the call in and starts measuring the hold.
     */
    public void enter() {
        if (holdDepth++ == 0 && holdClock != null) {
            holdSince = holdClock.getAsLong();
        }
    }

    /**
     * What {@link #held} does after its body (still holding the monitor): counts the call out and
     * returns the waiters to {@link #wake} once the monitor is let go, or null.
     */
    public Thread[] exit(Supplier<String> what) {
        if (--holdDepth == 0) {
            if (holdClock != null) {
                noteHold(what);
            }
            return takeWakes();
        }
        return null;
    }

    /** Unparks the waiters {@link #exit} returned (null: none); called after letting the monitor go. */
    public static void wake(Thread[] waiters) {
        unpark(waiters);
    }

    /**
     * Runs {@code body} under the monitor for a caller that may be outside any seam call (a device's
     * own thread signalling an eventfd); the waiters it woke are unparked after the monitor is let
     * go, or by the seam call it runs inside when there is one.
     */
    void waking(Runnable body) {
        Thread[] wake = null;
        try {
            synchronized (monitor) {
                body.run();
                if (holdDepth == 0) {
                    wake = takeWakes();
                }
            }
        } finally {
            unpark(wake);
        }
    }

    /** Under the monitor: {@code waiter} is unparked once the lock is let go (it re-checks its condition then). */
    void wakeAfterRelease(Thread waiter) {
        wakeAfterRelease.add(waiter);
    }

    private Thread[] takeWakes() {
        if (wakeAfterRelease.isEmpty()) {
            return null;
        }
        Thread[] wake = wakeAfterRelease.toArray(Thread[]::new);
        wakeAfterRelease.clear();
        return wake;
    }

    private static void unpark(Thread[] wake) {
        if (wake != null) {
            for (Thread t : wake) {
                LockSupport.unpark(t);
            }
        }
    }

    /**
     * Outside the lock: parks the calling thread, which registered itself as a waiter under the lock
     * before letting it go, until it is unparked, interrupted or {@code deadline} ({@link
     * System#nanoTime}; {@link Long#MAX_VALUE}: no limit) passes, or spuriously; the caller re-takes
     * the lock and re-checks what it waits for. An unpark that came before the park is not lost (the
     * thread's permit). A wait begun from inside a seam call that still holds the lock (a call made
     * from within the kernel) cannot let go of a monitor held further out, so it waits on the
     * monitor for at most a millisecond instead, and the caller re-checks.
     */
    void park(long deadline) {
        if (Thread.holdsLock(monitor)) {
            synchronized (monitor) {
                try {
                    await(1);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt(); // seen by the caller's re-check
                }
            }
            return;
        }
        if (deadline == Long.MAX_VALUE) {
            LockSupport.park(this);
        } else {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                LockSupport.parkNanos(this, left);
            }
        }
    }

    /**
     * Waits on the monitor (held by the caller) for at most {@code timeoutMillis} (0: no limit), not
     * counting the wait as holding the lock; the wake-ups the caller left are delivered first.
     */
    private void await(long timeoutMillis) throws InterruptedException {
        unpark(takeWakes());
        int depth = holdDepth;
        if (depth > 0 && holdClock != null) {
            noteHold(() -> "a call before waiting");
        }
        holdDepth = 0;
        try {
            monitor.wait(timeoutMillis);
        } finally {
            holdDepth = depth; // the lock is held again
            if (holdClock != null) {
                holdSince = holdClock.getAsLong();
            }
        }
    }

    private void noteHold(Supplier<String> what) {
        long held = holdClock.getAsLong() - holdSince;
        if (held > longestHold) {
            longestHold = held;
            longestHoldCall = what.get();
        }
    }

    /**
     * Starts measuring how long seam calls hold the kernel lock, from zero, in nanoseconds of {@code
     * clock}; null stops.
     */
    public void measure(LongSupplier clock) {
        synchronized (monitor) {
            holdClock = clock;
            longestHold = 0;
            longestHoldCall = "";
        }
    }

    /** The longest time one seam call held the lock since {@link #measure}, waits excluded. */
    public long longestHoldNanos() {
        synchronized (monitor) {
            return longestHold;
        }
    }

    /** The name of the call that held the lock longest. */
    public String longestHoldCall() {
        synchronized (monitor) {
            return longestHoldCall;
        }
    }
}
