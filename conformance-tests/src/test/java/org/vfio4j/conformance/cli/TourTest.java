package org.vfio4j.conformance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vfio4j.conformance.cli.tour.Chapter;

/**
 * {@code vfio4j tour}'s chapters: the list names each, each runs on its own and shows the facts it
 * is there to teach (the decoded answers, and the errno and rule of every mistake it makes on
 * purpose), and stays within a 100-column terminal. Facts are matched with the line wrapping undone.
 */
class TourTest {
    /** The chapters a learner is promised, in order; spelled out so that losing one fails here. */
    static final List<String> CHAPTERS = List.of("basics", "devices", "config", "interrupts", "dma", "faults", "power");

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /** The output of a chapter that must succeed, with its wrapping undone. */
    private String chapter(String name) throws Exception {
        assertThat(run("tour", name)).as("exit status of 'tour %s' (stderr: %s)", name, err).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        return unwrapped(out.toString(StandardCharsets.UTF_8));
    }

    /** {@code text} as one line: every run of whitespace (wrapping included) becomes one space. */
    static String unwrapped(String text) {
        return text.replaceAll("\\s+", " ");
    }

    @Test
    void list_namesEveryChapterWithItsSummary_inOrder() throws Exception {
        assertThat(run("tour", "--list")).isZero();
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(Chapter.all()).extracting(Chapter::name).containsExactlyElementsOf(CHAPTERS);
        List<String> lines = text.lines().filter(l -> l.startsWith("  ")).toList();
        assertThat(lines).hasSize(CHAPTERS.size());
        for (int i = 0; i < CHAPTERS.size(); i++) {
            Chapter c = Chapter.all().get(i);
            assertThat(lines.get(i).strip()).startsWith(c.name() + " ").endsWith(c.summary());
        }
        assertThat(text).contains("'vfio4j tour' without a chapter runs basics.");
        assertThat(text.lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(100));
    }

