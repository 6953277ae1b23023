package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.vfio4j.Errno;
import org.vfio4j.EventNotifier;
import org.vfio4j.IrqInfo;
import org.vfio4j.PciConfig;
import org.vfio4j.VfioDevice;
import org.vfio4j.fixtures.assertj.VfioCallAssert;

/**
 * VFIO_DEVICE_SET_IRQS, I29-I34 of docs/conformance.md, on every device of the target, with
 * loop-back triggers (no device needs to interrupt): the validation order, mutual exclusion,
 * disabling, zero-count indexes, unsupported actions, and a stateful chain of enable/disable/
 * trigger/mask/unmask/DisINTx steps checked against a naive model of the active index, the
 * vectors' eventfds and what each eventfd's counter must hold ({@code
 * vfio_set_irqs_validate_and_prepare}; {@code drivers/vfio/pci/vfio_pci_intrs.c}: {@code
 * vfio_pci_set_irqs_ioctl} and the handlers it calls).
 */
public interface IrqContract extends Contract {

    /** Makes a raw VFIO_DEVICE_SET_IRQS and asserts on it, named by its fields. */
    private static VfioCallAssert<Integer> setIrqs(Session s, VfioDevice d, int argsz, int flags, int index, int start, int count, int... data) {
        MemorySegment a = s.memory(1).asSlice(0, Math.max(argsz, 20) + 4L * data.length);
        a.set(ValueLayout.JAVA_INT, 0, argsz);
        a.set(ValueLayout.JAVA_INT, 4, flags);
        a.set(ValueLayout.JAVA_INT, 8, index);
        a.set(ValueLayout.JAVA_INT, 12, start);
        a.set(ValueLayout.JAVA_INT, 16, count);
        boolean bools = (flags & VFIO_IRQ_SET_DATA_BOOL) != 0;
        for (int i = 0; i < data.length; i++) {
            if (bools) {
                a.set(ValueLayout.JAVA_BYTE, 20 + i, (byte) data[i]);
            } else {
                a.set(ValueLayout.JAVA_INT_UNALIGNED, 20 + 4L * i, data[i]);
            }
        }
        return assertThatVfioCall(() -> s.vfio.seam().ioctl(d.fd(), VFIO_DEVICE_SET_IRQS, a))
                .as("VFIO_DEVICE_SET_IRQS {argsz=%d, flags=0x%x, index=%d, start=%d, count=%d, data=%s}", argsz, flags, index, start, count,
                        Arrays.toString(data));
    }

    private static int size(int flags, int n) {
        return 20 + ((flags & VFIO_IRQ_SET_DATA_EVENTFD) != 0 ? 4 * n : (flags & VFIO_IRQ_SET_DATA_BOOL) != 0 ? n : 0);
    }

    /** GET_IRQ_INFO's count of each index, 0 where the index does not exist (ERR on conventional PCI). */
    private static int[] counts(VfioDevice d) throws Exception {
        int[] n = new int[5];
        for (int i = 0; i < 5; i++) {
            int index = i;
            Calls.Attempt<IrqInfo> info = Calls.attempt(() -> d.irqInfo(index));
            n[i] = info.succeeded() ? info.value().count() : 0;
        }
        return n;
    }

