package org.vfio4j.sim.iommu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The tree against a deliberately naive model: a list of intervals scanned linearly. */
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
}
