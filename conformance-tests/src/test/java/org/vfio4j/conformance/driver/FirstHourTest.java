package org.vfio4j.conformance.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.EventNotifier;
import org.vfio4j.IommuType;
import org.vfio4j.IrqIndex;
import org.vfio4j.PciRegisters;
import org.vfio4j.Region;
import org.vfio4j.RegionIndex;
import org.vfio4j.ShortTransferException;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.SimulatedHost;

/**
 * A driver author's first hour with QEMU's edu on the simulator, written with the public API only:
 * each test is a mistake or an edge a driver test runs into, and asserts the kernel's answer.
 */
class FirstHourTest {
    static final String EDU = "0000:00:03.0";

    static SimulatedHost eduHost() {
        return SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(3, HostDevice.of(EDU, QemuEdu::new).boundTo(HostDevice.VFIO_PCI)).build();
    }

    private final Arena arena = Arena.ofShared();
    private Vfio vfio;
    private VfioContainer container;
    private VfioGroup group;
    private VfioDevice edu;

    @BeforeEach
    void open() throws VfioException {
        vfio = Vfio.open(eduHost());
        container = vfio.openContainer();
        group = vfio.openGroup(3);
        group.setContainer(container);
        container.setIommu(IommuType.TYPE1V2);
        edu = group.openDevice(EDU);
        edu.config().enableMemoryAndBusMaster();
    }

    @AfterEach
    void close() {
        vfio.close();
        arena.close();
    }

    // ---- short transfers never invent bytes ----

    @Test
    void readInt_twoBytesBeforeTheEndOfABar_throwsWithTheCount() throws Exception {
        try (Region bar0 = edu.region(RegionIndex.BAR0)) {
            long size = bar0.info().size();
            ShortTransferException e = catchThrowableOfType(ShortTransferException.class, () -> bar0.readInt(size - 2));
            assertThat(e).as("a 4-byte read that the kernel clips to 2 bytes").isNotNull();
            assertThat(e.transferred()).isEqualTo(2);
            assertThat(e.requested()).isEqualTo(4);
            assertThat(e.errno()).isEqualTo(Errno.EIO);
            assertThatThrownBy(() -> bar0.writeLong(size - 4, 1)).isInstanceOf(ShortTransferException.class);
            assertThat(bar0.read(size - 2, arena.allocate(8))).as("the bulk read returns the count").isEqualTo(2);
        }
    }

    // ---- accesses through a mapping act like the device ----

    @Test
    void mappedBar_eightByteRegisters_roundTripWhole() throws Exception {
        try (Region bar0 = edu.region(RegionIndex.BAR0)) {
            assertThat(bar0.isMapped(0x80, 8)).isTrue();
            bar0.writeLong(0x80, 0x12345000L);
            assertThat(bar0.readLong(0x80)).as("one 8-byte access, as a CPU load makes it").isEqualTo(0x12345000L);
            bar0.writeLong(0x80, 0xfedc_ba98_7654_3210L);
            assertThat(bar0.readLong(0x80)).isEqualTo(0xfedc_ba98_7654_3210L);
        }
    }

    @Test
    void mappedBar_unimplementedOffsets_readWhatEduAnswers() throws Exception {
        try (Region bar0 = edu.region(RegionIndex.BAR0)) {
            assertThat(bar0.readInt(0x30)).as("an unimplemented register reads all-ones on edu").isEqualTo(0xffff_ffff);
            assertThat(bar0.readInt(0x00)).isEqualTo(0x010000ed);
            bar0.writeInt(0x04, 0x0f0f0f0f);
            assertThat(bar0.readInt(0x04)).as("liveness: the inverse").isEqualTo(0xf0f0f0f0);
        }
    }

    // ---- descriptors inside arguments get the handle checks ----

    @Test
    void setIrqEventfds_withAClosedNotifier_isEbadfAndTheReusedNumberGetsNothing() throws Exception {
        EventNotifier closed = vfio.eventNotifier();
        closed.close();
        try (EventNotifier reuser = vfio.eventNotifier()) {
            assertThat(reuser.fd().number()).as("the kernel reuses the lowest free number").isEqualTo(closed.fd().number());
            VfioException e = catchThrowableOfType(VfioException.class, () -> edu.enableIrq(IrqIndex.MSI, List.of(closed)));
            assertThat(e.errno()).isEqualTo(Errno.EBADF);
            assertThat(e.getMessage()).contains("eventfd");
            try (Region bar0 = edu.region(RegionIndex.BAR0)) {
                bar0.writeInt(0x60, 1); // raise: INTx would be signalled if it had been bound to the reused number
            }
            assertThat(reuser.poll()).isEmpty();
        }
    }

