package org.vfio4j.conformance;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;
import org.vfio4j.IommuType;
import org.vfio4j.VfioException;

/**
 * The lockstep suite: random chains of container, group, IOMMU, DMA and device actions (valid and
 * deliberately invalid), each checked against {@link VfioWorld}'s naive model, with the group status
 * and slot count checked after every step.
 */
public interface ActionChainContract extends Contract {

    /** Chain length: long on the simulator, short on a real kernel. */
    default int chainLength() {
        return 60;
    }

    /** Random chains of container, group and DMA actions keep the target in step with the naive model ({@link VfioWorld}). */
    @Property(tries = 60)
    default void actionChains_agreeWithTheNaiveModel(@ForAll("chains") ActionChain<VfioWorld> chain) {
        try {
            chain.withInvariant("GET_STATUS matches the model", VfioWorld::statusMatchesModelUnchecked)
                    .withInvariant("DMA slots match the model", VfioWorld::slotsMatchModelUnchecked)
                    .run();
        } finally {
            VfioWorld.closeCurrent();
        }
    }

    /** The action chains, {@link #chainLength()} long. */
    @Provide
    default Arbitrary<ActionChain<VfioWorld>> chains() {
        return ActionChain.<VfioWorld>startWith(() -> new VfioWorld(target()))
                // lifecycle steps are frequent enough to reach attached/IOMMU states quickly
                .withAction(3, step("open container", w -> w.container == null, VfioWorld::openContainer))
                .withAction(1, step("close container", w -> w.container != null, VfioWorld::closeContainer))
                .withAction(3, step("open group", w -> w.group == null, VfioWorld::openGroup))
                .withAction(1, step("close group", w -> w.group != null, VfioWorld::closeGroup))
                .withAction(3, step("set container", w -> w.group != null && w.container != null, VfioWorld::setContainer))
                .withAction(1, step("unset container", w -> w.group != null, VfioWorld::unsetContainer))
                .withAction(3, step("set type1v2", w -> w.container != null, w -> w.setIommu(IommuType.TYPE1V2)))
                .withAction(1, step("set type1", w -> w.container != null, w -> w.setIommu(IommuType.TYPE1)))
                // DMA steps dominate once an IOMMU is set: that is where the interval logic lives
                .withAction(6, new RangeAction("map", (w, start, pages) -> w.map(start, pages)))
                .withAction(4, new RangeAction("unmap", (w, start, pages) -> w.unmap(start, pages)))
                .withAction(2, step("open device", w -> w.group != null, VfioWorld::openDevice))
                .withAction(2, step("close device", w -> !w.devices.isEmpty(), VfioWorld::closeDevice))
                .withMaxTransformations(chainLength());
    }

    /** A step that needs no arguments. */
    @FunctionalInterface
    interface Step {
        /** Performs the step on {@code w}, asserting its outcome. */
        void apply(VfioWorld w) throws VfioException;
    }

    private static Action<VfioWorld> step(String name, java.util.function.Predicate<VfioWorld> precondition, Step step) {
        return new Action.Independent<>() {
            @Override
            public boolean precondition(VfioWorld w) {
                return precondition.test(w);
            }

            @Override
            public Arbitrary<Transformer<VfioWorld>> transformer() {
                return Arbitraries.just(Transformer.mutate(name, w -> {
                    try {
                        step.apply(w);
                    } catch (VfioException e) {
                        throw new AssertionError(name + " failed unexpectedly", e);
                    }
                }));
            }
        };
    }

    /** A DMA step on a page range near the model's mappings, so overlaps and splits are common. */
    /** A step over {@code pages} pages from {@code startPage}. */
    @FunctionalInterface
    interface RangeStep {
        /** Performs the step on {@code w}, asserting its outcome. */
        void apply(VfioWorld w, long startPage, long pages);
    }

    /** An action whose page range is drawn from the model's current mappings. */
    final class RangeAction implements Action.Independent<VfioWorld> {
        private final String name;
        private final RangeStep step;

        RangeAction(String name, RangeStep step) {
            this.name = name;
            this.step = step;
        }

        @Override
        public boolean precondition(VfioWorld w) {
            return w.container != null;
        }

        @Override
        public Arbitrary<Transformer<VfioWorld>> transformer() {
            return net.jqwik.api.Combinators.combine(Arbitraries.longs().between(0, 24), Arbitraries.longs().between(1, 8))
                    .as((start, pages) -> Transformer.mutate(name + " pages [" + start + ", +" + pages + ")",
                            w -> step.apply(w, start, pages)));
        }
    }
}
