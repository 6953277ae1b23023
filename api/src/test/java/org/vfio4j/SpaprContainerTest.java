package org.vfio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.vfio4j.RecordingSeam.Bytes;
import org.vfio4j.uapi.VfioUapi;

/**
 * The sPAPR TCE calls of {@link VfioContainer}: each sends one ioctl whose bytes sit at the offsets
 * of {@code <linux/vfio.h>} (written here as numbers, not taken from {@code VfioStructs}), decodes
 * what the kernel writes back, and passes the kernel's errno on unchanged.
 */
class SpaprContainerTest {
    private final RecordingSeam seam = new RecordingSeam();
    private final VfioContainer container = seam.container();
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void closeArena() {
        arena.close();
    }

    @Test
    void iommuTypes_areTheSpaprExtensionNumbers() throws Exception {
        assertThat(IommuType.SPAPR_TCE.extension()).isEqualTo(2);
        assertThat(IommuType.SPAPR_TCE_V2.extension()).isEqualTo(7);
        assertThat(IommuType.class.getPermittedSubclasses()).contains(IommuType.SpaprTce.class, IommuType.SpaprTceV2.class);

        container.setIommu(IommuType.SPAPR_TCE_V2);
        assertThat(seam.onlyCall()).isEqualTo(new RecordingSeam.Call(VfioUapi.VFIO_SET_IOMMU, null, 7L));
    }

    @Test
    void spaprInfo_sendsArgsz32_andDecodesTheDdwBlockWhenFlagged() throws Exception {
        seam.reply = (request, arg, value) -> {
            arg.set(ValueLayout.JAVA_INT_UNALIGNED, 4, VfioUapi.VFIO_IOMMU_SPAPR_INFO_DDW);
            arg.set(ValueLayout.JAVA_INT_UNALIGNED, 8, 0);
            arg.set(ValueLayout.JAVA_INT_UNALIGNED, 12, 0x8000_0000); // 2 GiB: a u32 with the top bit set
            arg.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, 0x4021_1000L);
            arg.set(ValueLayout.JAVA_INT_UNALIGNED, 24, 2);
            arg.set(ValueLayout.JAVA_INT_UNALIGNED, 28, 5);
            return 0;
        };

        SpaprTceInfo info = container.spaprInfo();

