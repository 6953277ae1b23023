package org.vfio4j.sim.iommu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The kernel-shaped {@code dma_list}: red-black invariants and contents against a naive list, the
 * {@code vfio_find_dma} descent against what any search tree guarantees, and exact shapes worked
 * out by hand from {@code lib/rbtree.c}'s rules. Shapes are written as {@link KernelRbTree#shape}
 * prints them: start, {@code B}/{@code R}, then both subtrees in parentheses ({@code .} for none).
 */
class KernelRbTreeTest {

    private static final long PAGE = 4096;

    // ---- exact shapes: inserts ----

    @Test
    void insertingOneToSeven_givesTheKernelsShapeAfterEachStep() {
        KernelRbTree tree = new KernelRbTree();
        List<String> shapes = new ArrayList<>();
        for (long k = 1; k <= 7; k++) {
            assertThat(tree.insert(k, 1)).isTrue();
            shapes.add(tree.shape());
        }
        assertThat(shapes).containsExactly(
                "1B",                              // a new root turns black
                "1B(. 2R)",                        // black parent: nothing to fix
                "2B(1R 3R)",                       // red parent, no uncle, outer grandchild: rotate left at 1, 2 black, 1 red
                "2B(1B 3B(. 4R))",                 // red parent 3, red uncle 1: both black, 2 red, then 2 is the root: black
                "2B(1B 4B(3R 5R))",                // red parent 4, no uncle: rotate left at 3
                "2B(1B 4R(3B 5B(. 6R)))",          // red uncle 3: 3 and 5 black, 4 red; 4's parent 2 is black: stop
                "2B(1B 4R(3B 6B(5R 7R)))");        // red parent 6, no uncle: rotate left at 5
    }

    @Test
    void anInnerGrandchild_isRotatedTwice() {
        // 3 goes right of 1, then 2 goes left of 3: red parent 3, no uncle, inner grandchild.
        // Rotate right at 3 (2 above 3), then left at 1 (2 on top): 2 black, 1 and 3 red.
        assertThat(unitTree(1, 3, 2).shape()).isEqualTo("2B(1R 3R)");
        assertThat(unitTree(3, 1, 2).shape()).isEqualTo("2B(1R 3R)");
    }

    // ---- exact shapes: erases (T is 1..7 inserted in order: 2B(1B 4R(3B 6B(5R 7R)))) ----

    @Test
    void erasingARedLeaf_changesNoColour() {
        KernelRbTree tree = unitTree(1, 2, 3, 4, 5, 6, 7);
        assertThat(tree.erase(5)).isTrue();
        assertThat(tree.shape()).isEqualTo("2B(1B 4R(3B 6B(. 7R)))");
    }

    @Test
    void erasingANodeWithOneChild_liftsTheChildInItsColour() {
        KernelRbTree tree = unitTree(1, 2, 3, 4, 5, 6, 7);
        tree.erase(5);
        assertThat(tree.erase(6)).isTrue(); // 6B has only 7R: 7 takes 6's place and black
        assertThat(tree.shape()).isEqualTo("2B(1B 4R(3B 7B))");
    }

    @Test
    void erasingANodeWithTwoChildren_whoseSuccessorIsItsRightChild() {
        KernelRbTree tree = unitTree(1, 2, 3, 4, 5, 6, 7);
        // 6's right child 7 has no left child: 7 takes 6's place and colour (black), adopts 5.
        // 7 was red, so no path lost a black node.
        assertThat(tree.erase(6)).isTrue();
        assertThat(tree.shape()).isEqualTo("2B(1B 4R(3B 7B(5R .)))");
    }

    @Test
    void erasingANodeWithTwoChildren_whoseSuccessorIsDeeper() {
        KernelRbTree tree = unitTree(1, 2, 3, 4, 5, 6, 7);
        // 4's successor is 5, leftmost below 4's right child 6: 5 takes 4's place and colour (red);
        // 6's left becomes 5's old right (none). 5 was red: no repair.
        assertThat(tree.erase(4)).isTrue();
        assertThat(tree.shape()).isEqualTo("2B(1B 5R(3B 6B(. 7R)))");
    }

