package org.vfio4j.sim.eeh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.sim.eeh.EehWorld.F0;
import static org.vfio4j.sim.eeh.EehWorld.F1;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.vfio4j.Errno;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.core.KernelError;

/**
 * The EEH state machine against a deliberately naive model of the kernel source: random sequences
 * of VFIO_EEH_PE_OP calls (valid and misused: short argsz, flags, unknown ops, bad injection type
 * and function), PHB-detected errors, and device opens and releases, on a PHB that freezes and on
 * QEMU's PHB4 that never does. After every step, the invariants:
 * <ul>
 * <li>each call returns what the model says (GET_STATE's state, 0) or fails with its errno;</li>
 * <li>MMIO (BAR reads all ones) is frozen for every function of the PE iff the model says so, and
 * DMA is blocked iff the model's DMA is frozen;</li>
 * <li>config access is blocked iff a reset was asserted and not deactivated;</li>
 * <li>each function was reset once per RESET_HOT/FUNDAMENTAL and restored once per DEACTIVATE;</li>
 * <li>from any state, UNFREEZE_IO, RESET_HOT, RESET_DEACTIVATE, CONFIGURE ends NORMAL with
 * config access unblocked.</li>
 * </ul>
 * Mutations of {@code Eeh}/{@code EehPe} tried and caught by {@link #everyStepMatchesTheModel}:
 * comparing argsz signed (0xffffffff refused); dropping the flags check; RESET_DEACTIVATE not
 * thawing; RESET_HOT not blocking config access; STOPPED_DMA and UNAVAIL swapped in GET_STATE;
 * the func range check off by one ({@code >=} EEH_ERR_FUNC_MAX); a release without an open still
 * thawing the PE; a PHB that never freezes freezing on an error; ENABLE not thawing. The last
 * property catches RESET_DEACTIVATE leaving config blocked.
 */
class EehProperties {

    /** One thing that happens to the PE. */
    sealed interface Step permits Op, Error, Open, Release {}

    /** VFIO_EEH_PE_OP with these fields (a 40-byte argument). */
    record Op(int argsz, int flags, int op, int type, int func) implements Step {}

    /** The PHB detects an error of a function. */
    record Error(boolean first) implements Step {}

    /** vfio-pci opens a function. */
    record Open(boolean first) implements Step {}

    /** vfio-pci releases a function. */
    record Release(boolean first) implements Step {}

    /** The kernel as the source reads, written out plainly: freeze bits, the config block, counts. */
    static final class Model {
        final boolean freezes;
        boolean mmio;
        boolean dma;
        boolean blocked;
        int passed;
        int resets;
        int restores;

        Model(boolean freezes) {
            this.freezes = freezes;
        }

        int state() {
            if (!mmio && !dma) {
                return 0;
            }
            if (mmio && dma) {
                return 2;
            }
            return dma ? 4 : 5;
        }

        /** The op's result, or the errno it fails with (as a negative number). */
        int op(Op o) {
            if (Integer.toUnsignedLong(o.argsz()) < 12 || o.flags() != 0) {
                return -Errno.EINVAL.number();
            }
            switch (o.op()) {
                case 0, 8:
                    return 0;
                case 1:
                    mmio = false;
                    dma = false;
                    return 0;
                case 2:
                    mmio = false;
                    return 0;
                case 3:
                    dma = false;
                    return 0;
                case 4:
                    return state();
                case 5:
                    blocked = false;
                    restores++;
                    mmio = false;
                    dma = false;
                    return 0;
                case 6, 7:
                    if (freezes) {
                        mmio = true;
                        dma = true;
                    }
                    blocked = true;
                    resets++;
                    return 0;
                case 9:
                    if (Integer.toUnsignedLong(o.argsz()) < 40 || o.type() != 0 && o.type() != 1 || o.func() < 0 || o.func() > 19) {
                        return -Errno.EINVAL.number();
                    }
                    if (!freezes || !List.of(4, 5, 10, 11).contains(o.func())) {
                        return -Errno.EIO.number();
                    }
                    mmio = true;
                    dma = true;
                    return 0;
                default:
                    return -Errno.EINVAL.number();
            }
        }

        void error() {
            if (freezes) {
                mmio = true;
                dma = true;
            }
        }

        void open() {
            mmio = false;
            dma = false;
            passed++;
        }

        void release() {
            if (passed > 0) {
                passed--;
                mmio = false;
                dma = false;
            }
        }
    }

