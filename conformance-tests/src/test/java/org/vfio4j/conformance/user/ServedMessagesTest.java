package org.vfio4j.conformance.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.conformance.user.Requests.U32;
import static org.vfio4j.conformance.user.Requests.U64;
import static org.vfio4j.conformance.user.UserClient.BAR0;
import static org.vfio4j.conformance.user.UserClient.CONFIG;
import static org.vfio4j.conformance.user.UserClient.errno;
import static org.vfio4j.conformance.user.UserClient.ok;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.vfio4j.Errno;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.kernel.user.UnixSocketChannel;
import org.vfio4j.spi.Fd;
import org.vfio4j.user.VfioUserCommand;
import org.vfio4j.user.VfioUserMessage;

/**
 * The vfio-user server's handshake and every message it serves, over a real socketpair with
 * descriptors passed as QEMU passes them (SCM_RIGHTS): the simulated edu (and NVMe controller)
 * answers through the simulated kernel's vfio-pci, so each reply is checked byte for byte against
 * what Linux 6.1's vfio-pci answers for that device.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ServedMessagesTest {
    /** edu's vendor and device IDs, config dword 0. */
    static final long EDU_IDS = 0x11e8_1234L;
    /** edu's BAR0 identification register. */
    static final long EDU_IDENTIFICATION = 0x0100_00edL;
    static final int PCI_COMMAND = 0x04;
    static final int MEMORY_AND_BUS_MASTER = 0x0006;
    /** SET_IRQS flags DATA_EVENTFD | ACTION_TRIGGER. */
    static final int EVENTFD_TRIGGER = 0x24;
    static final int INTX = 0;
    static final int MSI = 1;

    private final ClientFds fds = new ClientFds();
    private ServedDevice edu;
    private UserClient client;

    @BeforeEach
    void serveEdu() throws Exception {
        UnixSocketChannel[] pair = UnixSocketChannel.pair();
        edu = ServedDevice.start(ServedDevice.eduHost(), Topologies.EDU, pair[1]);
        client = UserClient.over(pair[0]);
    }

    @AfterEach
    void closeAll() throws IOException {
        client.close();
        edu.close();
        fds.close();
    }

    // ---- the handshake

    @Test
    void versionAnswersMajorZeroMinorZeroAndTheSubsetOfQemusCapabilitiesItTakes() throws IOException {
        byte[] p = client.handshake();

        MemorySegment s = MemorySegment.ofArray(p);
        assertThat(s.get(Requests.U16, 0)).as("major").isZero();
        assertThat(s.get(Requests.U16, 2)).as("minor").isZero();
        assertThat(p[p.length - 1]).as("the JSON ends with its NUL").isZero();
        // every capability named is one QEMU proposed, none larger; migration and write_multiple are not taken
        assertThat(new String(p, 4, p.length - 5, StandardCharsets.UTF_8)).isEqualTo("{\"capabilities\":{\"max_msg_fds\":16,"
                + "\"max_data_xfer_size\":1048576,\"pgsizes\":4096,\"max_dma_maps\":65535}}");
    }

    @Test
    void versionWithoutCapabilitiesAndWithAHigherMinorIsAnsweredZeroZeroAndNoCapabilities() throws IOException {
        // the version data is optional (vfio-user.rst); the reply's minor is at most the client's
        byte[] p = ok(client.call(VfioUserCommand.VERSION, Requests.ints(7 << 16)));

        assertThat(Arrays.copyOf(p, 4)).as("major 0, minor 0").isEqualTo(new byte[4]);
        assertThat(new String(p, 4, p.length - 4, StandardCharsets.UTF_8)).isEqualTo("{\"capabilities\":{}}\0");
        assertThat(client.read(CONFIG, 0, 4)).isEqualTo(EDU_IDS);
    }

    @Test
    void handshakeMistakesAreEinvalAndTheServerGoesOn() throws IOException {
        // vfio-user.rst: VERSION is the first message; anything before it is refused
        assertThat(errno(client.call(VfioUserCommand.REGION_READ, Requests.access(0, CONFIG, 4, new byte[0]))))
                .isEqualTo(Errno.EINVAL.number());
        assertThat(errno(client.call(VfioUserCommand.DEVICE_GET_INFO, Requests.ints(16, 0, 0, 0)))).isEqualTo(Errno.EINVAL.number());
        assertThat(errno(client.call(VfioUserCommand.VERSION, new byte[2]))).as("shorter than major and minor")
                .isEqualTo(Errno.EINVAL.number());
        assertThat(errno(client.call(VfioUserCommand.VERSION, Requests.version(1, 0, Requests.QEMU_CAPABILITIES))))
                .as("a major this server does not speak").isEqualTo(Errno.EINVAL.number());
        assertThat(errno(client.call(VfioUserCommand.VERSION, Requests.version(0, 0, "{\"capabilities\": [1,"))))
                .as("capabilities that are not JSON").isEqualTo(Errno.EINVAL.number());
        assertThat(errno(client.call(VfioUserCommand.VERSION, Requests.version(0, 0, "{\"capabilities\":{\"pgsizes\":8192}}"))))
                .as("page sizes the IOMMU (4 KiB) has none of").isEqualTo(Errno.EINVAL.number());
        assertThat(errno(client.call(VfioUserCommand.VERSION, Requests.version(0, 0, "{\"capabilities\":{\"max_data_xfer_size\":0}}"))))
                .as("no data in any message").isEqualTo(Errno.EINVAL.number());

        client.handshake(); // a refused VERSION leaves the handshake to be done

        assertThat(errno(client.call(VfioUserCommand.VERSION, Requests.version(0, 0, Requests.QEMU_CAPABILITIES))))
                .as("a second VERSION").isEqualTo(Errno.EINVAL.number());
        assertThat(client.read(CONFIG, 0, 4)).isEqualTo(EDU_IDS);
        assertThat(edu.isServing()).isTrue();
    }

    // ---- information

    @Test
    void deviceGetInfoIsVfioPcisAnswerForEduAndNvme() throws Exception {
        client.handshake();
        // vfio_pci_ioctl_get_info: VFIO_DEVICE_FLAGS_PCI, no RESET (edu has neither FLR nor PM), 9 regions, 5 IRQ indexes
        assertThat(ok(client.call(VfioUserCommand.DEVICE_GET_INFO, Requests.ints(16, 0, 0, 0)))).isEqualTo(Requests.ints(16, 0x2, 9, 5));
        assertThat(errno(client.call(VfioUserCommand.DEVICE_GET_INFO, Requests.ints(8, 0, 0, 0))))
                .as("argsz below the struct: the kernel's minsz check").isEqualTo(Errno.EINVAL.number());

        UnixSocketChannel[] pair = UnixSocketChannel.pair();
        try (ServedDevice nvme = ServedDevice.start(ServedDevice.nvmeHost(), ServedDevice.NVME, pair[1]);
                UserClient nvmeClient = UserClient.over(pair[0])) {
            nvmeClient.handshake();
            // FLR in its PCI Express capability: VFIO_DEVICE_FLAGS_RESET too
            assertThat(ok(nvmeClient.call(VfioUserCommand.DEVICE_GET_INFO, Requests.ints(16, 0, 0, 0))))
                    .isEqualTo(Requests.ints(16, 0x3, 9, 5));
        }
    }

    @Test
    void regionInfoOfEveryIndexHasNoMmapFlag() throws IOException {
        client.handshake();
        long shift = 40; // VFIO_PCI_OFFSET_SHIFT
        // BAR0: 1 MiB of registers, read and write; the kernel would add MMAP, the server offers none
        assertThat(ok(client.call(VfioUserCommand.DEVICE_GET_REGION_INFO, Requests.ints(32, 0, 0, 0, 0, 0, 0, 0))))
                .isEqualTo(regionInfo(0x3, 0, 0x10_0000, 0));
        for (int bar = 1; bar <= 5; bar++) { // unimplemented BARs: size 0, no flags
            assertThat(ok(client.call(VfioUserCommand.DEVICE_GET_REGION_INFO, Requests.ints(32, 0, bar, 0, 0, 0, 0, 0))))
                    .as("BAR%d", bar).isEqualTo(regionInfo(0, bar, 0, (long) bar << shift));
        }
        assertThat(ok(client.call(VfioUserCommand.DEVICE_GET_REGION_INFO, Requests.ints(32, 0, 6, 0, 0, 0, 0, 0))))
                .as("no option ROM").isEqualTo(regionInfo(0, 6, 0, 6L << shift));
        assertThat(ok(client.call(VfioUserCommand.DEVICE_GET_REGION_INFO, Requests.ints(32, 0, CONFIG, 0, 0, 0, 0, 0))))
                .as("config space of a conventional PCI function").isEqualTo(regionInfo(0x3, CONFIG, 256, 7L << shift));
        assertThat(errno(client.call(VfioUserCommand.DEVICE_GET_REGION_INFO, Requests.ints(32, 0, 8, 0, 0, 0, 0, 0))))
                .as("the VGA region of a function that is no VGA device").isEqualTo(Errno.EINVAL.number());
        assertThat(errno(client.call(VfioUserCommand.DEVICE_GET_REGION_INFO, Requests.ints(32, 0, 9, 0, 0, 0, 0, 0))))
                .as("an index past num_regions").isEqualTo(Errno.EINVAL.number());
    }

    /** struct vfio_region_info with argsz 32 and no capabilities. */
    private static byte[] regionInfo(int flags, int index, long size, long offset) {
        return regionInfoWithCaps(32, flags, index, 0, size, offset);
    }

    @Test
    void nvmeMsixBarIsOfferedWithoutMmapAndItsCapabilityChainIntact() throws Exception {
        UnixSocketChannel[] pair = UnixSocketChannel.pair();
        try (ServedDevice nvme = ServedDevice.start(ServedDevice.nvmeHost(), ServedDevice.NVME, pair[1]);
                UserClient nvmeClient = UserClient.over(pair[0])) {
            nvmeClient.handshake();
            // argsz 32 is too small for the capability: the kernel answers the argsz needed (32 + an 8-byte
            // VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, msix_mmappable_cap) with cap_offset 0; no MMAP, no chain
            byte[] small = ok(nvmeClient.call(VfioUserCommand.DEVICE_GET_REGION_INFO, Requests.ints(32, 0, 0, 0, 0, 0, 0, 0)));
            byte[] expected = regionInfo(0x3, 0, 0x4000, 0);
            MemorySegment.ofArray(expected).set(U32, 0, 40);
            assertThat(small).isEqualTo(expected);

            byte[] full = ok(nvmeClient.call(VfioUserCommand.DEVICE_GET_REGION_INFO, Requests.ints(40, 0, 0, 0, 0, 0, 0, 0)));
            // read, write and CAPS (MMAP cleared); the MSI-X-mappable capability (id 3, version 1, last) at 32
            assertThat(full).isEqualTo(Requests.concat(regionInfoWithCaps(40, 0xb, 0, 32, 0x4000, 0), Requests.ints(0x0001_0003, 0)));
        }
    }

    /** struct vfio_region_info with capabilities at {@code capOffset}. */
    private static byte[] regionInfoWithCaps(int argsz, int flags, int index, int capOffset, long size, long offset) {
        byte[] p = Requests.ints(argsz, flags, index, capOffset, 0, 0, 0, 0);
        MemorySegment.ofArray(p).set(U64, 16, size);
        MemorySegment.ofArray(p).set(U64, 24, offset);
        return p;
    }

    @Test
    void irqInfoOfEveryIndex() throws IOException {
        client.handshake();
        // vfio_pci_ioctl_get_irq_info: EVENTFD, and MASKABLE|AUTOMASKED for INTx, NORESIZE for the others
        assertThat(ok(client.call(VfioUserCommand.DEVICE_GET_IRQ_INFO, Requests.ints(16, 0, INTX, 0))))
                .as("INTx, pin A").isEqualTo(Requests.ints(16, 0x7, INTX, 1));
        assertThat(ok(client.call(VfioUserCommand.DEVICE_GET_IRQ_INFO, Requests.ints(16, 0, MSI, 0))))
                .as("MSI, one vector").isEqualTo(Requests.ints(16, 0x9, MSI, 1));
        assertThat(ok(client.call(VfioUserCommand.DEVICE_GET_IRQ_INFO, Requests.ints(16, 0, 2, 0))))
                .as("no MSI-X capability").isEqualTo(Requests.ints(16, 0x9, 2, 0));
        assertThat(errno(client.call(VfioUserCommand.DEVICE_GET_IRQ_INFO, Requests.ints(16, 0, 3, 0))))
                .as("the error index exists for PCI Express functions only").isEqualTo(Errno.EINVAL.number());
        assertThat(ok(client.call(VfioUserCommand.DEVICE_GET_IRQ_INFO, Requests.ints(16, 0, 4, 0))))
                .as("the device request index").isEqualTo(Requests.ints(16, 0x9, 4, 1));
        assertThat(errno(client.call(VfioUserCommand.DEVICE_GET_IRQ_INFO, Requests.ints(16, 0, 5, 0)))).isEqualTo(Errno.EINVAL.number());
    }

    // ---- region access

    @Test
    void configAndBar0ReadAndWriteAsEdu() throws IOException {
        client.handshake();
        assertThat(client.read(CONFIG, 0x00, 4)).as("vendor 1234, device 11e8").isEqualTo(EDU_IDS);
        assertThat(client.read(CONFIG, 0x08, 4)).as("class 00ff00, revision 0x10").isEqualTo(0x00ff_0010L);
        assertThat(client.read(CONFIG, 0x2c, 4)).as("subsystem 1af4:1100").isEqualTo(0x1100_1af4L);
        assertThat(client.read(BAR0, 0x00, 4)).as("identification").isEqualTo(EDU_IDENTIFICATION);

        client.write(BAR0, 0x04, 4, 0x1234_5678L);
        assertThat(client.read(BAR0, 0x04, 4)).as("liveness reads the inverse").isEqualTo(0xedcb_a987L);

        client.write(CONFIG, PCI_COMMAND, 2, MEMORY_AND_BUS_MASTER);
        assertThat(client.read(CONFIG, PCI_COMMAND, 2) & 0x7).as("memory and bus master on, I/O off").isEqualTo(MEMORY_AND_BUS_MASTER);

        assertThat(errno(client.call(VfioUserCommand.REGION_READ, Requests.access(0x1000, CONFIG, 4, new byte[0]))))
                .as("past the 256 bytes of config space, as pread on the device fd").isEqualTo(Errno.EFAULT.number());
    }

    @Test
    void aPostedWriteIsNeverAnswered() throws IOException {
        client.handshake();
        int posted = client.post(BAR0, 0x04, 4, 0x0f0f_0f0fL);
        int failing = client.post(42, 0x04, 4, 1); // no region 42: fails, and still is not answered
        int read = client.send(VfioUserCommand.REGION_READ, Requests.access(0x04, BAR0, 4, new byte[0]));

        VfioUserMessage next = client.replyTo(read, VfioUserCommand.REGION_READ.code());

        assertThat(read).isNotIn(posted, failing);
        assertThat(MemorySegment.ofArray(ok(next)).get(U32, 16)).as("the posted write took effect").isEqualTo(0xf0f0_f0f0);
        assertThat(edu.server.log()).anyMatch(l -> l.contains("message " + failing) && l.contains("(no reply)"));
    }

    // ---- interrupts

    @Test
    void anIntxEventfdPassedWithSetIrqsIsSignalledWhenEduRaisesItsInterrupt() throws Exception {
        client.handshake();
        Fd eventfd = fds.eventfd();
        assertThat(ok(client.call(VfioUserCommand.DEVICE_SET_IRQS, Requests.setIrqs(EVENTFD_TRIGGER, INTX, 0, 1),
                ClientFds.lent(eventfd)))).isEmpty();
        assertThat(fds.readable(eventfd, 0)).as("nothing raised yet").isFalse();

        client.write(BAR0, QemuEdu.REG_IRQ_RAISE, 4, 1);

        assertThat(fds.readable(eventfd, 2000)).as("the client's eventfd is signalled").isTrue();
        assertThat(fds.takeCount(eventfd)).isEqualTo(1);
        assertThat(client.read(BAR0, QemuEdu.REG_IRQ_STATUS, 4)).isEqualTo(1);
    }

    @Test
    void anMsiEventfdCountsEveryMessage() throws Exception {
        client.handshake();
        client.write(CONFIG, PCI_COMMAND, 2, MEMORY_AND_BUS_MASTER); // an MSI is a memory write by the device
        Fd eventfd = fds.eventfd();
        assertThat(ok(client.call(VfioUserCommand.DEVICE_SET_IRQS, Requests.setIrqs(EVENTFD_TRIGGER, MSI, 0, 1),
                ClientFds.lent(eventfd)))).isEmpty();

        client.write(BAR0, QemuEdu.REG_IRQ_RAISE, 4, 1);
        client.write(BAR0, QemuEdu.REG_IRQ_RAISE, 4, 2);

        assertThat(fds.readable(eventfd, 2000)).isTrue();
        assertThat(fds.takeCount(eventfd)).as("MSI is not masked after a message, unlike INTx").isEqualTo(2);
        assertThat(client.read(BAR0, QemuEdu.REG_IRQ_STATUS, 4)).isEqualTo(3);
    }

    // ---- DMA

    @Test
    void eduDmaReachesTheClientsMemfdUntilItIsUnmapped() throws Exception {
        client.handshake();
        long iova = 0x10_0000;
        Fd ram = fds.memfd("guest-ram", 0x4000);
        byte[] pattern = new byte[64];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (i * 7 + 1);
        }
        fds.write(ram, 0, pattern);
        assertThat(ok(client.call(VfioUserCommand.DMA_MAP, Requests.dmaMap(0x3, 0, iova, 0x4000), ClientFds.lent(ram)))).isEmpty();
        assertThat(errno(client.call(VfioUserCommand.DMA_MAP, Requests.dmaMap(0x3, 0, iova + 0x1000, 0x1000), ClientFds.lent(ram))))
                .as("overlapping a mapped range (vfio_dma_do_map)").isEqualTo(Errno.EEXIST.number());
        client.write(CONFIG, PCI_COMMAND, 2, MEMORY_AND_BUS_MASTER);

        dma(iova, QemuEdu.DMA_BUFFER, QemuEdu.DMA_RUN); // guest RAM into edu's buffer
        dma(QemuEdu.DMA_BUFFER, iova + 0x2000, QemuEdu.DMA_RUN | QemuEdu.DMA_TO_HOST); // and back out, 8 KiB further

        assertThat(fds.read(ram, 0x2000, 64)).as("the device wrote the client's memory").isEqualTo(pattern);

        byte[] unmap = Requests.dmaUnmap(0, iova, 0x4000);
        assertThat(ok(client.call(VfioUserCommand.DMA_UNMAP, unmap))).as("the request echoed").isEqualTo(unmap);
        assertThat(ok(client.call(VfioUserCommand.DMA_UNMAP, unmap))).as("nothing left there: nothing unmapped, no error")
                .isEqualTo(unmap);

        dma(QemuEdu.DMA_BUFFER, iova + 0x3000, QemuEdu.DMA_RUN | QemuEdu.DMA_TO_HOST);

        assertThat(fds.read(ram, 0x3000, 64)).as("nothing reaches unmapped memory").isEqualTo(new byte[64]);
        assertThat(edu.kernel.model(edu.address, QemuEdu.class).lastDmaFault()).as("the IOMMU refused the transfer").isNotNull();
    }

    /** Runs one edu DMA transfer of 64 bytes and waits until the engine is idle again. */
    private void dma(long source, long destination, int command) throws IOException {
        client.write(BAR0, QemuEdu.REG_DMA_SRC, 8, source);
        client.write(BAR0, QemuEdu.REG_DMA_DST, 8, destination);
        client.write(BAR0, QemuEdu.REG_DMA_COUNT, 8, 64);
        client.write(BAR0, QemuEdu.REG_DMA_CMD, 8, command);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while ((client.read(BAR0, QemuEdu.REG_DMA_CMD, 8) & QemuEdu.DMA_RUN) != 0) {
            assertThat(System.nanoTime()).as("the DMA engine finishes").isLessThan(deadline);
        }
    }

    // ---- reset

    @Test
    void resetIsEinvalForEduAndResetsTheNvmeController() throws Exception {
        client.handshake();
        assertThat(errno(client.call(VfioUserCommand.DEVICE_RESET, new byte[0])))
                .as("vfio-pci has no reset for edu (reset_works false)").isEqualTo(Errno.EINVAL.number());
        assertThat(client.read(CONFIG, 0, 4)).isEqualTo(EDU_IDS);

        UnixSocketChannel[] pair = UnixSocketChannel.pair();
        try (ServedDevice nvme = ServedDevice.start(ServedDevice.nvmeHost(), ServedDevice.NVME, pair[1]);
                UserClient nvmeClient = UserClient.over(pair[0])) {
            nvmeClient.handshake();
            int cc = 0x14;
            nvmeClient.write(BAR0, cc, 4, 0x0046_0000L); // IOSQES 6, IOCQES 4, not enabled
            assertThat(nvmeClient.read(BAR0, cc, 4)).isEqualTo(0x0046_0000L);

            assertThat(ok(nvmeClient.call(VfioUserCommand.DEVICE_RESET, new byte[0]))).isEmpty();

            assertThat(nvmeClient.read(BAR0, cc, 4)).as("the function-level reset cleared CC").isZero();
        }
    }

    // ---- the end

    @Test
    void theClientClosingEndsServeAndReleasesTheDevice() throws Exception {
        client.handshake();
        Fd eventfd = fds.eventfd();
        Fd ram = fds.memfd("guest-ram", 0x4000);
        List<String> before = ClientFds.openDescriptors();
        ok(client.call(VfioUserCommand.DMA_MAP, Requests.dmaMap(0x3, 0, 0x10_0000, 0x4000), ClientFds.lent(ram)));
        ok(client.call(VfioUserCommand.DEVICE_SET_IRQS, Requests.setIrqs(EVENTFD_TRIGGER, INTX, 0, 1), ClientFds.lent(eventfd)));
        List<String> held = new ArrayList<>(ClientFds.openDescriptors());
        held.removeAll(before);
        assertThat(held).as("the server's copies of the memfd and the eventfd").hasSize(2);
        assertThat(edu.kernel.resources().isEmpty()).isFalse();

        client.close();

        assertThat(edu.outcome()).as("serve() returns normally at the end of the connection").isNull();
        assertThat(edu.kernel.resources().isEmpty()).as("%s", edu.kernel.resources()).isTrue();
        assertThat(ClientFds.openDescriptors()).as("the server closed what it was passed").doesNotContainAnyElementsOf(held);
        assertThat(edu.server.log()).isEmpty();
    }
}