    @Test
    void noChapter_runsBasics_andPointsToTheNextChapter() throws Exception {
        assertThat(run("tour")).isZero();
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).startsWith("vfio4j tour: the VFIO userspace API, step by step, on a simulated x86 host\n")
                .contains("1. Discover the IOMMU groups in sysfs")
                .endsWith("Next: vfio4j tour devices   (every chapter: vfio4j tour --list)\n");
        assertThat(chapter("basics")).as("the same chapter by name").contains("10. Mistake 2, on purpose: use group 8");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"basics", "devices", "config", "interrupts", "dma", "faults", "power", "all"})
    void everyLine_fitsA100ColumnTerminal_andTheChapterIsQuick(String name) throws Exception {
        long start = System.nanoTime();
        assertThat(run("tour", name)).isZero();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(out.toString(StandardCharsets.UTF_8).lines())
                .allSatisfy(l -> assertThat(l.length()).as("line '%s'", l).isLessThanOrEqualTo(100));
        // well under a second on an idle machine; the bound leaves room for a loaded CI host, and
        // catches a wait that times out instead of being signalled
        assertThat(took).as("tour %s", name).isLessThan(Duration.ofSeconds(name.equals("all") ? 15 : 5));
    }

    @Test
    void all_runsEveryChapterInOrder() throws Exception {
        assertThat(run("tour", "all")).isZero();
        String text = out.toString(StandardCharsets.UTF_8);
        int at = -1;
        for (String title : List.of("vfio4j tour: the VFIO userspace API", "vfio4j tour devices:", "vfio4j tour config:",
                "vfio4j tour interrupts:", "vfio4j tour dma:", "vfio4j tour faults:", "vfio4j tour power:")) {
            int next = text.indexOf(title);
            assertThat(next).as("'%s' after the chapter before", title).isGreaterThan(at);
            at = next;
        }
        assertThat(text).doesNotContain("Next: vfio4j tour");
    }

    @Test
    void devices_showsRegionsTheirChainRegisterAccessAndTheRefusals() throws Exception {
        assertThat(chapter("devices")).contains(
                "VFIO_DEVICE_GET_INFO {argsz=20} -> {flags=PCI, num_regions=9, num_irqs=5}",
                "{argsz=32, index=BAR0} -> {flags=READ|WRITE|MMAP, size=0x100000, offset=0x0}",
                "{argsz=32, index=BAR1} -> {flags=0, size=0x0, offset=0x10000000000}",
                "{argsz=32, index=CONFIG} -> {flags=READ|WRITE, size=0x100, offset=0x70000000000}",
                "index=VGA} on fd 5 (device 0000:00:03.0) = -1 EINVAL (device 0000:00:03.0 is not a VGA device",
                // the capability chain's two calls: too small, then with the argsz the kernel asked for
                "{argsz=32, index=BAR0} -> {argsz=40, flags=READ|WRITE|MMAP|CAPS, size=0x4000, offset=0x0, cap_offset=0}",
                "{argsz=40, index=BAR0} -> {flags=READ|WRITE|MMAP|CAPS, size=0x4000, offset=0x0, cap_offset=32,"
                        + " caps=[MsixMappable[]]}",
                "pread {BAR0+0x0, 4 bytes} -> 0x010000ed", "= 0x010000ed: edu version 1.0",
                "pwrite {BAR0+0x4, 4 bytes: 0x12345678}", "pread {BAR0+0x4, 4 bytes} -> 0xedcba987",
                "pread {BAR0+0x0, 2 bytes} -> 0x0000",
                "pread {BAR0+0xffffc, 8 bytes} -> 0xffffffff on fd 5 (device 0000:00:03.0) = 4",
                "= -1 EINVAL (offset 0x100000 is past the end of BAR0 (0x100000 bytes) (vfio_pci_bar_rw))",
                "= -1 EINVAL (BAR1 of device 0000:00:03.0 is not implemented (vfio_pci_bar_rw))",
                "pwrite {CONFIG+0x4 (PCI_COMMAND), 2 bytes: 0x0101}",
                "= -1 EIO (memory decode is off (PCI_COMMAND_MEMORY is clear in the virtual command register)",
                "mmap {BAR0+0x0, length=0x100000, prot=READ|WRITE} on fd 5 (device 0000:00:03.0) = 0",
                "load of fd 5 (device 0000:00:03.0): BAR0+0x0, 4 bytes -> 0x10000ed",
                "load of fd 5 (device 0000:00:03.0): BAR0+0x4, 4 bytes -> 0xf0f0f0f0",
                "munmap {BAR0+0x0, length=0x100000}",
                "mmap {CONFIG+0x0 (PCI_VENDOR_ID), length=0x1000, prot=READ|WRITE} on fd 5 (device 0000:00:03.0) = -1 EINVAL"
                        + " (the config region cannot be mmapped, only read (vfio_pci_core_mmap))",
                "= -1 EINVAL (device regions can only be mapped MAP_SHARED (vfio_pci_core_mmap))");
    }

    @Test
    void config_showsWhatTheKernelVirtualizes_andWhatItDrops() throws Exception {
        assertThat(chapter("config")).contains(
                "= vendor 1234 device 11e8, revision 0x10, class 0x00ff00, subsystem 1af4:1100",
                "= command 0x0103 (IO|MEMORY|SERR), status 0x0010 (CAP_LIST: capabilities from 0x40)",
                "= BAR0 0xc0000000 (32-bit memory, not prefetchable), BAR1-5 0, ROM 0x0, interrupt pin 1 (INTA), line 0x0b",
                "pwrite {CONFIG+0x10 (PCI_BASE_ADDRESS_0), 4 bytes: 0xffffffff}",
                "pread {CONFIG+0x10 (PCI_BASE_ADDRESS_0), 4 bytes} -> 0xfff00000",
                "= 0xfff00000 after all-ones: the size is ~0xfff00000 + 1 = 0x100000 (1 MiB); 0xc0000000 again after the restore",
                "= 0x00000000: no size bits, so edu has no BAR1",
                "pread {CONFIG+0x30 (PCI_ROM_ADDRESS), 4 bytes} -> 0x00000000",
                "pread {ROM+0x0, 4 bytes} on fd 5 (device 0000:00:03.0) = -1 EINVAL (device 0000:00:03.0 has no expansion ROM",
                "= vendor 1234, pin 1: dropped (read-only); line 0x42: kept",
                "INTx of device 0000:00:03.0: not signalled: INTx Disable (PCI_COMMAND_INTX_DISABLE) is set in the command"
                        + " register [in the pwrite above]",
                "= command 0x0503 (INTX_DISABLE set), status 0x0018 (INTERRUPT: edu asserts its line)",
                "= capabilities [MSI@0x40]; MSI flags 0x0080: 64-bit, 1 vector, Enable clear; 0x0080 after the write",
                "= address 0x0000000000000000, data 0x0000: the message the host programmed stays hidden",
                "= capabilities [MSI-X@0x40, PCIe@0x80, PM@0x60]",
                "= MSI-X control 0x0040: 65 vectors; table at BAR0+0x2000, PBA at BAR0+0x3000; 0x0040 after the write",
                "= 0x8040: Enable is set now",
                "pread {CONFIG+0x100, 4 bytes} on fd 5 (device 0000:00:03.0) = -1 EFAULT (config access [0x100, 0x104) passes"
                        + " the end of the 256-byte config space (vfio_config_do_rw))");
    }

    @Test
    void interrupts_showsIntxAutomaskMsiTriggersAndTheInterruptWithNoEventfd() throws Exception {
        assertThat(chapter("interrupts")).contains(
                "{argsz=16, index=INTx} -> {flags=EVENTFD|MASKABLE|AUTOMASKED, count=1}",
                "{argsz=16, index=MSI} -> {flags=EVENTFD|NORESIZE, count=1}",
                "index=ERR} on fd 5 (device 0000:00:03.0) = -1 EINVAL (the ERR IRQ index exists only on PCI Express functions",
                "INTx of device 0000:00:03.0: the device asserted INTx; the kernel masked it -> fd 6 (eventfd) [in the pwrite above]",
                "= the eventfd counted 1 interrupt",
                "INTx of device 0000:00:03.0: not signalled: INTx is masked: the kernel masked it when it fired",
                "! await on fd 6 (eventfd) failed: ETIMEDOUT (Connection timed out): no signal within 20ms on fd 6 (eventfd):"
                        + " INTx of 0000:00:03.0 was raised 1 time and not signalled",
                "{argsz=20, flags=DATA_NONE|ACTION_UNMASK, index=INTx, start=0, count=1}",
                "unmask with the line still asserted -> fd 6 (eventfd) [in the VFIO_DEVICE_SET_IRQS above]",
                "= -1 EINVAL (INTx is enabled: INTx, MSI and MSI-X exclude each other; disable it first (vfio_pci_set_msi_trigger))",
                "= -1 EINVAL (vectors [0, +2) do not fit the 1 MSI vector(s) of device 0000:00:03.0",
                "MSI vector 0 of device 0000:00:03.0: dropped: bus mastering is off",
                "! await on fd 7 (eventfd) failed: ETIMEDOUT (Connection timed out): no signal within 20ms on fd 7 (eventfd):"
                        + " MSI vector 0 of 0000:00:03.0 was raised 1 time and dropped: bus mastering is off",
                "pread {BAR0+0x8, 4 bytes} -> 0x00375f00",
                "= 1 message; 10! = 3628800; interrupt status 0x1",
                "MSI vector 0 of device 0000:00:03.0: loop-back trigger -> fd 7 (eventfd)",
                "= 1 signal: DATA_NONE with ACTION_TRIGGER",
                "index=MSI, start=0, count=1, fds=[-1]}",
                "MSI vector 0 of device 0000:00:03.0: held pending: no eventfd is bound to the vector",
                "= nothing: the vector has no eventfd",
                "pending message delivered on unmask -> fd 7 (eventfd)",
                "INTx of device 0000:00:03.0: not signalled: INTx is not enabled (no interrupt index is enabled)");
    }

    @Test
    void dma_showsTheDevicesTransfers_thenEachIommuFault() throws Exception {
        assertThat(chapter("dma")).contains(
                "VFIO_IOMMU_MAP_DMA {argsz=32, flags=READ|WRITE, vaddr=0x",
                "iova=0x10000, size=0x1000} on fd 3 (container 1) = 0",
                "VFIO_IOMMU_MAP_DMA {argsz=32, flags=READ, vaddr=0x",
                "= -1 EEXIST (IOVA [0x10000, 0x10fff] overlaps the existing mapping [0x10000, 0x10fff]",
                "pwrite {BAR0+0x98, 8 bytes: 0x0000000000000005}",
                "DMA of device 0000:00:03.0: read of 0x20 bytes at IOVA 0x10000 (out of host memory)",
                "DMA of device 0000:00:03.0: write of 0x20 bytes at IOVA 0x10100 (into host memory)",
                "= buf at 0x100 now reads \"hello from host memory\"",
                "DMA fault of device 0000:00:03.0: write of 0x20 bytes at IOVA 0x11000 refused: the mapping [0x11000, +0x1000)"
                        + " is not writable by the device (no VFIO_DMA_MAP_FLAG_WRITE)",
                "DMA fault of device 0000:00:03.0: read of 0x20 bytes at IOVA 0x900000 refused: no mapping covers IOVA 0x900000",
                "VFIO_IOMMU_UNMAP_DMA {argsz=24, flags=0, iova=0x10000, size=0x1000} -> {size=0x1000}",
                "DMA fault of device 0000:00:03.0: write of 0x20 bytes at IOVA 0x10000 refused: no mapping covers IOVA 0x10000",
                "= 0000:00:03.0 write of 32 bytes at IOVA 0x11000: the mapping [0x11000, +0x1000) is not writable",
                "= 0000:00:03.0 read of 32 bytes at IOVA 0x900000: no mapping covers IOVA 0x900000",
                "= 0000:00:03.0 write of 32 bytes at IOVA 0x10000: no mapping covers IOVA 0x10000");
    }

    @Test
    void faults_showsEachInjectedFault_itsErrnoAndSentence_andWhatTheDriverSees() throws Exception {
        String text = chapter("faults");
        assertThat(text).contains(
                // a failed group open, and the fault's own trace entry
                "> injected fault: fail OPEN_GROUP #1 with EBUSY",
                "open /dev/vfio/3 = -1 EBUSY (injected fault: fail OPEN_GROUP #1 with EBUSY (the open of a group node failed"
                        + " before the kernel changed anything))",
                "open /dev/vfio/3 = 4",
                // GET_DEVICE_FD in the unbind race
                "= -1 ENODEV (injected fault: fail GET_DEVICE_FD #1 with ENODEV",
                "injected fault: fail GET_DEVICE_FD #1 with ENODEV [in the VFIO_GROUP_GET_DEVICE_FD above]",
                // a page pin failing in MAP_DMA, unwound
                "size=0x4000} on fd 3 (container 1) = -1 ENOMEM (injected fault: fail PIN_PAGE #3 with ENOMEM: page 3 of the 4"
                        + " pages of this mapping could not be pinned",
                "injected fault: fail PIN_PAGE #3 with ENOMEM [in the VFIO_IOMMU_MAP_DMA above]",
                "= ENOMEM; getMessage(): VFIO_IOMMU_MAP_DMA on fd 3 (container 1) failed: ENOMEM (Cannot allocate memory):"
                        + " injected fault: fail PIN_PAGE #3 with ENOMEM",
                "= 0 mappings, 0 locked pages",
                "= 4 locked pages: the same call works now",
                // a DMA the IOMMU refuses
                "injected fault of device 0000:00:03.0: IOMMU fault on DMA #1 of 0000:00:03.0",
                "DMA fault of device 0000:00:03.0: write of 0x20 bytes at IOVA 0x100100 refused: injected fault: IOMMU fault on DMA #1",
                "= buf at 0x100 reads \"\": the copy never arrived",
                "= 0000:00:03.0 write of 32 bytes at IOVA 0x100100: injected fault: IOMMU fault on DMA #1 of 0000:00:03.0",
                // REQ and AER
                "injected fault of device 0000:00:03.0: unplug request (REQ) for 0000:00:03.0 now: REQ is signalled",
                "REQ of device 0000:00:03.0: the host asks for the device back -> fd 7 (eventfd)",
                "= 1 signal on REQ: the driver should stop using the device and close it",
                "index=ERR} on fd 5 (device 0000:00:03.0) = -1 EINVAL (the ERR IRQ index exists only on PCI Express functions",
                "injected fault of device 0000:00:04.0: AER error on 0000:00:04.0 now: ERR is signalled",
                "ERR of device 0000:00:04.0: AER error detected -> fd 10 (eventfd)",
                "= 1 signal on ERR",
                // a reset that does not come back, on the device that has one
                "= edu false, NVMe true",
                "VFIO_DEVICE_RESET reset 0000:00:04.0 on fd 9 (device 0000:00:04.0) = -1 ENOTTY (injected fault: fail RESET #1"
                        + " with ENOTTY",
                "VFIO_DEVICE_RESET reset 0000:00:04.0 on fd 9 (device 0000:00:04.0) = 0",
                // surprise removal: all ones, virtualized bytes kept, ENODEV for a new device fd
                "injected fault of device 0000:00:03.0: surprise removal of 0000:00:03.0 now: the device is gone",
                "pread {BAR0+0x0, 4 bytes} -> 0xffffffff",
                "pread {CONFIG+0x0 (PCI_VENDOR_ID), 2 bytes} -> 0x1234",
                "pread {CONFIG+0x8 (PCI_CLASS_REVISION), 4 bytes} -> 0xffffffff",
                "= 1 signal on REQ; identification 0xffffffff (was 0x010000ed); vendor 0x1234; class and revision 0xffffffff",
                "VFIO_GROUP_GET_DEVICE_FD \"0000:00:03.0\" on fd 4 (group 3) = -1 ENODEV (device 0000:00:03.0 was surprise-removed",
                // the record, and the plan a property would shrink
                "= fired: fail OPEN_GROUP #1 with EBUSY = fired: fail GET_DEVICE_FD #1 with ENODEV = fired: fail PIN_PAGE #3 with"
                        + " ENOMEM = fired: IOMMU fault on DMA #1 of 0000:00:03.0 = fired: unplug request (REQ) for 0000:00:03.0 now"
                        + " = fired: AER error on 0000:00:04.0 now = fired: fail RESET #1 with ENOTTY = fired: surprise removal of"
                        + " 0000:00:03.0 now = pending: []",
                "= [fail REGION_READ #4 with EIO, fail SET_IRQS #1 with EINVAL, fail PIN_PAGE #2 with ENOMEM] leaves [container 1:"
                        + " IOVA [0x100000, +0x1000) READ|WRITE]",
                "= shrunk to [fail SET_IRQS #1 with EINVAL], which leaves [container 1: IOVA [0x100000, +0x1000) READ|WRITE]",
                "docs/testing-drivers.md, section 7", "fixtures/examples/edu-driver", "FaultInjectionFindsTheBugTest");
        assertThat(text.indexOf("was surprise-removed")).as("ENODEV for a new device fd comes after the removal")
                .isGreaterThan(text.indexOf("surprise removal of 0000:00:03.0 now: the device is gone"));
    }

    @Test
    void power_showsTheSpaprIommuItsWindowsAndRegistration_andAnEehFreezeAndItsRecovery() throws Exception {
        String text = chapter("power");
        assertThat(text).contains(
                "(Linux 6.12 rules.",
                // a POWER container: sPAPR and EEH, not type1
                "VFIO_CHECK_EXTENSION VFIO_TYPE1v2_IOMMU on fd 3 (container 1) = 0",
                "VFIO_CHECK_EXTENSION VFIO_SPAPR_TCE_IOMMU on fd 3 (container 1) = 1",
                "VFIO_CHECK_EXTENSION VFIO_SPAPR_TCE_v2_IOMMU on fd 3 (container 1) = 1",
                "VFIO_CHECK_EXTENSION VFIO_EEH on fd 3 (container 1) = 1",
                "VFIO_SET_IOMMU VFIO_TYPE1v2_IOMMU on fd 3 (container 1) = -1 ENODEV (no IOMMU driver of container 1 offers"
                        + " VFIO_TYPE1v2_IOMMU (vfio_ioctl_set_iommu))",
                "VFIO_SET_IOMMU VFIO_SPAPR_TCE_v2_IOMMU on fd 3 (container 1) = 0",
                // GET_INFO: the default window and the DDW limits
                "VFIO_IOMMU_SPAPR_TCE_GET_INFO {argsz=32} -> {flags=DDW, dma32_window_start=0x0, dma32_window_size=0x80000000,"
                        + " ddw={pgsizes=0x40211000, max_dynamic_windows_supported=2, levels=5}}",
                "= the default 32-bit window: 2 GiB at bus address 0x0",
                "= dynamic windows (DDW): IOMMU pages of 4 KiB, 64 KiB, 2 MiB, 1 GiB; 2 windows at most, the default one"
                        + " included; TCE tables of up to 5 levels",
                // v2 preregistration
                "= -1 EPERM (nothing is registered: a v2 container maps only after VFIO_IOMMU_SPAPR_REGISTER_MEMORY",
                "size=0x4000} on fd 3 (container 1) = -1 EBUSY (region [0x",
                "is already registered in this container (tce_iommu_register_pages))",
                "size=0x4000} on fd 3 (container 1) = -1 EINVAL ([0x",
                "without being it (mm_iommu_do_alloc))",
                // windows: the second lands at 2^59, a third has no slot, between windows nothing maps, remove by an inner address
                "VFIO_IOMMU_SPAPR_TCE_CREATE {argsz=40, page_shift=12, window_size=0x40000000, levels=1} ->"
                        + " {start_addr=0x800000000000000} on fd 3 (container 1) = 0",
                "= the window starts at 0x800000000000000 (2^59)",
                "levels=1} on fd 3 (container 1) = -1 ENOSPC (both DMA window slots are in use (window 0 [0x0, +0x80000000)"
                        + " of 4K TCEs, window 1 [0x800000000000000, +0x40000000) of 4K TCEs; tce_iommu_find_free_table))",
                "iova=0x80000000, size=0x1000} on fd 3 (container 1) = -1 ENXIO (IOVA 0x80000000 is in no DMA window",
                "VFIO_IOMMU_SPAPR_TCE_REMOVE {argsz=16, flags=0x0, start_addr=0x800000000100000} on fd 3 (container 1) = 0",
                // edu's DMA through a TCE, and a map over a mapping that replaces it
                "DMA of device 0000:01:00.0: read of 0x20 bytes at IOVA 0x10000 (out of host memory)",
                "= buf at 0x100 reads \"hello through a TCE\"",
                "= page 1 at 0x100 reads \"page 1 took page 0's place\": the device saw the new page",
                "VFIO_IOMMU_UNMAP_DMA {argsz=24, flags=0, iova=0x10000, size=0x4000} on fd 3 (container 1) = 0",
                "= 0x4000: UNMAP clears every entry",
                // EEH: the freeze, what a driver sees of it, and the recovery
                "DMA fault of device 0000:01:00.0: read of 0x20 bytes at IOVA 0x400000 refused: TCE access fault",
                "EEH freeze of PE of group 0: MMIO and DMA frozen (TCE access fault",
                "pread {BAR0+0x0, 4 bytes} -> 0xffffffff on fd 5 (device 0000:01:00.0) = 4",
                "= identification 0xffffffff, STOPPED",
                "EEH thaw of PE of group 0: MMIO thawed (VFIO_EEH_PE_UNFREEZE_IO); DMA still frozen",
                "= STOPPED_DMA, identification 0x010000ed",
                "EEH thaw of PE of group 0: MMIO and DMA thawed (RESET_DEACTIVATE: eeh_pe_reenable_devices)",
                "= buf at 0x200 reads \"hello through a TCE\": edu is back",
                "QEMU's own PHB never freezes a PE", "arch/powerpc/kernel/eeh.c",
                // v1: ENABLE charges the whole window
                "VFIO_IOMMU_ENABLE on fd 5 (container 2) = -1 ENOMEM (enabling charges the whole 0x80000000-byte 32-bit"
                        + " window, 524288 pages, which would pass RLIMIT_MEMLOCK: 2052 of 16384 pages are locked already"
                        + " (account_locked_vm in tce_iommu_enable))");
        assertInOrder(text, "1. A container on POWER", "2. Mistake, on purpose: choose type1 anyway", "3. Ask for the DMA windows",
                "4. v2 maps only memory registered first", "5. Windows: create a second one", "6. edu's DMA through a TCE",
                "7. Map over a mapping", "8. EEH: an error freezes edu's PE", "9. Recover: thaw MMIO, reset the PE, configure it",
                "10. Set edu up again", "11. v1, and why");
        assertInOrder(text, "op=ENABLE}", "-> NORMAL (0)", "EEH freeze of PE of group 0", "-> STOPPED (2)", "op=UNFREEZE_IO}",
                "-> STOPPED_DMA (4)", "op=RESET_HOT}", "op=RESET_DEACTIVATE}", "op=CONFIGURE}", "-> NORMAL (0)");
    }

    /** Each of {@code parts} occurs in {@code text} after the one before it. */
    private static void assertInOrder(String text, String... parts) {
        int at = -1;
        for (String part : parts) {
            int next = text.indexOf(part, at + 1);
            assertThat(next).as("'%s' after '%s'", part, at < 0 ? "the start" : text.substring(Math.max(0, at - 20), at + 20)).isGreaterThan(at);
            at = next;
        }
    }
}
