package org.vfio4j.sim.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What became of the interrupts that could have signalled one eventfd (or that reached a function
 * with nowhere to go): one counted note per source, outcome and reason, at most {@value #LIMIT}
 * notes (the least recently seen forgotten first), so a soak of a million dropped interrupts costs
 * one counter. Read by {@code SimulatedKernel.diagnose} when a wait for a signal times out.
 */
public final class IrqHistory {
    static final int LIMIT = 8;

    private static final class Note {
        final String source;
        final String outcome;
        final String reason;
        long count;

        Note(String source, String outcome, String reason) {
            this.source = source;
            this.outcome = outcome;
            this.reason = reason;
        }
    }

    private final Map<String, Note> notes = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Note> eldest) {
            return size() > LIMIT;
        }
    };
    private long delivered;

    /** {@code source} ("MSI vector 0 of device 0000:01:00.0") was raised and {@code outcome} ("dropped") because {@code reason}. */
    public void note(String source, String outcome, String reason) {
        notes.computeIfAbsent(source + '\0' + outcome + '\0' + reason, k -> new Note(source, outcome, reason)).count++;
    }

    /** A signal reached the eventfd. */
    void delivered() {
        delivered++;
    }

    public long deliveredCount() {
        return delivered;
    }

    int size() {
        return notes.size();
    }

    /** One sentence per note, least recently seen first. */
    public List<String> sentences() {
        List<String> out = new ArrayList<>();
        for (Note n : notes.values()) {
            out.add(n.source + " was raised " + n.count + (n.count == 1 ? " time" : " times") + " and " + n.outcome + ": " + n.reason);
        }
        return out;
    }
}
