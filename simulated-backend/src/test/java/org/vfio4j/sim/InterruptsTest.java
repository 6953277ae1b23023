package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.EventNotifier;
import org.vfio4j.IommuType;
import org.vfio4j.PciAddress;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.spi.LinuxAbi;

/**
 * Device-raised MSI and MSI-X: masked vectors set their pending bit and deliver on unmask (the
 * trap of vectors enabled without an eventfd), MSI per-vector masks, a short vector allocation
 * returning a positive count, REQ and ERR from the host, and the effects of close.
 */
class InterruptsTest {
    static final String BDF = "0000:06:00.0";

    /**
     * A PCIe function with 8 MSI-X vectors (table at BAR0+0x1000, PBA at BAR0+0x1800, or with
     * {@code pbaBar} 2 the PBA at BAR2+0x1800) or 4 maskable MSI vectors.
     */
    static final class Raiser implements PciDeviceModel {
        final boolean msix;
        final int pbaBar;
        DeviceContext context;

        Raiser(boolean msix) {
            this(msix, 0);
        }

        Raiser(boolean msix, int pbaBar) {
            this.msix = msix;
            this.pbaBar = pbaBar;
        }

        @Override
        public ConfigSpace config() {
            ConfigSpace.Builder b = ConfigSpace.builder(0x1af4, 0x1099, 0x00ff00).interruptPin(1).pcie(false);
            return (msix ? b.msix(8, 0, 0x1000, pbaBar, 0x1800) : b.msi(4, true, true)).build();
        }

        @Override
        public List<Bar> bars() {
            Bar bar0 = Bar.memory(0, 0x2000, BarKind.MEMORY32, false);
            return pbaBar == 0 ? List.of(bar0) : List.of(bar0, Bar.memory(pbaBar, 0x2000, BarKind.MEMORY32, false));
        }

        @Override
        public void attach(DeviceContext context) {
            this.context = context;
        }
    }

    record World(SimulatedKernel kernel, Vfio vfio, VfioDevice device, Raiser model, VfioGroup group) {}

    static World boot(boolean msix, int vectorLimit) throws VfioException {
        return boot(new Raiser(msix), vectorLimit);
    }

    static World boot(Raiser model, int vectorLimit) throws VfioException {
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups().irqVectorLimit(vectorLimit)
                .group(4, HostDevice.ofInstance(BDF, model).boundTo(HostDevice.VFIO_PCI)).build();
        SimulatedKernel k = host.boot();
        Vfio vfio = Vfio.over(k);
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(4);
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        VfioDevice d = g.openDevice(BDF);
        d.config().write16(0x04, d.config().read16(0x04) | 0x4); // bus master: messages are memory writes
        return new World(k, vfio, d, model, g);
    }

    @Test
    void msixVectorsWithoutAnEventfd_keepTheMessagePending_untilOneIsBound() throws Exception {
        World w = boot(true, Integer.MAX_VALUE);
        VfioDevice d = w.device();
        try (EventNotifier two = w.vfio().eventNotifier(); EventNotifier one = w.vfio().eventNotifier()) {
            assertThat(d.setIrqEventfds(VFIO_PCI_MSIX_IRQ_INDEX, 2, List.of(two))).isZero(); // vectors 0-2 allocated
            assertThat(d.config().read16(d.config().find(0x11) + 2) & 0x8000).as("MSI-X enabled by the host").isNotZero();
            w.model().context.signalMsi(2);
            assertThat(two.poll()).hasValue(1);
            w.model().context.signalMsi(1); // allocated, no eventfd: masked by the host
            MemorySegment bar = w.kernel().mmap(d.fd(), 0, 0x2000, LinuxAbi.PROT_READ, LinuxAbi.MAP_SHARED);
            assertThat(bar.get(ValueLayout.JAVA_BYTE, 0x1800) & 0x2).as("PBA bit of vector 1").isNotZero();
            assertThat(bar.get(ValueLayout.JAVA_INT, 0x1000 + 16 + 12) & 1).as("vector 1 masked in the table").isEqualTo(1);
            d.setIrqEventfds(VFIO_PCI_MSIX_IRQ_INDEX, 1, List.of(one));
            assertThat(one.poll()).as("delivered when the vector was unmasked").hasValue(1);
            assertThat(bar.get(ValueLayout.JAVA_BYTE, 0x1800) & 0x2).isZero();
            assertThat(Errnos.of(() -> d.setIrqEventfds(VFIO_PCI_MSIX_IRQ_INDEX, 3, List.of(one)))).as("NORESIZE")
                    .isEqualTo(Errno.EINVAL);
            w.model().context.signalMsi(5);
            assertThat(w.kernel().trace().getLast().arguments()).contains("not enabled");
            d.disableIrq(VFIO_PCI_MSIX_IRQ_INDEX);
            assertThat(d.config().read16(d.config().find(0x11) + 2) & 0x8000).isZero();
        }
    }