    /**
     * The validation order: argsz below 20, index 5+, flag bits outside DATA|ACTION are EINVAL;
     * then vectors beyond GET_IRQ_INFO's count (every call on a zero-count index, I31); then not
     * exactly one DATA bit (EINVAL); then data shorter than count entries; then an action the index
     * does not support or several actions: ENOTTY (I32: MASK/UNMASK on MSI and MSI-X, INTx MASK
     * from an eventfd).
     */
    @Property(tries = 2)
    default void setIrqs_refusesBadArgumentsInTheKernelsOrder(@ForAll @IntRange(min = 0, max = 19) int small) throws Exception {
        PciDeviceContract.onEach(this, (s, o, d) -> {
            int[] n = counts(d);
            int trig = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
            setIrqs(s, d, small, trig, 0, 0, 1).failsWith(Errno.EINVAL);
            setIrqs(s, d, 20, trig, 5, 0, 0).failsWith(Errno.EINVAL);
            setIrqs(s, d, 20, trig | 0x40, 0, 0, 1).failsWith(Errno.EINVAL);
            for (int i = 0; i < 5; i++) {
                int index = i;
                if (n[i] == 0) {
                    setIrqs(s, d, 20, trig, index, 0, 0).as("zero-count index %d", i).failsWith(Errno.EINVAL);
                    continue;
                }
                setIrqs(s, d, 20, trig, index, n[i], 1).as("start past the count").failsWith(Errno.EINVAL);
                setIrqs(s, d, 20, trig, index, 0, n[i] + 1).as("start + count past the count").failsWith(Errno.EINVAL);
                int twoData = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
                setIrqs(s, d, 24, twoData, index, 0, 1, 1).as("two data types").failsWith(Errno.EINVAL);
                int fds = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
                setIrqs(s, d, 23, fds, index, 0, 1).as("argsz short of one fd").failsWith(Errno.EINVAL);
                setIrqs(s, d, 20, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_ACTION_MASK, index, 0, 1)
                        .as("two actions").failsWith(Errno.ENOTTY);
                setIrqs(s, d, 20, VFIO_IRQ_SET_DATA_NONE, index, 0, 1).as("no action").failsWith(Errno.ENOTTY);
                if (i != VFIO_PCI_INTX_IRQ_INDEX) {
                    setIrqs(s, d, 20, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, index, 0, 1).failsWith(Errno.ENOTTY);
                    setIrqs(s, d, 20, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, index, 0, 1).failsWith(Errno.ENOTTY);
                } else {
                    int mask = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK;
                    setIrqs(s, d, 24, mask, 0, 0, 1, -1).as("MASK while INTx is off").failsWith(Errno.EINVAL);
                    setIrqs(s, d, 24, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, 1, -1).succeeds();
                    setIrqs(s, d, 24, mask, 0, 0, 1, -1).as("MASK from an eventfd").failsWith(Errno.ENOTTY);
                    setIrqs(s, d, 20, trig, 0, 0, 0).succeeds();
                }
            }
        });
    }

    /**
     * I29 and I30: with one of INTx/MSI/MSI-X enabled, enabling another is EINVAL; after disabling
     * it (DATA_NONE|TRIGGER, count 0) the other enables; disabling an index that is not enabled is
     * EINVAL; ERR/REQ: DATA_NONE without an eventfd is EINVAL.
     */
    @Property(tries = 2)
    default void intxMsiMsix_areExclusive_andDisablingAnOffOneIsEinval(@ForAll @IntRange(min = 0, max = 2) int first) throws Exception {
        PciDeviceContract.onEach(this, (s, o, d) -> {
            int[] n = counts(d);
            try (EventNotifier e = s.vfio.eventNotifier()) {
                int fd = e.fd().number();
                int on = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
                int off = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
                for (int k = 0; k < 3; k++) {
                    int a = (first + k) % 3;
                    if (n[a] == 0) {
                        continue;
                    }
                    setIrqs(s, d, 20, off, a, 0, 0).as("disable %d while nothing is enabled", a).failsWith(Errno.EINVAL);
                    setIrqs(s, d, 24, on, a, 0, 1, fd).as("enable %d", a).succeeds();
                    for (int b = 0; b < 3; b++) {
                        if (b != a && n[b] > 0) {
                            setIrqs(s, d, 24, on, b, 0, 1, fd).as("enable %d while %d is", b, a).failsWith(Errno.EINVAL);
                        }
                    }
                    setIrqs(s, d, 20, off, a, 0, 0).as("disable %d", a).succeeds();
                }
                for (int i : new int[] {VFIO_PCI_ERR_IRQ_INDEX, VFIO_PCI_REQ_IRQ_INDEX}) {
                    if (n[i] > 0) {
                        setIrqs(s, d, 20, off, i, 0, 0).as("release %d without an eventfd", i).failsWith(Errno.EINVAL);
                        setIrqs(s, d, 20, off, i, 0, 1).as("trigger %d without an eventfd", i).failsWith(Errno.EINVAL);
                        setIrqs(s, d, 24, on, i, 0, 1, fd).succeeds();
                        setIrqs(s, d, 20, off, i, 0, 0).succeeds();
                    }
                }
            }
        });
    }

