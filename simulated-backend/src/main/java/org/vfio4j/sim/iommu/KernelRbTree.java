package org.vfio4j.sim.iommu;

import java.util.HashMap;
import java.util.Map;

/**
 * A type1 container's {@code dma_list} exactly as Linux builds it: a red-black tree of disjoint
 * IOVA intervals {@code [start, start + size)} whose shape after any sequence of inserts and
 * erases is the one {@code lib/rbtree.c} gives for the same sequence.
 *
 * <p>Linux 5.7 and 5.10 unmap by calling {@code vfio_find_dma} until it finds nothing: each
 * round descends from the root and takes the first overlapping node on the path, and a v1
 * container stops at a mapping that starts before the range. Which mappings an unmap removes, and
 * in which order their dirty bits go out, therefore depends on the tree's shape, not only on its
 * contents. {@link IovaTree} (a chunked sorted array walked in address order, as 5.12+ does)
 * cannot answer that; this tree can. It favours being a literal model over speed: node objects
 * with parent links, as {@code struct rb_node} has.
 *
 * <p>Ends are computed as the kernel computes them, modulo 2^64, and compared unsigned; a stored
 * mapping never reaches 2^64 (see {@link #insert}), so only a {@link #findFirst} range can wrap.
 */
final class KernelRbTree {
    /** What {@link #findFirst} returns when nothing overlaps; no mapping can start there (it would reach 2^64). */
    static final long NONE = -1L;

    /**
     * One node of the tree as it stands, for tests and diagnostics: an immutable copy.
     *
     * @param start the mapping's first IOVA
     * @param size  the mapping's length in bytes
     * @param red   whether the node is red (else black)
     * @param left  the left subtree, or null
     * @param right the right subtree, or null
     */
    record View(long start, long size, boolean red, View left, View right) {}

    private static final class Node {
        final long start;
        final long size;
        Node left;
        Node right;
        Node parent;
        boolean red;

        Node(long start, long size) {
            this.start = start;
            this.size = size;
        }
    }

    private Node root;
    /** Finds a node to erase or measure without walking the tree. */
    private final Map<Long, Node> byStart = new HashMap<>();

    /** Forgets every mapping (the container released its IOMMU). */
    void clear() {
        root = null;
        byStart.clear();
    }

    /** The number of mappings. */
    int count() {
        return byStart.size();
    }

    /** The size of the mapping that starts at {@code start}, or 0 when none does. */
    long size(long start) {
        Node n = byStart.get(start);
        return n == null ? 0 : n.size;
    }

    /**
     * The start of the node {@code vfio_find_dma(iommu, iova, size)} returns: descending from the
     * root, the first node on the path that overlaps {@code [iova, iova + size)}; {@link #NONE}
     * when the descent falls off the tree. Not necessarily the lowest overlapping mapping.
     */
    long findFirst(long iova, long size) {
        Node n = find(iova, size);
        return n == null ? NONE : n.start;
    }

    /**
     * Adds {@code [iova, iova + size)} unless {@code vfio_find_dma} finds a mapping overlapping it
     * ({@code vfio_dma_do_map}'s EEXIST check), linked and recoloured as {@code vfio_link_dma}
     * does. Returns whether it was added.
     *
     * @throws IllegalArgumentException if {@code size} is 0 or the mapping reaches 2^64. There
     *         the kernel's {@code iova + size} wraps to 0, its descents all turn left, and its
     *         overlap check can miss, even a mapping with the same start. Type1 refuses a size of
     *         0; no IOMMU's IOVA ranges reach 2^64 ({@code vfio_iommu_iova_dma_valid}).
     */
    boolean insert(long iova, long size) {
        if (Long.compareUnsigned(iova + size, iova) <= 0) {
            throw new IllegalArgumentException(String.format("[0x%x, +0x%x) is empty or reaches 2^64", iova, size));
        }
        if (find(iova, size) != null) {
            return false;
        }
        // vfio_link_dma: left when the new mapping ends at or before the node's start, else right
        long end = iova + size;
        Node parent = null;
        boolean asLeft = false;
        for (Node n = root; n != null; n = asLeft ? n.left : n.right) {
            parent = n;
            asLeft = Long.compareUnsigned(end, n.start) <= 0;
        }
        Node node = new Node(iova, size);
        node.red = true; // rb_link_node: a fresh node is red
        node.parent = parent;
        if (parent == null) {
            root = node;
        } else if (asLeft) {
            parent.left = node;
        } else {
            parent.right = node;
        }
        byStart.put(iova, node);
        fixAfterInsert(node);
        return true;
    }

