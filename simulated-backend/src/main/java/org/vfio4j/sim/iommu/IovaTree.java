package org.vfio4j.sim.iommu;

import java.util.Arrays;

/**
 * Disjoint IOVA intervals {@code [start, end]} (inclusive, unsigned) with a payload each: the DMA
 * mappings of one type1 container, as the kernel's {@code vfio_iommu.dma_list} rb-tree keeps them.
 *
 * <p>A two-level chunked sorted array rather than a binary tree. The intervals are cut, in address
 * order, into chunks of at most {@value #CAP}; a chunk is one {@code long[]} of (start, end) pairs
 * (512 bytes) and one {@code Object[]} of payloads. The top level is the sorted array of the
 * chunks' first starts. Why: a type1 container holds up to its {@code dma_entry_limit} of 65 535
 * mappings, and a binary tree of that many is some 17 dependent loads, each a cache miss when
 * mappings are used at random; here the top level (8 bytes per chunk, under 24 KiB at 65 535)
 * stays in cache, and the search within one chunk touches a few neighbouring lines. The chunk
 * found last is tried before the top level is searched, since an UNMAP_DMA tends to follow a
 * MAP_DMA of the same place. An interval costs no object header and no child links: 20 bytes at
 * full chunks. Chunks of 32 rather than 64: the shorter in-chunk search and shifts measured
 * faster at both 1 024 and 65 535 mappings.
 *
 * <p>Inserting into a full chunk first spills one interval into a neighbour with room; when both
 * are full it splits, and an interval appended at a chunk's end gets a chunk of its own, so that
 * mappings made in ascending order fill their chunks. A chunk that falls below a quarter full
 * merges with a neighbour, or shares with it evenly when both together would pass three quarters;
 * an empty chunk goes, and the top-level arrays shrink when they are a quarter used. Keys are
 * stored with their sign bit flipped, so that signed comparisons order them unsigned.
 *
 * <p>An interval is named by a handle (chunk index and position) that stays valid until the next
 * change. Callers keep intervals disjoint ({@link #firstOverlapping} tells them whether a new one
 * would overlap).
 */
final class IovaTree<V> {
    private static final int SHIFT = 5;
    /** Intervals per chunk at most. */
    static final int CAP = 1 << SHIFT;
    private static final int MASK = CAP - 1;
    /** Below this a chunk merges with or borrows from a neighbour. */
    private static final int MIN_FILL = CAP / 4;
    /** Two chunks that together hold at most this many merge into one; above it they share. */
    private static final int MERGED_MAX = CAP * 3 / 4;
    private static final int NIL = -1;
    private static final long FLIP = Long.MIN_VALUE;
    private static final int INITIAL_CHUNKS = 4;

    /** The first start of each chunk, flipped. */
    private long[] mins = new long[INITIAL_CHUNKS];
    /** Per chunk: (start, end) pairs, both flipped, sorted by start. */
    private long[][] keys = new long[INITIAL_CHUNKS][];
    private Object[][] values = new Object[INITIAL_CHUNKS][];
    private int[] counts = new int[INITIAL_CHUNKS];
    private int chunks;
    private int size;
    /** The chunk {@link #chunkFor} found last. */
    private int finger;

    /** What the last {@link #locate} found: the chunk and the position of the key or of its insertion point. */
    private int locatedChunk;
    private int locatedPos;
    private boolean locatedFound;
    private long locatedVersion = -1;
    /** Bumped by every change, so that a stale located position is refused. */
    private long version;

    int size() {
        return size;
    }

    /** Adds {@code [s, e]}; the caller guarantees it overlaps nothing. */
    void insert(long s, long e, V v) {
        if (locate(s) != NIL) {
            throw new IllegalStateException("an interval already starts at 0x" + Long.toHexString(s));
        }
        insertLocated(s, e, v);
    }

    /** Removes the interval starting at {@code s}; returns whether there was one. */
    boolean remove(long s) {
        if (locate(s) == NIL) {
            return false;
        }
        removeLocated();
        return true;
    }

    /**
     * Finds {@code x} once, remembering where: returns the interval starting at {@code x} or -1,
     * and leaves the nearest starts below and above {@code x} in {@link #locatedBelow()} and
     * {@link #locatedAbove()}. {@link #insertLocated} and {@link #removeLocated} then reuse the
     * place, as long as nothing changed in between.
     */
    int locate(long x) {
        long fx = x ^ FLIP;
        locatedVersion = version;
        if (chunks == 0) {
            locatedChunk = 0;
            locatedPos = 0;
            locatedFound = false;
            return NIL;
        }
        int c = chunkFor(fx);
        int p = lowerBound(keys[c], counts[c], fx);
        locatedChunk = c;
        locatedPos = p;
        locatedFound = p < counts[c] && keys[c][2 * p] == fx;
        return locatedFound ? handle(c, p) : NIL;
    }

