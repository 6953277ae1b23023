package org.vfio4j.conformance.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.vfio4j.spi.LinuxAbi.MAP_SHARED;
import static org.vfio4j.spi.LinuxAbi.O_RDWR;
import static org.vfio4j.spi.LinuxAbi.POLLIN;
import static org.vfio4j.spi.LinuxAbi.PROT_READ;
import static org.vfio4j.spi.LinuxAbi.PROT_WRITE;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vfio4j.Errno;
import org.vfio4j.IommuType;
import org.vfio4j.Vfio;
import org.vfio4j.VfioException;
import org.vfio4j.kernel.KernelBackend;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.PollFd;
import org.vfio4j.spi.VfioKernel;

/**
 * The small edges where the two backends must agree, run on both: the kernel backend on a
 * temporary file (no VFIO needed), the simulator on edu's BAR0. Each case names what Linux does.
 */
class BackendEdgesTest {

    /** A backend and a descriptor that can be mapped at offset {@code base}. */
    record Mappable(String name, VfioKernel kernel, Fd fd, long base) {
        @Override
        public String toString() {
            return name;
        }
    }

    @TempDir
    static Path dir;

    static Stream<String> backends() {
        return Stream.of("kernel", "simulated");
    }

    static Mappable open(String backend) throws Exception {
        if (backend.equals("kernel")) {
            VfioKernel k = KernelBackend.open();
            Path file = Files.createTempFile(dir, "bar", "");
            Files.write(file, new byte[8192]);
            return new Mappable(backend, k, k.open(file.toString(), O_RDWR), 0);
        }
        Vfio vfio = Vfio.open(FirstHourTest.eduHost());
        var container = vfio.openContainer();
        var group = vfio.openGroup(3);
        group.setContainer(container);
        container.setIommu(IommuType.TYPE1V2);
        var edu = group.openDevice(FirstHourTest.EDU);
        edu.config().enableMemoryAndBusMaster();
        return new Mappable(backend, vfio.seam(), edu.fd(), 0);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void mmap_lengthAndOffsetChecks_comeInDoMmapsOrder(String backend) throws Exception {
        Mappable m = open(backend);
        try (VfioKernel k = m.kernel()) {
            assertThatVfioCall(() -> k.mmap(m.fd(), m.base(), 0, PROT_READ, MAP_SHARED)).as("length 0").failsWith(Errno.EINVAL);
            assertThatVfioCall(() -> k.mmap(m.fd(), m.base() + 1, 4096, PROT_READ, MAP_SHARED)).as("unaligned offset")
                    .failsWith(Errno.EINVAL);
            assertThatVfioCall(() -> k.mmap(m.fd(), m.base(), -1, PROT_READ, MAP_SHARED)).as("a length page alignment wraps")
                    .failsWith(Errno.ENOMEM);
            assertThatVfioCall(() -> k.mmap(m.fd(), m.base(), 1L << 60, PROT_READ, MAP_SHARED)).as("past the address space")
                    .failsWith(Errno.ENOMEM);
            assertThatVfioCall(() -> k.mmap(m.fd(), -4096, 4096, PROT_READ, MAP_SHARED)).as("past the largest file offset")
                    .failsWith(Errno.EOVERFLOW);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void mappedAccesses_andMunmap_refuseWhatIsNotALiveMapping(String backend) throws Exception {
        Mappable m = open(backend);
        try (VfioKernel k = m.kernel()) {
            MemorySegment map = k.mmap(m.fd(), m.base(), 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
            k.store(map, 0x80, 8, 0x1122334455667788L);
            assertThat(k.load(map, 0x80, 8)).as("a whole 8-byte access").isEqualTo(0x1122334455667788L);
            assertThatThrownBy(() -> k.load(map, 0, 3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1, 2, 4 or 8");
            assertThatThrownBy(() -> k.load(map, 4096, 4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaves");
            assertThatThrownBy(() -> k.load(map, 2, 4)).as("unaligned").isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not aligned to its size");
            assertThatThrownBy(() -> k.store(map, 0x84, 8, 0)).as("unaligned").isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not aligned to its size");
            assertThatThrownBy(() -> k.load(map.asSlice(0, 8), 0, 4)).isInstanceOf(IllegalArgumentException.class);
            k.munmap(map);
            assertThatThrownBy(() -> k.load(map, 0, 4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a live mapping");
            assertThatThrownBy(() -> k.munmap(map)).as("a second munmap").isInstanceOf(IllegalArgumentException.class);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void afterTheBackendCloses_mappingsDieAndNothingNewOpens(String backend) throws Exception {
        Mappable m = open(backend);
        VfioKernel k = m.kernel();
        MemorySegment map = k.mmap(m.fd(), m.base(), 4096, PROT_READ, MAP_SHARED);
        Fd efd = k.eventfd(0, 0);
        k.close();
        assertThatThrownBy(() -> map.get(ValueLayout.JAVA_BYTE, 0)).as("the mapping is gone").isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> k.eventfd(0, 0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> k.open("/dev/vfio/vfio", O_RDWR)).isInstanceOf(IllegalStateException.class);
        assertThatVfioCall(() -> k.poll(List.of(new PollFd(efd, POLLIN)), 0)).as("poll of a closed handle").failsWith(Errno.EBADF);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void buffersTheKernelCannotWrite_areEfault_andNullIsRefusedInJava(String backend) throws Exception {
        Mappable m = open(backend);
        try (VfioKernel k = m.kernel(); Arena arena = Arena.ofConfined()) {
            MemorySegment readOnly = arena.allocate(8).asReadOnly();
            assertThatVfioCall(() -> k.pread(m.fd(), readOnly, m.base())).failsWith(Errno.EFAULT);
            assertThatVfioCall(() -> k.pread(m.fd(), MemorySegment.ofArray(new byte[8]).asReadOnly(), m.base())).failsWith(Errno.EFAULT);
            Fd efd = k.eventfd(1, 0);
            assertThatVfioCall(() -> k.read(efd, readOnly)).failsWith(Errno.EFAULT);
            assertThatThrownBy(() -> k.pread(m.fd(), null, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> k.userAddress(null)).isInstanceOf(IllegalArgumentException.class);
            Arena gone = Arena.ofConfined();
            MemorySegment freed = gone.allocate(8);
            gone.close();
            assertThatVfioCall(() -> k.pread(m.fd(), freed, m.base())).as("memory of a closed arena").failsWith(Errno.EFAULT);
            assertThatVfioCall(() -> k.pwrite(m.fd(), freed, m.base())).failsWith(Errno.EFAULT);
            MemorySegment[] confined = new MemorySegment[1];
            Thread owner = Thread.ofPlatform().start(() -> confined[0] = Arena.ofConfined().allocate(8));
            owner.join();
            assertThatVfioCall(() -> k.read(efd, confined[0])).as("another thread's confined memory").failsWith(Errno.EFAULT);
            Fd closed = k.eventfd(0, 0);
            k.close(closed);
            assertThatVfioCall(() -> k.poll(List.of(new PollFd(closed, POLLIN)), 0)).as("never poll a number that may be reused")
                    .failsWith(Errno.EBADF);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void ioctlWithANullArgument_isTheNullPointer(String backend) throws Exception {
        Mappable m = open(backend);
        try (VfioKernel k = m.kernel()) {
            assertThatThrownBy(() -> k.ioctl(m.fd(), org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_GET_INFO, (MemorySegment) null))
                    .as("the kernel answers, nothing escapes").isInstanceOf(VfioException.class);
        }
    }

    @org.junit.jupiter.api.Test
    void vfioKernel_withoutTheContainerNode_saysWhatIsMissing() {
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of("/dev/vfio/vfio")), "this machine has VFIO");
        VfioException e = org.assertj.core.api.Assertions.catchThrowableOfType(VfioException.class, Vfio::kernel);
        assertThat(e).as("Vfio.kernel() fails before any descriptor is opened").isNotNull();
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e.getMessage()).contains("/dev/vfio/vfio").contains("modprobe vfio-pci");
    }
}