    /**
     * I33: a loop-back signals exactly the vectors that have an eventfd (BOOL: where the byte is
     * set), INTx only while the virtual DisINTx bit is clear; a block that runs past the enabled
     * vectors is refused and changes nothing; a block that fails half-way (a closed fd) leaves every
     * vector from its start without an eventfd.
     */
    @Property(tries = 3)
    default void loopBack_signalsExactlyTheVectorsWithAnEventfd(@ForAll @IntRange(min = 1, max = 3) int signals) throws Exception {
        PciDeviceContract.onEach(this, (s, o, d) -> {
            int[] n = counts(d);
            try (EventNotifier a = s.vfio.eventNotifier(); EventNotifier b = s.vfio.eventNotifier()) {
                int none = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
                int on = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
                if (n[0] > 0) {
                    PciConfig cfg = d.config();
                    setIrqs(s, d, 24, on, 0, 0, 1, a.fd().number()).succeeds();
                    for (int i = 0; i < signals; i++) {
                        setIrqs(s, d, 20, none, 0, 0, 1).succeeds();
                    }
                    assertThat(a.poll()).hasValue(signals);
                    cfg.write16(0x04, cfg.read16(0x04) | 0x400);
                    setIrqs(s, d, 20, none, 0, 0, 1).succeeds();
                    assertThat(a.poll()).as("DisINTx set: no loop-back").isEmpty();
                    cfg.write16(0x04, cfg.read16(0x04) & ~0x400);
                    setIrqs(s, d, 20, none, 0, 0, 1).succeeds();
                    assertThat(a.poll()).hasValue(1);
                    setIrqs(s, d, 20, none, 0, 0, 0).succeeds();
                }
                if (n[VFIO_PCI_MSIX_IRQ_INDEX] >= 3) {
                    int x = VFIO_PCI_MSIX_IRQ_INDEX;
                    setIrqs(s, d, 28, on, x, 0, 2, a.fd().number(), -1).succeeds(); // vectors 0, 1; eventfd on 0
                    setIrqs(s, d, 20, none, x, 0, 2).succeeds();
                    assertThat(a.poll()).hasValue(1);
                    if (target().profile().hasDynamicMsix()) {
                        // 6.5+: a loop-back skips vectors without a context; an eventfd block allocates new ones
                        setIrqs(s, d, 20, none, x, 0, 3).as("a loop-back past the enabled vectors skips them").succeeds();
                        assertThat(a.poll()).hasValue(1);
                        setIrqs(s, d, 24, on, x, 2, 1, b.fd().number()).as("vector 2 is allocated on the way").succeeds();
                        setIrqs(s, d, 20, none, x, 0, 3).succeeds();
                        assertThat(a.poll()).hasValue(1);
                        assertThat(b.poll()).hasValue(1);
                        setIrqs(s, d, 20, none, x, 0, 0).succeeds();
                        return;
                    }
                    setIrqs(s, d, 20, none, x, 0, 3).as("a loop-back past the enabled vectors").failsWith(Errno.EINVAL);
                    assertThat(a.poll()).isEmpty();
                    setIrqs(s, d, 24, on, x, 1, 1, b.fd().number()).succeeds();
                    setIrqs(s, d, 22, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, x, 0, 2, 0, 1).succeeds();
                    assertThat(a.poll()).as("BOOL 0 for vector 0").isEmpty();
                    assertThat(b.poll()).hasValue(1);
                    setIrqs(s, d, 28, on, x, 1, 2, a.fd().number(), a.fd().number())
                            .as("vector 2 was never enabled").failsWith(Errno.EINVAL);
                    setIrqs(s, d, 20, none, x, 0, 2).succeeds();
                    assertThat(b.poll()).as("a refused range changes nothing").hasValue(1);
                    assertThat(a.poll()).hasValue(1);
                    setIrqs(s, d, 28, on, x, 0, 2, b.fd().number(), 100_000).as("a closed fd").failsWith(Errno.EBADF);
                    setIrqs(s, d, 20, none, x, 0, 2).succeeds();
                    assertThat(a.poll()).as("the failed block took vector 0's and 1's eventfds away").isEmpty();
                    assertThat(b.poll()).isEmpty();
                    setIrqs(s, d, 20, none, x, 0, 0).succeeds();
                }
            }
        });
    }

    // ---- the stateful chain ----

    /** One step: kind, index, start, and the eventfd of each vector (pool index, or -1 for none). */
    record Step(String kind, int index, int start, int[] fds) {
        @Override
        public String toString() {
            return kind + "(" + index + ", " + start + ", " + Arrays.toString(fds) + ")";
        }
    }