    /** After {@link #locate(long)}: the interval with the greatest start below the located key, or -1. */
    int locatedBelow() {
        int c = locatedChunk;
        int p = locatedPos;
        return p > 0 ? handle(c, p - 1) : c > 0 ? handle(c - 1, counts[c - 1] - 1) : NIL;
    }

    /** After {@link #locate(long)} found nothing: the interval with the least start above the key, or -1. */
    int locatedAbove() {
        int c = locatedChunk;
        return chunks == 0 ? NIL : locatedPos < counts[c] ? handle(c, locatedPos) : c + 1 < chunks ? handle(c + 1, 0) : NIL;
    }

    /**
     * The lowest interval overlapping {@code [a, b]}, found with one search ({@link #locate} of
     * {@code a}), so that {@link #insertLocated} can follow without another.
     */
    int locateFirstOverlapping(long a, long b) {
        int exact = locate(a);
        if (exact != NIL) {
            return exact;
        }
        int below = locatedBelow();
        if (below != NIL && Long.compareUnsigned(end(below), a) >= 0) {
            return below;
        }
        int above = locatedAbove();
        return above != NIL && Long.compareUnsigned(start(above), b) <= 0 ? above : NIL;
    }

    /** Inserts at the place {@link #locate} found empty for {@code s}. */
    void insertLocated(long s, long e, V v) {
        checkLocated(false);
        long fs = s ^ FLIP;
        long fe = e ^ FLIP;
        if (chunks == 0) {
            insertChunk(0);
        }
        insertAt(locatedChunk, locatedPos, fs, fe, v);
        size++;
        version++;
    }

    /** Removes the interval {@link #locate} found. */
    void removeLocated() {
        checkLocated(true);
        removeAt(locatedChunk, locatedPos);
        size--;
        version++;
    }

    private void checkLocated(boolean found) {
        if (locatedVersion != version || locatedFound != found) {
            throw new IllegalStateException("the tree changed since locate, or locate " + (found ? "found nothing" : "found an interval"));
        }
    }

    /** The interval with the greatest start {@code <= x}, or -1. */
    int floor(long x) {
        if (chunks == 0) {
            return NIL;
        }
        long fx = x ^ FLIP;
        int c = chunkFor(fx);
        int p = lowerBound(keys[c], counts[c], fx);
        if (p < counts[c] && keys[c][2 * p] == fx) {
            return handle(c, p);
        }
        return p > 0 ? handle(c, p - 1) : NIL; // p is 0 only in the first chunk, below every start
    }

    /** The interval with the least start {@code >= x}, or -1. */
    int ceiling(long x) {
        int f = floor(x);
        if (f == NIL) {
            return first();
        }
        return start(f) == x ? f : next(f);
    }

    /** The lowest interval that overlaps {@code [a, b]}, or -1. */
    int firstOverlapping(long a, long b) {
        int f = floor(a);
        if (f != NIL && Long.compareUnsigned(end(f), a) >= 0) {
            return f;
        }
        int c = f == NIL ? first() : next(f);
        return c != NIL && Long.compareUnsigned(start(c), b) <= 0 ? c : NIL;
    }

    /** The interval containing {@code x}, or -1. */
    int containing(long x) {
        int f = floor(x);
        return f != NIL && Long.compareUnsigned(end(f), x) >= 0 ? f : NIL;
    }

    /** The interval after {@code h} in address order, or -1. */
    int next(int h) {
        int c = h >>> SHIFT;
        return (h & MASK) + 1 < counts[c] ? h + 1 : c + 1 < chunks ? handle(c + 1, 0) : NIL;
    }

    /** The lowest interval, or -1. */
    int first() {
        return chunks == 0 ? NIL : 0;
    }

    long start(int h) {
        return keys[h >>> SHIFT][2 * (h & MASK)] ^ FLIP;
    }

    long end(int h) {
        return keys[h >>> SHIFT][2 * (h & MASK) + 1] ^ FLIP;
    }

    @SuppressWarnings("unchecked")
    V value(int h) {
        return (V) values[h >>> SHIFT][h & MASK];
    }