    @Property(tries = 400)
    void everyStepMatchesTheModel(@ForAll boolean freezes, @ForAll("steps") List<Step> steps) throws Exception {
        EehWorld w = new EehWorld(EehWorld.phb(true, freezes));
        Model m = new Model(freezes);
        EehPe pe = w.eeh.pe(EehWorld.GROUP).orElseThrow();
        for (Step s : steps) {
            switch (s) {
                case Op o -> {
                    int expected = m.op(o);
                    int actual;
                    try {
                        actual = w.op(o.argsz(), o.flags(), o.op(), o.type(), o.func());
                    } catch (KernelError e) {
                        actual = -e.errno.number();
                    }
                    assertThat(actual).as("%s after %s", o, steps).isEqualTo(expected);
                }
                case Error e -> {
                    w.eeh.errorDetected(e.first() ? F0 : F1, "error");
                    m.error();
                }
                case Open o -> {
                    w.eeh.deviceOpened(o.first() ? F0 : F1);
                    m.open();
                }
                case Release r -> {
                    w.eeh.deviceReleased(r.first() ? F0 : F1);
                    m.release();
                }
            }
            for (PciAddress f : List.of(F0, F1)) {
                assertThat(w.eeh.mmioFrozen(f)).as("MMIO of %s frozen after %s", f, s).isEqualTo(m.mmio);
                assertThat(w.eeh.dmaFrozen(f)).as("DMA of %s blocked after %s", f, s).isEqualTo(m.dma);
            }
            assertThat(pe.configBlocked()).as("config blocked after %s", s).isEqualTo(m.blocked);
            assertThat(pe.vfioState()).isEqualTo(m.state());
            assertThat(pe.passedThrough()).isEqualTo(m.passed);
            assertThat(List.of(w.f0.resets, w.f1.resets)).containsOnly(m.resets);
            assertThat(List.of(w.f0.restores, w.f1.restores)).containsOnly(m.restores);
        }
    }

    @Property(tries = 200)
    void theRecoverySequenceAlwaysEndsNormal(@ForAll boolean freezes, @ForAll("steps") List<Step> before) throws Exception {
        EehWorld w = new EehWorld(EehWorld.phb(true, freezes));
        for (Step s : before) {
            switch (s) {
                case Op o -> {
                    try {
                        w.op(o.argsz(), o.flags(), o.op(), o.type(), o.func());
                    } catch (KernelError ignored) {
                        // a misuse changes nothing; the sequence below must recover whatever state is left
                    }
                }
                case Error e -> w.eeh.errorDetected(e.first() ? F0 : F1, "error");
                case Open o -> w.eeh.deviceOpened(o.first() ? F0 : F1);
                case Release r -> w.eeh.deviceReleased(r.first() ? F0 : F1);
            }
        }
        for (int op : new int[] {2, 6, 5, 8}) { // UNFREEZE_IO, RESET_HOT, RESET_DEACTIVATE, CONFIGURE
            assertThat(w.op(op)).isZero();
        }
        assertThat(w.op(4)).isEqualTo(0);
        assertThat(w.eeh.pe(EehWorld.GROUP).orElseThrow().configBlocked()).isFalse();
        assertThat(w.eeh.mmioFrozen(F0) || w.eeh.dmaFrozen(F1)).isFalse();
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Integer> argsz = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.of(12, 16, 40, 48)),
                Tuple.of(2, Arbitraries.of(0, 8, 11, 39, -1)));
        Arbitrary<Integer> flags = Arbitraries.frequencyOf(
                Tuple.of(9, Arbitraries.just(0)),
                Tuple.of(1, Arbitraries.of(1, 0x80000000)));
        Arbitrary<Integer> op = Arbitraries.frequencyOf(
                Tuple.of(12, Arbitraries.integers().between(0, 9)),
                Tuple.of(1, Arbitraries.of(10, 99, -1)));
        Arbitrary<Integer> type = Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.of(0, 1)),
                Tuple.of(1, Arbitraries.of(2, -1)));
        Arbitrary<Integer> func = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(4, 5, 10, 11)), // the config functions PHB4 injects
                Tuple.of(2, Arbitraries.integers().between(0, 19)),
                Tuple.of(2, Arbitraries.of(0, 19)), // the ends of EEH_ERR_FUNC_MIN..MAX
                Tuple.of(1, Arbitraries.of(-1, 20)));
        Arbitrary<Step> opStep = Combinators.combine(argsz, flags, op, type, func).as(Op::new);
        Arbitrary<Step> step = Arbitraries.frequencyOf(
                Tuple.of(10, opStep), // the ops are the subject
                Tuple.of(3, Arbitraries.of(true, false).map(Error::new)), // errors to recover from
                Tuple.of(2, Arbitraries.of(true, false).map(Open::new)),
                Tuple.of(2, Arbitraries.of(true, false).map(Release::new)));
        return step.list().ofMaxSize(30);
    }
}