        RecordingSeam.Call call = seam.onlyCall();
        assertThat(call.request()).isEqualTo(VfioUapi.VFIO_IOMMU_SPAPR_TCE_GET_INFO);
        assertThat(call.sent()).isEqualTo(Bytes.of(32).u32(0, 32).array());
        assertThat(info).isEqualTo(new SpaprTceInfo(1, 0, 0x8000_0000L, Optional.of(new SpaprTceInfo.DdwInfo(0x4021_1000L, 2, 5))));
    }

    @Test
    void spaprInfo_withoutTheDdwFlag_hasNoDdw_whateverTheBytesSay() throws Exception {
        seam.reply = (request, arg, value) -> {
            arg.set(ValueLayout.JAVA_INT_UNALIGNED, 8, 0x1000_0000);
            arg.set(ValueLayout.JAVA_INT_UNALIGNED, 12, 0x4000_0000);
            arg.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, 0x1000L);
            arg.set(ValueLayout.JAVA_INT_UNALIGNED, 24, 1);
            return 0;
        };

        assertThat(container.spaprInfo()).isEqualTo(new SpaprTceInfo(0, 0x1000_0000L, 0x4000_0000L, Optional.empty()));
    }

    @Test
    void enableAndDisable_areValueIoctlsWithNoArgument() throws Exception {
        container.enableIommu();
        container.disableIommu();
        assertThat(seam.calls).containsExactly(new RecordingSeam.Call(VfioUapi.VFIO_IOMMU_ENABLE, null, 0L),
                new RecordingSeam.Call(VfioUapi.VFIO_IOMMU_DISABLE, null, 0L));
    }

    @Test
    void registerMemory_sendsVaddrAndSize_andReturnsTheRegistration() throws Exception {
        MemorySegment memory = arena.allocate(0x20000, 0x10000);

        RegisteredMemory r = container.registerMemory(memory);

        RecordingSeam.Call call = seam.onlyCall();
        assertThat(call.request()).isEqualTo(VfioUapi.VFIO_IOMMU_SPAPR_REGISTER_MEMORY);
        assertThat(call.sent()).isEqualTo(Bytes.of(24).u32(0, 24).u64(8, memory.address()).u64(16, 0x20000).array());
        assertThat(r.vaddr()).isEqualTo(memory.address());
        assertThat(r.size()).isEqualTo(0x20000);
        assertThat(r.memory()).isSameAs(memory);
    }

    @Test
    void unregisterMemory_ofARegistrationAndOfASegment_sendTheSameRange() throws Exception {
        MemorySegment memory = arena.allocate(0x10000, 0x10000);
        byte[] expected = Bytes.of(24).u32(0, 24).u64(8, memory.address()).u64(16, 0x10000).array();

        container.unregisterMemory(new RegisteredMemory(memory.address(), 0x10000, memory));
        container.unregisterMemory(memory);

        assertThat(seam.calls).hasSize(2).allSatisfy(c -> {
            assertThat(c.request()).isEqualTo(VfioUapi.VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY);
            assertThat(c.sent()).isEqualTo(expected);
        });
    }

    @Test
    void createWindow_sendsTheRequest_andTakesTheStartTheKernelWroteBack() throws Exception {
        seam.reply = (request, arg, value) -> {
            arg.set(ValueLayout.JAVA_LONG_UNALIGNED, 32, 0x0800_0000_0000_0000L);
            return 0;
        };

        DmaWindow w = container.createWindow(16, 1L << 30, 1);

        RecordingSeam.Call call = seam.onlyCall();
        assertThat(call.request()).isEqualTo(VfioUapi.VFIO_IOMMU_SPAPR_TCE_CREATE);
        assertThat(call.sent()).isEqualTo(Bytes.of(40).u32(0, 40).u32(8, 16).u64(16, 1L << 30).u32(24, 1).array());
        assertThat(w).isEqualTo(new DmaWindow(0x0800_0000_0000_0000L, 1L << 30, 16, 1));
        assertThat(w.pageSize()).isEqualTo(0x10000);
    }

    @Test
    void removeWindow_byAddressAndByWindow_sendsTheStart() throws Exception {
        container.removeWindow(0x1234L);
        container.removeWindow(new DmaWindow(0x0800_0000_0000_0000L, 1L << 30, 16, 1));

        assertThat(seam.calls).extracting(RecordingSeam.Call::request)
                .containsOnly(VfioUapi.VFIO_IOMMU_SPAPR_TCE_REMOVE);
        assertThat(seam.calls.get(0).sent()).isEqualTo(Bytes.of(16).u32(0, 16).u64(8, 0x1234L).array());
        assertThat(seam.calls.get(1).sent()).isEqualTo(Bytes.of(16).u32(0, 16).u64(8, 0x0800_0000_0000_0000L).array());
    }

    @Test
    void unmapDma_whenTheKernelWritesNothingBack_returnsTheSizeAsked() throws Exception {
        // tce_iommu_ioctl's UNMAP_DMA clears the entries and copies nothing to the caller
        assertThat(container.unmapDma(0x100000, 0x3000)).isEqualTo(0x3000);
        assertThat(seam.onlyCall().sent()).isEqualTo(Bytes.of(24).u32(0, 24).u64(8, 0x100000).u64(16, 0x3000).array());
    }

    @Test
    void mapAndUnmap_whenTheKernelReturnsOne_failWithEinvalSayingNothingChanged() {
        // iommu_tce_put_param_check / iommu_tce_clear_param_check: a misaligned iova returns 1, not -EINVAL
        MemorySegment memory = arena.allocate(0x10000, 0x10000);
        seam.reply = (request, arg, value) -> 1;
        assertThatThrownBy(() -> container.mapDma(memory, 0x1800)).isInstanceOfSatisfying(VfioException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.EINVAL);
            assertThat(e.getMessage()).contains("returned 1").contains("changed nothing").contains("iommu_tce_put_param_check");
        });
        assertThatThrownBy(() -> container.unmapDma(0x1800, 0x1000)).isInstanceOfSatisfying(VfioException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThat(seam.calls).hasSize(2);
    }

    @FunctionalInterface
    interface ContainerCall {
        void run(VfioContainer container, MemorySegment memory) throws VfioException;
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("spaprInfo", (ContainerCall) (c, m) -> c.spaprInfo(), Errno.EINVAL),
                Arguments.of("enableIommu", (ContainerCall) (c, m) -> c.enableIommu(), Errno.EBUSY),
                Arguments.of("disableIommu", (ContainerCall) (c, m) -> c.disableIommu(), Errno.ENOTTY),
                Arguments.of("registerMemory", (ContainerCall) (c, m) -> c.registerMemory(m), Errno.EBUSY),
                Arguments.of("unregisterMemory", (ContainerCall) (c, m) -> c.unregisterMemory(m), Errno.ENOENT),
                Arguments.of("createWindow", (ContainerCall) (c, m) -> c.createWindow(12, 1L << 28, 1), Errno.ENOSPC),
                Arguments.of("removeWindow", (ContainerCall) (c, m) -> c.removeWindow(0), Errno.EINVAL));
    }

    @ParameterizedTest(name = "{0} refused with {2}")
    @MethodSource("refusals")
    void refusals_areTheKernelsErrno_afterOneCall(String name, ContainerCall call, Errno errno) {
        MemorySegment memory = arena.allocate(0x10000, 0x10000);
        seam.reply = (request, arg, value) -> {
            throw RecordingSeam.refusal(errno);
        };
        assertThatThrownBy(() -> call.run(container, memory)).isInstanceOfSatisfying(VfioException.class,
                e -> assertThat(e.errno()).isEqualTo(errno));
        assertThat(seam.calls).hasSize(1);
    }

    @Test
    void nullArguments_areIllegalArguments_withoutACall() {
        assertThatThrownBy(() -> container.registerMemory(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> container.unregisterMemory((MemorySegment) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> container.unregisterMemory((RegisteredMemory) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> container.removeWindow(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(seam.calls).isEmpty();
    }
}
