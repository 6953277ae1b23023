package org.vfio4j.conformance;

import java.util.ArrayList;
import java.util.List;

/**
 * The deliberately naive model of a type1 container's mappings: a list of disjoint intervals
 * {@code [start, start + pages)} in pages, scanned linearly. No tree, no cleverness, so it can be
 * trusted as an oracle for the simulator's tree and the kernel's rb-tree alike.
 */
public final class Intervals {
    /** No intervals. */
    public Intervals() {}

    private final List<long[]> intervals = new ArrayList<>();

    /** Intervals from (gap, length - 1) pairs in pages, laid out from page 0. */
    public static Intervals layout(List<Integer> pairs) {
        Intervals m = new Intervals();
        long at = 0;
        for (int i = 0; i + 1 < pairs.size(); i += 2) {
            at += pairs.get(i);
            long length = pairs.get(i + 1) + 1;
            m.intervals.add(new long[] {at, length});
            at += length;
        }
        return m;
    }

    /** The intervals as {@code {start, pages}} pairs, in the order they were added (live list). */
    public List<long[]> all() {
        return intervals;
    }

    /** Pages in all intervals. */
    public long totalPages() {
        return intervals.stream().mapToLong(iv -> iv[1]).sum();
    }

    /** Whether {@code [first, last]} starts or ends inside an interval without matching its edge (a v2 split). */
    public boolean cutsAt(long first, long last) {
        for (long[] iv : intervals) {
            long end = iv[0] + iv[1] - 1;
            if ((iv[0] < first && first <= end) || (iv[0] <= last && last < end)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an interval begins before {@code first} and contains it. */
    public boolean straddles(long first) {
        return intervals.stream().anyMatch(iv -> iv[0] < first && first <= iv[0] + iv[1] - 1);
    }

    /** Pages of the intervals wholly inside {@code [first, last]}. */
    public long pagesInside(long first, long last) {
        return intervals.stream().filter(iv -> iv[0] >= first && iv[0] + iv[1] - 1 <= last).mapToLong(iv -> iv[1]).sum();
    }

    /** Pages of the intervals overlapping {@code [first, last]}, whole. */
    public long pagesOverlapping(long first, long last) {
        return intervals.stream().filter(iv -> iv[0] <= last && iv[0] + iv[1] - 1 >= first).mapToLong(iv -> iv[1]).sum();
    }
}
