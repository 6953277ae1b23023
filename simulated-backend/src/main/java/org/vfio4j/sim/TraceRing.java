package org.vfio4j.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vfio4j.sim.core.SyscallContext;

/**
 * The simulated kernel's trace memory: the most recent {@code capacity} entries, oldest dropped
 * first, with the count of dropped entries. A call reserves its slot when it starts and fills it
 * when it returns, so that what it causes follows it; a slot still open (a read blocked on an
 * eventfd) is left out of snapshots until its call returns. Not thread-safe: the kernel lock guards it.
 *
 * <p>An entry is formatted when its call returns, and only when the trace is on, if its decoded
 * arguments point into the caller's memory, which may be freed or reused by then. A call that
 * succeeded with arguments copied when it ran ({@link SyscallContext#copied()}, a pread's value)
 * is formatted when the trace is first read instead: most entries of a test are never read.
 */
final class TraceRing {
    /** One reserved place in the trace. */
    static final class Slot {
        final long sequence;
        TraceEntry entry;
        /** A successful call's entry still to be written from copied arguments (with {@link #target}, {@link #name}, {@link #result}). */
        private SyscallContext later;
        private String target;
        private String name;
        private long result;

        Slot(long sequence) {
            this.sequence = sequence;
        }

        /** Fills the slot with a successful call whose arguments are formatted when first read. */
        void later(String target, String name, SyscallContext copied, long result) {
            this.target = target;
            this.name = name;
            this.later = copied;
            this.result = result;
        }

        /** The entry, written now if it waited; null while the call has not returned. */
        TraceEntry entry() {
            if (entry == null && later != null) {
                entry = new TraceEntry(sequence, target, name, later.arguments(), result, Optional.empty(), Optional.empty());
                later = null;
                target = null;
                name = null;
            }
            return entry;
        }
    }

    private final ArrayDeque<Slot> slots = new ArrayDeque<>();
    private int capacity;
    private long lastSequence;
    private long dropped;

    TraceRing(int capacity) {
        this.capacity = capacity;
    }

    int capacity() {
        return capacity;
    }

    /** Changes the capacity, dropping the oldest entries that no longer fit. */
    void capacity(int capacity) {
        this.capacity = capacity;
        trim();
    }

    /** A new slot at the end, or null when the capacity is 0. */
    Slot reserve() {
        if (capacity == 0) {
            return null;
        }
        Slot s = new Slot(++lastSequence);
        slots.addLast(s);
        trim();
        return s;
    }

    private void trim() {
        while (slots.size() > capacity) {
            slots.removeFirst();
            dropped++;
        }
    }

    /** The filled entries, oldest first. */
    List<TraceEntry> snapshot() {
        List<TraceEntry> out = new ArrayList<>(slots.size());
        for (Slot s : slots) {
            TraceEntry e = s.entry();
            if (e != null) {
                out.add(e);
            }
        }
        return List.copyOf(out);
    }

    /** The number of slots held, filled or not. */
    int size() {
        return slots.size();
    }

    long dropped() {
        return dropped;
    }

    void clear() {
        slots.clear();
    }
}
