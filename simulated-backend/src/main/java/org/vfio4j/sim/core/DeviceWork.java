package org.vfio4j.sim.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.vfio4j.sim.device.DeviceContext;

/**
 * The device side of one booted kernel's clock: work that device models schedule ({@link
 * DeviceContext#schedule}) runs later on one daemon thread the kernel owns, each piece under the
 * kernel lock, in delay order (ties in scheduling order). The thread starts with the first piece of
 * work, so a kernel whose devices never schedule anything costs no thread. {@link #close()} (under
 * the kernel lock) cancels everything pending; nothing runs after it, and {@link #awaitStopped()}
 * lets the thread end.
 */
public final class DeviceWork {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Object lock;
    private final String name;
    private final BiConsumer<Object, Throwable> failed;
    private ScheduledThreadPoolExecutor executor;
    private volatile boolean closed;

    /** Work for the kernel guarded by {@code lock}; {@code failed} records work that threw, with whose work it was. */
    public DeviceWork(Object lock, String name, BiConsumer<Object, Throwable> failed) {
        this.lock = lock;
        this.name = name;
        this.failed = failed;
    }

    /** Runs {@code work} of {@code owner} (a function, for the trace) after {@code delay}. */
    public DeviceContext.Scheduled schedule(Object owner, Duration delay, Runnable work) {
        Objects.requireNonNull(work, "work");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("a device cannot finish work in the past: delay " + delay);
        }
        Task task = new Task(owner, work);
        synchronized (lock) {
            if (closed) {
                task.state.set(Task.CANCELLED);
                return task;
            }
            if (executor == null) {
                executor = new ScheduledThreadPoolExecutor(1, r -> {
                    Thread t = new Thread(r, "vfio4j-sim-devices-" + THREADS.incrementAndGet() + " (" + name + ")");
                    t.setDaemon(true); // never keeps a JVM alive, even if a kernel is not closed
                    return t;
                });
                executor.setRemoveOnCancelPolicy(true);
                executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            }
            // saturates: a delay past ~292 years is "never" for a test
            task.future = executor.schedule(task, saturatedNanos(delay), TimeUnit.NANOSECONDS);
        }
        return task;
    }

    /** Cancels everything pending; called under the kernel lock as the kernel closes. */
    public void close() {
        closed = true;
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    /**
     * Waits (briefly, never holding the kernel lock) until the device thread has ended; a piece of
     * work that was waiting for the lock as the kernel closed sees it closed and returns at once.
     */
    public void awaitStopped() {
        ScheduledThreadPoolExecutor e;
        synchronized (lock) {
            e = executor;
        }
        if (e == null || Thread.holdsLock(lock)) {
            return;
        }
        try {
            e.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /** One piece of work: pending until it runs or is cancelled. */
    private final class Task implements Runnable, DeviceContext.Scheduled {
        static final int PENDING = 0;
        static final int RUNNING = 1;
        static final int CANCELLED = 2;

        final AtomicInteger state = new AtomicInteger(PENDING);
        private final Object owner;
        private final Runnable work;
        volatile ScheduledFuture<?> future;

        Task(Object owner, Runnable work) {
            this.owner = owner;
            this.work = work;
        }

        @Override
        public void run() {
            synchronized (lock) {
                if (closed || !state.compareAndSet(PENDING, RUNNING)) {
                    return;
                }
                try {
                    work.run();
                } catch (VirtualMachineError fatal) {
                    throw fatal;
                } catch (Throwable t) {
                    failed.accept(owner, t); // a model bug: visible in the trace, thrown at nobody
                }
            }
        }

        @Override
        public boolean cancel() {
            if (!state.compareAndSet(PENDING, CANCELLED)) {
                return false;
            }
            ScheduledFuture<?> f = future;
            if (f != null) {
                f.cancel(false);
            }
            return true;
        }

        @Override
        public boolean isPending() {
            return state.get() == PENDING && !closed;
        }
    }
}
