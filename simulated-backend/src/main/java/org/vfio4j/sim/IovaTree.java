package org.vfio4j.sim;

import java.util.Arrays;

/**
 * Disjoint IOVA intervals {@code [start, end]} (inclusive, unsigned) with a payload each: the DMA
 * mappings of one type1 container, as the kernel's {@code vfio_iommu.dma_list} rb-tree keeps them.
 *
 * <p>An AVL tree over primitive arrays (no boxing, no node objects), so lookups, inserts and
 * removals are O(log n) with small constants at the kernel's default 65 535 mappings. Nodes are
 * array slots; freed slots are reused. Callers keep intervals disjoint ({@link #firstOverlapping}
 * tells them whether a new one would overlap). Keys compare unsigned.
 */
final class IovaTree<V> {
    private static final int NIL = -1;

    private long[] start = new long[16];
    private long[] end = new long[16];
    private int[] left = new int[16];
    private int[] right = new int[16];
    private byte[] height = new byte[16];
    private Object[] value = new Object[16];
    private int root = NIL;
    private int size;
    private int freeList = NIL; // chained through left[]
    private int used;

    int size() {
        return size;
    }

    /** Adds {@code [s, e]}; the caller guarantees it overlaps nothing. */
    void insert(long s, long e, V v) {
        int n = allocate();
        start[n] = s;
        end[n] = e;
        value[n] = v;
        left[n] = NIL;
        right[n] = NIL;
        height[n] = 1;
        root = insert(root, n);
        size++;
    }

    /** Removes the interval starting at {@code s}; returns whether there was one. */
    boolean remove(long s) {
        int before = size;
        root = remove(root, s);
        return size < before;
    }

    /** The node of the interval starting at the greatest start {@code <= x}, or -1. */
    int floor(long x) {
        int n = root;
        int best = NIL;
        while (n != NIL) {
            int c = Long.compareUnsigned(start[n], x);
            if (c == 0) {
                return n;
            }
            if (c < 0) {
                best = n;
                n = right[n];
            } else {
                n = left[n];
            }
        }
        return best;
    }

    /** The node of the interval with the least start {@code >= x}, or -1. */
    int ceiling(long x) {
        int n = root;
        int best = NIL;
        while (n != NIL) {
            int c = Long.compareUnsigned(start[n], x);
            if (c == 0) {
                return n;
            }
            if (c > 0) {
                best = n;
                n = left[n];
            } else {
                n = right[n];
            }
        }
        return best;
    }

    /** The lowest interval that overlaps {@code [a, b]}, or -1. */
    int firstOverlapping(long a, long b) {
        int f = floor(a);
        if (f != NIL && Long.compareUnsigned(end[f], a) >= 0) {
            return f;
        }
        int c = ceiling(a);
        return c != NIL && Long.compareUnsigned(start[c], b) <= 0 ? c : NIL;
    }

    /** The node whose interval contains {@code x}, or -1. */
    int containing(long x) {
        int f = floor(x);
        return f != NIL && Long.compareUnsigned(end[f], x) >= 0 ? f : NIL;
    }

    /** The node after {@code node} in address order, or -1. */
    int next(int node) {
        return start[node] == -1L ? NIL : ceiling(start[node] + 1);
    }

    /** The lowest node, or -1. */
    int first() {
        int n = root;
        if (n == NIL) {
            return NIL;
        }
        while (left[n] != NIL) {
            n = left[n];
        }
        return n;
    }

    long start(int node) {
        return start[node];
    }

    long end(int node) {
        return end[node];
    }

    @SuppressWarnings("unchecked")
    V value(int node) {
        return (V) value[node];
    }

    void clear() {
        root = NIL;
        size = 0;
        used = 0;
        freeList = NIL;
        Arrays.fill(value, null);
    }

    // ---- AVL internals ----

    private int allocate() {
        if (freeList != NIL) {
            int n = freeList;
            freeList = left[n];
            return n;
        }
        if (used == start.length) {
            int cap = start.length * 2;
            start = Arrays.copyOf(start, cap);
            end = Arrays.copyOf(end, cap);
            left = Arrays.copyOf(left, cap);
            right = Arrays.copyOf(right, cap);
            height = Arrays.copyOf(height, cap);
            value = Arrays.copyOf(value, cap);
        }
        return used++;
    }

    private void release(int n) {
        value[n] = null;
        left[n] = freeList;
        freeList = n;
    }

    private int h(int n) {
        return n == NIL ? 0 : height[n];
    }

    private void update(int n) {
        height[n] = (byte) (1 + Math.max(h(left[n]), h(right[n])));
    }

    private int rotateRight(int n) {
        int l = left[n];
        left[n] = right[l];
        right[l] = n;
        update(n);
        update(l);
        return l;
    }

    private int rotateLeft(int n) {
        int r = right[n];
        right[n] = left[r];
        left[r] = n;
        update(n);
        update(r);
        return r;
    }

    private int balance(int n) {
        update(n);
        int b = h(left[n]) - h(right[n]);
        if (b > 1) {
            if (h(left[left[n]]) < h(right[left[n]])) {
                left[n] = rotateLeft(left[n]);
            }
            return rotateRight(n);
        }
        if (b < -1) {
            if (h(right[right[n]]) < h(left[right[n]])) {
                right[n] = rotateRight(right[n]);
            }
            return rotateLeft(n);
        }
        return n;
    }

    private int insert(int n, int node) {
        if (n == NIL) {
            return node;
        }
        if (Long.compareUnsigned(start[node], start[n]) < 0) {
            left[n] = insert(left[n], node);
        } else {
            right[n] = insert(right[n], node);
        }
        return balance(n);
    }

    private int remove(int n, long s) {
        if (n == NIL) {
            return NIL;
        }
        int c = Long.compareUnsigned(s, start[n]);
        if (c < 0) {
            left[n] = remove(left[n], s);
        } else if (c > 0) {
            right[n] = remove(right[n], s);
        } else {
            size--;
            int l = left[n];
            int r = right[n];
            release(n);
            if (l == NIL) {
                return r;
            }
            if (r == NIL) {
                return l;
            }
            int m = r;
            while (left[m] != NIL) {
                m = left[m];
            }
            right[m] = removeMin(r);
            left[m] = l;
            return balance(m);
        }
        return balance(n);
    }

    private int removeMin(int n) {
        if (left[n] == NIL) {
            return right[n];
        }
        left[n] = removeMin(left[n]);
        return balance(n);
    }
}
