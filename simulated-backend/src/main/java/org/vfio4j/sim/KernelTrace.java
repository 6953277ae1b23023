package org.vfio4j.sim;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.vfio4j.VfioException;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.SyscallContext;

/**
 * How the simulated kernel writes its trace: each call an entry in its place (reserved when the
 * call starts, filled when it returns), each hardware or kernel event an entry naming the call that
 * caused it. The entries live in a {@link TraceRing}; every method runs under the kernel lock.
 */
final class KernelTrace {
    private final Object lock;
    private final TraceRing ring;
    private boolean on;
    /**
     * The slot of the call being served and its thread, so that events inside it name it as their
     * cause (a call blocked on an eventfd lets others run: the thread tells whose call it is).
     */
    private TraceRing.Slot activeCall;
    private Thread activeThread;

    KernelTrace(Object lock, int capacity) {
        this.lock = lock;
        this.ring = new TraceRing(capacity);
        this.on = capacity > 0;
    }

    /** Whether entries are recorded now. */
    boolean on() {
        return on;
    }

    /** Turns recording on or off; on with capacity 0 records up to the default capacity. */
    void record(boolean recording) {
        synchronized (lock) {
            on = recording;
            if (recording && ring.capacity() == 0) {
                ring.capacity(SimulatedHost.DEFAULT_TRACE_CAPACITY);
            }
        }
    }

    /** The entries kept, oldest first. */
    List<TraceEntry> snapshot() {
        synchronized (lock) {
            return ring.snapshot();
        }
    }

    /** The entries as text, one a line, after a line saying how many older entries were dropped, if any. */
    String text() {
        List<TraceEntry> entries;
        long dropped;
        synchronized (lock) {
            entries = ring.snapshot();
            dropped = ring.dropped();
        }
        StringBuilder sb = new StringBuilder();
        if (dropped > 0) {
            sb.append("... ").append(dropped).append(" older entries dropped (trace capacity ").append(ring.capacity()).append(")\n");
        }
        for (TraceEntry e : entries) {
            sb.append(e).append('\n');
        }
        return sb.toString();
    }

    /** How many entries the ring holds now (at most its capacity). */
    int size() {
        synchronized (lock) {
            return ring.size();
        }
    }

    /** How many entries were dropped to make room, since boot. */
    long dropped() {
        synchronized (lock) {
            return ring.dropped();
        }
    }

    /** Forgets the entries so far (sequence numbers keep counting). */
    void clear() {
        synchronized (lock) {
            ring.clear();
        }
    }

    /** The place of a call that starts now, before what it causes; null when the trace is off. */
    TraceRing.Slot reserve() {
        return on ? ring.reserve() : null;
    }

    /** Makes {@code slot}'s call the cause of events on this thread; returns the call it interrupts, for {@link #exitCall}. */
    TraceRing.Slot enterCall(TraceRing.Slot slot) {
        Thread self = Thread.currentThread();
        TraceRing.Slot outer = activeThread == self ? activeCall : null;
        activeCall = slot;
        activeThread = self;
        return outer;
    }

    /** The call {@link #enterCall} interrupted is the cause of events again. */
    void exitCall(TraceRing.Slot outer) {
        activeCall = outer;
        activeThread = outer == null ? null : Thread.currentThread();
    }

    /** Records a call failing with {@code e} and returns the exception the seam throws for it. */
    VfioException fail(String target, String name, SyscallContext call, KernelError e) {
        record(target, name, call, 0, e);
        return new VfioException(e.errno, name, target, e.getMessage());
    }

    /** Records a whole call in a new entry. */
    void record(Object target, String name, SyscallContext call, long result, KernelError error) {
        if (on) {
            fill(ring.reserve(), target, name, call, result, error);
        }
    }

    /** Completes a reserved slot (none when the trace is off). */
    static void fill(TraceRing.Slot slot, Object target, String name, SyscallContext call, long result, KernelError error) {
        if (slot == null) {
            return;
        }
        if (error == null && call.copied()) {
            slot.later(target.toString(), name, call, result); // formatted when the trace is read
            return;
        }
        slot.entry = new TraceEntry(slot.sequence, target.toString(), name, call.arguments(), result,
                error == null ? Optional.empty() : Optional.of(error.errno),
                error == null ? Optional.empty() : Optional.of(error.getMessage()));
    }

    /** Records something the hardware or the kernel did (an interrupt, a DMA). */
    void event(Object target, String what, String detail) {
        synchronized (lock) {
            if (on) {
                eventEntry(target, what, detail);
            }
        }
    }

    /** Like {@link #event(Object, String, String)}, formatting the detail only when the trace is on. */
    void event(Object target, String what, Supplier<String> detail) {
        synchronized (lock) {
            if (on) {
                eventEntry(target, what, detail.get());
            }
        }
    }

    private void eventEntry(Object target, String what, String detail) {
        TraceRing.Slot s = ring.reserve();
        if (s != null) {
            s.entry = new TraceEntry(s.sequence, target.toString(), what, detail, 0, Optional.empty(), Optional.empty(), true,
                    activeCall == null || activeThread != Thread.currentThread() ? 0 : activeCall.sequence);
        }
    }

    /** A call context whose arguments are already decoded. */
    static SyscallContext described(String arguments) {
        SyscallContext c = new SyscallContext();
        c.arguments(arguments);
        return c;
    }
}
