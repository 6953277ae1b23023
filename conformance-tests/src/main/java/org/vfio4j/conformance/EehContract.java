package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.vfio4j.EehError;
import org.vfio4j.EehPe;
import org.vfio4j.EehState;
import org.vfio4j.Errno;
import org.vfio4j.IommuType;
import org.vfio4j.Region;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;

/**
 * EEH through VFIO_EEH_PE_OP on an sPAPR container (E1-E3 of docs/conformance.md): the argument
 * checks of {@code vfio_spapr_ioctl_eeh_pe_op} on every POWER target, and, where the PHB freezes
 * PEs ({@link TargetFeature#EEH_FREEZES}), the recovery sequence after an error: a frozen PE reads
 * all ones and reports STOPPED until UNFREEZE_IO, a hot reset and CONFIGURE bring it back to
 * NORMAL ({@code arch/powerpc/kernel/eeh.c}: {@code eeh_pe_set_option}, {@code eeh_pe_get_state},
 * {@code eeh_pe_reset}, {@code eeh_pe_configure}, {@code eeh_pe_inject_err}).
 */
public interface EehContract extends Contract {

    /** E1: argsz below 12, any flag, or an op past INJECT_ERR: EINVAL; a well-formed GET_STATE answers a state. */
    @Property(tries = 30)
    @RequiresFeature(TargetFeature.SPAPR_IOMMU)
    default void peOp_badArgument_isEinval(@ForAll @IntRange(min = 0, max = 11) int shortArgsz, @ForAll @IntRange(min = 1, max = 31) int flagBit,
                                            @ForAll @IntRange(min = 10, max = 1000) int unknownOp) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.attach(IommuType.SPAPR_TCE_V2).container();
            assertThat(c.eeh().supported()).as("CHECK_EXTENSION(VFIO_EEH)").isTrue();
            assertThatVfioCall(() -> op(s, c, shortArgsz, 0, VFIO_EEH_PE_GET_STATE)).as("argsz %d", shortArgsz).failsWith(Errno.EINVAL);
            assertThatVfioCall(() -> op(s, c, 12, 1 << (flagBit - 1), VFIO_EEH_PE_GET_STATE)).as("flags").failsWith(Errno.EINVAL);
            assertThatVfioCall(() -> op(s, c, 12, 0, unknownOp)).as("op %d", unknownOp).failsWith(Errno.EINVAL);
            assertThat(op(s, c, 12, 0, VFIO_EEH_PE_GET_STATE)).as("GET_STATE").isIn(0, 1, 2, 4, 5);
        }
    }

    /**
     * E2: INJECT_ERR needs the whole 40-byte struct (EINVAL below), a 32- or 64-bit type and a
     * function from 0 to 19. Every call here should be refused, but a kernel that checked otherwise
     * would inject: it needs {@link TargetFeature#EEH_INJECTION}.
     */
    @Property(tries = 20)
    @RequiresFeature({TargetFeature.SPAPR_IOMMU, TargetFeature.EEH_INJECTION})
    default void injectErr_badArgument_isEinval(@ForAll @IntRange(min = 12, max = 39) int shortArgsz, @ForAll @IntRange(min = 2, max = 99) int type,
                                                 @ForAll @IntRange(min = 20, max = 999) int func) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.attach(IommuType.SPAPR_TCE_V2).container();
            assertThatVfioCall(() -> inject(s, c, shortArgsz, 0, 4)).as("argsz %d", shortArgsz).failsWith(Errno.EINVAL);
            assertThatVfioCall(() -> inject(s, c, 40, type, 4)).as("type %d", type).failsWith(Errno.EINVAL);
            assertThatVfioCall(() -> inject(s, c, 40, 0, func)).as("func %d", func).failsWith(Errno.EINVAL);
        }
    }

    /** How an error reaches the PE: an injected config error, or a device DMA the TCE table refuses. */
    record Trouble(boolean byDma, EehError.Type type, EehError.Function function) {
        @Override
        public String toString() {
            return byDma ? "edu DMA from an unmapped IOVA" : "INJECT_ERR " + type + " " + function;
        }
    }

    @Provide
    default Arbitrary<Trouble> troubles() {
        Arbitrary<Trouble> injected = Arbitraries.of(EehError.Type.class).flatMap(t -> Arbitraries.of(
                        EehError.Function.LD_CFG_ADDR, EehError.Function.LD_CFG_DATA, EehError.Function.ST_CFG_ADDR, EehError.Function.ST_CFG_DATA)
                .map(f -> new Trouble(false, t, f)));
        return Arbitraries.oneOf(injected, Arbitraries.just(new Trouble(true, null, null)));
    }

    /**
     * E3: the recovery sequence. ENABLE, GET_STATE NORMAL; an error freezes the PE: BAR reads are all
     * ones and GET_STATE is STOPPED; UNFREEZE_IO gives MMIO back (STOPPED_DMA); RESET_HOT,
     * RESET_DEACTIVATE and CONFIGURE bring the PE back to NORMAL, and the device answers again. It
     * injects, resets the PE and turns bus mastering on: it needs all three permissions.
     */
    @Property(tries = 8)
    @RequiresFeature({TargetFeature.EEH_FREEZES, TargetFeature.EEH_INJECTION, TargetFeature.RESETS, TargetFeature.DEVICE_DMA})
    default void recoverySequence_afterAnyError_endsNormal(@ForAll("troubles") Trouble trouble) throws Exception {
        try (Session s = new Session(target())) {
            Session.Attached a = s.attach(IommuType.SPAPR_TCE_V2);
            VfioContainer c = a.container();
            VfioDevice edu = a.group().openDevice(target().device());
            EehPe pe = c.eeh();
            pe.enable();
            assertThat(pe.state()).isEqualTo(EehState.NORMAL);
            edu.config().write16(0x04, edu.config().read16(0x04) | 0x6); // the PE's reset turns bus mastering off again
            try (Region bar0 = edu.region(0)) {
                assertThat(bar0.readInt(0)).as("edu's identification").isEqualTo(0x010000ed);
                if (trouble.byDma()) {
                    MemorySegment page = s.memory(1);
                    c.registerMemory(page);
                    c.mapDma(page, 0, true, true);
                    bar0.writeLong(0x80, 0x40_0000); // no TCE there
                    bar0.writeLong(0x88, 0x40000);
                    bar0.writeLong(0x90, 8);
                    bar0.writeLong(0x98, 1);
                    Thread.sleep(20); // the refused transfer completes on the device's own time
                } else {
                    pe.injectError(new EehError(trouble.type(), trouble.function(), 0, 0));
                }
                assertThat(pe.state()).as("after %s", trouble).isEqualTo(EehState.STOPPED);
                assertThat(bar0.readInt(0)).as("a frozen PE's MMIO reads all ones").isEqualTo(-1);
                pe.unfreezeIo();
                assertThat(pe.state()).isEqualTo(EehState.STOPPED_DMA);
                assertThat(bar0.readInt(0)).as("MMIO thawed").isEqualTo(0x010000ed);
                pe.resetHot();
                pe.resetDeactivate();
                pe.configure();
                assertThat(pe.state()).isEqualTo(EehState.NORMAL);
                assertThat(bar0.readInt(0)).as("the device answers after recovery").isEqualTo(0x010000ed);
            }
            edu.close();
        }
    }

    private static int op(Session s, VfioContainer c, int argsz, int flags, int op) throws Exception {
        MemorySegment arg = s.memory(1);
        arg.set(ValueLayout.JAVA_INT, 0, argsz);
        arg.set(ValueLayout.JAVA_INT, 4, flags);
        arg.set(ValueLayout.JAVA_INT, 8, op);
        return s.vfio.seam().ioctl(c.fd(), VFIO_EEH_PE_OP, arg);
    }

    private static int inject(Session s, VfioContainer c, int argsz, int type, int func) throws Exception {
        MemorySegment arg = s.memory(1);
        arg.set(ValueLayout.JAVA_INT, 0, argsz);
        arg.set(ValueLayout.JAVA_INT, 8, VFIO_EEH_PE_INJECT_ERR);
        arg.set(ValueLayout.JAVA_INT, 16, type);
        arg.set(ValueLayout.JAVA_INT, 20, func);
        return s.vfio.seam().ioctl(c.fd(), VFIO_EEH_PE_OP, arg);
    }
}