    @Test
    void erasingTheRoot_movesItsSuccessorUp_andRepairsBelowWithCase4() {
        KernelRbTree tree = unitTree(1, 2, 3, 4, 5, 6, 7);
        // Successor 3 (leftmost below 4) takes the root's place and colour (black); 3 was black and had
        // no child, so 4's left paths lack a black node. Repair at 4: sibling 6 is black with far child
        // 7 red (case 4): rotate left at 4, 6 takes 4's red, 4 and 7 black.
        assertThat(tree.erase(2)).isTrue();
        assertThat(tree.shape()).isEqualTo("3B(1B 6R(4B(. 5R) 7B))");
    }

    @Test
    void erasingABlackLeaf_case2_aRedParentAbsorbsTheLoss() {
        KernelRbTree tree = unitTree(1, 2, 3, 4, 5, 6, 7);
        tree.erase(5);
        tree.erase(7);
        assertThat(tree.shape()).isEqualTo("2B(1B 4R(3B 6B))");
        // 3 is a black leaf; sibling 6 black with no red child: 6 turns red, red parent 4 turns black.
        tree.erase(3);
        assertThat(tree.shape()).isEqualTo("2B(1B 4B(. 6R))");
    }

    @Test
    void erasingABlackLeaf_case2_aBlackParentPassesTheLossUpToTheRoot() {
        KernelRbTree tree = unitTree(1, 2, 3, 4);
        tree.erase(4);
        assertThat(tree.shape()).isEqualTo("2B(1B 3B)");
        // sibling 3 turns red; parent 2 is black, so the loss moves up to 2, which is the root: done
        tree.erase(1);
        assertThat(tree.shape()).isEqualTo("2B(. 3R)");
    }

    @Test
    void erasingABlackLeaf_case2_movesUpAndEndsWithCase4Higher() {
        KernelRbTree tree = unitTree(4, 2, 6, 1, 3, 5, 7, 8);
        tree.erase(8);
        tree.insert(0, 1);
        tree.erase(0);
        tree.insert(9, 1);
        tree.insert(8, 1);
        tree.insert(10, 1); // red uncle twice: the flips reach the root and blacken 2 and 6
        tree.erase(10);
        assertThat(tree.shape()).isEqualTo("4B(2B(1B 3B) 6B(5B 8R(7B 9B)))");
        // 1: sibling 3 has no red child, parent 2 black -> 3 red, loss moves up to 2. At 4: sibling 6
        // black, far child 8 red (case 4): rotate left at 4, 6 takes 4's black, 4 and 8 black.
        tree.erase(1);
        assertThat(tree.shape()).isEqualTo("6B(4B(2B(. 3R) 5B) 8B(7B 9B))");
    }

    @Test
    void erasingABlackLeaf_case1_aRedSiblingIsRotatedUpFirst() {
        KernelRbTree tree = unitTree(1, 2, 3, 4, 5, 6, 7);
        tree.erase(5);
        tree.erase(7);
        // 1's sibling 4 is red (case 1): rotate left at 2, 4 takes 2's black, 2 red; the new sibling 3
        // has no red child (case 2): 3 red, red parent 2 black.
        tree.erase(1);
        assertThat(tree.shape()).isEqualTo("4B(2B(. 3R) 6B)");
    }

    @Test
    void erasingABlackLeaf_case3_theNearNephewIsRotatedOutward() {
        KernelRbTree tree = unitTree(2, 1, 4, 3);
        assertThat(tree.shape()).isEqualTo("2B(1B 4B(3R .))");
        // 1's sibling 4 has only the near child 3 red (case 3): rotate right at 4; then case 4 at 2.
        tree.erase(1);
        assertThat(tree.shape()).isEqualTo("3B(2B 4B)");
    }

