package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.EventNotifier;
import org.vfio4j.IovaRange;
import org.vfio4j.PciAddress;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.spi.LinuxAbi;

/** Each kind of {@link Fault}: the errno the driver sees, the state left behind, and the trace entry that names it. */
class FaultInjectionTest {
    private static final PciAddress DEVICE = PciAddress.parse(SmallDevice.BDF);
    private final Arena arena = Arena.ofShared();

    @AfterEach
    void close() {
        arena.close();
    }

    private static VfioException thrown(Errnos.Call call) {
        try {
            call.run();
        } catch (VfioException e) {
            return e;
        }
        throw new AssertionError("the call succeeded");
    }

    /** The trace entry of the fired fault, checked to name the call it happened in. */
    private static TraceEntry injectedEntry(SimulatedKernel k, String call) {
        List<TraceEntry> trace = k.trace();
        TraceEntry injected = trace.stream().filter(e -> e.event() && e.call().equals("injected fault")).reduce((a, b) -> b).orElseThrow();
        if (call != null) {
            TraceEntry cause = trace.stream().filter(e -> e.sequence() == injected.cause()).findFirst().orElseThrow();
            assertThat(cause.call()).isEqualTo(call);
        }
        return injected;
    }

    @Test
    void aPageThatCannotBePinned_failsTheMapDma_leavingNoMappingAndNoCharge() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        SimulatedKernel k = w.kernel();
        w.container().mapDma(arena.allocate(0x2000, 4096), 0); // pages 1 and 2
        Fault fault = Fault.failing(Call.PIN_PAGE, 2, Errno.ENOMEM); // counted from now
        k.inject(fault);
        w.container().mapDma(arena.allocate(0x1000, 4096), 0x10_0000); // page 3

        VfioException e = thrown(() -> w.container().mapDma(arena.allocate(0x4000, 4096), 0x20_0000)); // pin #2: the first of 4
        assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
        assertThat(e.explanation().orElseThrow()).startsWith("injected fault: fail PIN_PAGE #2 with ENOMEM: page 1 of the 4 pages");
        assertThat(e.getMessage()).contains("injected fault: fail PIN_PAGE #2 with ENOMEM");
        KernelResources r = k.resources();
        assertThat(r.dmaMappings()).extracting(KernelResources.DmaRange::iova).containsExactly(0L, 0x10_0000L);
        assertThat(r.lockedPages()).isEqualTo(3);
        assertThat(k.dmaSlotsAvailable(SmallDevice.GROUP)).contains(SimulatedHost.DEFAULT_DMA_ENTRY_LIMIT - 2);
        assertThat(injectedEntry(k, "VFIO_IOMMU_MAP_DMA").arguments()).isEqualTo("fail PIN_PAGE #2 with ENOMEM");
        assertThat(k.firedFaults()).containsExactly(fault);
        assertThat(k.pendingFaults()).isEmpty();

