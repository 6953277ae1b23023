package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.EventNotifier;
import org.vfio4j.IommuType;
import org.vfio4j.IoEventFd;
import org.vfio4j.KernelProfile;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;

/**
 * The KernelProfile rules the real-kernel lane found on 5.10 and 6.12 that the conformance
 * contracts do not reach, one test each, with the kernel the lane saw on either side of the rule.
 */
class ProfileRulesTest {
    private static final String ADDRESS = "0000:04:00.0";
    private final Arena arena = Arena.ofConfined();
    private Vfio vfio;
    private DeviceModelTest.Copier model;

    @AfterEach
    void close() {
        if (vfio != null) {
            vfio.close();
        }
        arena.close();
    }

    private VfioDevice open(KernelProfile profile) throws Exception {
        model = new DeviceModelTest.Copier();
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups().profile(profile)
                .group(3, HostDevice.ofInstance(ADDRESS, model).boundTo(HostDevice.VFIO_PCI)).build();
        vfio = Vfio.open(host);
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(3);
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        return g.openDevice(ADDRESS);
    }

    private Errno errno(Call call) {
        try {
            call.run();
            return null;
        } catch (org.vfio4j.VfioException e) {
            return e.errno();
        }
    }

    @FunctionalInterface
    private interface Call {
        void run() throws org.vfio4j.VfioException;
    }

    /** 6.12's vfio_pci_core_do_io_rw reads 8 aligned bytes with one ioread64; 6.1 with two 4-byte reads. */
    @Test
    void preadOfEightAlignedBytes_isOneAccessOn612_twoBefore() throws Exception {
        for (KernelProfile p : new KernelProfile[] {KernelProfile.LINUX_6_1, KernelProfile.LINUX_6_12}) {
            VfioDevice d = open(p);
            model.accesses.clear();
            vfio.seam().pread(d.fd(), arena.allocate(8, 8), 0);
            assertThat(model.accesses).as("%s", p)
                    .containsExactlyElementsOf(p == KernelProfile.LINUX_6_12 ? java.util.List.of("r8@0") : java.util.List.of("r4@0", "r4@4"));
            vfio.close();
        }
    }

    /** 6.12's vfio_pci_set_ctx_trigger_single refuses an ERR/REQ eventfd below -1; 6.1 ignores it. */
    @Test
    void reqEventfdBelowMinusOne_isEinvalOn612_ignoredBefore() throws Exception {
        for (KernelProfile p : new KernelProfile[] {KernelProfile.LINUX_6_1, KernelProfile.LINUX_6_12}) {
            VfioDevice d = open(p);
            MemorySegment set = arena.allocate(24, 8);
            set.set(ValueLayout.JAVA_INT, 0, 24);
            set.set(ValueLayout.JAVA_INT, 4, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
            set.set(ValueLayout.JAVA_INT, 8, VFIO_PCI_REQ_IRQ_INDEX);
            set.set(ValueLayout.JAVA_INT, 16, 1);
            set.set(ValueLayout.JAVA_INT, 20, -2);
            assertThat(errno(() -> vfio.seam().ioctl(d.fd(), VFIO_DEVICE_SET_IRQS, set))).as("%s", p)
                    .isEqualTo(p == KernelProfile.LINUX_6_12 ? Errno.EINVAL : null);
            vfio.close();
        }
    }

    /** 8-byte ioeventfds need iowrite64, which 5.10's vfio-pci lacks (EINVAL); 6.1 has it. */
    @Test
    void eightByteIoeventfd_isEinvalOn510() throws Exception {
        for (KernelProfile p : new KernelProfile[] {KernelProfile.LINUX_5_10, KernelProfile.LINUX_6_1}) {
            VfioDevice d = open(p);
            try (EventNotifier n = vfio.eventNotifier()) {
                assertThat(errno(() -> d.ioeventfd(0, 0x40, 1, 8, n).close())).as("%s", p)
                        .isEqualTo(p == KernelProfile.LINUX_5_10 ? Errno.EINVAL : null);
            }
            vfio.close();
        }
    }

    /**
     * An ioeventfd's irqfd: from 6.0 each signal is read off the eventfd (virqfd_wakeup), before it
     * stays; on every kernel removing the irqfd reads what is left (virqfd_shutdown).
     */
    @Test
    void irqfdSignals_stayBefore60_andRemovalReadsThem() throws Exception {
        for (KernelProfile p : new KernelProfile[] {KernelProfile.LINUX_5_10, KernelProfile.LINUX_6_1}) {
            VfioDevice d = open(p);
            try (EventNotifier n = vfio.eventNotifier()) {
                IoEventFd io = d.ioeventfd(0, 0x40, 1, 4, n);
                n.signal(1);
                assertThat(n.poll()).as("%s: after a signal", p)
                        .isEqualTo(p == KernelProfile.LINUX_5_10 ? java.util.OptionalLong.of(1) : java.util.OptionalLong.empty());
                n.signal(2);
                io.close();
                assertThat(n.poll()).as("%s: after the ioeventfd went", p).isEmpty();
            }
            vfio.close();
        }
    }

    /**
     * On 5.10 an irqfd leaves signals on the eventfd, so a writer can block at the counter's
     * maximum while an ioeventfd is attached; removing the ioeventfd reads the counter
     * (virqfd_shutdown), which wakes that writer as any read does.
     */
    @Test
    void removingAnIoeventfd_wakesAWriterBlockedAtTheMaximum_on510() throws Exception {
        VfioDevice d = open(KernelProfile.LINUX_5_10);
        try (EventNotifier n = vfio.eventNotifier()) {
            IoEventFd io = d.ioeventfd(0, 0x40, 1, 4, n);
            n.signal(-2L); // 2^64-2: the counter's maximum, left in place by 5.10's irqfd
            java.util.concurrent.CompletableFuture<Void> writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    n.signal(1);
                } catch (org.vfio4j.VfioException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(50); // let the writer block (a writer that did not block only makes this test weaker)
            assertThat(writer).as("a write past the maximum waits").isNotDone();
            io.close();
            writer.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(n.poll()).as("the writer's 1, after the removal read the rest").isEqualTo(java.util.OptionalLong.of(1));
        }
        vfio.close();
    }

    /** VFIO_TYPE1_NESTING_IOMMU on an IOMMU without nesting: 5.10's Intel driver says ENODEV, 6.1's core EINVAL. */
    @Test
    void nestingWithoutNestedTranslation_isEnodevOn510_einvalOn61() throws Exception {
        for (KernelProfile p : new KernelProfile[] {KernelProfile.LINUX_5_10, KernelProfile.LINUX_6_1}) {
            vfio = Vfio.open(SimulatedHost.x86Type1().toBuilder().profile(p).build());
            VfioContainer c = vfio.openContainer();
            vfio.openGroup(7).setContainer(c);
            assertThat(errno(() -> vfio.seam().ioctl(c.fd(), VFIO_SET_IOMMU, VFIO_TYPE1_NESTING_IOMMU))).as("%s", p)
                    .isEqualTo(p == KernelProfile.LINUX_5_10 ? Errno.ENODEV : Errno.EINVAL);
            vfio.close();
        }
    }
}
