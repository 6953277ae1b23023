package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_MAP_DMA;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_UNMAP_DMA;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.Region;
import org.vfio4j.VfioException;
import org.vfio4j.sim.device.RemoteMemory;

/**
 * Memory reached by messages ({@link SimulatedKernel#mapRemote}): MAP_DMA maps it like other memory,
 * without pinning; the IOMMU checks every access first, then the device's DMA calls it piece by piece,
 * and an access it cannot complete is an IOMMU fault with its sentence.
 */
class RemoteMemoryTest {
    private static final long IOVA = 0x10_0000;
    private final SmallDevice.World w;
    private final Arena arena = Arena.ofShared();

    RemoteMemoryTest() throws Exception {
        w = SmallDevice.World.boot();
    }

    @AfterEach
    void close() {
        w.kernel().close();
        arena.close();
    }

    /** Bytes held elsewhere, with a record of every access: "read 0x100+0x40". */
    static final class Held implements RemoteMemory {
        final byte[] bytes;
        final List<String> calls = new ArrayList<>();
        String refuse;

        Held(int size) {
            bytes = new byte[size];
        }

        @Override
        public void read(long offset, MemorySegment dst) throws Unreachable {
            calls.add(String.format("read 0x%x+0x%x", offset, dst.byteSize()));
            if (refuse != null) {
                throw new Unreachable(refuse);
            }
            MemorySegment.copy(MemorySegment.ofArray(bytes), offset, dst, 0, dst.byteSize());
        }

        @Override
        public void write(long offset, MemorySegment src) throws Unreachable {
            calls.add(String.format("write 0x%x+0x%x", offset, src.byteSize()));
            if (refuse != null) {
                throw new Unreachable(refuse);
            }
            MemorySegment.copy(src, 0, MemorySegment.ofArray(bytes), offset, src.byteSize());
        }

        @Override
        public String describe(boolean write) {
            return write ? "into the held bytes" : "out of the held bytes";
        }
    }

    private void mapDma(int flags, long vaddr, long iova, long size) throws VfioException {
        MemorySegment arg = arena.allocate(32, 8);
        arg.set(ValueLayout.JAVA_INT, 0, 32);
        arg.set(ValueLayout.JAVA_INT, 4, flags);
        arg.set(ValueLayout.JAVA_LONG, 8, vaddr);
        arg.set(ValueLayout.JAVA_LONG, 16, iova);
        arg.set(ValueLayout.JAVA_LONG, 24, size);
        w.kernel().ioctl(w.container().fd(), VFIO_IOMMU_MAP_DMA, arg);
    }

    /** The resource report's lines for remote memory (the others are the test's own mmap of BAR0). */
    private List<String> remoteLines() {
        return w.kernel().resources().memoryMappings().stream().filter(l -> l.startsWith("remote memory")).toList();
    }

    private void copy(long src, long dst, long len) throws Exception {
        Region bar0 = w.device().region(0);
        bar0.writeLong(0x0, src);
        bar0.writeLong(0x8, dst);
        bar0.writeLong(0x10, len);
        bar0.writeInt(0x18, 1);
    }

    @Test
    void aDeviceCopyWithinRemoteMemoryIsOneReadAndOneWriteAndPinsNothing() throws Exception {
        Held held = new Held(0x4000);
        for (int i = 0; i < 0x40; i++) {
            held.bytes[0x100 + i] = (byte) (i + 1);
        }
        long locked = w.kernel().lockedPages();
        long vaddr = w.kernel().mapRemote(held, 0x4000);
        mapDma(3, vaddr, IOVA, 0x4000);
        copy(IOVA + 0x100, IOVA + 0x2000, 0x40);

        assertThat(w.model().fault).isNull();
        assertThat(held.calls).containsExactly("read 0x100+0x40", "write 0x2000+0x40");
        assertThat(java.util.Arrays.copyOfRange(held.bytes, 0x2000, 0x2040)).isEqualTo(java.util.Arrays.copyOfRange(held.bytes, 0x100, 0x140));
        assertThat(vaddr).as("above any address of native memory").isGreaterThanOrEqualTo(1L << 60);
        assertThat(w.kernel().lockedPages()).isEqualTo(locked);
        assertThat(remoteLines()).containsExactly(String.format("remote memory [0x%x, +0x4000) reached by messages", vaddr));
        assertThat(w.kernel().traceText()).contains("read of 0x40 bytes at IOVA 0x100100 (out of the held bytes)",
                "write of 0x40 bytes at IOVA 0x102000 (into the held bytes)");
    }

