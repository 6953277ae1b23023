package org.vfio4j.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulated kernel's trace memory: the most recent {@code capacity} entries, oldest dropped
 * first, with the count of dropped entries. A call reserves its slot when it starts and fills it
 * when it returns, so that what it causes follows it; a slot still open (a read blocked on an
 * eventfd) is left out of snapshots until its call returns. Not thread-safe: the kernel lock guards it.
 *
 * <p>An entry is formatted when its call returns, and only when the trace is on; not later when
 * read, because the decoded arguments point into the caller's memory, which may be freed or reused
 * by then. What a million entries cost is the formatting, not memory: the ring holds {@code capacity}.
 */
final class TraceRing {
    /** One reserved place in the trace. */
    static final class Slot {
        final long sequence;
        TraceEntry entry;

        Slot(long sequence) {
            this.sequence = sequence;
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
            if (s.entry != null) {
                out.add(s.entry);
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