    @Test
    void setContainer_ofAnotherVfio_isIllegalArgument() throws Exception {
        try (Vfio other = Vfio.open(eduHost())) {
            VfioContainer foreign = other.openContainer();
            try (VfioGroup g = vfio.openGroup(3)) {
                throw new AssertionError("the group is already open");
            } catch (VfioException busy) {
                assertThat(busy.errno()).isEqualTo(Errno.EBUSY);
            }
            VfioGroup otherGroup = other.openGroup(3);
            assertThatThrownBy(() -> otherGroup.setContainer(container)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("another instance of the simulated backend");
            otherGroup.setContainer(foreign);
            assertThatThrownBy(() -> edu.hotReset(List.of(otherGroup))).as("ownership proven with another Vfio's group")
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aKernelBackendEventfd_isNotTheSimulatorsFdWithTheSameNumber() throws Exception {
        try (Vfio real = Vfio.over(org.vfio4j.kernel.KernelBackend.open()); EventNotifier foreign = real.eventNotifier()) {
            assertThatThrownBy(() -> edu.enableIrq(IrqIndex.MSI, List.of(foreign))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("belongs to the kernel backend, not to the simulated backend");
        }
    }

    @Test
    void ioeventfdAndUnmaskOn_withAClosedNotifier_areEbadf() throws Exception {
        EventNotifier n = vfio.eventNotifier();
        n.close();
        assertThatVfioCall(() -> edu.ioeventfd(0, 0x04, 1, 4, n)).failsWith(Errno.EBADF);
        edu.enableIrq(IrqIndex.INTX, List.of(vfio.eventNotifier()));
        assertThatVfioCall(() -> edu.unmaskIntxOn(n)).failsWith(Errno.EBADF);
        assertThatThrownBy(() -> edu.ioeventfd(0, 0x04, 1, 4, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
    }

    // ---- timeouts and offsets a Java caller can express but the kernel cannot ----

    @Test
    void await_negativeTimeoutIsRejected_hugeTimeoutWaitsNormally() throws Exception {
        try (EventNotifier n = vfio.eventNotifier()) {
            assertThatThrownBy(() -> n.await(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("negative");
            n.signal(3);
            assertThat(n.await(Duration.ofSeconds(Long.MAX_VALUE))).hasValue(3);
            assertThat(n.await(Duration.ofMillis(1))).isEmpty();
        }
    }

    @Test
    void regionOffsets_outsideTheRegionWindow_areEinval() throws Exception {
        try (Region bar0 = edu.region(RegionIndex.BAR0)) {
            MemorySegment buf = arena.allocate(4);
            assertThatVfioCall(() -> bar0.read(7L << 40, buf)).as("would read config space").failsWith(Errno.EINVAL);
            assertThatVfioCall(() -> bar0.read(Long.MAX_VALUE - 2, buf)).failsWith(Errno.EINVAL);
            assertThatVfioCall(() -> bar0.readInt(-4)).failsWith(Errno.EINVAL);
            assertThatVfioCall(() -> edu.config().read32(-4)).as("would reach BAR5's window").failsWith(Errno.EINVAL);
        }
    }

    @Test
    void readsIntoReadOnlyBuffers_areEfault() throws Exception {
        MemorySegment readOnly = arena.allocate(8).asReadOnly();
        assertThatVfioCall(() -> edu.readConfig(0, readOnly.asSlice(0, 4))).failsWith(Errno.EFAULT);
        try (Region bar0 = edu.region(RegionIndex.BAR0); EventNotifier n = vfio.eventNotifier()) {
            assertThatVfioCall(() -> bar0.read(0, readOnly.asSlice(0, 4))).failsWith(Errno.EFAULT);
            n.signal(1);
            assertThatVfioCall(() -> vfio.seam().read(n.fd(), readOnly)).failsWith(Errno.EFAULT);
        }
    }

    // ---- DMA memory ----

    @Test
    void mapDma_afterASliceWasRegistered_stillSeesTheWholeSegment() throws Exception {
        MemorySegment buf = arena.allocate(64 * 1024, 4096);
        vfio.userAddress(buf);
        vfio.userAddress(buf.asSlice(0, 4096));
        var m = container.mapDma(buf, 0x100000);
        assertThat(container.unmapDma(m)).isEqualTo(64 * 1024);
    }

    // ---- helpers every driver needs ----

    @Test
    void enableCommand_setsTheNamedBits() throws Exception {
        var config = edu.config();
        config.disableCommand(PciRegisters.COMMAND_MASTER);
        assertThat(config.read16(PciRegisters.COMMAND) & PciRegisters.COMMAND_MASTER).isZero();
        config.enableMemoryAndBusMaster();
        assertThat(config.read16(PciRegisters.COMMAND) & (PciRegisters.COMMAND_MEMORY | PciRegisters.COMMAND_MASTER))
                .isEqualTo(PciRegisters.COMMAND_MEMORY | PciRegisters.COMMAND_MASTER);
        assertThat(config.find(PciRegisters.CAP_ID_MSI)).isEqualTo(0x40);
        assertThat(RegionIndex.name(RegionIndex.CONFIG)).isEqualTo("CONFIG");
        assertThat(IrqIndex.name(IrqIndex.MSIX)).isEqualTo("MSI-X");
    }

    static long u64(MemorySegment m) {
        return m.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }
}
