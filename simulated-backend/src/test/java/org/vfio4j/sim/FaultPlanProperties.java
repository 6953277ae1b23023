package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomGenerator;
import net.jqwik.api.Shrinkable;

import org.vfio4j.DmaMapping;
import org.vfio4j.Errno;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioException;

/**
 * Fault plans as a property's input: a driver step that maps two 2-page DMA buffers must leave no
 * mapping and no charged page behind when it fails. The careful step passes for every plan, and
 * which plans make it fail follows a naive model of the counting; the leaky step (it forgets the
 * first buffer when the second map fails) is caught, and the plan that catches it shrinks to one
 * fault.
 */
class FaultPlanProperties {

    @Provide
    Arbitrary<List<Fault>> plans() {
        Arbitrary<Fault> fault = Combinators.combine(Arbitraries.of(Call.MAP_DMA, Call.PIN_PAGE), Arbitraries.integers().between(1, 5),
                Arbitraries.of(Errno.ENOMEM, Errno.EFAULT, Errno.EIO)).as(Fault::failing);
        return fault.list().ofMaxSize(3);
    }

    /** Maps two 2-page buffers at IOVA 0 and 0x10000; with {@code careful}, a failed second map unmaps the first. */
    private static List<DmaMapping> setUp(VfioContainer c, Arena arena, boolean careful) throws VfioException {
        DmaMapping a = c.mapDma(arena.allocate(0x2000, 4096), 0);
        try {
            return List.of(a, c.mapDma(arena.allocate(0x2000, 4096), 0x1_0000));
        } catch (VfioException e) {
            if (careful) {
                c.unmapDma(a);
            }
            throw e;
        }
    }

    /** The naive model: the step fails iff a MAP_DMA fault hits one of its 2 calls or a PIN_PAGE fault one of its 4 pages. */
    private static boolean expectFailure(List<Fault> plan) {
        return plan.stream().map(f -> (Fault.Failure) f)
                .anyMatch(f -> f.call() == Call.MAP_DMA ? f.nth() <= 2 : f.nth() <= 4);
    }

    @Property(tries = 150)
    void aCarefulStep_leavesNothingMapped_whenAFaultFailsIt(@ForAll("plans") List<Fault> plan) throws Exception {
        SmallDevice model = new SmallDevice();
        SmallDevice.World w = SmallDevice.World.boot(SmallDevice.host(model).faults(plan).build(), model);
        try (Arena arena = Arena.ofShared()) {
            SimulatedKernel k = w.kernel();
            boolean failed = false;
            try {
                List<DmaMapping> maps = setUp(w.container(), arena, true);
                assertThat(k.resources().dmaMappings()).hasSize(2);
                assertThat(k.lockedPages()).isEqualTo(4);
                for (DmaMapping m : maps) {
                    w.container().unmapDma(m);
                }
            } catch (VfioException e) {
                failed = true;
                assertThat(e.explanation()).get().asString().startsWith("injected fault: ");
            }
            assertThat(failed).isEqualTo(expectFailure(plan));
            assertThat(k.firedFaults()).hasSize(failed ? 1 : 0);
            assertThat(plan).containsAll(k.firedFaults());
            assertThat(k.trace().stream().filter(e -> e.call().equals("injected fault")).count()).isEqualTo(k.firedFaults().size());
            KernelResources r = k.resources();
            assertThat(r.dmaMappings()).isEmpty();
            assertThat(r.lockedPages()).isZero();
        } finally {
            w.kernel().close();
        }
    }

    /** Whether the leaky step leaves a mapping behind under {@code plan}. */
    private static boolean leaks(List<Fault> plan) {
        SmallDevice model = new SmallDevice();
        try (Arena arena = Arena.ofShared()) {
            SmallDevice.World w = SmallDevice.World.boot(SmallDevice.host(model).faults(plan).build(), model);
            try {
                for (DmaMapping m : setUp(w.container(), arena, false)) {
                    w.container().unmapDma(m);
                }
            } catch (VfioException expected) {
                // the step failed; what matters is what it left behind
            }
            boolean leaked = !w.kernel().resources().dmaMappings().isEmpty();
            w.kernel().close();
            return leaked;
        } catch (VfioException e) {
            throw new AssertionError("setting up the device failed", e);
        }
    }

    @Example
    void aPlanThatCatchesTheLeakyStep_shrinksToOneFault() {
        RandomGenerator<List<Fault>> generator = plans().generator(100);
        Random random = new Random(7);
        Shrinkable<List<Fault>> smallest = Stream.generate(() -> generator.next(random)).limit(2000)
                .filter(s -> s.value().size() == 3 && leaks(s.value())).findFirst().orElseThrow();
        List<List<Fault>> steps = new ArrayList<>(List.of(smallest.value()));
        for (int i = 0; i < 100; i++) {
            var next = smallest.shrink().filter(s -> leaks(s.value())).findFirst();
            if (next.isEmpty()) {
                break;
            }
            smallest = next.get();
            steps.add(smallest.value());
        }
        assertThat(steps.size()).as("it shrank: %s", steps).isGreaterThan(1);
        assertThat(smallest.value()).as("shrunk through %s", steps).isIn(
                List.of(Fault.failing(Call.MAP_DMA, 2, Errno.ENOMEM)), List.of(Fault.failing(Call.PIN_PAGE, 3, Errno.ENOMEM)));
        assertThat(smallest.value().toString()).matches("\\[fail (MAP_DMA #2|PIN_PAGE #3) with ENOMEM]");
    }
}