    /** Removes the mapping that starts at {@code start} as {@code rb_erase} does; returns whether there was one. */
    boolean erase(long start) {
        Node node = byStart.remove(start);
        if (node == null) {
            return false;
        }
        Node rebalanceAt = unlink(node);
        if (rebalanceAt != null) {
            fixAfterErase(rebalanceAt);
        }
        node.left = node.right = node.parent = null;
        return true;
    }

    /** The starts in in-order (the {@code rb_first}/{@code rb_next} order). */
    long[] inOrder() {
        long[] out = new long[count()];
        fill(root, out, 0);
        return out;
    }

    /** An immutable copy of the tree, or null when it is empty. */
    View view() {
        return view(root);
    }

    /** {@link #shape(long)} with starts as they are. */
    String shape() {
        return shape(1);
    }

    /**
     * The tree as text: a node is its start divided by {@code unit}, then {@code B} or {@code R};
     * a node with a child is followed by its two subtrees in parentheses, a missing one written
     * {@code .}. For example {@code 2B(1B 4R(3B .))}. The empty tree is {@code .}.
     */
    String shape(long unit) {
        StringBuilder out = new StringBuilder();
        describe(root, unit, out);
        return out.toString();
    }

    // ---- vfio_find_dma ----

    private Node find(long iova, long size) {
        Node n = root;
        while (n != null) {
            if (Long.compareUnsigned(iova + size, n.start) <= 0) {
                n = n.left;
            } else if (Long.compareUnsigned(iova, n.start + n.size) >= 0) {
                n = n.right;
            } else {
                return n;
            }
        }
        return null;
    }

    // ---- lib/rbtree.c ----

    /**
     * {@code __rb_insert}: {@code node} is red; while its parent is red too, either push the
     * redness up (red uncle: parent and uncle turn black, grandparent red, continue there) or
     * rotate once or twice around the grandparent and stop. The kernel writes out both mirror
     * images; here {@code parentIsLeft} picks the side.
     */
    private void fixAfterInsert(Node node) {
        Node parent = node.parent;
        while (true) {
            if (parent == null) { // node is the root: it turns black
                node.red = false;
                return;
            }
            if (!parent.red) {
                return;
            }
            Node grand = parent.parent; // exists: a red node is never the root
            boolean parentIsLeft = grand.right != parent;
            Node uncle = child(grand, !parentIsLeft);
            if (uncle != null && uncle.red) { // case 1: colour flips, recurse at the grandparent
                uncle.red = false;
                parent.red = false;
                grand.red = true;
                node = grand;
                parent = grand.parent;
                continue;
            }
            if (node == child(parent, !parentIsLeft)) { // case 2: an inner grandchild is rotated outward first
                rotate(parent, parentIsLeft);
                parent = node;
            }
            rotate(grand, !parentIsLeft); // case 3: the parent rises above the grandparent
            parent.red = false; // it takes the grandparent's colour (black); the grandparent turns red
            grand.red = true;
            return;
        }
    }

    /**
     * {@code __rb_erase_augmented} without callbacks: takes {@code node} out, and returns the
     * parent below which one path lost a black node (to hand to {@link #fixAfterErase}), or null.
     * With two children the successor (leftmost of the right subtree) takes the node's place and
     * colour, and the successor's old position is the one repaired.
     */
    private Node unlink(Node node) {
        Node parent = node.parent;
        if (node.left == null || node.right == null) { // case 1: at most one child
            Node child = node.left == null ? node.right : node.left;
            replaceChild(parent, node, child);
            if (child != null) { // a lone child is red below a black node: it takes the node's place and colour
                child.parent = parent;
                child.red = node.red;
                return null;
            }
            return node.red ? null : parent;
        }
        Node right = node.right;
        Node successor = right;
        Node successorParent;
        Node successorChild;
        if (right.left == null) { // case 2: the successor is the right child and keeps its right subtree
            successorParent = right;
            successorChild = right.right;
        } else { // case 3: the successor is leftmost below the right child
            do {
                successorParent = successor;
                successor = successor.left;
            } while (successor.left != null);
            successorChild = successor.right;
            successorParent.left = successorChild;
            successor.right = right;
            right.parent = successor;
        }
        successor.left = node.left;
        node.left.parent = successor;
        replaceChild(parent, node, successor);
        boolean successorWasRed = successor.red;
        successor.parent = parent;
        successor.red = node.red;
        if (successorChild != null) { // the successor's lone child is red: blackening it repairs the path
            successorChild.parent = successorParent;
            successorChild.red = false;
            return null;
        }
        return successorWasRed ? null : successorParent;
    }

