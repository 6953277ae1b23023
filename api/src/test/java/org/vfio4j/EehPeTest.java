package org.vfio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.vfio4j.RecordingSeam.Bytes;
import org.vfio4j.uapi.VfioUapi;

/**
 * {@link EehPe}: every operation is one VFIO_EEH_PE_OP on the container with the whole 40-byte
 * {@code struct vfio_eeh_pe_op} (argsz 40, flags 0, op at 8, err at 16), GET_STATE's result is
 * decoded, and the kernel's errno passes unchanged. Numbers are those of {@code <linux/vfio.h>}
 * and {@code <asm/eeh.h>}, written here as literals.
 */
class EehPeTest {
    private final RecordingSeam seam = new RecordingSeam();
    private final EehPe pe = seam.container().eeh();

    @FunctionalInterface
    interface Operation {
        void run(EehPe pe) throws VfioException;
    }

    static Stream<Arguments> operations() {
        return Stream.of(
                Arguments.of("disable", (Operation) EehPe::disable, 0),
                Arguments.of("enable", (Operation) EehPe::enable, 1),
                Arguments.of("unfreezeIo", (Operation) EehPe::unfreezeIo, 2),
                Arguments.of("unfreezeDma", (Operation) EehPe::unfreezeDma, 3),
                Arguments.of("state", (Operation) EehPe::state, 4),
                Arguments.of("resetDeactivate", (Operation) EehPe::resetDeactivate, 5),
                Arguments.of("resetHot", (Operation) EehPe::resetHot, 6),
                Arguments.of("resetFundamental", (Operation) EehPe::resetFundamental, 7),
                Arguments.of("configure", (Operation) EehPe::configure, 8));
    }

    @ParameterizedTest(name = "{0} sends op {2}")
    @MethodSource("operations")
    void eachOperation_sendsTheWholeStructWithItsOp(String name, Operation operation, int op) throws Exception {
        operation.run(pe);

        RecordingSeam.Call call = seam.onlyCall();
        assertThat(call.request()).isEqualTo(VfioUapi.VFIO_EEH_PE_OP);
        assertThat(call.sent()).isEqualTo(Bytes.of(40).u32(0, 40).u32(8, op).array());
    }

    @Test
    void noCallIsMade_untilAnOperationIsAsked() {
        seam.container().eeh();
        assertThat(seam.calls).isEmpty();
    }

    @Test
    void injectError_putsTheErrorInTheErrMember() throws Exception {
        pe.injectError(new EehError(EehError.Type.BITS_64, EehError.Function.DMA_WR_DATA, 0x1234_5678_9abc_def0L, 0xffff_ffff_ffff_f000L));

        RecordingSeam.Call call = seam.onlyCall();
        assertThat(call.request()).isEqualTo(VfioUapi.VFIO_EEH_PE_OP);
        assertThat(call.sent()).isEqualTo(Bytes.of(40).u32(0, 40).u32(8, 9)
                .u32(16, 1).u32(20, 17).u64(24, 0x1234_5678_9abc_def0L).u64(32, 0xffff_ffff_ffff_f000L).array());
    }

    @ParameterizedTest(name = "GET_STATE {0} is {1}")
    @CsvSource({"0, NORMAL", "1, RESET", "2, STOPPED", "4, STOPPED_DMA", "5, UNAVAILABLE", "3, UNKNOWN", "6, UNKNOWN", "99, UNKNOWN"})
    void state_decodesTheIoctlResult(int result, EehState expected) throws Exception {
        seam.reply = (request, arg, value) -> result;

        assertThat(pe.state()).isEqualTo(expected);
        assertThat(pe.op(EehOp.GET_STATE)).as("the raw result").isEqualTo(result);
    }

    @Test
    void op_sendsTheRawNumber_andReturnsTheResult() throws Exception {
        seam.reply = (request, arg, value) -> 0;
        assertThat(pe.op(EehOp.INJECT_ERR)).isZero();
        assertThat(seam.onlyCall().sent()).isEqualTo(Bytes.of(40).u32(0, 40).u32(8, 9).array());
    }

    @ParameterizedTest
    @CsvSource({"ENODEV", "ENOENT", "EINVAL", "EIO", "ENOTTY"})
    void refusals_areTheKernelsErrno(Errno errno) {
        seam.reply = (request, arg, value) -> {
            throw RecordingSeam.refusal(errno);
        };
        assertThatThrownBy(pe::state).isInstanceOfSatisfying(VfioException.class, e -> assertThat(e.errno()).isEqualTo(errno));
        assertThatThrownBy(() -> pe.injectError(new EehError(EehError.Type.BITS_32, EehError.Function.LD_MEM_ADDR, 0, 0)))
                .isInstanceOfSatisfying(VfioException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @Test
    void supported_isCheckExtensionOfVfioEeh() throws Exception {
        seam.reply = (request, arg, value) -> request == VfioUapi.VFIO_CHECK_EXTENSION && value == 5 ? 1 : 0;
        assertThat(pe.supported()).isTrue();
        seam.reply = (request, arg, value) -> 0;
        assertThat(pe.supported()).isFalse();
        assertThat(seam.calls).containsExactly(new RecordingSeam.Call(VfioUapi.VFIO_CHECK_EXTENSION, null, 5L),
                new RecordingSeam.Call(VfioUapi.VFIO_CHECK_EXTENSION, null, 5L));
    }

    @Test
    void numbers_areThoseOfTheHeaders() {
        // <linux/vfio.h>: VFIO_EEH_PE_DISABLE 0 ... VFIO_EEH_PE_INJECT_ERR 9, in declaration order
        assertThat(Arrays.stream(EehOp.values()).mapToInt(EehOp::number)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(Arrays.stream(EehState.values()).mapToInt(EehState::number)).containsExactly(0, 1, 2, 4, 5, -1);
        // <asm/eeh.h>: EEH_ERR_TYPE_32 0, EEH_ERR_TYPE_64 1; EEH_ERR_FUNC_LD_MEM_ADDR 0 ... EEH_ERR_FUNC_DMA_WR_TARGET 19
        assertThat(EehError.Type.BITS_32.number()).isZero();
        assertThat(EehError.Type.BITS_64.number()).isEqualTo(1);
        assertThat(Arrays.stream(EehError.Function.values()).map(f -> f.name() + "=" + f.number())).containsExactly(
                "LD_MEM_ADDR=0", "LD_MEM_DATA=1", "LD_IO_ADDR=2", "LD_IO_DATA=3", "LD_CFG_ADDR=4", "LD_CFG_DATA=5",
                "ST_MEM_ADDR=6", "ST_MEM_DATA=7", "ST_IO_ADDR=8", "ST_IO_DATA=9", "ST_CFG_ADDR=10", "ST_CFG_DATA=11",
                "DMA_RD_ADDR=12", "DMA_RD_DATA=13", "DMA_RD_MASTER=14", "DMA_RD_TARGET=15",
                "DMA_WR_ADDR=16", "DMA_WR_DATA=17", "DMA_WR_MASTER=18", "DMA_WR_TARGET=19");
    }

    @Test
    void nullArguments_areIllegalArguments_withoutACall() {
        assertThatThrownBy(() -> pe.injectError(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pe.op(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EehError(null, EehError.Function.LD_MEM_ADDR, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EehError(EehError.Type.BITS_32, null, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(seam.calls).isEmpty();
    }
}