    @Test
    void anAccessAcrossRemoteAndHostMemoryIsSplitAtTheMappingsEnd() throws Exception {
        Held held = new Held(0x1000);
        held.bytes[0xff0] = 0x11;
        MemorySegment host = arena.allocate(0x1000, 0x1000);
        host.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x22);
        mapDma(3, w.kernel().mapRemote(held, 0x1000), IOVA, 0x1000);
        mapDma(3, w.kernel().userAddress(host), IOVA + 0x1000, 0x1000);
        copy(IOVA + 0xff0, IOVA + 0x1800, 0x20);

        assertThat(w.model().fault).isNull();
        assertThat(held.calls).containsExactly("read 0xff0+0x10");
        assertThat(host.get(ValueLayout.JAVA_BYTE, 0x800)).isEqualTo((byte) 0x11);
        assertThat(host.get(ValueLayout.JAVA_BYTE, 0x810)).isEqualTo((byte) 0x22);
    }

    @Test
    void anAccessTheHolderRefusesIsAnIommuFaultWithItsSentence() throws Exception {
        Held held = new Held(0x1000);
        held.refuse = "the holder said no (errno 19)";
        mapDma(3, w.kernel().mapRemote(held, 0x1000), IOVA, 0x1000);
        copy(IOVA, IOVA + 0x800, 0x10);

        assertThat(w.model().fault).hasMessageContaining("DMA read of 16 bytes at IOVA 0x100000").hasMessageContaining("the holder said no (errno 19)");
        assertThat(w.kernel().iommuFaults()).singleElement().satisfies(f -> {
            assertThat(f.iova()).isEqualTo(IOVA);
            assertThat(f.write()).isFalse();
            assertThat(f.reason()).isEqualTo("the holder said no (errno 19)");
        });
    }

    @Test
    void theIommuRulesComeBeforeTheHolderIsAsked() throws Exception {
        Held held = new Held(0x1000);
        long vaddr = w.kernel().mapRemote(held, 0x1000);
        mapDma(1, vaddr, IOVA, 0x1000); // READ only
        copy(IOVA, IOVA + 0x800, 0x10);
        assertThat(w.model().fault).hasMessageContaining("not writable by the device");
        assertThat(held.calls).containsExactly("read 0x0+0x10");

        w.device().config().write16(0x04, w.device().config().read16(0x04) & ~0x4); // bus mastering off
        copy(IOVA, IOVA + 0x800, 0x10);
        assertThat(w.model().fault).hasMessageContaining("bus mastering is off");
        assertThat(held.calls).hasSize(1);
    }

    @Test
    void aRangeTooShortIsEfaultAndAnUnmappedRangeIsGoneForTheDevice() throws Exception {
        Held held = new Held(0x2000);
        long vaddr = w.kernel().mapRemote(held, 0x1000);
        assertThat(Errnos.of(() -> mapDma(3, vaddr, IOVA, 0x2000))).as("the range holds 0x1000 bytes").isEqualTo(Errno.EFAULT);

        mapDma(3, vaddr, IOVA, 0x1000);
        assertThat(w.kernel().unmapRemote(vaddr)).isTrue();
        assertThat(w.kernel().unmapRemote(vaddr)).isFalse();
        copy(IOVA, IOVA + 0x800, 0x10);
        assertThat(w.model().fault).hasMessageContaining("the pinned memory behind the mapping is gone");
        assertThat(held.calls).isEmpty();
        assertThat(remoteLines()).isEmpty();

        MemorySegment unmap = arena.allocate(24, 8);
        unmap.set(ValueLayout.JAVA_INT, 0, 24);
        unmap.set(ValueLayout.JAVA_LONG, 8, IOVA);
        unmap.set(ValueLayout.JAVA_LONG, 16, 0x1000);
        w.kernel().ioctl(w.container().fd(), VFIO_IOMMU_UNMAP_DMA, unmap);
        assertThat(w.kernel().resources().dmaMappings()).isEmpty();
    }
}
