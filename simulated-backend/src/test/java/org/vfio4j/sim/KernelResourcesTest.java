package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.DmaMapping;
import org.vfio4j.EventNotifier;
import org.vfio4j.IoEventFd;
import org.vfio4j.sim.KernelResources.DmaRange;
import org.vfio4j.spi.LinuxAbi;

/** {@link SimulatedKernel#resources()}: each category lists exactly what the process holds, and nothing once all is closed. */
class KernelResourcesTest {
    private final Arena arena = Arena.ofShared();

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void aFreshKernel_holdsNothing() {
        KernelResources r = SimulatedHost.x86Type1().boot().resources();
        assertThat(r.isEmpty()).isTrue();
        assertThat(r.describe()).isEqualTo("nothing held");
    }

    @Test
    void everyCategory_listsWhatIsHeld_andClosingEverythingEmptiesIt() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        SimulatedKernel k = w.kernel();
        assertThat(k.resources().openFiles()).containsExactly("fd 3 (container 1)", "fd 4 (group 5)", "fd 5 (device 0000:03:00.0)");

        DmaMapping m = w.container().mapDma(arena.allocate(0x2000, 4096), 0x10_0000, true, false);
        EventNotifier msi = w.vfio().eventNotifier();
        w.device().enableIrq(VFIO_PCI_MSI_IRQ_INDEX, List.of(msi));
        EventNotifier doorbell = w.vfio().eventNotifier();
        IoEventFd io = w.device().ioeventfd(0, 0x10, 0x40, 4, doorbell);
        MemorySegment bar2 = k.mmap(w.device().fd(), 2L << 40, 0x2000, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, LinuxAbi.MAP_SHARED);

        KernelResources r = k.resources();
        assertThat(r.openFiles()).containsExactly("fd 3 (container 1)", "fd 4 (group 5)", "fd 5 (device 0000:03:00.0)",
                "fd 6 (eventfd)", "fd 7 (eventfd)");
        assertThat(r.dmaMappings()).containsExactly(new DmaRange("container 1", 0x10_0000, 0x2000, true, false));
        assertThat(r.lockedPages()).isEqualTo(2).isEqualTo(k.lockedPages());
        assertThat(r.armedInterrupts()).containsExactly("0000:03:00.0 MSI vector 0 -> fd 6 (eventfd)");
        assertThat(r.ioeventfds()).containsExactly("0000:03:00.0 BAR0+0x10: 4-byte write of 0x40 <- fd 7 (eventfd)");
        assertThat(r.memoryMappings()).containsExactly("fd 5 (device 0000:03:00.0): BAR2+0x0, length=0x2000");
        assertThat(r.isEmpty()).isFalse();
        assertThat(r.describe()).isEqualTo("""
                open files (5):
                  fd 3 (container 1)
                  fd 4 (group 5)
                  fd 5 (device 0000:03:00.0)
                  fd 6 (eventfd)
                  fd 7 (eventfd)
                DMA mappings (1):
                  container 1: IOVA [0x100000, +0x2000) READ
                locked pages: 2 (8192 bytes charged to RLIMIT_MEMLOCK)
                armed interrupts (1):
                  0000:03:00.0 MSI vector 0 -> fd 6 (eventfd)
                ioeventfds (1):
                  0000:03:00.0 BAR0+0x10: 4-byte write of 0x40 <- fd 7 (eventfd)
                memory mappings (1):
                  fd 5 (device 0000:03:00.0): BAR2+0x0, length=0x2000""");

        k.munmap(bar2);
        io.close();
        w.device().disableIrq(VFIO_PCI_MSI_IRQ_INDEX);
        w.container().unmapDma(m);
        KernelResources halfway = k.resources();
        assertThat(halfway.dmaMappings()).isEmpty();
        assertThat(halfway.lockedPages()).isZero();
        assertThat(halfway.armedInterrupts()).isEmpty();
        assertThat(halfway.ioeventfds()).isEmpty();
        assertThat(halfway.memoryMappings()).isEmpty();
        assertThat(halfway.openFiles()).hasSize(5);
        msi.close();
        doorbell.close();
        w.device().close();
        w.group().close();
        w.container().close();
        assertThat(k.resources().isEmpty()).as(k.resources().describe()).isTrue();
    }

    @Test
    void closingTheDevice_releasesItsInterrupts_butTheEventfdsStayOpen_andTheLastGroupCloseDropsTheMappings() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        SimulatedKernel k = w.kernel();
        w.container().mapDma(arena.allocate(0x1000, 4096), 0);
        EventNotifier err = w.vfio().eventNotifier();
        EventNotifier unmask = w.vfio().eventNotifier();
        EventNotifier intx = w.vfio().eventNotifier();
        w.device().enableIrq(VFIO_PCI_ERR_IRQ_INDEX, List.of(err));
        w.device().enableIrq(VFIO_PCI_INTX_IRQ_INDEX, List.of(intx));
        w.device().unmaskIntxOn(unmask);
        assertThat(k.resources().armedInterrupts()).containsExactly("0000:03:00.0 INTx -> fd 8 (eventfd)",
                "0000:03:00.0 INTx unmask <- fd 7 (eventfd)", "0000:03:00.0 ERR -> fd 6 (eventfd)");
        intx.close();
        assertThat(k.resources().armedInterrupts()).as("the trigger holds the eventfd's context after its fd closes")
                .contains("0000:03:00.0 INTx -> a closed eventfd");

        w.device().close();
        KernelResources r = k.resources();
        assertThat(r.armedInterrupts()).as("the last close tears interrupts down").isEmpty();
        assertThat(r.openFiles()).containsExactly("fd 3 (container 1)", "fd 4 (group 5)", "fd 6 (eventfd)", "fd 7 (eventfd)");
        assertThat(r.dmaMappings()).hasSize(1);
        w.group().close();
        assertThat(k.resources().dmaMappings()).as("the last group's detach unmaps everything").isEmpty();
        assertThat(k.resources().lockedPages()).isZero();
        w.container().close();
        err.close();
        unmask.close();
        assertThat(k.resources().isEmpty()).isTrue();
    }
}