    /** Random sequences of SET_IRQS enables, disables, triggers, masks and INTx toggles. */
    @Provide
    default Arbitrary<List<Step>> irqSteps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.of("enable", "enable", "disable", "trigger", "triggerBool", "mask", "unmask", "disintx", "enintx"),
                Arbitraries.frequency(net.jqwik.api.Tuple.of(3, 0), net.jqwik.api.Tuple.of(3, 1), net.jqwik.api.Tuple.of(3, 2),
                        net.jqwik.api.Tuple.of(1, 3), net.jqwik.api.Tuple.of(1, 4)),
                Arbitraries.frequency(net.jqwik.api.Tuple.of(4, 0), net.jqwik.api.Tuple.of(1, 1), net.jqwik.api.Tuple.of(1, 2),
                        net.jqwik.api.Tuple.of(1, 3)),
                Arbitraries.integers().between(-1, 2).array(int[].class).ofMinSize(1).ofMaxSize(3))
                .as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(25);
    }

    /**
     * I33, I34 and the state machine: random steps on one device, each checked against the naive
     * model (expected errno), and after every step every eventfd holds what the model counted
     * (loop-back signals each vector that has an eventfd, INTx unless DisINTx is set; masking
     * does not stop a loop-back).
     */
    @Property(tries = 30)
    default void irqChains_agreeWithTheNaiveModel(@ForAll("irqSteps") List<Step> steps) throws Exception {
        PciDeviceContract.onEach(this, (s, o, d) -> {
            int[] n = counts(d);
            PciConfig cfg = d.config();
            List<EventNotifier> pool = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                pool.add(s.vfio.eventNotifier());
            }
            IrqModel m = new IrqModel(n, target().profile().hasDynamicMsix());
            int command = cfg.read16(0x04);
            try {
                for (Step st : steps) {
                    int idx = st.index();
                    int count = st.fds().length;
                    int[] fds = Arrays.stream(st.fds()).map(p -> p < 0 ? -1 : pool.get(p).fd().number()).toArray();
                    Errno expected;
                    VfioCallAssert<Integer> actual;
                    switch (st.kind()) {
                        case "enable" -> {
                            expected = m.enable(idx, st.start(), st.fds());
                            actual = setIrqs(s, d, size(VFIO_IRQ_SET_DATA_EVENTFD, count), VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
                                    idx, st.start(), count, fds);
                        }
                        case "disable" -> {
                            expected = m.disable(idx);
                            actual = setIrqs(s, d, 20, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, idx, 0, 0);
                        }
                        case "trigger" -> {
                            if (m.crashesLinux61(idx, st.start(), count, null)) {
                                continue; // a loop-back on INTx without an eventfd oopses Linux before 6.9: never sent
                            }
                            expected = m.trigger(idx, st.start(), count, null);
                            actual = setIrqs(s, d, 20, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, idx, st.start(), count);
                        }
                        case "triggerBool" -> {
                            int[] bools = Arrays.stream(st.fds()).map(p -> p >= 0 ? 1 : 0).toArray();
                            if (m.crashesLinux61(idx, st.start(), count, bools)) {
                                continue;
                            }
                            expected = m.trigger(idx, st.start(), count, bools);
                            actual = setIrqs(s, d, size(VFIO_IRQ_SET_DATA_BOOL, count), VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
                                    idx, st.start(), count, bools);
                        }
                        case "mask", "unmask" -> {
                            int action = st.kind().equals("mask") ? VFIO_IRQ_SET_ACTION_MASK : VFIO_IRQ_SET_ACTION_UNMASK;
                            expected = m.maskOrUnmask(idx, st.start(), count);
                            actual = setIrqs(s, d, 20, VFIO_IRQ_SET_DATA_NONE | action, idx, st.start(), count);
                        }
                        default -> {
                            boolean disable = st.kind().equals("disintx");
                            cfg.write16(0x04, cfg.read16(0x04) & ~0x400 | (disable ? 0x400 : 0));
                            m.virqDisabled = disable;
                            expected = null;
                            actual = null;
                        }
                    }
                    if (actual != null) {
                        Calls.failsWithOrSucceeds(actual.as("%s with the model in %s", st, m), expected);
                    }
                    for (int p = 0; p < pool.size(); p++) {
                        long got = pool.get(p).poll().orElse(0);
                        assertThat(got).as("eventfd %d after %s (%s)", p, st, m).isEqualTo(m.counters[p]);
                        m.counters[p] = 0;
                    }
                }
            } finally {
                cfg.write16(0x04, command); // DisINTx as it was
            }
            for (EventNotifier e : pool) {
                e.close();
            }
        });
    }

    /** The naive model: the active index, each vector's eventfd (pool index), ERR/REQ's, the counters. */
    final class IrqModel {
        static final int NONE = -1;
        final int[] max;
        int active = NONE;
        int[] vectors = new int[0];
        final int[] single = {-1, -1};
        final long[] counters = new long[3];
        boolean virqDisabled;
        /** 6.5+: no up-front range check for MSI/MSI-X blocks and loop-backs; MSI-X grows on demand, MSI does not. */
        final boolean dynamic;

        IrqModel(int[] max, boolean dynamic) {
            this.max = max;
            this.dynamic = dynamic;
        }

        private boolean outOfRange(int index, int start, int count) {
            return start >= max[index] || start + count > max[index];
        }

        Errno enable(int index, int start, int[] fds) {
            int count = fds.length;
            if (outOfRange(index, start, count)) {
                return Errno.EINVAL;
            }
            if (index >= 3) {
                if (start != 0 || count != 1) {
                    return Errno.EINVAL;
                }
                if (fds[0] >= 0 || fds[0] == -1) {
                    single[index - 3] = fds[0];
                }
                return null;
            }
            if (index == 0 && (start != 0 || count != 1)) {
                return Errno.EINVAL;
            }
            if (active != NONE && active != index) {
                return Errno.EINVAL;
            }
            if (active == NONE) {
                active = index;
                vectors = new int[start + count];
                Arrays.fill(vectors, -1);
            } else if (start + count > vectors.length && !dynamic) {
                return Errno.EINVAL; // vfio_msi_set_block refuses it before touching a vector
            }
            if (start + count > vectors.length) { // 6.5+: vector by vector; MSI-X allocates, MSI cannot
                int grown = index == 2 ? start + count : vectors.length;
                int[] wider = Arrays.copyOf(vectors, Math.max(vectors.length, grown));
                Arrays.fill(wider, vectors.length, wider.length, -1);
                for (int i = 0; i < count; i++) {
                    if (start + i >= wider.length) {
                        if (fds[i] < 0) {
                            continue; // nothing to release, nothing to allocate
                        }
                        for (int k = start; k < wider.length; k++) {
                            wider[k] = -1; // the failed block strips what it set
                        }
                        vectors = wider;
                        return Errno.EINVAL;
                    }
                    wider[start + i] = fds[i];
                }
                vectors = wider;
                return null;
            }
            for (int i = 0; i < count; i++) {
                vectors[start + i] = fds[i];
            }
            return null;
        }

        Errno disable(int index) {
            if (max[index] == 0) {
                return Errno.EINVAL;
            }
            if (index >= 3) {
                if (single[index - 3] < 0) {
                    return Errno.EINVAL;
                }
                single[index - 3] = -1;
                return null;
            }
            if (active != index) {
                return Errno.EINVAL;
            }
            active = NONE;
            vectors = new int[0];
            return null;
        }

        Errno trigger(int index, int start, int count, int[] bools) {
            if (outOfRange(index, start, count)) {
                return Errno.EINVAL;
            }
            if (index >= 3) {
                if (start != 0 || count != 1) {
                    return Errno.EINVAL;
                }
                int e = single[index - 3];
                if (bools == null && e < 0) {
                    return Errno.EINVAL;
                }
                if (e >= 0 && (bools == null || bools[0] != 0)) {
                    counters[e]++;
                }
                return null;
            }
            if (index == 0 && (start != 0 || count != 1)) {
                return Errno.EINVAL;
            }
            if (active != index || (start + count > vectors.length && !(dynamic && index != 0))) {
                return Errno.EINVAL;
            }
            for (int i = start; i < Math.min(start + count, vectors.length); i++) {
                boolean fire = bools == null || bools[i - start] != 0;
                if (fire && vectors[i] >= 0 && !(index == 0 && virqDisabled)) {
                    counters[vectors[i]]++;
                }
            }
            return null;
        }

        /** INTx enabled without an eventfd, and a loop-back that would signal it: a NULL dereference in Linux 6.1. */
        boolean crashesLinux61(int index, int start, int count, int[] bools) {
            return index == 0 && active == 0 && start == 0 && count == 1 && vectors.length == 1 && vectors[0] < 0 && !virqDisabled
                    && (bools == null || bools[0] != 0);
        }

        Errno maskOrUnmask(int index, int start, int count) {
            if (outOfRange(index, start, count)) {
                return Errno.EINVAL;
            }
            if (index != 0) {
                return Errno.ENOTTY;
            }
            return active == 0 && start == 0 && count == 1 ? null : Errno.EINVAL;
        }

        @Override
        public String toString() {
            return "active " + active + ", vectors " + Arrays.toString(vectors) + ", err/req " + Arrays.toString(single)
                    + (virqDisabled ? ", DisINTx" : "");
        }
    }
}
