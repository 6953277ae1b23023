package org.vfio4j.sim.iommu;

import java.util.Arrays;

/**
 * Disjoint IOVA intervals {@code [start, end]} (inclusive, unsigned) with a payload each: the DMA
 * mappings of one type1 container, as the kernel's {@code vfio_iommu.dma_list} rb-tree keeps them.
 *
 * <p>An AVL tree in one primitive array (no boxing, no node objects): a node is four longs, start,
 * end, both child indexes and height, so a descent touches one cache line per level. Lookups,
 * inserts and removals are O(log n) with small constants at the kernel's default 65 535 mappings.
 * Freed slots are reused. Callers keep intervals disjoint ({@link #firstOverlapping} tells them
 * whether a new one would overlap). Keys compare unsigned.
 */
final class IovaTree<V> {
    private static final int NIL = -1;
    private static final int STRIDE = 4; // start, end, children (left << 32 | right), height

    private long[] nodes = new long[16 * STRIDE];
    private Object[] values = new Object[16];
    private int root = NIL;
    private int size;
    private int freeList = NIL; // chained through the left child
    private int used;
    /** The search path of the running insert or remove: node indexes, and whether each step went left. */
    private final int[] path = new int[64]; // AVL height < 1.45 log2(n + 2): 64 covers every int-indexed tree
    private final boolean[] wentLeft = new boolean[64];
    private int located = NIL;
    private int locatedDepth;
    private int locatedBelow = NIL;
    private int locatedAbove = NIL;
    private long locatedVersion = -1;
    /** Bumped by every change, so that a stale located path is refused. */
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
     * Descends toward {@code x} once, remembering the path: returns the node starting at {@code x}
     * or -1, and leaves the nearest starts below and above {@code x} in {@link #locatedBelow()} and
     * {@link #locatedAbove()}. {@link #insertLocated} and {@link #removeLocated} then reuse the path,
     * as long as the tree was not changed in between.
     */
    int locate(long x) {
        int depth = 0;
        int below = NIL;
        int above = NIL;
        int n = root;
        while (n != NIL) {
            int c = Long.compareUnsigned(x, start(n));
            if (c == 0) {
                break;
            }
            path[depth] = n;
            wentLeft[depth++] = c < 0;
            if (c < 0) {
                above = n;
                n = left(n);
            } else {
                below = n;
                n = right(n);
            }
        }
        located = n;
        locatedDepth = depth;
        locatedBelow = below;
        locatedAbove = above;
        locatedVersion = version;
        return n;
    }

    /** After {@link #locate(long)}: the node with the greatest start below the located key, or -1. */
    int locatedBelow() {
        return locatedBelow;
    }

    /** After {@link #locate(long)} found nothing: the node with the least start above the key, or -1. */
    int locatedAbove() {
        return locatedAbove;
    }

    /**
     * The lowest interval overlapping {@code [a, b]}, found with one descent ({@link #locate} of
     * {@code a}), so that {@link #insertLocated} can follow without another.
     */
    int locateFirstOverlapping(long a, long b) {
        int exact = locate(a);
        if (exact != NIL) {
            return exact;
        }
        if (locatedBelow != NIL && Long.compareUnsigned(end(locatedBelow), a) >= 0) {
            return locatedBelow;
        }
        return locatedAbove != NIL && Long.compareUnsigned(start(locatedAbove), b) <= 0 ? locatedAbove : NIL;
    }

    /** Inserts at the place {@link #locate} found empty for {@code s}. */
    void insertLocated(long s, long e, V v) {
        checkLocated(false);
        int node = allocate();
        nodes[node * STRIDE] = s;
        nodes[node * STRIDE + 1] = e;
        setChildren(node, NIL, NIL);
        nodes[node * STRIDE + 3] = 1;
        values[node] = v;
        size++;
        version++;
        link(locatedDepth, node);
        retrace(locatedDepth);
    }

    /**
     * Removes the node {@link #locate} found. Other nodes keep their indexes: a node with two
     * children is replaced by relinking its successor, not by copying the successor's payload.
     */
    void removeLocated() {
        checkLocated(true);
        int n = located;
        int depth = locatedDepth;
        int l = left(n);
        int r = right(n);
        if (l == NIL || r == NIL) {
            link(depth, l == NIL ? r : l);
        } else {
            int at = depth; // the successor will take n's place in the path
            path[depth] = n;
            wentLeft[depth++] = false;
            int m = r;
            while (left(m) != NIL) {
                path[depth] = m;
                wentLeft[depth++] = true;
                m = left(m);
            }
            if (m == r) {
                setChildren(m, l, right(m));
            } else {
                setLeft(path[depth - 1], right(m));
                setChildren(m, l, r);
            }
            nodes[m * STRIDE + 3] = h(n);
            path[at] = m;
            link(at, m);
        }
        release(n);
        size--;
        version++;
        retrace(depth);
    }

    private void checkLocated(boolean found) {
        if (locatedVersion != version || (located != NIL) != found) {
            throw new IllegalStateException("the tree changed since locate, or locate " + (found ? "found nothing" : "found a node"));
        }
    }

    /** The node of the interval with the greatest start {@code <= x}, or -1. */
    int floor(long x) {
        int n = root;
        int best = NIL;
        while (n != NIL) {
            int c = Long.compareUnsigned(nodes[n * STRIDE], x);
            if (c == 0) {
                return n;
            }
            if (c < 0) {
                best = n;
                n = right(n);
            } else {
                n = left(n);
            }
        }
        return best;
    }

    /** The node of the interval with the least start {@code >= x}, or -1. */
    int ceiling(long x) {
        int n = root;
        int best = NIL;
        while (n != NIL) {
            int c = Long.compareUnsigned(nodes[n * STRIDE], x);
            if (c == 0) {
                return n;
            }
            if (c > 0) {
                best = n;
                n = left(n);
            } else {
                n = right(n);
            }
        }
        return best;
    }

    /** The lowest interval that overlaps {@code [a, b]}, or -1. */
    int firstOverlapping(long a, long b) {
        int f = floor(a);
        if (f != NIL && Long.compareUnsigned(end(f), a) >= 0) {
            return f;
        }
        int c = f == NIL ? ceiling(a) : next(f);
        return c != NIL && Long.compareUnsigned(start(c), b) <= 0 ? c : NIL;
    }

    /** The node whose interval contains {@code x}, or -1. */
    int containing(long x) {
        int f = floor(x);
        return f != NIL && Long.compareUnsigned(end(f), x) >= 0 ? f : NIL;
    }

    /** The node after {@code node} in address order, or -1. */
    int next(int node) {
        long s = start(node);
        return s == -1L ? NIL : ceiling(s + 1);
    }

    /** The lowest node, or -1. */
    int first() {
        int n = root;
        if (n == NIL) {
            return NIL;
        }
        while (left(n) != NIL) {
            n = left(n);
        }
        return n;
    }

    long start(int node) {
        return nodes[node * STRIDE];
    }

    long end(int node) {
        return nodes[node * STRIDE + 1];
    }

    @SuppressWarnings("unchecked")
    V value(int node) {
        return (V) values[node];
    }

    void clear() {
        version++;
        root = NIL;
        size = 0;
        used = 0;
        freeList = NIL;
        Arrays.fill(values, null);
    }

    /** For tests: whether every stored height is right and every node is balanced. */
    boolean checkBalanced() {
        return checkedHeight(root) >= 0;
    }

    private int checkedHeight(int n) {
        if (n == NIL) {
            return 0;
        }
        int l = checkedHeight(left(n));
        int r = checkedHeight(right(n));
        if (l < 0 || r < 0 || Math.abs(l - r) > 1 || h(n) != 1 + Math.max(l, r)) {
            return -1;
        }
        return h(n);
    }

    // ---- AVL internals ----

    private int left(int n) {
        return (int) (nodes[n * STRIDE + 2] >> 32);
    }

    private int right(int n) {
        return (int) nodes[n * STRIDE + 2];
    }

    private void setChildren(int n, int l, int r) {
        nodes[n * STRIDE + 2] = ((long) l << 32) | (r & 0xffff_ffffL);
    }

    private void setLeft(int n, int l) {
        setChildren(n, l, right(n));
    }

    private void setRight(int n, int r) {
        setChildren(n, left(n), r);
    }

    private int allocate() {
        if (freeList != NIL) {
            int n = freeList;
            freeList = left(n);
            return n;
        }
        if (used == values.length) {
            nodes = Arrays.copyOf(nodes, nodes.length * 2);
            values = Arrays.copyOf(values, values.length * 2);
        }
        return used++;
    }

    private void release(int n) {
        values[n] = null;
        setChildren(n, freeList, NIL);
        freeList = n;
    }

    private int h(int n) {
        return n == NIL ? 0 : (int) nodes[n * STRIDE + 3];
    }

    private void update(int n) {
        nodes[n * STRIDE + 3] = 1 + Math.max(h(left(n)), h(right(n)));
    }

    private int rotateRight(int n) {
        int l = left(n);
        setLeft(n, right(l));
        setRight(l, n);
        update(n);
        update(l);
        return l;
    }

    private int rotateLeft(int n) {
        int r = right(n);
        setRight(n, left(r));
        setLeft(r, n);
        update(n);
        update(r);
        return r;
    }

    private int balance(int n) {
        update(n);
        int l = left(n);
        int r = right(n);
        int b = h(l) - h(r);
        if (b > 1) {
            if (h(left(l)) < h(right(l))) {
                setLeft(n, rotateLeft(l));
            }
            return rotateRight(n);
        }
        if (b < -1) {
            if (h(right(r)) < h(left(r))) {
                setRight(n, rotateRight(r));
            }
            return rotateLeft(n);
        }
        return n;
    }

    /** Points the parent of path position {@code i} (or the root) at {@code child}. */
    private void link(int i, int child) {
        if (i == 0) {
            root = child;
        } else if (wentLeft[i - 1]) {
            setLeft(path[i - 1], child);
        } else {
            setRight(path[i - 1], child);
        }
    }

    /**
     * Walks the path up from position {@code depth - 1}, rebalancing, until a subtree keeps its
     * height: no ancestor above it can have changed (so their siblings are never read).
     */
    private void retrace(int depth) {
        for (int i = depth - 1; i >= 0; i--) {
            int p = path[i];
            int before = h(p);
            int top = balance(p);
            if (top != p) {
                link(i, top);
            }
            if (h(top) == before) {
                return;
            }
        }
    }
}