    @Test
    void erasingABlackLeaf_case4_theFarNephewIsRed() {
        KernelRbTree tree = unitTree(1, 2, 3, 4);
        assertThat(tree.shape()).isEqualTo("2B(1B 3B(. 4R))");
        tree.erase(1);
        assertThat(tree.shape()).isEqualTo("3B(2B 4B)");
    }

    @Test
    void erasingABlackLeaf_onTheRight_mirrorsEachCase() {
        // the erased leaf's slot and its parent's right child are both empty: the mirror branch runs
        KernelRbTree case4 = unitTree(4, 3, 2, 1);
        assertThat(case4.shape()).isEqualTo("3B(2B(1R .) 4B)");
        case4.erase(4);
        assertThat(case4.shape()).isEqualTo("2B(1B 3B)");

        KernelRbTree case3 = unitTree(3, 4, 1, 2);
        assertThat(case3.shape()).isEqualTo("3B(1B(. 2R) 4B)");
        case3.erase(4); // only the near nephew 2 is red: rotate left at 1, then right at 3
        assertThat(case3.shape()).isEqualTo("2B(1B 3B)");

        KernelRbTree case1 = unitTree(7, 6, 5, 4, 3, 2, 1);
        assertThat(case1.shape()).isEqualTo("6B(4R(2B(1R 3R) 5B) 7B)");
        case1.erase(3);
        case1.erase(1);
        case1.erase(7); // red sibling 4: rotate right at 6; then 5 has no red child: 5 red, 6 black
        assertThat(case1.shape()).isEqualTo("4B(2B 6B(5R .))");

        KernelRbTree case2 = unitTree(4, 3, 2, 1);
        case2.erase(1);
        assertThat(case2.shape()).isEqualTo("3B(2B 4B)");
        case2.erase(4);
        assertThat(case2.shape()).isEqualTo("3B(2R .)");
    }

    // ---- the QEMU lane's case ----

    @Test
    void theLaneCase_a510V1UnmapOfSixPlusEight_removesThirteenFirstAndStopsAtTwo() {
        KernelRbTree tree = new KernelRbTree();
        assertThat(tree.insert(17 * PAGE, 4 * PAGE)).isTrue();
        assertThat(tree.insert(13 * PAGE, PAGE)).isTrue();
        assertThat(tree.insert(2 * PAGE, 8 * PAGE)).isTrue(); // red parent 13, no uncle: rotate right at 17
        assertThat(tree.shape(PAGE)).isEqualTo("13B(2R 17R)");
        assertThat(tree.insert(2 * PAGE, PAGE)).as("[2,+1) overlaps [2,+8): vfio_dma_do_map's EEXIST").isFalse();
        assertThat(tree.count()).isEqualTo(3);

        // [6, 14) overlaps both [2,+8) and [13,+1); the descent meets 13 at the root first
        long iova = 6 * PAGE;
        long size = 8 * PAGE;
        assertThat(tree.findFirst(iova, size)).isEqualTo(13 * PAGE);

        // 5.10's v1 unmap loop: find from the root, stop at a mapping that starts before iova
        List<Long> removed = new ArrayList<>();
        long unmapped = 0;
        for (long found = tree.findFirst(iova, size); found != KernelRbTree.NONE; found = tree.findFirst(iova, size)) {
            if (Long.compareUnsigned(iova, found) > 0) {
                break;
            }
            unmapped += tree.size(found);
            removed.add(found / PAGE);
            tree.erase(found);
        }
        assertThat(removed).containsExactly(13L);
        assertThat(unmapped).as("what the real 5.10 kernel returned").isEqualTo(PAGE);
        assertThat(tree.shape(PAGE)).isEqualTo("17B(2R .)");
        assertThat(tree.findFirst(iova, size)).as("then the root path meets [2,+8)").isEqualTo(2 * PAGE);
    }

    // ---- the API's edges ----