    /**
     * {@code ____rb_erase_color}: the paths through {@code parent}'s child {@code node} (null at
     * first) have one black node too few. Case 1 (red sibling) rotates it above the parent; case
     * 2 (black sibling, no red child) reddens the sibling and ends at a red parent or moves up;
     * case 3 (only the near nephew red) rotates it into the sibling's place; case 4 (far nephew
     * red) rotates at the parent and ends. The kernel writes out both mirror images; here
     * {@code nodeIsLeft} picks the side.
     */
    private void fixAfterErase(Node parent) {
        Node node = null;
        while (true) {
            // as the kernel decides it: node is the left child unless it is the right one (when
            // node is null at first, only the sibling's slot is filled)
            boolean nodeIsLeft = node != parent.right;
            Node sibling = child(parent, !nodeIsLeft);
            if (sibling.red) { // case 1: the sibling rises, takes the parent's (black) colour, the parent turns red
                rotate(parent, nodeIsLeft);
                sibling.red = parent.red;
                parent.red = true;
                sibling = child(parent, !nodeIsLeft);
            }
            Node far = child(sibling, !nodeIsLeft);
            if (far == null || !far.red) {
                Node near = child(sibling, nodeIsLeft);
                if (near == null || !near.red) { // case 2: sibling colour flip
                    sibling.red = true;
                    if (parent.red) {
                        parent.red = false;
                        return;
                    }
                    node = parent;
                    parent = node.parent;
                    if (parent == null) {
                        return;
                    }
                    continue;
                }
                rotate(sibling, !nodeIsLeft); // case 3: the red near nephew becomes the sibling
                far = sibling;
                sibling = near;
            }
            rotate(parent, nodeIsLeft); // case 4: the sibling takes the parent's colour, parent and far nephew black
            sibling.red = parent.red;
            parent.red = false;
            far.red = false;
            return;
        }
    }

    private static Node child(Node n, boolean left) {
        return left ? n.left : n.right;
    }

    private static void setChild(Node n, boolean left, Node c) {
        if (left) {
            n.left = c;
        } else {
            n.right = c;
        }
    }

    /**
     * Rotates at {@code x}: {@code towardLeft} lifts its right child into its place (a left
     * rotation), else its left child. The lifted child's inner subtree moves across to {@code x}.
     * Colours are the caller's business.
     */
    private void rotate(Node x, boolean towardLeft) {
        Node y = child(x, !towardLeft);
        Node inner = child(y, towardLeft);
        setChild(x, !towardLeft, inner);
        if (inner != null) {
            inner.parent = x;
        }
        y.parent = x.parent;
        replaceChild(x.parent, x, y);
        setChild(y, towardLeft, x);
        x.parent = y;
    }

    /** {@code __rb_change_child}: points {@code parent} (or the root) at {@code now} instead of {@code old}. */
    private void replaceChild(Node parent, Node old, Node now) {
        if (parent == null) {
            root = now;
        } else if (parent.left == old) {
            parent.left = now;
        } else {
            parent.right = now;
        }
    }

    // ---- views ----

    private static int fill(Node n, long[] out, int at) {
        if (n == null) {
            return at;
        }
        at = fill(n.left, out, at);
        out[at++] = n.start;
        return fill(n.right, out, at);
    }

    private static View view(Node n) {
        return n == null ? null : new View(n.start, n.size, n.red, view(n.left), view(n.right));
    }

    private static void describe(Node n, long unit, StringBuilder out) {
        if (n == null) {
            out.append('.');
            return;
        }
        out.append(Long.toUnsignedString(Long.divideUnsigned(n.start, unit))).append(n.red ? 'R' : 'B');
        if (n.left != null || n.right != null) {
            out.append('(');
            describe(n.left, unit, out);
            out.append(' ');
            describe(n.right, unit, out);
            out.append(')');
        }
    }
}