    @Test
    void aMaskedMsixVector_setsItsPendingBit_inThePbasOwnBar() throws Exception {
        World w = boot(new Raiser(true, 2), Integer.MAX_VALUE);
        VfioDevice d = w.device();
        try (EventNotifier zero = w.vfio().eventNotifier(); EventNotifier one = w.vfio().eventNotifier()) {
            d.setIrqEventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, Arrays.asList(zero, null)); // vector 1 allocated, masked
            w.model().context.signalMsi(1);
            assertThat(one.poll()).isEmpty();
            assertThat(d.region(2).readByte(0x1800)).as("PBA byte 0 read through BAR2, the PBA's BIR").isEqualTo(0x2);
            assertThat(d.region(0).readInt(0x1800)).as("BAR0 holds the table only: nothing at the PBA offset").isZero();
            d.setIrqEventfds(VFIO_PCI_MSIX_IRQ_INDEX, 1, List.of(one));
            assertThat(one.poll()).as("delivered when the vector was unmasked").hasValue(1);
            assertThat(d.region(2).readByte(0x1800)).as("the pending bit cleared on delivery").isZero();
            assertThat(zero.poll()).isEmpty();
        }
    }

    @Test
    void msiPerVectorMasks_holdMessages_andShortAllocationsReturnTheCount() throws Exception {
        World w = boot(false, 2);
        VfioDevice d = w.device();
        try (EventNotifier a = w.vfio().eventNotifier(); EventNotifier b = w.vfio().eventNotifier()) {
            assertThat(d.setIrqEventfds(VFIO_PCI_MSI_IRQ_INDEX, 0, Arrays.asList(a, b, null, null))).as("4 asked, 2 granted").isEqualTo(2);
            assertThat(Errnos.of(() -> d.triggerIrq(VFIO_PCI_MSI_IRQ_INDEX, 0, 1))).as("nothing was enabled").isEqualTo(Errno.EINVAL);
            d.enableIrq(VFIO_PCI_MSI_IRQ_INDEX, List.of(a, b));
            int cap = d.config().find(0x05);
            d.config().write32(cap + 0x10, 0x2); // mask vector 1 (per-vector mask bits pass through)
            w.model().context.signalMsi(1);
            assertThat(b.poll()).isEmpty();
            assertThat(d.config().read32(cap + 0x14) & 0x2).as("pending bit").isNotZero();
            w.model().context.signalMsi(0);
            assertThat(a.poll()).hasValue(1);
            d.config().write32(cap + 0x10, 0);
            w.model().context.signalMsi(0);
            assertThat(b.poll()).as("the pending message went out once the vector was unmasked").hasValue(1);
            assertThat(a.poll()).hasValue(1);
            d.config().write16(cap + 2, 0x00f1); // Enable with 8 vectors asked: clamped to what SET_IRQS allocated
            assertThat(d.config().read16(cap + 2) & 0x71).isEqualTo(0x11);
        }
    }

    @Test
    void reqAndErr_comeFromTheHost_andCloseTearsEverythingDown() throws Exception {
        World w = boot(true, Integer.MAX_VALUE);
        VfioDevice d = w.device();
        PciAddress at = PciAddress.parse(BDF);
        try (EventNotifier req = w.vfio().eventNotifier(); EventNotifier err = w.vfio().eventNotifier();
             EventNotifier v0 = w.vfio().eventNotifier()) {
            assertThat(w.kernel().requestDevice(at)).as("no REQ eventfd: nobody to ask").isFalse();
            d.enableIrq(VFIO_PCI_REQ_IRQ_INDEX, List.of(req));
            d.enableIrq(VFIO_PCI_ERR_IRQ_INDEX, List.of(err));
            d.enableIrq(VFIO_PCI_MSIX_IRQ_INDEX, List.of(v0));
            assertThat(w.kernel().requestDevice(at)).isTrue();
            assertThat(w.kernel().reportError(at)).isTrue();
            assertThat(req.await(Duration.ofSeconds(1))).hasValue(1);
            assertThat(err.await(Duration.ofSeconds(1))).hasValue(1);
            d.reset();
            w.model().context.signalMsi(0);
            assertThat(v0.poll()).as("RESET keeps the interrupt setup").hasValue(1);
            d.hotReset(List.of(w.group()));
            w.model().context.signalMsi(0);
            assertThat(v0.poll()).as("so does a hot reset").hasValue(1);
            d.close();
            assertThat(w.kernel().requestDevice(at)).as("last close released REQ").isFalse();
            w.model().context.signalMsi(0);
            assertThat(v0.poll()).as("last close disabled MSI-X").isEmpty();
        }
    }



    private static int setIntx(SimulatedKernel k, VfioDevice d, int flags, int fd) throws VfioException {
        MemorySegment a = MemorySegment.ofArray(new byte[24]);
        a.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 24);
        a.set(ValueLayout.JAVA_INT_UNALIGNED, 4, flags);
        a.set(ValueLayout.JAVA_INT_UNALIGNED, 8, VFIO_PCI_INTX_IRQ_INDEX);
        a.set(ValueLayout.JAVA_INT_UNALIGNED, 16, 1);
        a.set(ValueLayout.JAVA_INT_UNALIGNED, 20, fd);
        return (int) k.ioctl(d.fd(), VFIO_DEVICE_SET_IRQS, a);
    }

    @Test
    void intxTakesOneUnmaskEventfd_aSecondIsEbusy_untilTheFirstIsRemovedOrItsEventfdClosed() throws Exception {
        // vfio_pci_set_intx_unmask -> vfio_virqfd_enable: one virqfd per slot (EBUSY); virqfd_wakeup's
        // EPOLLHUP clears the slot when the eventfd's last descriptor closes; fd -1 disables it
        World w = boot(false, Integer.MAX_VALUE);
        SimulatedKernel k = w.kernel();
        VfioDevice d = w.device();
        int unmaskEventfd = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK;
        org.vfio4j.spi.Fd trigger = k.eventfd(0, LinuxAbi.EFD_NONBLOCK);
        org.vfio4j.spi.Fd a = k.eventfd(0, LinuxAbi.EFD_NONBLOCK);
        org.vfio4j.spi.Fd b = k.eventfd(0, LinuxAbi.EFD_NONBLOCK);
        assertThat(setIntx(k, d, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, trigger.number())).isZero();
        assertThat(setIntx(k, d, unmaskEventfd, a.number())).isZero();
        assertThatErrno(() -> setIntx(k, d, unmaskEventfd, b.number()), Errno.EBUSY, "vfio_virqfd_enable");
        assertThat(setIntx(k, d, unmaskEventfd, -1)).as("removed").isZero();
        assertThat(setIntx(k, d, unmaskEventfd, b.number())).isZero();
        k.close(b); // its last descriptor: the kernel drops the virqfd
        assertThat(setIntx(k, d, unmaskEventfd, a.number())).as("the slot was freed by the hang-up").isZero();

        w.model().context.setIntx(true); // delivered, masked by the kernel
        assertThat(k.readEventCounter(trigger)).isEqualTo(1);
        w.model().context.setIntx(false);
        k.writeEventCounter(a, 1); // the unmask eventfd works: the next assertion is delivered
        w.model().context.setIntx(true);
        assertThat(k.readEventCounter(trigger)).isEqualTo(1);
    }

    private static void assertThatErrno(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Errno errno, String rule) {
        org.assertj.core.api.Assertions.assertThatThrownBy(call).isInstanceOfSatisfying(VfioException.class, e -> {
            assertThat(e.errnoNumber()).isEqualTo(errno.number());
            assertThat(e.getMessage()).contains(rule);
        });
    }
}
