package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.vfio4j.uapi.VfioUapi.*;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;

/**
 * A frozen PE as the driver sees it, over random sequences of EEH ops, injected EEH errors and BAR
 * writes on a booted POWER host, against a naive model (MMIO frozen, config blocked, the last
 * value that reached BAR2). After every step, through vfio-pci:
 * <ul>
 * <li>BAR2 reads all ones through pread and through a mapping iff MMIO is frozen, else the last
 * value that got through (writes and stores while frozen are dropped);</li>
 * <li>a config read that reaches the hardware fails with ENODEV iff a reset is asserted, and reads
 * the class code otherwise, frozen or not; the virtual vendor ID always reads;</li>
 * <li>GET_STATE agrees with the model.</li>
 * </ul>
 * Mutations caught: MMIO not frozen by the PE ({@code mmioDead} ignoring it), the config block not
 * checked, RESET_DEACTIVATE not unblocking config access.
 */
class EehFrozenDeviceProperties {
    private static final long ONES = 0xffff_ffffL;

    /** One step of the driver or the hardware. */
    sealed interface Step permits Op, Error, Write {}

    /** VFIO_EEH_PE_OP {@code op} (valid ones; INJECT_ERR a config load error). */
    record Op(int op) implements Step {}

    /** {@link Fault#eehError}. */
    record Error() implements Step {}

    /** A 4-byte write of {@code value} at BAR2+0, by pwrite or by a store through the mapping. */
    record Write(int value, boolean mapped) implements Step {}

    @Property(tries = 60)
    void readsAllOnesIffMmioFrozen_configEnodevIffBlocked(@ForAll boolean freezes, @ForAll("steps") List<Step> steps) throws Exception {
        try (PowerWorld w = new PowerWorld(freezes ? PowerPlatform.Eeh.FREEZES : PowerPlatform.Eeh.QEMU_NEVER_FREEZES)) {
            int classRev = w.configRead(0x08, 4);
            boolean mmio = false;
            boolean dma = false;
            boolean blocked = false;
            long memory = 0;
            for (Step s : steps) {
                switch (s) {
                    case Op o -> {
                        int r;
                        try {
                            r = w.peOp(o.op());
                        } catch (org.vfio4j.sim.core.KernelError e) {
                            r = -e.errno.number();
                        }
                        switch (o.op()) {
                            case VFIO_EEH_PE_ENABLE -> {
                                mmio = false;
                                dma = false;
                            }
                            case VFIO_EEH_PE_UNFREEZE_IO -> mmio = false;
                            case VFIO_EEH_PE_UNFREEZE_DMA -> dma = false;
                            case VFIO_EEH_PE_RESET_HOT, VFIO_EEH_PE_RESET_FUNDAMENTAL -> {
                                mmio = mmio || freezes;
                                dma = dma || freezes;
                                blocked = true;
                            }
                            case VFIO_EEH_PE_RESET_DEACTIVATE -> {
                                mmio = false;
                                dma = false;
                                blocked = false;
                            }
                            case VFIO_EEH_PE_INJECT_ERR -> {
                                mmio = mmio || freezes;
                                dma = dma || freezes;
                            }
                            default -> { }
                        }
                        assertThat(r).as("%s", o).isEqualTo(o.op() == VFIO_EEH_PE_INJECT_ERR && !freezes ? -Errno.EIO.number() : 0);
                    }
                    case Error e -> {
                        w.kernel.inject(Fault.eehError(PowerWorld.ADDRESS));
                        mmio = mmio || freezes;
                        dma = dma || freezes;
                    }
                    case Write wr -> {
                        if (wr.mapped()) {
                            w.kernel.store(w.bar2, 0, 4, wr.value());
                        } else {
                            w.write(PowerWorld.BAR2, 4, wr.value());
                        }
                        if (!mmio) {
                            memory = Integer.toUnsignedLong(wr.value());
                        }
                    }
                }
                long expected = mmio ? ONES : memory;
                assertThat(w.read(PowerWorld.BAR2, 4)).as("pread of BAR2 after %s in %s", s, steps).isEqualTo(expected);
                assertThat(w.kernel.load(w.bar2, 0, 4)).as("load of BAR2 after %s", s).isEqualTo(expected);
                if (blocked) {
                    VfioException x = catchThrowableOfType(VfioException.class, () -> w.configRead(0x08, 4));
                    assertThat(x).as("config read during the reset after %s", s).isNotNull();
                    assertThat(x.errno()).isEqualTo(Errno.ENODEV);
                } else {
                    assertThat(w.configRead(0x08, 4)).as("config read after %s", s).isEqualTo(classRev);
                }
                assertThat(w.configRead(0, 2)).isEqualTo(0x1234);
                int state = !mmio && !dma ? 0 : mmio && dma ? 2 : dma ? 4 : 5;
                assertThat(w.peOp(VFIO_EEH_PE_GET_STATE)).as("GET_STATE after %s", s).isEqualTo(state);
            }
        }
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> op = Arbitraries.of(VFIO_EEH_PE_ENABLE, VFIO_EEH_PE_UNFREEZE_IO, VFIO_EEH_PE_UNFREEZE_DMA, VFIO_EEH_PE_RESET_HOT,
                VFIO_EEH_PE_RESET_FUNDAMENTAL, VFIO_EEH_PE_RESET_DEACTIVATE, VFIO_EEH_PE_CONFIGURE, VFIO_EEH_PE_INJECT_ERR).map(Op::new);
        Arbitrary<Step> write = Arbitraries.integers().between(0, 0x7fff_ffff).flatMap(v -> Arbitraries.of(true, false).map(m -> new Write(v, m)));
        return Arbitraries.frequencyOf(
                Tuple.of(4, op),
                Tuple.of(2, Arbitraries.just(new Error())),
                Tuple.of(3, write)).list().ofMaxSize(20);
    }
}