    void clear() {
        version++;
        mins = new long[INITIAL_CHUNKS];
        keys = new long[INITIAL_CHUNKS][];
        values = new Object[INITIAL_CHUNKS][];
        counts = new int[INITIAL_CHUNKS];
        chunks = 0;
        size = 0;
    }

    /**
     * For tests: whether the layout holds: every chunk non-empty and within {@link #CAP}, starts
     * strictly ascending (unsigned) across chunks, each chunk's recorded first start right, no
     * payload slot beyond a chunk's count, the size the sum of the counts, and the top level at
     * most four times the chunks it holds (or its initial size).
     */
    boolean checkInvariants() {
        long total = 0;
        boolean any = false;
        long previous = 0;
        for (int c = 0; c < chunks; c++) {
            int n = counts[c];
            if (n < 1 || n > CAP || keys[c].length != 2 * CAP || values[c].length != CAP || mins[c] != keys[c][0]) {
                return false;
            }
            for (int p = 0; p < CAP; p++) {
                if ((values[c][p] == null) != (p >= n)) {
                    return false;
                }
            }
            for (int p = 0; p < n; p++) {
                long s = keys[c][2 * p];
                if (any && s <= previous) {
                    return false;
                }
                previous = s;
                any = true;
            }
            total += n;
        }
        for (int c = chunks; c < keys.length; c++) {
            if (keys[c] != null || values[c] != null) {
                return false;
            }
        }
        return total == size && (mins.length == INITIAL_CHUNKS || mins.length <= 4 * chunks);
    }

    /** For tests: how many chunks hold the intervals. */
    int chunkCount() {
        return chunks;
    }

    /** For tests: how many chunks the top-level arrays have room for. */
    int chunkCapacity() {
        return mins.length;
    }

    // ---- internals ----

    private static int handle(int c, int p) {
        return c << SHIFT | p;
    }

    /**
     * The last chunk whose first start is {@code <= fx}, or chunk 0 when every start is above it.
     * The chunk found last is tried first: an UNMAP_DMA tends to follow a MAP_DMA of the same
     * place, and mappings made in ascending order land in one chunk after another.
     */
    private int chunkFor(long fx) {
        long[] m = mins;
        int f = finger;
        if (f < chunks && m[f] <= fx && (f + 1 == chunks || fx < m[f + 1])) {
            return f;
        }
        int base = 0;
        for (int n = chunks; n > 1; ) { // branch-free halving: the answer is in [base, base + n)
            int half = n >>> 1;
            base = m[base + half] <= fx ? base + half : base;
            n -= half;
        }
        finger = base;
        return base;
    }

    /** The first position in a chunk whose start is {@code >= fx} ({@code n} if none). */
    private static int lowerBound(long[] k, int n, long fx) {
        if (n == 0) {
            return 0;
        }
        int base = 0;
        for (int len = n; len > 1; ) { // the last start < fx is in [base, base + len), or there is none
            int half = len >>> 1;
            base = k[2 * (base + half)] < fx ? base + half : base;
            len -= half;
        }
        return k[2 * base] < fx ? base + 1 : base;
    }

    private void insertAt(int c, int p, long fs, long fe, Object v) {
        if (counts[c] == CAP) {
            if (c + 1 < chunks && counts[c + 1] < CAP) { // spill the last interval to the right neighbour
                if (p == CAP) {
                    put(c + 1, 0, fs, fe, v);
                    return;
                }
                moveLastToNext(c);
            } else if (c > 0 && counts[c - 1] < CAP) { // or the first to the left one
                if (p == 0) {
                    put(c - 1, counts[c - 1], fs, fe, v);
                    return;
                }
                moveFirstToPrevious(c);
                p--;
            } else if (p == CAP || p == 0) { // appended (or prepended): a chunk of its own, the full one stays full
                int at = p == 0 ? c : c + 1;
                insertChunk(at);
                put(at, 0, fs, fe, v);
                return;
            } else { // split in halves
                insertChunk(c + 1);
                moveTail(c, CAP / 2, c + 1);
                if (p > CAP / 2) {
                    c++;
                    p -= CAP / 2;
                }
            }
        }
        put(c, p, fs, fe, v);
    }

    /** Puts an interval at position {@code p} of chunk {@code c}, which has room. */
    private void put(int c, int p, long fs, long fe, Object v) {
        long[] k = keys[c];
        Object[] vs = values[c];
        int n = counts[c];
        System.arraycopy(k, 2 * p, k, 2 * p + 2, 2 * (n - p));
        System.arraycopy(vs, p, vs, p + 1, n - p);
        k[2 * p] = fs;
        k[2 * p + 1] = fe;
        vs[p] = v;
        counts[c] = n + 1;
        if (p == 0) {
            mins[c] = fs;
        }
    }