    @Test
    void emptyAndReachingTwoToTheSixtyFour_areRefused() {
        KernelRbTree tree = new KernelRbTree();
        assertThatThrownBy(() -> tree.insert(PAGE, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tree.insert(-PAGE, PAGE)).isInstanceOf(IllegalArgumentException.class);
        assertThat(tree.insert(-2 * PAGE, PAGE)).isTrue();
        assertThat(tree.count()).isEqualTo(1);
    }

    @Test
    void startsCompareUnsigned_andMissesAreReported() {
        KernelRbTree tree = new KernelRbTree();
        tree.insert(0x8000_0000_0000_0000L, PAGE);
        tree.insert(PAGE, PAGE);
        tree.insert(0, PAGE);
        assertThat(tree.inOrder()).containsExactly(0, PAGE, 0x8000_0000_0000_0000L);
        assertThat(tree.findFirst(0x8000_0000_0000_0000L + 5, 1)).isEqualTo(0x8000_0000_0000_0000L);
        assertThat(tree.findFirst(2 * PAGE, 0x1000_0000L)).isEqualTo(KernelRbTree.NONE);
        assertThat(tree.size(PAGE)).isEqualTo(PAGE);
        assertThat(tree.size(3 * PAGE)).isZero();
        assertThat(tree.erase(3 * PAGE)).isFalse();
        assertThat(tree.count()).isEqualTo(3);
        assertThat(new KernelRbTree().shape()).isEqualTo(".");
        assertThat(new KernelRbTree().view()).isNull();
    }

    // ---- properties ----

    record Op(boolean insert, long start, long size) {}

    record Query(long iova, long size) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        // a small key space makes overlaps, neighbours and erases of present starts frequent
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.integers().between(0, 4).map(i -> i > 1),
                Arbitraries.longs().between(0, 200),
                Arbitraries.longs().between(1, 20)).as(Op::new);
        return op.list().ofMaxSize(400);
    }

    @Provide
    Arbitrary<List<Query>> queries() {
        return Combinators.combine(Arbitraries.longs().between(0, 230), Arbitraries.longs().between(1, 40))
                .as(Query::new).list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 300)
    void afterEveryInsertAndErase_theTreeIsRedBlack_andHoldsWhatAListHolds(@ForAll("ops") List<Op> ops) {
        KernelRbTree tree = new KernelRbTree();
        List<long[]> model = new ArrayList<>(); // {start, size}, scanned linearly
        for (Op op : ops) {
            if (op.insert()) {
                boolean free = model.stream().noneMatch(m -> overlaps(m[0], m[1], op.start(), op.size()));
                assertThat(tree.insert(op.start(), op.size())).isEqualTo(free);
                if (free) {
                    model.add(new long[] {op.start(), op.size()});
                }
            } else {
                boolean present = model.removeIf(m -> m[0] == op.start());
                assertThat(tree.erase(op.start())).isEqualTo(present);
            }
            checkRedBlack(tree.view());
            model.sort(Comparator.comparingLong(m -> m[0]));
            List<long[]> walk = new ArrayList<>();
            inOrder(tree.view(), walk);
            assertThat(walk).as("in-order (start, size)").usingElementComparator(Comparator
                    .<long[]>comparingLong(m -> m[0]).thenComparingLong(m -> m[1])).containsExactlyElementsOf(model);
            assertThat(tree.inOrder()).containsExactly(model.stream().mapToLong(m -> m[0]).toArray());
            assertThat(tree.count()).isEqualTo(model.size());
        }
        for (long[] m : model) {
            assertThat(tree.size(m[0])).isEqualTo(m[1]);
        }
    }

    @Property(tries = 300)
    void findFirst_returnsTheFirstOverlappingNodeOnTheRootPath(@ForAll("ops") List<Op> ops,
                                                               @ForAll("queries") List<Query> queries) {
        KernelRbTree tree = new KernelRbTree();
        List<long[]> model = new ArrayList<>();
        for (Op op : ops) {
            if (op.insert() && tree.insert(op.start(), op.size())) {
                model.add(new long[] {op.start(), op.size()});
            } else if (!op.insert() && tree.erase(op.start())) {
                model.removeIf(m -> m[0] == op.start());
            }
        }
        KernelRbTree.View root = tree.view();
        for (Query q : queries) {
            long found = tree.findFirst(q.iova(), q.size());
            boolean anyOverlaps = model.stream().anyMatch(m -> overlaps(m[0], m[1], q.iova(), q.size()));
            assertThat(found != KernelRbTree.NONE).as("found iff some mapping overlaps %s", q).isEqualTo(anyOverlaps);
            if (!anyOverlaps) {
                continue;
            }
            // walk from the root to the found node (a search tree: in-order is sorted, checked above)
            KernelRbTree.View v = root;
            while (v.start() != found) {
                assertThat(overlaps(v.start(), v.size(), q.iova(), q.size()))
                        .as("%s overlaps %d, above the found %d on the root path", q, v.start(), found).isFalse();
                v = found < v.start() ? v.left() : v.right();
                assertThat(v).as("the found node %d is in the tree", found).isNotNull();
            }
            assertThat(overlaps(v.start(), v.size(), q.iova(), q.size())).as("the found node overlaps %s", q).isTrue();
        }
    }

    @Property(tries = 200)
    void insertingMirroredStarts_givesTheMirroredTree(@ForAll("ops") List<Op> ops) {
        // __rb_insert's two halves are each other's mirror image (erase is not: it always takes the successor)
        List<Long> starts = new ArrayList<>(new LinkedHashSet<>(ops.stream().map(Op::start).toList()));
        long top = 1000;
        KernelRbTree tree = new KernelRbTree();
        KernelRbTree mirrored = new KernelRbTree();
        for (long s : starts) {
            assertThat(tree.insert(s, 1)).isTrue();
            assertThat(mirrored.insert(top - s, 1)).isTrue();
        }
        assertThat(mirror(tree.view(), top)).isEqualTo(mirrored.view());
    }

    // ---- an independent checker ----

    /** Whether {@code [aStart, +aSize)} and {@code [bStart, +bSize)} share a byte (small values: no wrap). */
    private static boolean overlaps(long aStart, long aSize, long bStart, long bSize) {
        return Math.max(aStart, bStart) < Math.min(aStart + aSize, bStart + bSize);
    }

    /**
     * Root black, no red node with a red child, the same number of black nodes on every path, and
     * in-order each mapping ends at or before the next one starts.
     */
    private static void checkRedBlack(KernelRbTree.View root) {
        if (root == null) {
            return;
        }
        assertThat(root.red()).as("the root is black").isFalse();
        blackHeight(root);
        List<long[]> walk = new ArrayList<>();
        inOrder(root, walk);
        for (int i = 1; i < walk.size(); i++) {
            assertThat(walk.get(i - 1)[0] + walk.get(i - 1)[1]).as("in-order disjoint and sorted at %d", i)
                    .isLessThanOrEqualTo(walk.get(i)[0]);
        }
    }

    private static int blackHeight(KernelRbTree.View v) {
        if (v == null) {
            return 1;
        }
        if (v.red()) {
            assertThat((v.left() != null && v.left().red()) || (v.right() != null && v.right().red()))
                    .as("red node %d has a red child", v.start()).isFalse();
        }
        int left = blackHeight(v.left());
        int right = blackHeight(v.right());
        assertThat(left).as("black heights below %d", v.start()).isEqualTo(right);
        return left + (v.red() ? 0 : 1);
    }

    private static void inOrder(KernelRbTree.View v, List<long[]> out) {
        if (v != null) {
            inOrder(v.left(), out);
            out.add(new long[] {v.start(), v.size()});
            inOrder(v.right(), out);
        }
    }

    private static KernelRbTree.View mirror(KernelRbTree.View v, long top) {
        return v == null ? null : new KernelRbTree.View(top - v.start(), v.size(), v.red(), mirror(v.right(), top), mirror(v.left(), top));
    }

    /** A tree of one-byte mappings at {@code keys}, inserted in that order. */
    private static KernelRbTree unitTree(long... keys) {
        KernelRbTree tree = new KernelRbTree();
        for (long k : keys) {
            assertThat(tree.insert(k, 1)).as("insert %d", k).isTrue();
        }
        return tree;
    }
}
