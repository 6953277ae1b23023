package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.sim.CanonicalSequenceTest.catchVfio;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.IommuType;
import org.vfio4j.KernelProfile;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioGroup;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;

/** Byte-level replies of the simulated kernel: what is written back, where, and when not. */
class SimulatedKernelTest {

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    private record Setup(SimulatedKernel kernel, VfioContainer container, VfioGroup group) {}

    private Setup attached(SimulatedHost host, IommuType type) throws Exception {
        SimulatedKernel k = host.boot();
        Vfio vfio = Vfio.over(k);
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(7);
        g.setContainer(c);
        c.setIommu(type);
        return new Setup(k, c, g);
    }

    private MemorySegment info(int argsz) {
        MemorySegment m = arena.allocate(256, 8);
        m.fill((byte) 0x5a);
        m.set(ValueLayout.JAVA_INT, 0, argsz);
        return m;
    }

    @Test
    void getInfo_61_chainIsMigrationDmaAvailIovaRange_eachEightByteAligned() throws Exception {
        Setup s = attached(SimulatedHost.x86Type1(), IommuType.TYPE1V2);
        MemorySegment m = info(256);
        s.kernel().ioctl(s.container().fd(), VFIO_IOMMU_GET_INFO, m);
        assertThat(m.get(ValueLayout.JAVA_INT, 0)).as("argsz kept").isEqualTo(256);
        assertThat(m.get(ValueLayout.JAVA_INT, 4)).isEqualTo(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
        assertThat(m.get(ValueLayout.JAVA_LONG, 8)).isEqualTo(0x4020_1000L);
        assertThat(m.get(ValueLayout.JAVA_INT, 16)).isEqualTo(24);
        assertThat(m.get(ValueLayout.JAVA_INT, 20)).as("padding after cap_offset is not written").isEqualTo(0x5a5a5a5a);
        // MIGRATION at 24 (32 bytes), DMA_AVAIL at 56 (12 bytes, unaligned), IOVA_RANGE at 68 (16 + 2 * 16)
        assertThat(m.get(ValueLayout.JAVA_SHORT, 24)).isEqualTo((short) VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
        assertThat(m.get(ValueLayout.JAVA_INT, 28)).isEqualTo(56);
        assertThat(m.get(ValueLayout.JAVA_LONG, 40)).as("smallest page size").isEqualTo(4096);
        assertThat(m.get(ValueLayout.JAVA_LONG, 48)).as("DIRTY_BITMAP_SIZE_MAX").isEqualTo(1L << 28);
        assertThat(m.get(ValueLayout.JAVA_SHORT, 56)).isEqualTo((short) VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
        assertThat(m.get(ValueLayout.JAVA_INT, 60)).isEqualTo(68);
        assertThat(m.get(ValueLayout.JAVA_INT, 64)).isEqualTo(65535);
        ValueLayout.OfLong u64 = ValueLayout.JAVA_LONG_UNALIGNED;
        assertThat(m.get(ValueLayout.JAVA_SHORT, 68)).isEqualTo((short) VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
        assertThat(m.get(ValueLayout.JAVA_INT, 72)).as("last cap").isZero();
        assertThat(m.get(ValueLayout.JAVA_INT, 76)).isEqualTo(2);
        assertThat(m.get(u64, 84)).isZero();
        assertThat(m.get(u64, 92)).isEqualTo(0xfedf_ffffL);
        assertThat(m.get(u64, 100)).isEqualTo(0xfef0_0000L);
        assertThat(m.get(u64, 108)).isEqualTo(0xffff_ffff_ffffL);
        assertThat(m.get(ValueLayout.JAVA_BYTE, 116)).as("nothing past the chain").isEqualTo((byte) 0x5a);
    }

    @Test
    void getInfo_57_onlyIovaRange_andSmallArgszGetsTheNeededSize() throws Exception {
        Setup s = attached(SimulatedHost.x86Type1().toBuilder().profile(KernelProfile.LINUX_5_7).build(), IommuType.TYPE1);
        MemorySegment m = info(16);
        s.kernel().ioctl(s.container().fd(), VFIO_IOMMU_GET_INFO, m);
        assertThat(m.get(ValueLayout.JAVA_INT, 0)).isEqualTo(24 + 48);
        assertThat(m.get(ValueLayout.JAVA_INT, 16)).as("argsz 16: cap_offset untouched").isEqualTo(0x5a5a5a5a);
        MemorySegment full = info(72);
        s.kernel().ioctl(s.container().fd(), VFIO_IOMMU_GET_INFO, full);
        assertThat(full.get(ValueLayout.JAVA_SHORT, 24)).isEqualTo((short) VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
        assertThat(full.get(ValueLayout.JAVA_INT, 28)).isZero();
    }

    @Test
    void unmap_writesBackTheSizeOnSuccess_andNothingOnFailure() throws Exception {
        Setup s = attached(SimulatedHost.x86Type1(), IommuType.TYPE1V2);
        MemorySegment mem = arena.allocate(3 * 4096, 4096);
        s.container().mapDma(mem, 0x10000);
        MemorySegment u = arena.allocate(24, 8);
        u.set(ValueLayout.JAVA_INT, 0, 24);
        u.set(ValueLayout.JAVA_LONG, 8, 0x11000);
        u.set(ValueLayout.JAVA_LONG, 16, 0x1000);
        assertThat(catchVfio(() -> s.kernel().ioctl(s.container().fd(), VFIO_IOMMU_UNMAP_DMA, u)).errno()).isEqualTo(Errno.EINVAL);
        assertThat(u.get(ValueLayout.JAVA_LONG, 16)).as("untouched on error").isEqualTo(0x1000);
        u.set(ValueLayout.JAVA_LONG, 8, 0x10000);
        u.set(ValueLayout.JAVA_LONG, 16, 0x100000);
        assertThat(s.kernel().dmaMappingCount(7)).contains(1);
        assertThat(s.kernel().dmaSlotsAvailable(7)).contains(65534);
        assertThat(s.kernel().lockedPages()).isEqualTo(3);
        s.kernel().ioctl(s.container().fd(), VFIO_IOMMU_UNMAP_DMA, u);
        assertThat(u.get(ValueLayout.JAVA_LONG, 16)).isEqualTo(3 * 4096);
        assertThat(s.kernel().lockedPages()).isZero();
        assertThat(s.kernel().dmaMappingCount(7)).contains(0);
        assertThat(s.kernel().dmaSlotsAvailable(7)).contains(65535);
        assertThat(s.kernel().dmaMappingCount(8)).as("group 8 is in no container").isEmpty();
    }

    @Test
    void shortArgumentMemory_isEfault_withTheStructNamed() throws Exception {
        Setup s = attached(SimulatedHost.x86Type1(), IommuType.TYPE1V2);
        MemorySegment tiny = arena.allocate(8, 8);
        tiny.set(ValueLayout.JAVA_INT, 0, 32);
        var e = catchVfio(() -> s.kernel().ioctl(s.container().fd(), VFIO_IOMMU_MAP_DMA, tiny));
        assertThat(e.errno()).isEqualTo(Errno.EFAULT);
        assertThat(e.explanation().orElseThrow()).contains("struct vfio_iommu_type1_dma_map");
        assertThat(catchVfio(() -> s.kernel().ioctl(s.container().fd(), VFIO_IOMMU_GET_INFO, 0x1000L)).errno())
                .as("a value where a pointer is needed").isEqualTo(Errno.EFAULT);
    }

    @Test
    void deviceNames_withUnknownOptionsOrBadTokens_areRefused() throws Exception {
        Setup s = attached(SimulatedHost.x86Type1(), IommuType.TYPE1V2);
        assertThat(catchVfio(() -> s.group().openDevice("0000:01:00.0x")).errno()).isEqualTo(Errno.ENODEV);
        assertThat(catchVfio(() -> s.group().openDevice("0000:01:00.0 foo=1")).errno()).isEqualTo(Errno.EINVAL);
        assertThat(catchVfio(() -> s.group().openDevice("0000:01:00.0 vf_token=not-a-uuid")).errno()).isEqualTo(Errno.EINVAL);
        var token = catchVfio(() -> s.group().openDevice("0000:01:00.0 vf_token=2ab74924-c335-45f4-9b16-8569e5b08258"));
        assertThat(token.errno()).isEqualTo(Errno.EINVAL);
        assertThat(token.explanation().orElseThrow()).contains("neither an SR-IOV PF nor a VF");
        s.group().openDevice("0000:01:00.0  ").close();
        MemorySegment noNul = arena.allocate(12);
        noNul.copyFrom(MemorySegment.ofArray("0000:01:00.0".getBytes(StandardCharsets.US_ASCII)));
        assertThat(catchVfio(() -> s.kernel().ioctl(s.group().fd(), VFIO_GROUP_GET_DEVICE_FD, noNul)).errno()).isEqualTo(Errno.EFAULT);
    }

    @Test
    void deviceInfo_copyBack_from510WritesCapOffset_57Does16Bytes() throws Exception {
        for (KernelProfile p : KernelProfile.values()) {
            Setup s = attached(SimulatedHost.x86Type1().toBuilder().profile(p).build(), IommuType.TYPE1V2);
            var d = s.group().openDevice("0000:01:00.0");
            MemorySegment m = info(20);
            s.kernel().ioctl(d.fd(), VFIO_DEVICE_GET_INFO, m);
            assertThat(m.get(ValueLayout.JAVA_INT, 16)).as(p.name()).isEqualTo(p == KernelProfile.LINUX_5_7 ? 0x5a5a5a5a : 0);
            assertThat(m.get(ValueLayout.JAVA_INT, 8)).isEqualTo(9);
        }
    }

    @Test
    void configWrites_keepOnlyWritableHeaderBytes() throws Exception {
        Setup s = attached(SimulatedHost.x86Type1(), IommuType.TYPE1V2);
        var d = s.group().openDevice("0000:01:00.0");
        MemorySegment ones = arena.allocate(64);
        ones.fill((byte) 0xff);
        d.writeConfig(0, ones);
        assertThat(d.readConfigDword(0)).as("vendor/device are read-only").isEqualTo(0x11e8_1234);
        assertThat(d.readConfigDword(0x3c) & 0xff).as("interrupt line is scratch").isEqualTo(0xff);
        assertThat(d.readConfigDword(0x3c) >>> 8 & 0xff).as("interrupt pin is read-only").isEqualTo(1);
        assertThat(d.readConfigDword(0x10)).as("no BAR 0").isZero();
        assertThat(catchVfio(() -> d.readConfig(254, arena.allocate(4))).errno()).isEqualTo(Errno.EFAULT);
        assertThat(catchVfio(() -> d.readConfig(-(7L << 40), arena.allocate(4))).errno()).as("BAR 0 offset").isEqualTo(Errno.EINVAL);
    }

    @Test
    void noIommuHost_groupsNeedRawio_andTheBackendHasNoMappings() throws Exception {
        SimulatedKernel k = SimulatedHost.noIommu().boot();
        assertThat(Files.exists(k.root().resolve("dev/vfio/noiommu-0"))).isTrue();
        Vfio vfio = Vfio.over(k);
        VfioContainer c = vfio.openContainer();
        assertThat(c.checkExtension(VFIO_NOIOMMU_IOMMU)).isEqualTo(1);
        VfioGroup g = vfio.openGroup(0);
        g.setContainer(c);
        assertThat(c.checkExtension(VFIO_TYPE1_IOMMU)).as("only vfio-noiommu serves no-IOMMU groups").isZero();
        assertThat(catchVfio(() -> c.setIommu(IommuType.TYPE1V2)).errno()).isEqualTo(Errno.ENODEV);
        c.setIommu(IommuType.NO_IOMMU);
        assertThat(catchVfio(() -> c.mapDma(arena.allocate(4096, 4096), 0)).errno()).isEqualTo(Errno.ENOTTY);
        g.openDevice("0000:00:04.0").close();

        SimulatedKernel unprivileged = SimulatedHost.noIommu().toBuilder().capSysRawio(false).build().boot();
        assertThat(catchVfio(() -> unprivileged.open("/dev/vfio/noiommu-0", LinuxAbi.O_RDWR)).errno()).isEqualTo(Errno.EPERM);
    }

    @Test
    void nesting_withoutIommuSupport_isEinval_andNoInterruptRemapping_isEperm() throws Exception {
        SimulatedKernel k = SimulatedHost.x86Type1().boot();
        Vfio vfio = Vfio.over(k);
        VfioContainer c = vfio.openContainer();
        vfio.openGroup(7).setContainer(c);
        assertThat(c.checkExtension(VFIO_TYPE1_NESTING_IOMMU)).isEqualTo(1);
        assertThat(catchVfio(() -> k.ioctl(c.fd(), VFIO_SET_IOMMU, VFIO_TYPE1_NESTING_IOMMU)).errno()).isEqualTo(Errno.EINVAL);
        assertThat(catchVfio(() -> k.ioctl(c.fd(), VFIO_SET_IOMMU, VFIO_UNMAP_ALL)).errno()).as("claimed but not openable").isEqualTo(Errno.EINVAL);
        SimulatedKernel unsafe = SimulatedHost.x86Type1().toBuilder().interruptRemapping(false).build().boot();
        Vfio v2 = Vfio.over(unsafe);
        VfioContainer c2 = v2.openContainer();
        v2.openGroup(7).setContainer(c2);
        assertThat(catchVfio(() -> c2.setIommu(IommuType.TYPE1V2)).errno()).isEqualTo(Errno.EPERM);
    }

    @Test
    void useAfterClose_isEbadf_andForeignHandlesAreRejected() throws Exception {
        SimulatedKernel k = SimulatedHost.x86Type1().boot();
        Fd fd = k.open("/dev/vfio/vfio", LinuxAbi.O_RDWR);
        k.close(fd);
        var e = catchVfio(() -> k.ioctl(fd, VFIO_GET_API_VERSION, 0L));
        assertThat(e.errno()).isEqualTo(Errno.EBADF);
        assertThat(e.operation()).isEqualTo("VFIO_GET_API_VERSION");
        SimulatedKernel other = SimulatedHost.x86Type1().boot();
        Fd foreign = other.open("/dev/vfio/vfio", LinuxAbi.O_RDWR);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> k.ioctl(foreign, VFIO_GET_API_VERSION, 0L))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void eventfd_counterSemantics_matchEventfd2() throws Exception {
        SimulatedKernel k = SimulatedHost.x86Type1().boot();
        Fd e = k.eventfd(2, LinuxAbi.EFD_NONBLOCK);
        k.writeEventCounter(e, 5);
        assertThat(k.readEventCounter(e)).isEqualTo(7);
        assertThat(catchVfio(() -> k.readEventCounter(e)).errno()).isEqualTo(Errno.EAGAIN);
        assertThat(catchVfio(() -> k.writeEventCounter(e, -1L)).errno()).isEqualTo(Errno.EINVAL);
        Fd sem = k.eventfd(2, LinuxAbi.EFD_SEMAPHORE | LinuxAbi.EFD_NONBLOCK);
        assertThat(k.readEventCounter(sem)).isEqualTo(1);
        assertThat(k.poll(java.util.List.of(org.vfio4j.spi.PollFd.readable(sem)), 0)).containsExactly(LinuxAbi.POLLIN);
        assertThat(catchVfio(() -> k.pread(sem, arena.allocate(8), 0)).errno()).isEqualTo(Errno.ESPIPE);
    }
}
