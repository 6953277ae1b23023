package org.vfio4j.sim.core;

import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The simulated kernel's one lock, which serializes its calls as if the kernel took one big lock,
 * and the measurement of how long a call holds it (for the seam fuzzer). A call that waits ({@link
 * #await}: a blocking eventfd read or write, a poll) releases the lock; the wait does not count as
 * holding it. Measuring is off by default: it costs two clock reads a call.
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

    /** The monitor every part of the simulated kernel synchronizes on. */
    public Object monitor() {
        return monitor;
    }

    /** Runs a seam call's body under the kernel lock, measuring how long it holds the lock when asked to. */
    public <T, E extends Exception> T held(Supplier<String> what, Held<T, E> body) throws E {
        synchronized (monitor) {
            if (holdDepth++ == 0 && holdClock != null) {
                holdSince = holdClock.getAsLong();
            }
            try {
                return body.run();
            } finally {
                if (--holdDepth == 0 && holdClock != null) {
                    noteHold(what);
                }
            }
        }
    }

    /**
     * Waits on the monitor (held by the caller) for a wake-up or {@code timeoutMillis} (0: no
     * limit), not counting the wait as holding the lock.
     */
    void await(long timeoutMillis) throws InterruptedException {
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