        w.container().mapDma(arena.allocate(0x4000, 4096), 0x20_0000);
        assertThat(k.lockedPages()).as("the fault fired once; the same map works now").isEqualTo(7);
    }

    @Test
    void aPinFailureMidway_unwindsThePagesPinnedBeforeIt() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        w.kernel().inject(Fault.failing(Call.PIN_PAGE, 3, Errno.EFAULT));
        VfioException e = thrown(() -> w.container().mapDma(arena.allocate(0x8000, 4096), 0));
        assertThat(e.errno()).isEqualTo(Errno.EFAULT);
        assertThat(e.explanation().orElseThrow()).contains("page 3 of the 8 pages").contains("unwound the 2 pinned before it");
        assertThat(w.kernel().resources().dmaMappings()).isEmpty();
        assertThat(w.kernel().lockedPages()).isZero();
    }

    @Test
    void failuresHitTheNthMatchingCall_andTwoOnOneCallFailItAndTheNext() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        SimulatedKernel k = w.kernel();
        MemorySegment buf = arena.allocate(4);
        k.inject(Fault.failing(Call.REGION_READ, 2, Errno.EIO), Fault.failing(Call.REGION_READ, 2, Errno.EAGAIN));
        assertThat(k.pread(w.device().fd(), buf, 0x10)).isEqualTo(4);
        VfioException first = thrown(() -> k.pread(w.device().fd(), buf, 0x10));
        assertThat(first.errno()).isEqualTo(Errno.EIO);
        assertThat(first.explanation()).contains("injected fault: fail REGION_READ #2 with EIO (the device pread failed before the kernel"
                + " changed anything)");
        assertThat(Errnos.of(() -> k.pread(w.device().fd(), buf, 0x10))).as("the second fault, on the next read").isEqualTo(Errno.EAGAIN);
        assertThat(k.pread(w.device().fd(), buf, 0x10)).isEqualTo(4);
        TraceEntry failed = k.trace().stream().filter(e -> e.call().equals("pread") && e.failed()).findFirst().orElseThrow();
        assertThat(failed.toString()).contains("pread {BAR0+0x10, 4 bytes}").endsWith("= -1 EIO (" + first.explanation().orElseThrow() + ")");
    }

    @Test
    void openAndDeviceFdFailures_leaveNothingOpen() throws Exception {
        SmallDevice model = new SmallDevice();
        SimulatedHost host = SmallDevice.host(model).faults(Fault.failing(Call.OPEN_GROUP, 1, Errno.EBUSY),
                Fault.failing(Call.GET_DEVICE_FD, 1, Errno.ENODEV)).build();
        SimulatedKernel k = host.boot();
        org.vfio4j.Vfio vfio = org.vfio4j.Vfio.over(k);
        var c = vfio.openContainer();
        VfioException busy = thrown(() -> vfio.openGroup(SmallDevice.GROUP));
        assertThat(busy.errno()).isEqualTo(Errno.EBUSY);
        assertThat(busy.explanation()).contains("injected fault: fail OPEN_GROUP #1 with EBUSY (the open of a group node failed before"
                + " the kernel changed anything)");
        assertThat(injectedEntry(k, null).arguments()).isEqualTo("fail OPEN_GROUP #1 with EBUSY");
        assertThat(k.resources().openFiles()).containsExactly("fd 3 (container 1)");
        VfioGroup g = vfio.openGroup(SmallDevice.GROUP);
        g.setContainer(c);
        c.setIommu(org.vfio4j.IommuType.TYPE1V2);
        assertThat(Errnos.of(() -> g.openDevice(SmallDevice.BDF))).isEqualTo(Errno.ENODEV);
        assertThat(k.resources().openFiles()).containsExactly("fd 3 (container 1)", "fd 4 (group 5)");
        g.openDevice(SmallDevice.BDF).close();
        g.close();
        c.close();
        assertThat(k.resources().isEmpty()).isTrue();
        assertThat(k.firedFaults()).hasSize(2);
        k.close();
        assertThat(host.boot().pendingFaults()).as("every boot arms the host's plan afresh").hasSize(2);
    }

    @Test
    void aFailedSetIrqs_setsNoTrigger() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        EventNotifier n = w.vfio().eventNotifier();
        w.kernel().inject(Fault.failing(Call.SET_IRQS, 1, Errno.ENOMEM));
        assertThat(Errnos.of(() -> w.device().enableIrq(VFIO_PCI_MSI_IRQ_INDEX, List.of(n)))).isEqualTo(Errno.ENOMEM);
        assertThat(w.kernel().resources().armedInterrupts()).isEmpty();
        EventNotifier intx = w.vfio().eventNotifier();
        w.device().enableIrq(VFIO_PCI_INTX_IRQ_INDEX, List.of(intx)); // INTx and MSI exclude each other: MSI was not left enabled
        w.device().disableIrq(VFIO_PCI_INTX_IRQ_INDEX);
        w.device().enableIrq(VFIO_PCI_MSI_IRQ_INDEX, List.of(n));
        assertThat(w.kernel().resources().armedInterrupts()).containsExactly("0000:03:00.0 MSI vector 0 -> fd 6 (eventfd)");
        assertThat(w.kernel().trace().stream().filter(TraceEntry::failed).findFirst().orElseThrow().call()).isEqualTo("VFIO_DEVICE_SET_IRQS");
    }

    @Test
    void mmapMappedAccessAndEventfdFailures_failOnlyTheNamedCall_andLeaveNothingBehind() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        SimulatedKernel k = w.kernel();
        k.inject(Fault.failing(Call.MMAP, 1, Errno.ENOMEM), Fault.failing(Call.MAPPED_ACCESS, 2, Errno.EIO),
                Fault.failing(Call.EVENTFD, 1, Errno.EMFILE));
        int prot = LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE;
        assertThat(Errnos.of(() -> k.mmap(w.device().fd(), 2L << 40, 0x1000, prot, LinuxAbi.MAP_SHARED))).isEqualTo(Errno.ENOMEM);
        assertThat(k.resources().memoryMappings()).isEmpty();
        MemorySegment bar2 = k.mmap(w.device().fd(), 2L << 40, 0x1000, prot, LinuxAbi.MAP_SHARED);
        k.store(bar2, 8, 4, 0x1234);
        VfioException sigbus = thrown(() -> k.load(bar2, 8, 4));
        assertThat(sigbus.errno()).isEqualTo(Errno.EIO);
        assertThat(sigbus.getMessage()).contains("load").contains("injected fault: fail MAPPED_ACCESS #2 with EIO");
        assertThat(k.trace().stream().filter(e -> e.failed() && e.call().equals("load")).findFirst().orElseThrow().toString())
                .contains("load {BAR2+0x8, 4 bytes}");
        assertThat(k.load(bar2, 8, 4)).isEqualTo(0x1234);
        assertThat(Errnos.of(() -> w.vfio().eventNotifier())).isEqualTo(Errno.EMFILE);
        assertThat(k.resources().openFiles()).hasSize(3);
        k.munmap(bar2);
    }

    @Test
    void anInjectedDmaFaultRefusesAMappedDma_once() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        SimulatedKernel k = w.kernel();
        MemorySegment mem = arena.allocate(0x2000, 4096);
        mem.set(ValueLayout.JAVA_LONG, 0, 0x1122334455667788L);
        w.container().mapDma(mem, 0x10_0000);
        k.inject(Fault.dmaFault(DEVICE, 2));
        MemorySegment doorbell = arena.allocate(8);
        doorbell.set(ValueLayout.JAVA_LONG, 0, 1);
        try (var bar0 = w.device().region(0)) {
            bar0.writeLong(0x0, 0x10_0000);
            bar0.writeLong(0x8, 0x10_1000);
            bar0.writeLong(0x10, 8);
            k.pwrite(w.device().fd(), doorbell, 0x18); // DMA 1 reads, DMA 2 (the write) faults
            assertThat(bar0.readInt(0x20)).as("the device saw the fault").isEqualTo(1);
            assertThat(mem.get(ValueLayout.JAVA_LONG, 0x1000)).isZero();
            assertThat(k.iommuFaults()).singleElement().satisfies(f -> {
                assertThat(f.iova()).isEqualTo(0x10_1000);
                assertThat(f.reason()).isEqualTo("injected fault: IOMMU fault on DMA #2 of 0000:03:00.0");
            });
            assertThat(injectedEntry(k, "pwrite").toString()).contains("injected fault of device 0000:03:00.0: IOMMU fault on DMA #2");
            k.pwrite(w.device().fd(), doorbell, 0x18);
            assertThat(bar0.readInt(0x20)).isZero();
            assertThat(mem.get(ValueLayout.JAVA_LONG, 0x1000)).isEqualTo(0x1122334455667788L);
        }
    }

    @Test
    void unplugRequestAndAerErrorSignalTheirEventfds_atTheirCall() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        SimulatedKernel k = w.kernel();
        EventNotifier req = w.vfio().eventNotifier();
        EventNotifier err = w.vfio().eventNotifier();
        w.device().enableIrq(VFIO_PCI_REQ_IRQ_INDEX, List.of(req));
        w.device().enableIrq(VFIO_PCI_ERR_IRQ_INDEX, List.of(err));
        k.inject(Fault.unplugRequest(DEVICE).before(Call.REGION_READ, 2), Fault.aerError(DEVICE));
        assertThat(err.poll()).as("the AER error happened at once").hasValue(1);
        MemorySegment buf = arena.allocate(4);
        k.pread(w.device().fd(), buf, 0);
        assertThat(req.poll()).isEmpty();
        k.pread(w.device().fd(), buf, 0);
        assertThat(req.poll()).hasValue(1);
        TraceEntry entry = injectedEntry(k, "pread");
        assertThat(entry.arguments()).isEqualTo("unplug request (REQ) for 0000:03:00.0 before REGION_READ #2: REQ is signalled");
        assertThat(k.firedFaults()).containsExactly(Fault.aerError(DEVICE), Fault.unplugRequest(DEVICE).before(Call.REGION_READ, 2));
    }

    @Test
    void anUnplugRequestWithoutAReqEventfdSignalsNothing_andSaysSo() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        w.kernel().inject(Fault.unplugRequest(DEVICE));
        assertThat(injectedEntry(w.kernel(), null).arguments()).endsWith("no REQ eventfd is set: nothing is signalled");
    }

    @Test
    void aSurpriseRemovedDeviceReadsAllOnes_dropsWrites_failsReset_andCannotBeOpenedAgain() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        SimulatedKernel k = w.kernel();
        EventNotifier req = w.vfio().eventNotifier();
        EventNotifier msi = w.vfio().eventNotifier();
        w.device().enableIrq(VFIO_PCI_REQ_IRQ_INDEX, List.of(req));
        w.device().enableIrq(VFIO_PCI_MSI_IRQ_INDEX, List.of(msi));
        MemorySegment bar2 = k.mmap(w.device().fd(), 2L << 40, 0x1000, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, LinuxAbi.MAP_SHARED);
        k.store(bar2, 0, 4, 0x55);
        k.inject(Fault.surpriseRemoval(DEVICE).before(Call.REGION_READ, 1));

        assertThat(w.device().config().read16(0x00)).as("the vendor ID is virtualized: vfio-pci answers from its copy").isEqualTo(0x1af4);
        assertThat(req.poll()).as("removal asks for the device back").hasValue(1);
        assertThat(w.device().config().read32(0x08)).as("class and revision come from the hardware").isEqualTo(0xffffffff);
        MemorySegment buf = arena.allocate(4);
        k.pread(w.device().fd(), buf, 0x10);
        assertThat(buf.get(ValueLayout.JAVA_INT, 0)).isEqualTo(0xffffffff);
        assertThat(k.load(bar2, 0, 4)).isEqualTo(0xffffffffL);
        k.store(bar2, 0, 4, 0x66);
        assertThat(k.load(bar2, 0, 8)).isEqualTo(-1L);
        w.model().context.signalMsi(0);
        assertThat(msi.poll()).as("a removed device raises nothing").isEmpty();
        VfioException reset = thrown(() -> w.device().reset());
        assertThat(reset.errno()).isEqualTo(Errno.ENOTTY);
        assertThat(reset.explanation()).get().asString().contains("pci_dev_wait");
        w.device().hotReset(List.of(w.group()));
        try (org.vfio4j.VfioDevice second = w.group().openDevice(SmallDevice.BDF)) {
            assertThat(second.config().read32(0x08)).as("while a device fd is open the device is still findable:"
                    + " a second fd, on the same absent hardware").isEqualTo(0xffffffff);
        }

        k.munmap(bar2);
        w.device().close();
        VfioException gone = thrown(() -> w.group().openDevice(SmallDevice.BDF));
        assertThat(gone.errno()).isEqualTo(Errno.ENODEV);
        assertThat(gone.explanation()).get().asString().contains("surprise-removed");
        msi.close();
        req.close();
        w.group().close();
        w.container().close();
        assertThat(k.resources().isEmpty()).isTrue();
    }

    @Test
    void aRemovedDevice_faultsItsDma() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        w.container().mapDma(arena.allocate(0x2000, 4096), 0);
        w.kernel().inject(Fault.surpriseRemoval(DEVICE));
        assertThatThrownBy(() -> w.model().context.dmaWrite(0x1000, arena.allocate(8)))
                .isInstanceOf(org.vfio4j.sim.device.DmaFaultException.class);
        assertThat(w.kernel().iommuFaults()).singleElement().extracting(org.vfio4j.sim.device.IommuFault::reason)
                .isEqualTo("the device was surprise-removed: nothing of it reaches memory");
    }

    @Test
    void resetFailures_giveTheErrnoOfAResetThatDidNotComeBack() throws Exception {
        SmallDevice.World w = SmallDevice.World.boot();
        w.kernel().inject(Fault.failedReset(2), Fault.failedHotReset(1));
        w.device().reset();
        VfioException e = thrown(() -> w.device().reset());
        assertThat(e.errno()).isEqualTo(Errno.ENOTTY);
        assertThat(e.getMessage()).contains("VFIO_DEVICE_RESET").contains("injected fault: fail RESET #2 with ENOTTY");
        assertThat(Errnos.of(() -> w.device().hotReset(List.of(w.group())))).isEqualTo(Errno.ENOTTY);
        w.device().hotReset(List.of(w.group()));
        assertThat(Fault.failedReset(1)).isEqualTo(Fault.failing(Call.RESET, 1, Errno.ENOTTY));
    }

    @Test
    void aNarrowIommu_keepsTheMsiHole_andRefusesIovasAboveItsWidth() throws Exception {
        assertThat(SimulatedHost.x86Type1().toBuilder().iommuAddressWidth(48).build().iovaRanges())
                .as("48 bits is the preset").isEqualTo(SimulatedHost.x86Type1().iovaRanges());
        assertThat(SimulatedHost.builder().iommuAddressWidth(39).build().iovaRanges())
                .containsExactly(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, 0x7f_ffff_ffffL));
        assertThat(SimulatedHost.builder().iommuAddressWidth(32).build().iovaRanges())
                .containsExactly(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, 0xffff_ffffL));
        assertThat(SimulatedHost.builder().iommuAddressWidth(30).build().iovaRanges()).containsExactly(new IovaRange(0, 0x3fff_ffffL));
        assertThat(SimulatedHost.builder().iommuAddressWidth(64).build().iovaRanges().get(1).end()).isEqualTo(-1L);
        assertThatThrownBy(() -> SimulatedHost.builder().iommuAddressWidth(65)).isInstanceOf(IllegalArgumentException.class);

        SmallDevice model = new SmallDevice();
        SmallDevice.World w = SmallDevice.World.boot(SmallDevice.host(model).iommuAddressWidth(39).build(), model);
        MemorySegment page = arena.allocate(0x1000, 4096);
        assertThat(Errnos.of(() -> w.container().mapDma(page, 1L << 39))).isEqualTo(Errno.EINVAL);
        assertThat(Errnos.of(() -> w.container().mapDma(page, 0xfee0_0000L))).as("the MSI window").isEqualTo(Errno.EINVAL);
        w.container().mapDma(page, (1L << 39) - 0x1000);
    }

    @Test
    void faultsNamingAnUnknownDevice_areRefused() throws Exception {
        PciAddress nobody = PciAddress.parse("0000:09:00.0");
        SmallDevice.World w = SmallDevice.World.boot();
        assertThatThrownBy(() -> w.kernel().inject(Fault.failing(Call.MAP_DMA, 1, Errno.ENOMEM), Fault.aerError(nobody)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0000:09:00.0");
        assertThat(w.kernel().pendingFaults()).as("nothing was armed").isEmpty();
        assertThatThrownBy(() -> SmallDevice.host(new SmallDevice()).faults(Fault.dmaFault(nobody)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not bound to vfio-pci");
        assertThatThrownBy(() -> Fault.failing(Call.MAP_DMA, 0, Errno.ENOMEM)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void faults_readAsWhatHappens() {
        assertThat(List.of(Fault.failing(Call.MAP_DMA, 3, Errno.ENOMEM), Fault.dmaFault(DEVICE),
                Fault.surpriseRemoval(DEVICE).before(Call.GET_DEVICE_FD, 2), Fault.aerError(DEVICE), Fault.unplugRequest(DEVICE)))
                .hasToString("[fail MAP_DMA #3 with ENOMEM, IOMMU fault on DMA #1 of 0000:03:00.0, surprise removal of 0000:03:00.0"
                        + " before GET_DEVICE_FD #2, AER error on 0000:03:00.0 now, unplug request (REQ) for 0000:03:00.0 now]");
    }
}