    private void removeAt(int c, int p) {
        long[] k = keys[c];
        Object[] vs = values[c];
        int n = counts[c] - 1;
        System.arraycopy(k, 2 * p + 2, k, 2 * p, 2 * (n - p));
        System.arraycopy(vs, p + 1, vs, p, n - p);
        vs[n] = null;
        counts[c] = n;
        if (n == 0) {
            removeChunk(c);
            return;
        }
        mins[c] = k[0];
        if (n < MIN_FILL && chunks > 1) {
            int left = c > 0 ? c - 1 : c;
            rebalance(left, left + 1);
        }
    }

    /** Merges two neighbouring chunks, or shares their intervals evenly when together they pass {@link #MERGED_MAX}. */
    private void rebalance(int left, int right) {
        int a = counts[left];
        int b = counts[right];
        if (a + b <= MERGED_MAX) {
            moveTail(right, 0, left);
            removeChunk(right);
        } else if (a > b) {
            moveTail(left, (a + b) / 2, right);
        } else {
            moveHead(right, b - (a + b) / 2, left);
        }
    }

    /** Moves the intervals of chunk {@code from} from position {@code p} on to the front of chunk {@code to} (its right neighbour or, for a merge, its left one when {@code p} is 0). */
    private void moveTail(int from, int p, int to) {
        int n = counts[from] - p;
        if (to < from) { // merge: append all of 'from' to 'to'
            System.arraycopy(keys[from], 0, keys[to], 2 * counts[to], 2 * n);
            System.arraycopy(values[from], 0, values[to], counts[to], n);
        } else {
            int m = counts[to];
            System.arraycopy(keys[to], 0, keys[to], 2 * n, 2 * m);
            System.arraycopy(values[to], 0, values[to], n, m);
            System.arraycopy(keys[from], 2 * p, keys[to], 0, 2 * n);
            System.arraycopy(values[from], p, values[to], 0, n);
        }
        Arrays.fill(values[from], p, counts[from], null);
        counts[to] += n;
        counts[from] = p;
        mins[to] = keys[to][0];
    }

    /** Moves the first {@code n} intervals of chunk {@code from} to the end of its left neighbour {@code to}. */
    private void moveHead(int from, int n, int to) {
        int m = counts[from] - n;
        System.arraycopy(keys[from], 0, keys[to], 2 * counts[to], 2 * n);
        System.arraycopy(values[from], 0, values[to], counts[to], n);
        System.arraycopy(keys[from], 2 * n, keys[from], 0, 2 * m);
        System.arraycopy(values[from], n, values[from], 0, m);
        Arrays.fill(values[from], m, counts[from], null);
        counts[to] += n;
        counts[from] = m;
        mins[from] = keys[from][0];
    }

    private void moveLastToNext(int c) {
        moveTail(c, counts[c] - 1, c + 1);
    }

    private void moveFirstToPrevious(int c) {
        moveHead(c, 1, c - 1);
    }

    /** Opens an empty chunk at index {@code at}, growing the top level when full. */
    private void insertChunk(int at) {
        if (chunks == mins.length) {
            resize(mins.length * 2);
        }
        int tail = chunks - at;
        System.arraycopy(mins, at, mins, at + 1, tail);
        System.arraycopy(keys, at, keys, at + 1, tail);
        System.arraycopy(values, at, values, at + 1, tail);
        System.arraycopy(counts, at, counts, at + 1, tail);
        keys[at] = new long[2 * CAP];
        values[at] = new Object[CAP];
        counts[at] = 0;
        chunks++;
    }

    /** Drops chunk {@code at}, shrinking the top level when a quarter used. */
    private void removeChunk(int at) {
        int tail = chunks - at - 1;
        System.arraycopy(mins, at + 1, mins, at, tail);
        System.arraycopy(keys, at + 1, keys, at, tail);
        System.arraycopy(values, at + 1, values, at, tail);
        System.arraycopy(counts, at + 1, counts, at, tail);
        chunks--;
        keys[chunks] = null;
        values[chunks] = null;
        if (mins.length > INITIAL_CHUNKS && chunks * 4 < mins.length) {
            resize(Math.max(INITIAL_CHUNKS, mins.length / 2));
        }
    }

    private void resize(int length) {
        mins = Arrays.copyOf(mins, length);
        keys = Arrays.copyOf(keys, length);
        values = Arrays.copyOf(values, length);
        counts = Arrays.copyOf(counts, length);
    }
}
