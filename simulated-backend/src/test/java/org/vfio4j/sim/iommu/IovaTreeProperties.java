package org.vfio4j.sim.iommu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The chunked interval structure against deliberately naive models: a list of intervals scanned
 * linearly, and an unsigned {@link TreeMap}, over key spaces small enough for frequent overlaps and
 * large enough for many chunks (splits, spills, merges, the top level growing and shrinking), also
 * across the sign bit and at the top of the 64-bit space.
 */
class IovaTreeProperties {

    record Op(boolean insert, long a, long len) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        // a small key space makes overlaps, neighbours and removals of present keys frequent
        Arbitrary<Op> op = net.jqwik.api.Combinators.combine(
                Arbitraries.integers().between(0, 3).map(i -> i > 0),
                Arbitraries.longs().between(0, 200),
                Arbitraries.longs().between(1, 20)).as(Op::new);
        return op.list().ofMaxSize(300);
    }

    @Property(tries = 300)
    void tree_agreesWithALinearList(@ForAll("ops") List<Op> ops) {
        IovaTree<String> tree = new IovaTree<>();
        List<long[]> model = new ArrayList<>();
        for (Op op : ops) {
            long a = op.a();
            long b = op.a() + op.len() - 1;
            long[] overlap = model.stream().filter(iv -> iv[0] <= b && iv[1] >= a)
                    .min(Comparator.comparingLong(iv -> iv[0])).orElse(null);
            int found = tree.firstOverlapping(a, b);
            assertThat(found == -1 ? null : tree.start(found)).isEqualTo(overlap == null ? null : overlap[0]);
            int located = tree.locateFirstOverlapping(a, b);
            assertThat(located == -1 ? null : tree.start(located)).as("one-descent overlap").isEqualTo(overlap == null ? null : overlap[0]);
            if (op.insert()) {
                if (overlap == null) {
                    tree.insertLocated(a, b, "v" + a); // reuses the descent above
                    model.add(new long[] {a, b});
                }
            } else if (op.len() % 2 == 0) {
                boolean present = model.removeIf(iv -> iv[0] == a);
                assertThat(tree.remove(a)).isEqualTo(present);
            } else {
                boolean present = model.removeIf(iv -> iv[0] == a);
                assertThat(tree.locate(a) != -1).isEqualTo(present);
                if (present) {
                    tree.removeLocated();
                }
            }
            assertThat(tree.size()).isEqualTo(model.size());
        }
        assertThat(tree.checkInvariants()).as("chunks sorted, non-empty, within capacity, minima right").isTrue();
        // in-order walk equals the sorted model
        model.sort(Comparator.comparingLong(iv -> iv[0]));
        List<Long> walk = new ArrayList<>();
        for (int n = tree.first(); n != -1; n = tree.next(n)) {
            walk.add(tree.start(n));
            assertThat(tree.value(n)).isEqualTo("v" + tree.start(n));
        }
        assertThat(walk).containsExactlyElementsOf(model.stream().map(iv -> iv[0]).toList());
        for (long x = 0; x < 230; x++) {
            long fx = x;
            long[] c = model.stream().filter(iv -> iv[0] <= fx && iv[1] >= fx).findFirst().orElse(null);
            int n = tree.containing(x);
            assertThat(n == -1 ? null : tree.start(n)).isEqualTo(c == null ? null : c[0]);
        }
    }

    @Property(tries = 5)
    void staleLocatedPaths_areRefused(@ForAll("ops") List<Op> ignored) {
        IovaTree<String> tree = new IovaTree<>();
        tree.locate(0x1000);
        tree.insert(0x5000, 0x5fff, "x");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tree.insertLocated(0x1000, 0x1fff, "y"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Property(tries = 50)
    void keys_compareUnsigned(@ForAll("ops") List<Op> ignored) {
        IovaTree<String> tree = new IovaTree<>();
        tree.insert(0x8000_0000_0000_0000L, -1L, "high");
        tree.insert(0, 0xfff, "low");
        assertThat(tree.start(tree.first())).isZero();
        assertThat(tree.containing(-2L)).isNotEqualTo(-1);
        assertThat(tree.firstOverlapping(0x1000, 0x7fff_ffff_ffff_ffffL)).isEqualTo(-1);
    }

    /** Where a key space of many intervals starts: at 0, across the sign bit, and ending at the top (the last one at -1). */
    private static final long[] BASES = {0, Long.MIN_VALUE - 1000 * 16L, -2001 * 16L};

    record Step(int kind, int slot, int len) {}

    @Provide
    Arbitrary<List<Step>> steps() {
        // 0, 1: insert; 2: remove at a slot; 3: remove the lowest or highest interval
        Arbitrary<Step> step = net.jqwik.api.Combinators.combine(
                Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 2000),
                Arbitraries.integers().between(1, 3)).as(Step::new);
        return step.list().ofMinSize(200).ofMaxSize(1500);
    }

    @Property(tries = 60)
    void manyIntervals_agreeWithAnUnsignedTreeMap(@ForAll("steps") List<Step> steps, @ForAll("bases") long base) {
        IovaTree<String> tree = new IovaTree<>();
        TreeMap<Long, Long> model = new TreeMap<>(Long::compareUnsigned);
        for (Step st : steps) {
            long a = base + st.slot() * 16L;
            long b = a + st.len() * 16L - 1;
            if (Long.compareUnsigned(b, a) < 0) {
                b = -1L; // would wrap: end at the top
            }
            long fb = b;
            Map.Entry<Long, Long> below = model.floorEntry(a);
            Long overlap = below != null && Long.compareUnsigned(below.getValue(), a) >= 0 ? below.getKey()
                    : model.ceilingKey(a) != null && Long.compareUnsigned(model.ceilingKey(a), fb) <= 0 ? model.ceilingKey(a) : null;
            if (st.kind() <= 1) {
                int found = tree.locateFirstOverlapping(a, b);
                assertThat(found == -1 ? null : tree.start(found)).isEqualTo(overlap);
                if (overlap == null) {
                    tree.insertLocated(a, b, "v" + a);
                    model.put(a, b);
                }
            } else if (st.kind() == 2) {
                assertThat(tree.remove(a)).isEqualTo(model.remove(a) != null);
            } else if (!model.isEmpty()) {
                long k = st.len() == 1 ? model.firstKey() : model.lastKey();
                model.remove(k);
                assertThat(tree.remove(k)).isTrue();
            }
            assertThat(tree.size()).isEqualTo(model.size());
            assertThat(tree.checkInvariants()).as("chunk layout after %s", st).isTrue();
        }
        assertAgrees(tree, model, base);
        List<Long> keys = new ArrayList<>(model.keySet());
        Collections.shuffle(keys, new Random(steps.size()));
        for (long k : keys) { // removing everything merges chunks away and shrinks the top level
            assertThat(tree.remove(k)).isTrue();
            model.remove(k);
            assertThat(tree.checkInvariants()).isTrue();
        }
        assertThat(tree.size()).isZero();
        assertThat(tree.first()).isEqualTo(-1);
        assertThat(tree.chunkCount()).isZero();
        assertThat(tree.chunkCapacity()).as("the top level shrank back").isLessThanOrEqualTo(4);
    }

    @Provide
    Arbitrary<Long> bases() {
        return Arbitraries.of(BASES[0], BASES[1], BASES[2]);
    }

    /** Walk, floor, ceiling, containing and overlap queries all answer as the model does. */
    private static void assertAgrees(IovaTree<String> tree, TreeMap<Long, Long> model, long base) {
        List<Long> walk = new ArrayList<>();
        for (int n = tree.first(); n != -1; n = tree.next(n)) {
            walk.add(tree.start(n));
            assertThat(tree.end(n)).isEqualTo(model.get(tree.start(n)));
            assertThat(tree.value(n)).isEqualTo("v" + tree.start(n));
        }
        assertThat(walk).containsExactlyElementsOf(model.keySet());
        for (long slot = -2; slot < 2006; slot++) {
            long x = base + slot * 16 + (slot & 15);
            Long floor = model.floorKey(x);
            Long ceiling = model.ceilingKey(x);
            int f = tree.floor(x);
            int c = tree.ceiling(x);
            assertThat(f == -1 ? null : tree.start(f)).isEqualTo(floor);
            assertThat(c == -1 ? null : tree.start(c)).isEqualTo(ceiling);
            Long containing = floor != null && Long.compareUnsigned(model.get(floor), x) >= 0 ? floor : null;
            int n = tree.containing(x);
            assertThat(n == -1 ? null : tree.start(n)).isEqualTo(containing);
            long y = x + 40;
            Long first = containing != null ? containing
                    : ceiling != null && Long.compareUnsigned(y, x) >= 0 && Long.compareUnsigned(ceiling, y) <= 0 ? ceiling : null;
            if (Long.compareUnsigned(y, x) >= 0) {
                int o = tree.firstOverlapping(x, y);
                assertThat(o == -1 ? null : tree.start(o)).isEqualTo(first);
            }
        }
    }

    @Property(tries = 20)
    void ascendingAndDescendingMappings_fillTheirChunks(@ForAll("bases") long base, @ForAll boolean descending) {
        IovaTree<String> tree = new IovaTree<>();
        TreeMap<Long, Long> model = new TreeMap<>(Long::compareUnsigned);
        int count = 2001;
        for (int i = 0; i < count; i++) {
            long a = base + (descending ? count - 1 - i : i) * 16L;
            tree.insert(a, a + 15, "v" + a);
            model.put(a, a + 15);
        }
        assertThat(tree.checkInvariants()).isTrue();
        // appends (and prepends) get a chunk of their own instead of splitting full ones in halves
        assertThat(tree.chunkCount()).isLessThanOrEqualTo((count + IovaTree.CAP - 1) / IovaTree.CAP + 1);
        assertAgrees(tree, model, base);
    }

    @Property(tries = 5)
    void anIntervalMayEndAtTheTopOfTheSpace(@ForAll("ops") List<Op> ignored) {
        IovaTree<String> tree = new IovaTree<>();
        tree.insert(-0x1000L, -1L, "top");
        tree.insert(0x7fff_ffff_ffff_f000L, 0x8000_0000_0000_0fffL, "middle"); // across the sign bit
        tree.insert(0, 0xfff, "low");
        int top = tree.containing(-1L);
        assertThat(top).isNotEqualTo(-1);
        assertThat(tree.value(top)).isEqualTo("top");
        assertThat(tree.next(top)).isEqualTo(-1);
        assertThat(tree.ceiling(-1L)).isEqualTo(-1);
        assertThat(tree.floor(-1L)).isEqualTo(top);
        assertThat(tree.value(tree.firstOverlapping(-1L, -1L))).isEqualTo("top");
        assertThat(tree.value(tree.containing(Long.MIN_VALUE))).isEqualTo("middle");
        assertThat(tree.value(tree.locateFirstOverlapping(0x1000, -1L))).isEqualTo("middle");
        assertThat(tree.remove(-0x1000L)).isTrue();
        assertThat(tree.containing(-1L)).isEqualTo(-1);
        assertThat(tree.checkInvariants()).isTrue();
    }
}
