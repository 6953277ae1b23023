package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.vfio4j.uapi.VfioUapi.VFIO_GFX_PLANE_TYPE_DMABUF;
import static org.vfio4j.testsupport.ClosedHandles.assertClosed;
import static org.vfio4j.testsupport.ClosedHandles.failure;
import static org.vfio4j.uapi.VfioUapi.VFIO_PCI_MSI_IRQ_INDEX;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.DmaBuf;
import org.vfio4j.DmaMapping;
import org.vfio4j.Errno;
import org.vfio4j.EventNotifier;
import org.vfio4j.GfxPlane;
import org.vfio4j.IoEventFd;
import org.vfio4j.IommuType;
import org.vfio4j.KernelProfile;
import org.vfio4j.Region;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.testsupport.ClosedHandles.Call;

/**
 * Use after close on the simulator: every handle, mapping, region and DMA mapping used after it
 * was closed, unmapped or its {@link Vfio} closed fails with an exception that names it (EBADF for
 * what has a descriptor), never reaches the file that got its descriptor number since, and closing
 * it again does nothing.
 */
class UseAfterCloseTest {
    static final long IOVA = 0x10_0000;

    private final Arena arena = Arena.ofShared();

    @AfterEach
    void free() {
        arena.close();
    }

    @Test
    void everyHandle_afterClose_failsEbadfNamingIt() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        VfioContainer c = w.container();
        VfioGroup g = w.group();
        VfioDevice d = w.device();
        EventNotifier n = w.vfio().eventNotifier();
        d.close();
        d.close(); // a second close of any handle does nothing
        n.close();
        assertClosed(failure(d::info), d.fd());
        assertClosed(failure(() -> d.region(2)), d.fd());
        assertClosed(failure(() -> d.config().read16(0)), d.fd());
        assertClosed(failure(() -> d.enableIrq(VFIO_PCI_MSI_IRQ_INDEX, List.of())), d.fd());
        assertClosed(failure(d::reset), d.fd());
        assertClosed(failure(() -> w.vfio().seam().pread(d.fd(), arena.allocate(4), 0)), d.fd());
        assertClosed(failure(() -> n.signal(1)), n.fd());
        assertClosed(failure(n::poll), n.fd());
        assertClosed(failure(() -> n.expectSignal(Duration.ofMillis(1))), n.fd());
        g.close();
        assertClosed(failure(g::status), g.fd());
        assertClosed(failure(() -> g.openDevice(SmallDevice.BDF)), g.fd());
        c.close();
        assertClosed(failure(c::apiVersion), c.fd());
        assertClosed(failure(() -> c.mapDma(arena.allocate(4096, 4096), IOVA)), c.fd());
        assertClosed(failure(() -> c.setIommu(IommuType.TYPE1V2)), c.fd());
        assertThat(w.kernel().resources().isEmpty()).as(w.kernel().resources().describe()).isTrue();
    }

    @Test
    void aClosedHandle_neverReachesTheFileThatGotItsNumber() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        SimulatedKernel k = w.kernel();
        EventNotifier old = w.vfio().eventNotifier();
        old.close();
        EventNotifier reused = w.vfio().eventNotifier();
        assertThat(reused.fd().number()).as("the lowest free number again").isEqualTo(old.fd().number());

        assertClosed(failure(() -> old.signal(1)), old.fd());
        assertClosed(failure(() -> k.writeEventCounter(old.fd(), 1)), old.fd());
        assertClosed(failure(() -> w.device().enableIrq(VFIO_PCI_MSI_IRQ_INDEX, List.of(old))), old.fd());
        assertThat(k.resources().armedInterrupts()).as("the new eventfd was not bound in the old one's place").isEmpty();
        assertThat(reused.poll()).as("nothing was written to the new eventfd").isEqualTo(OptionalLong.empty());


        try (Vfio vfio = Vfio.open(SmallDevice.host(new SmallDevice()).build())) {
            VfioContainer closed = vfio.openContainer();
            closed.close();
            VfioContainer fresh = vfio.openContainer();
            assertThat(fresh.fd().number()).isEqualTo(closed.fd().number());
            VfioGroup g = vfio.openGroup(SmallDevice.GROUP);
            assertClosed(failure(() -> g.setContainer(closed)), closed.fd());
            assertThat(g.status().containerSet()).as("the group did not join the container that got the number").isFalse();
            g.setContainer(fresh);
            assertThat(g.status().containerSet()).isTrue();
        }
    }

    @Test
    void aRegion_afterClose_failsEbadfNamingIt_andItsSecondCloseDoesNothing() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        Region bar2 = w.device().region(2);
        bar2.writeLong(8, 42);
        bar2.close();
        bar2.close();
        assertThat(bar2.isMapped(0, 8)).isFalse();
        String why = "the Region was closed and its mappings unmapped; VfioDevice.region(2) gives a new one";
        assertThat(failure(() -> bar2.readLong(8)).getMessage()).isEqualTo("pread on 0000:03:00.0 BAR2 failed: EBADF (Bad file descriptor): " + why);
        assertThat(failure(() -> bar2.writeInt(8, 1)).getMessage()).isEqualTo("pwrite on 0000:03:00.0 BAR2 failed: EBADF (Bad file descriptor): " + why);
        assertThat(failure(() -> bar2.read(0, arena.allocate(16))).errno()).isEqualTo(Errno.EBADF);
        try (Region again = w.device().region(2)) {
            assertThat(again.readLong(8)).as("the device is untouched").isEqualTo(42);
        }
        assertThat(w.kernel().resources().memoryMappings()).isEmpty();
    }

    @Test
    void aRegion_outlivesItsDeviceFd_asAMappingHoldsTheFile_butNotItsVfio() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        Region bar2 = w.device().region(2);
        w.device().close();
        bar2.writeLong(0, 7);
        assertThat(bar2.readLong(0)).as("the mapping still reaches the device (vma->vm_file holds it)").isEqualTo(7);
        bar2.close();
        assertThat(w.kernel().tableSizes().get("device opens")).as("the last munmap released the device").isZero();

        SmallDevice.World v = SmallDevice.World.boot();
        Region regs = v.device().region(0);
        Region mem = v.device().region(2);
        v.vfio().close();
        VfioException e = failure(() -> mem.readLong(0));
        assertClosed(e, v.device().fd());
        assertThat(e.operation()).isEqualTo("pread");
        assertClosed(failure(() -> regs.writeInt(0x10, 1)), v.device().fd());
        mem.close(); // the kernel unmapped it as it closed: nothing to do
        regs.close();
    }

    @Test
    void aMapping_afterMunmap_isRefusedByLoadsStoresAndMunmap() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        SimulatedKernel k = w.kernel();
        MemorySegment bar2 = k.mmap(w.device().fd(), 2L << 40, 0x2000, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, LinuxAbi.MAP_SHARED);
        k.munmap(bar2);
        assertThatThrownBy(() -> k.load(bar2, 0, 8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a live mapping made by this backend's mmap (unmapped, or a slice)");
        assertThatThrownBy(() -> k.store(bar2, 0, 8, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a live mapping");
        assertThatThrownBy(() -> k.munmap(bar2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a live mapping");
        assertThat(bar2.get(ValueLayout.JAVA_LONG, 0)).as("the segment itself stays readable until the kernel closes (simulator.md)")
                .isZero();
        w.vfio().close();
        assertThatThrownBy(() -> bar2.get(ValueLayout.JAVA_LONG, 0)).as("device memory goes with the kernel")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void aLiveMapping_afterTheKernelClosed_isRefusedNamingTheClosedKernel() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        SimulatedKernel k = w.kernel();
        MemorySegment bar2 = k.mmap(w.device().fd(), 2L << 40, 0x2000, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, LinuxAbi.MAP_SHARED);
        w.vfio().close();
        assertThatThrownBy(() -> k.load(bar2, 0, 8)).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("this simulated kernel was closed, and every mapping it made went with it");
        assertThatThrownBy(() -> k.store(bar2, 8, 4, 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is no longer mapped");
    }

    @Test
    void anIoEventFd_closesOnce_andNotAfterItsDeviceOrVfioTookItAlong() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        EventNotifier doorbell = w.vfio().eventNotifier();
        IoEventFd first = w.device().ioeventfd(0, 0x10, 1, 4, doorbell);
        first.close();
        first.close();
        IoEventFd second = w.device().ioeventfd(0, 0x10, 2, 4, doorbell);
        w.device().close();
        assertThat(w.kernel().resources().ioeventfds()).as("the device's last close removed it").isEmpty();
        second.close(); // nothing left to remove, and no fd to remove it through
        SmallDevice.World v = SmallDevice.World.boot();
        IoEventFd third = v.device().ioeventfd(0, 0x10, 3, 4, v.vfio().eventNotifier());
        v.vfio().close();
        third.close();
    }

    @Test
    void aDmaMapping_afterUnmap_isAnIovaTheDeviceCannotReach_andAfterTheContainerClosedEbadf() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        MemorySegment buffer = arena.allocate(0x2000, 4096);
        DmaMapping m = w.container().mapDma(buffer, IOVA);
        assertThat(w.container().unmapDma(m)).isEqualTo(0x2000);
        assertThat(w.container().unmapDma(m)).as("the kernel's answer to unmapping nothing: 0 bytes, no error").isZero();
        buffer.fill((byte) 5);
        try (Region regs = w.device().region(0)) {
            regs.writeLong(0x0, IOVA);
            regs.writeLong(0x8, IOVA + 0x1000);
            regs.writeLong(0x10, 16);
            regs.writeInt(0x18, 1);
            assertThat(regs.readInt(0x20)).as("the device's DMA to the unmapped IOVA faulted").isEqualTo(1);
        }
        assertThat(w.kernel().iommuFaults()).hasSize(1);
        assertThat(buffer.get(ValueLayout.JAVA_BYTE, 0x1000)).as("the memory is untouched").isEqualTo((byte) 5);

        DmaMapping again = w.container().mapDma(buffer, IOVA);
        w.container().close();
        assertClosed(failure(() -> w.container().unmapDma(again)), w.container().fd());
        assertThat(failure(() -> w.container().unmapDma(again)).operation()).as("named by what the closed handle was")
                .isEqualTo("VFIO_IOMMU_UNMAP_DMA");
        assertThat(w.kernel().resources().dmaMappings()).as("the group keeps the container and its mapping").hasSize(1);
    }

    @Test
    void aDmaBuf_afterClose_failsEbadfNamingIt() throws Exception {
        try (Vfio vfio = Vfio.open(FuzzHosts.rich(KernelProfile.LINUX_6_1))) {
            VfioContainer c = vfio.openContainer();
            VfioGroup g = vfio.openGroup(21);
            g.setContainer(c);
            c.setIommu(IommuType.TYPE1V2);
            VfioDevice d = g.openDevice(FuzzHosts.DISPLAY_DEVICE);
            try (Region regs = d.region(0)) {
                regs.writeInt(0x30, 16); // the display's mode: 16x4
                regs.writeInt(0x34, 4);
            }
            GfxPlane plane = d.queryGfxPlane(VFIO_GFX_PLANE_TYPE_DMABUF, 1);
            DmaBuf buf = d.gfxDmabuf(plane.id());
            vfio.seam().munmap(buf.map(plane.size()));
            buf.close();
            buf.close();
            assertClosed(failure(() -> buf.map(plane.size())), buf.fd());
        }
    }

    @Test
    void aClosedVfio_makesNothingMore_andEveryHandleItMadeFailsEbadf() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        Vfio vfio = w.vfio();
        EventNotifier n = vfio.eventNotifier();
        vfio.iommuGroups(); // builds the sysfs tree, which closes with the kernel
        vfio.close();
        vfio.close();
        assertClosed(failure(w.container()::apiVersion), w.container().fd());
        assertClosed(failure(w.group()::status), w.group().fd());
        assertClosed(failure(w.device()::info), w.device().fd());
        assertClosed(failure(n::poll), n.fd());
        for (Call call : List.<Call>of(vfio::eventNotifier, vfio::openContainer, () -> vfio.openGroup(SmallDevice.GROUP), vfio::iommuGroups,
                () -> vfio.pciDevice(org.vfio4j.PciAddress.parse(SmallDevice.BDF)), () -> vfio.userAddress(arena.allocate(8)))) {
            assertThatThrownBy(call::run).isInstanceOf(IllegalStateException.class)
                    .hasMessageEndingWith("on a closed Vfio (simulated backend): closing it closed every descriptor and mapping it made;"
                            + " open a new Vfio");
        }
        n.close(); // closing what the Vfio already closed does nothing
        w.device().close();
        w.group().close();
        w.container().close();
    }
}
