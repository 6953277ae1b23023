package org.vfio4j.sim.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_GET_INFO;
import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_GET_IRQ_INFO;
import static org.vfio4j.uapi.VfioUapi.VFIO_DEVICE_GET_REGION_INFO;
import static org.vfio4j.uapi.VfioUapi.VFIO_REGION_INFO_FLAG_MMAP;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.user.VfioUserCommand;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

class VfioUserServerTest {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final String QEMU_CAPS = "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,"
            + "\"pgsizes\":4096,\"max_dma_maps\":65535,\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":1048576},"
            + "\"write_multiple\":true}}";
    private static final int CONFIG = 7;
    private static final int NO_REPLY = VfioUserHeader.NO_REPLY;

    UserDevice model;
    SimulatedKernel kernel;
    FakeChannel ch;
    VfioUserServer server;

    @BeforeEach
    void boot() throws Exception {
        model = new UserDevice();
        kernel = UserDevice.host(model).boot();
        ch = new FakeChannel();
        server = VfioUserServer.open(kernel, PciAddress.parse(UserDevice.BDF), ch);
    }

    @AfterEach
    void shut() {
        server.close();
        kernel.close();
        ch.close();
    }

    // ---- helpers: the client's side of the wire

    /** Handles every queued message without ending the session (serve() would close at the empty queue's EOF). */
    void drain() throws Exception {
        while (server.serveOne()) {
            // next
        }
    }

    int version() {
        return ch.queue(VfioUserCommand.VERSION.code(), 0, versionPayload(0, 0, QEMU_CAPS));
    }

    static byte[] versionPayload(int major, int minor, String json) {
        byte[] text = json.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[4 + text.length + 1];
        MemorySegment.ofArray(p).set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) major);
        MemorySegment.ofArray(p).set(ValueLayout.JAVA_SHORT_UNALIGNED, 2, (short) minor);
        System.arraycopy(text, 0, p, 4, text.length);
        return p;
    }

    static byte[] ints(int... v) {
        byte[] p = new byte[4 * v.length];
        for (int i = 0; i < v.length; i++) {
            MemorySegment.ofArray(p).set(U32, 4L * i, v[i]);
        }
        return p;
    }

    static byte[] access(long offset, int region, int count, byte[] data) {
        byte[] p = new byte[16 + data.length];
        MemorySegment s = MemorySegment.ofArray(p);
        s.set(U64, 0, offset);
        s.set(U32, 8, region);
        s.set(U32, 12, count);
        System.arraycopy(data, 0, p, 16, data.length);
        return p;
    }

    int read(long offset, int region, int count) {
        return ch.queue(VfioUserCommand.REGION_READ.code(), 0, access(offset, region, count, new byte[0]));
    }

    int write(int flags, long offset, int region, long value, int size) {
        byte[] data = new byte[size];
        MemorySegment.ofArray(data).copyFrom(MemorySegment.ofArray(new long[] {value}).asSlice(0, size));
        return ch.queue(VfioUserCommand.REGION_WRITE.code(), flags, access(offset, region, size, data));
    }

    static byte[] dmaMap(int flags, long offset, long iova, long size) {
        byte[] p = new byte[32];
        MemorySegment s = MemorySegment.ofArray(p);
        s.set(U32, 0, 32);
        s.set(U32, 4, flags);
        s.set(U64, 8, offset);
        s.set(U64, 16, iova);
        s.set(U64, 24, size);
        return p;
    }

    static byte[] dmaUnmap(int flags, long iova, long size) {
        byte[] p = new byte[24];
        MemorySegment s = MemorySegment.ofArray(p);
        s.set(U32, 0, 24);
        s.set(U32, 4, flags);
        s.set(U64, 8, iova);
        s.set(U64, 16, size);
        return p;
    }

    static byte[] setIrqs(int flags, int index, int start, int count) {
        return ints(20, flags, index, start, count);
    }

    /** Memory decode and bus mastering on, through the config region as the guest would. */
    void enableDevice() {
        write(0, 4, CONFIG, 0x6, 2);
    }

    VfioUserMessage reply(int id) {
        List<VfioUserMessage> r = ch.sent.stream().filter(m -> m.header().id() == id).toList();
        assertThat(r).as("replies to message %d", id).hasSize(1);
        assertThat(r.get(0).header().type()).isEqualTo(VfioUserHeader.TYPE_REPLY);
        return r.get(0);
    }

    int errno(int id) {
        VfioUserMessage m = reply(id);
        assertThat(m.header().isError()).as("message %d failed", id).isTrue();
        assertThat(m.payload()).isEmpty();
        return m.header().error();
    }

    byte[] ok(int id) {
        VfioUserMessage m = reply(id);
        assertThat(m.header().isError()).as("message %d succeeded (errno %d; log %s)", id, m.header().error(), server.log()).isFalse();
        return m.payload();
    }

    long readValue(int id, int size) {
        byte[] p = ok(id);
        assertThat(p).hasSize(16 + size);
        assertThat(MemorySegment.ofArray(p).get(U32, 12)).isEqualTo(size);
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (p[16 + i] & 0xff);
        }
        return v;
    }

    // ---- the handshake

    @Test
    void versionAnswersMajorZeroWithASubsetOfTheClientsCapabilities() throws Exception {
        int id = version();
        server.serve();
        byte[] p = ok(id);
        MemorySegment s = MemorySegment.ofArray(p);
        assertThat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0)).isZero();
        assertThat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2)).isZero();
        assertThat(p[p.length - 1]).as("NUL-terminated").isZero();
        Object json = new VersionCaps.Reader(new String(p, 4, p.length - 5, StandardCharsets.UTF_8)).document();
        assertThat(json).isEqualTo(Map.of("capabilities", Map.of("max_msg_fds", 16L, "max_data_xfer_size", 1048576L,
                "pgsizes", 4096L, "max_dma_maps", 65535L)));
    }

    @Test
    void versionWithSmallerClientLimitsIsAnsweredWithThem() throws Exception {
        int id = ch.queue(1, 0, versionPayload(0, 3, "{\"capabilities\":{\"max_data_xfer_size\":4096,\"max_msg_fds\":2}}"));
        server.serve();
        byte[] p = ok(id);
        assertThat(new String(p, 4, p.length - 5, StandardCharsets.UTF_8))
                .isEqualTo("{\"capabilities\":{\"max_msg_fds\":2,\"max_data_xfer_size\":4096}}");
    }

    @Test
    void anotherMajorIsRefusedAndTheHandshakeCanBeRetried() throws Exception {
        int bad = ch.queue(1, 0, versionPayload(1, 0, QEMU_CAPS));
        int garbage = ch.queue(1, 0, versionPayload(0, 0, "{\"capabilities\": [1,"));
        int good = version();
        int read = read(0, CONFIG, 4);
        server.serve();
        assertThat(errno(bad)).isEqualTo(Errno.EINVAL.number());
        assertThat(errno(garbage)).isEqualTo(Errno.EINVAL.number());
        ok(good);
        assertThat(readValue(read, 4)).isEqualTo(0x10f11af4L);
    }

    @Test
    void requestsBeforeTheHandshakeAreRefused() throws Exception {
        int early = read(0, CONFIG, 4);
        server.serve();
        assertThat(errno(early)).isEqualTo(Errno.EINVAL.number());
    }

    // ---- info requests pass through the device's own ioctls

    @Test
    void infoRepliesAreTheKernelsStructs() throws Exception {
        version();
        int info = ch.queue(VfioUserCommand.DEVICE_GET_INFO.code(), 0, ints(16, 0, 0, 0));
        int irq = ch.queue(VfioUserCommand.DEVICE_GET_IRQ_INFO.code(), 0, ints(16, 0, 1, 0));
        int config = ch.queue(VfioUserCommand.DEVICE_GET_REGION_INFO.code(), 0, ints(32, 0, CONFIG, 0, 0, 0, 0, 0));
        int bar2 = ch.queue(VfioUserCommand.DEVICE_GET_REGION_INFO.code(), 0, ints(256, 0, 2, 0, 0, 0, 0, 0));
        byte[] directInfo = direct(VFIO_DEVICE_GET_INFO, ints(16, 0, 0, 0));
        byte[] directIrq = direct(VFIO_DEVICE_GET_IRQ_INFO, ints(16, 0, 1, 0));
        byte[] directConfig = direct(VFIO_DEVICE_GET_REGION_INFO, ints(32, 0, CONFIG, 0, 0, 0, 0, 0));
        byte[] directBar2 = direct(VFIO_DEVICE_GET_REGION_INFO, ints(256, 0, 2, 0, 0, 0, 0, 0));
        server.serve();

        assertThat(ok(info)).isEqualTo(directInfo);
        assertThat(MemorySegment.ofArray(directInfo).get(U32, 8)).as("num_regions").isEqualTo(9);
        assertThat(ok(irq)).isEqualTo(directIrq);
        assertThat(MemorySegment.ofArray(directIrq).get(U32, 12)).as("MSI vectors").isEqualTo(2);
        assertThat(ok(config)).isEqualTo(directConfig);

        byte[] served = ok(bar2);
        int directFlags = MemorySegment.ofArray(directBar2).get(U32, 4);
        assertThat(directFlags & VFIO_REGION_INFO_FLAG_MMAP).as("the kernel offers mmap").isNotZero();
        int argsz = MemorySegment.ofArray(directBar2).get(U32, 0);
        assertThat(served).hasSize(Math.min(256, argsz));
        assertThat(MemorySegment.ofArray(served).get(U32, 4)).isEqualTo(directFlags & ~VFIO_REGION_INFO_FLAG_MMAP & ~0x8 | (directFlags & 0x8 & capsLeft(served)));
        assertThat(Arrays.copyOfRange(served, 8, 32)).as("index, cap_offset... size, offset").isEqualTo(withoutSparse(directBar2));
    }

    /** 8 (FLAG_CAPS) if the served reply still has a capability chain. */
    private static int capsLeft(byte[] served) {
        return MemorySegment.ofArray(served).get(U32, 12) != 0 ? 0x8 : 0;
    }

    /** Bytes 8..32 of the kernel's region info with a sparse-mmap capability at cap_offset unlinked. */
    private static byte[] withoutSparse(byte[] direct) {
        MemorySegment s = MemorySegment.ofArray(direct.clone());
        int at = s.get(U32, 12);
        if (at != 0 && s.get(ValueLayout.JAVA_SHORT_UNALIGNED, at) == 1) {
            s.set(U32, 12, s.get(U32, at + 4));
        }
        return Arrays.copyOfRange(s.toArray(ValueLayout.JAVA_BYTE), 8, 32);
    }

    private byte[] direct(long request, byte[] struct) throws Exception {
        int argsz = MemorySegment.ofArray(struct).get(U32, 0);
        MemorySegment buf = MemorySegment.ofArray(new long[(argsz + 7) / 8]).asSlice(0, argsz);
        buf.copyFrom(MemorySegment.ofArray(struct));
        kernel.ioctl(server.device().fd(), request, buf);
        int written = Math.min(argsz, Math.max(struct.length, buf.get(U32, 0)));
        return buf.asSlice(0, written).toArray(ValueLayout.JAVA_BYTE);
    }

    // ---- region access

    @Test
    void configSpaceReadsAsTheDevicesConfigDwords() throws Exception {
        version();
        int[] ids = new int[16];
        for (int i = 0; i < 16; i++) {
            ids[i] = read(4L * i, CONFIG, 4);
        }
        int[] expected = new int[16];
        for (int i = 0; i < 16; i++) {
            expected[i] = server.device().readConfigDword(4L * i);
        }
        server.serve();
        for (int i = 0; i < 16; i++) {
            assertThat((int) readValue(ids[i], 4)).as("dword %d", i).isEqualTo(expected[i]);
        }
    }

    @Test
    void aPostedBarWriteIsNotAnsweredAndTakesEffect() throws Exception {
        version();
        enableDevice();
        int posted = write(NO_REPLY, 0x30, 0, 0x1234_5678L, 4);
        int read = read(0x30, 0, 4);
        drain();
        assertThat(ch.sent).noneMatch(m -> m.header().id() == posted);
        assertThat(model.scratch).isEqualTo(0x1234_5678L);
        assertThat(readValue(read, 4)).isEqualTo(0x1234_5678L);
    }

    @Test
    void aConfigWriteIsAnsweredWithTheCountWritten() throws Exception {
        version();
        int w = write(0, 4, CONFIG, 0x6, 2);
        int r = read(4, CONFIG, 2);
        server.serve();
        byte[] p = ok(w);
        assertThat(p).hasSize(16);
        assertThat(MemorySegment.ofArray(p).get(U64, 0)).isEqualTo(4);
        assertThat(MemorySegment.ofArray(p).get(U32, 8)).isEqualTo(CONFIG);
        assertThat(MemorySegment.ofArray(p).get(U32, 12)).isEqualTo(2);
        assertThat(readValue(r, 2) & 0x6).isEqualTo(0x6);
    }

    @Test
    void aBarWriteWithMemoryDecodeOffFailsAsTheKernelSaysAndAPostedOneIsOnlyLogged() throws Exception {
        version();
        write(0, 4, CONFIG, 0x0, 2); // memory decode off (vfio-pci turned it on when it enabled the device)
        int w = write(0, 0x30, 0, 7, 4);
        write(NO_REPLY, 0x30, 0, 9, 4);
        server.serve();
        assertThat(errno(w)).isEqualTo(Errno.EIO.number()); // vfio_pci_bar_rw: memory decode off
        assertThat(model.scratch).isZero();
        assertThat(ch.sent).hasSize(3); // VERSION, the config write and w
        assertThat(server.log()).anyMatch(l -> l.contains("(no reply)") && l.contains("errno " + Errno.EIO.number()));
    }

    // ---- interrupts

    @Test
    void msiVectorsReachTheClientsEventfds() throws Exception {
        version();
        enableDevice();
        FakeChannel.Passed v0 = ch.fd();
        FakeChannel.Passed v1 = ch.fd();
        int attach = ch.queue(VfioUserCommand.DEVICE_SET_IRQS.code(), 0, setIrqs(0x24, 1, 0, 2), v0, v1);
        write(NO_REPLY, 0x28, 0, 1, 4); // the device raises vector 1
        write(NO_REPLY, 0x28, 0, 1, 4);
        int loop = ch.queue(VfioUserCommand.DEVICE_SET_IRQS.code(), 0, setIrqs(0x21, 1, 0, 1)); // loop-back trigger of vector 0
        server.serve();
        ok(attach);
        ok(loop);
        assertThat(ch.signalsOf(v1)).isEqualTo(2);
        assertThat(ch.signalsOf(v0)).isEqualTo(1);
        assertThat(v0.closed).as("closed with the server").isTrue();
    }

    @Test
    void intxReachesTheClientAndDetachReleasesEverything() throws Exception {
        version();
        enableDevice();
        FakeChannel.Passed intx = ch.fd();
        int attach = ch.queue(VfioUserCommand.DEVICE_SET_IRQS.code(), 0, setIrqs(0x24, 0, 0, 1), intx);
        write(NO_REPLY, 0x28, 0, 0xff, 4);
        drain();
        ok(attach);
        assertThat(ch.signalsOf(intx)).isEqualTo(1);
        assertThat(kernel.resources().armedInterrupts()).isNotEmpty();
        int detach = ch.queue(VfioUserCommand.DEVICE_SET_IRQS.code(), 0, setIrqs(0x21, 0, 0, 0));
        drain();
        ok(detach);
        assertThat(intx.closed).isTrue();
        assertThat(kernel.resources().armedInterrupts()).isEmpty();
        assertThat(kernel.resources().openFiles()).noneMatch(f -> f.contains("eventfd"));
    }

    @Test
    void eventfdsWithTheWrongCountAreRefusedAndClosed() throws Exception {
        version();
        FakeChannel.Passed a = ch.fd();
        int bad = ch.queue(VfioUserCommand.DEVICE_SET_IRQS.code(), 0, setIrqs(0x24, 1, 0, 2), a);
        FakeChannel.Passed b = ch.fd();
        int kernelRefuses = ch.queue(VfioUserCommand.DEVICE_SET_IRQS.code(), 0, setIrqs(0x24, 1, 0, 3), b, ch.fd(), ch.fd());
        server.serve();
        assertThat(errno(bad)).isEqualTo(Errno.EINVAL.number());
        assertThat(a.closed).isTrue();
        assertThat(errno(kernelRefuses)).isEqualTo(Errno.EINVAL.number()); // 3 vectors of an index with 2 (vfio_set_irqs_validate_and_prepare)
        assertThat(b.closed).isTrue();
    }

    // ---- INTx unmask by eventfd (QEMU under KVM: the resample eventfd of KVM's irqfd)

    private static final int TRIGGER_EVENTFD = 0x24; // DATA_EVENTFD | ACTION_TRIGGER
    private static final int UNMASK_EVENTFD = 0x14; // DATA_EVENTFD | ACTION_UNMASK
    private static final int MASK_EVENTFD = 0x0c; // DATA_EVENTFD | ACTION_MASK

    int setIrqsWith(int flags, int index, int count, FakeChannel.Passed... fds) {
        return ch.queue(VfioUserCommand.DEVICE_SET_IRQS.code(), 0, setIrqs(flags, index, 0, count), fds);
    }

    /** The device drives its INTx line (a posted BAR write, as the guest's driver would make it). */
    void intx(boolean asserted) throws Exception {
        write(NO_REPLY, 0x28, 0, asserted ? 0xff : 0xfe, 4);
        drain();
    }

    /** INTx wired to {@code trigger} with {@code unmask} as its unmask eventfd, both accepted. */
    void intxWithUnmaskEventfd(FakeChannel.Passed trigger, FakeChannel.Passed unmask) throws Exception {
        version();
        enableDevice();
        int t = setIrqsWith(TRIGGER_EVENTFD, 0, 1, trigger);
        int u = setIrqsWith(UNMASK_EVENTFD, 0, 1, unmask);
        drain();
        ok(t);
        ok(u);
    }

    long simulatedEventfds() {
        return kernel.resources().openFiles().stream().filter(f -> f.contains("eventfd")).count();
    }

    @Test
    void theClientsUnmaskEventfdUnmasksIntxEachTimeItIsSignalled() throws Exception {
        FakeChannel.Passed trigger = ch.fd();
        FakeChannel.Passed unmask = ch.fd();
        intxWithUnmaskEventfd(trigger, unmask);

        intx(true);
        assertThat(ch.signalsOf(trigger)).as("delivered; the kernel masks INTx as it delivers").isEqualTo(1);
        intx(false);
        intx(true);
        assertThat(ch.signalsOf(trigger)).as("a new assertion while masked is held back").isEqualTo(1);

        assertThat(ch.clientSignals(unmask)).as("the server watches the client's eventfd").isTrue();
        assertThat(ch.signalsOf(trigger)).as("unmasked with the line still high: vfio_pci_intx_unmask signals again, stays masked")
                .isEqualTo(2);
        intx(false);
        ch.clientSignals(unmask);
        assertThat(ch.signalsOf(trigger)).as("unmasked with the line low: nothing to signal").isEqualTo(2);
        intx(true);
        assertThat(ch.signalsOf(trigger)).as("unmasked, so the next assertion is delivered").isEqualTo(3);
        assertThat(kernel.resources().armedInterrupts()).anyMatch(l -> l.contains("INTx unmask <- "));
        assertThat(server.log()).isEmpty();
    }

    @Test
    void fdMinusOneRemovesTheUnmaskEventfdAndItsWatch() throws Exception {
        FakeChannel.Passed trigger = ch.fd();
        FakeChannel.Passed unmask = ch.fd();
        intxWithUnmaskEventfd(trigger, unmask);
        assertThat(simulatedEventfds()).isEqualTo(2);

        int remove = setIrqsWith(UNMASK_EVENTFD, 0, 1); // no fd: -1 for the vector, as QEMU sends it
        drain();

        ok(remove);
        assertThat(unmask.closed).isTrue();
        assertThat(ch.watches).isEmpty();
        assertThat(ch.closedWhileWatched).as("the watch stopped before its fd was closed").isEmpty();
        assertThat(kernel.resources().armedInterrupts()).noneMatch(l -> l.contains("unmask"));
        assertThat(simulatedEventfds()).as("only the trigger's").isEqualTo(1);
        intx(true);
        intx(false);
        intx(true);
        assertThat(ch.clientSignals(unmask)).isFalse();
        assertThat(ch.signalsOf(trigger)).as("INTx stays masked: nothing unmasks it any more").isEqualTo(1);
    }

    @Test
    void disablingIntxDropsItsUnmaskEventfd() throws Exception {
        FakeChannel.Passed trigger = ch.fd();
        FakeChannel.Passed unmask = ch.fd();
        intxWithUnmaskEventfd(trigger, unmask);

        int disable = ch.queue(VfioUserCommand.DEVICE_SET_IRQS.code(), 0, setIrqs(0x21, 0, 0, 0)); // DATA_NONE, count 0
        drain();

        ok(disable);
        assertThat(unmask.closed).isTrue();
        assertThat(trigger.closed).isTrue();
        assertThat(ch.watches).isEmpty();
        assertThat(ch.closedWhileWatched).isEmpty();
        assertThat(kernel.resources().armedInterrupts()).isEmpty();
        assertThat(simulatedEventfds()).isZero();
    }

    @Test
    void closingTheServerStopsTheWatchAndLeavesTheKernelAsFresh() throws Exception {
        FakeChannel.Passed trigger = ch.fd();
        FakeChannel.Passed unmask = ch.fd();
        intxWithUnmaskEventfd(trigger, unmask);

        server.close();

        assertThat(ch.watches).isEmpty();
        assertThat(ch.closedWhileWatched).isEmpty();
        assertThat(unmask.closed).isTrue();
        assertThat(kernel.resources()).isEqualTo(UserDevice.host(new UserDevice()).boot().resources());
    }

    @Test
    void aSecondUnmaskEventfdReplacesTheFirst_asQemusCloseOfTheFirstDoesOnLinux() throws Exception {
        // the kernel answers a second one EBUSY (vfio_virqfd_enable; InterruptsTest); QEMU drops the first by
        // closing it, which the server, holding its own copy, never sees: the server removes it itself
        FakeChannel.Passed trigger = ch.fd();
        FakeChannel.Passed first = ch.fd();
        intxWithUnmaskEventfd(trigger, first);
        FakeChannel.Passed second = ch.fd();
        int again = setIrqsWith(UNMASK_EVENTFD, 0, 1, second);
        drain();
        ok(again);
        FakeChannel.Passed kept = second;
        FakeChannel.Passed dropped = first;

        assertThat(dropped.closed).isTrue();
        assertThat(kept.closed).isFalse();
        assertThat(ch.watches).containsOnlyKeys(kept.number());
        assertThat(ch.closedWhileWatched).isEmpty();
        assertThat(simulatedEventfds()).isEqualTo(2);
        intx(true);
        intx(false);
        ch.clientSignals(kept);
        intx(true);
        assertThat(ch.signalsOf(trigger)).isEqualTo(2);
    }

    @Test
    void maskAndUnmaskEventfdsTheKernelRefusesGetItsErrnoAndLeaveNothingBehind() throws Exception {
        version();
        enableDevice();
        FakeChannel.Passed early = ch.fd();
        int beforeIntx = setIrqsWith(UNMASK_EVENTFD, 0, 1, early);
        FakeChannel.Passed msi = ch.fd();
        int onMsi = setIrqsWith(UNMASK_EVENTFD, 1, 1, msi);
        drain();
        FakeChannel.Passed trigger = ch.fd();
        int enable = setIrqsWith(TRIGGER_EVENTFD, 0, 1, trigger);
        FakeChannel.Passed mask = ch.fd();
        int maskEventfd = setIrqsWith(MASK_EVENTFD, 0, 1, mask);
        FakeChannel.Passed a = ch.fd();
        FakeChannel.Passed b = ch.fd();
        int twoVectors = setIrqsWith(UNMASK_EVENTFD, 0, 2, a, b);
        drain();

        ok(enable);
        assertThat(errno(beforeIntx)).as("vfio_pci_set_intx_unmask: INTx is not enabled").isEqualTo(Errno.EINVAL.number());
        assertThat(errno(onMsi)).as("vfio_pci_set_irqs_ioctl: MSI has no unmask action").isEqualTo(Errno.ENOTTY.number());
        assertThat(errno(maskEventfd)).as("vfio_pci_set_intx_mask: no eventfd masking").isEqualTo(Errno.ENOTTY.number());
        assertThat(errno(twoVectors)).as("vfio_set_irqs_validate_and_prepare: INTx has 1 vector").isEqualTo(Errno.EINVAL.number());
        assertThat(List.of(early, msi, mask, a, b)).allMatch(f -> f.closed);
        assertThat(ch.watches).isEmpty();
        assertThat(ch.closedWhileWatched).isEmpty();
        assertThat(simulatedEventfds()).as("only the trigger's").isEqualTo(1);
        assertThat(kernel.resources().armedInterrupts()).noneMatch(l -> l.contains("unmask"));
    }

    // ---- DMA

    @Test
    void deviceDmaLandsInTheClientsMappedMemoryAndStopsAfterUnmap() throws Exception {
        version();
        FakeChannel.Passed ram = ch.fd();
        int map = ch.queue(VfioUserCommand.DMA_MAP.code(), 0, dmaMap(3, 0, 0x10_0000, 0x4000), ram);
        enableDevice();
        drain();
        ok(map);
        MemorySegment guest = ch.memory.get(ram.number());
        for (int i = 0; i < 64; i++) {
            guest.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 1));
        }
        write(NO_REPLY, 0x0, 0, 0x10_0000, 8);
        write(NO_REPLY, 0x8, 0, 0x10_2000, 8);
        write(NO_REPLY, 0x10, 0, 64, 8);
        write(NO_REPLY, 0x18, 0, 1, 4);
        int fault1 = read(0x20, 0, 4);
        byte[] unmapReq = dmaUnmap(0, 0x10_0000, 0x4000);
        int unmap = ch.queue(VfioUserCommand.DMA_UNMAP.code(), 0, unmapReq);
        write(NO_REPLY, 0x18, 0, 1, 4);
        int fault2 = read(0x20, 0, 4);
        drain();

        assertThat(readValue(fault1, 4)).isZero();
        assertThat(guest.asSlice(0x2000, 64).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(guest.asSlice(0, 64).toArray(ValueLayout.JAVA_BYTE));
        assertThat(ok(unmap)).isEqualTo(unmapReq);
        assertThat(readValue(fault2, 4)).as("the IOMMU has no mapping any more").isEqualTo(1);
        assertThat(ram.closed).isTrue();
        assertThat(ch.unmapped).hasSize(1);
        assertThat(kernel.resources().dmaMappings()).isEmpty();
    }

    @Test
    void inBandRangesAreRecordedAndOverlapsRefused() throws Exception {
        version();
        int rom = ch.queue(VfioUserCommand.DMA_MAP.code(), 0, dmaMap(1, 0, 0xfffc_0000L, 0x4_0000));
        int overlap = ch.queue(VfioUserCommand.DMA_MAP.code(), 0, dmaMap(1, 0, 0xfffd_0000L, 0x1000), ch.fd());
        int all = ch.queue(VfioUserCommand.DMA_UNMAP.code(), 0, dmaUnmap(2, 0, 0));
        drain();
        ok(rom);
        assertThat(errno(overlap)).isEqualTo(Errno.EEXIST.number());
        assertThat(ok(all)).isEqualTo(dmaUnmap(2, 0, 0));
        assertThat(server.inBandRanges()).isEmpty();
        int again = ch.queue(VfioUserCommand.DMA_MAP.code(), 0, dmaMap(1, 0, 0xfffc_0000L, 0x4_0000));
        int missing = ch.queue(VfioUserCommand.DMA_UNMAP.code(), 0, dmaUnmap(0, 0x1000, 0x1000));
        drain();
        ok(again);
        assertThat(server.inBandRanges()).containsExactly(new VfioUserServer.InBandRange(0xfffc_0000L, 0x4_0000));
        assertThat(ok(missing)).as("nothing there: nothing unmapped, no error (vfio_dma_do_unmap)").isEqualTo(dmaUnmap(0, 0x1000, 0x1000));
    }

    @Test
    void anUnmapOfALargerBlock_takesEveryMappingInside_andOneThatWouldCutAMappingIsEinval() throws Exception {
        // QEMU with a vIOMMU unmaps power-of-two blocks of the IOVA space when the guest switches domains
        version();
        int a = ch.queue(VfioUserCommand.DMA_MAP.code(), 0, dmaMap(3, 0, 0x10_0000, 0x1000));
        int b = ch.queue(VfioUserCommand.DMA_MAP.code(), 0, dmaMap(3, 0, 0x10_2000, 0x2000));
        int c = ch.queue(VfioUserCommand.DMA_MAP.code(), 0, dmaMap(3, 0, 0x20_0000, 0x1000));
        int cut = ch.queue(VfioUserCommand.DMA_UNMAP.code(), 0, dmaUnmap(0, 0x10_3000, 0x1000));
        int block = ch.queue(VfioUserCommand.DMA_UNMAP.code(), 0, dmaUnmap(0, 0, 0x20_0000));
        int top = ch.queue(VfioUserCommand.DMA_UNMAP.code(), 0, dmaUnmap(0, 0x8000_0000_0000_0000L, 0x8000_0000_0000_0000L));
        drain();
        ok(a);
        ok(b);
        ok(c);
        assertThat(errno(cut)).as("type1v2 does not bisect a mapping").isEqualTo(Errno.EINVAL.number());
        assertThat(ok(block)).isEqualTo(dmaUnmap(0, 0, 0x20_0000));
        assertThat(server.inBandRanges()).containsExactly(new VfioUserServer.InBandRange(0x20_0000, 0x1000));
        assertThat(kernel.resources().dmaMappings()).hasSize(1);
        assertThat(ok(top)).as("a block ending at 2^64").isEqualTo(dmaUnmap(0, 0x8000_0000_0000_0000L, 0x8000_0000_0000_0000L));
    }

    // ---- in-band DMA: guest memory without an fd, reached by DMA_READ and DMA_WRITE

    private static final long IN_BAND = 0x20_0000;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    /**
     * VERSION with {@code caps}, an in-band DMA_MAP (READ|WRITE) of {@code size} bytes at IN_BAND,
     * memory decode and bus mastering on; returns the client's memory behind the range.
     */
    MemorySegment inBand(String caps, long size) throws Exception {
        ch.queue(VfioUserCommand.VERSION.code(), 0, versionPayload(0, 0, caps));
        int map = ch.queue(VfioUserCommand.DMA_MAP.code(), 0, dmaMap(3, 0, IN_BAND, size));
        enableDevice();
        drain();
        ok(map);
        return ch.inBand(IN_BAND, size);
    }

    /** {@link #inBand} with QEMU's capabilities and 0x4000 bytes, the first {@code n} of them {@link #pattern}. */
    MemorySegment inBandWithPattern(int n) throws Exception {
        MemorySegment guest = inBand(QEMU_CAPS, 0x4000);
        MemorySegment.copy(MemorySegment.ofArray(pattern(n)), 0, guest, 0, n);
        return guest;
    }

    /** The client's read of the vendor and device ID (not queued). */
    VfioUserMessage vendorRead() {
        return ch.command(VfioUserCommand.REGION_READ.code(), 0, access(0, CONFIG, 4, new byte[0]));
    }

    /** Programs the device to copy {@code len} bytes from {@code src} to {@code dst}; {@code go} 0x18 copies at once, 0x38 on the device thread. */
    void copy(long src, long dst, long len, int go) {
        write(NO_REPLY, 0x0, 0, src, 8);
        write(NO_REPLY, 0x8, 0, dst, 8);
        write(NO_REPLY, 0x10, 0, len, 8);
        write(NO_REPLY, go, 0, 1, 4);
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 13 + 7);
        }
        return b;
    }

    /** A server request as "DMA_READ 0x200000+0x40" (its address and count). */
    static String describe(VfioUserMessage request) {
        MemorySegment p = MemorySegment.ofArray(request.payload());
        String name = VfioUserCommand.of(request.header().command()).map(Enum::name).orElse("command " + request.header().command());
        return String.format("%s 0x%x+0x%x", name, p.get(U64, 0), p.get(U64, 8));
    }

    static boolean isDmaRead(VfioUserMessage m) {
        return m.header().command() == VfioUserCommand.DMA_READ.code();
    }

    /** Where in everything the server sent the message with this id and type is. */
    int positionOf(int id, int type) {
        synchronized (ch.wire) {
            for (int i = 0; i < ch.wire.size(); i++) {
                VfioUserHeader h = ch.wire.get(i).header();
                if (h.id() == id && h.type() == type) {
                    return i;
                }
            }
        }
        throw new AssertionError("the server sent no message " + id + " of type " + type);
    }

    /** Runs serve() on a thread of its own; the channel blocks, so the session lasts until the test hangs up. */
    Thread serveInBackground(List<Throwable> failures) {
        ch.blocking = true;
        return Thread.ofPlatform().name("test serve").start(() -> {
            try {
                server.serve();
            } catch (Throwable t) {
                failures.add(t);
            }
        });
    }

    void awaitCopy() throws InterruptedException {
        assertThat(model.copied.tryAcquire(10, TimeUnit.SECONDS)).as("the device finished its copy").isTrue();
    }

    @Test
    void deviceDmaToInBandMemoryIsDmaReadAndDmaWriteMessages() throws Exception {
        MemorySegment guest = inBandWithPattern(64);
        copy(IN_BAND, IN_BAND + 0x2000, 64, 0x18);
        drain();
        int fault = read(0x20, 0, 4);
        drain();

        assertThat(guest.asSlice(0x2000, 64).toArray(BYTE)).isEqualTo(pattern(64));
        assertThat(readValue(fault, 4)).as("the copy did not fault").isZero();
        assertThat(ch.requests).extracting(VfioUserServerTest::describe).containsExactly("DMA_READ 0x200000+0x40", "DMA_WRITE 0x202000+0x40");
        assertThat(ch.requests).extracting(m -> m.payload().length).containsExactly(16, 16 + 64);
        assertThat(ch.requests).allMatch(m -> m.header().type() == VfioUserHeader.TYPE_COMMAND && !m.header().noReply());
        assertThat(kernel.iommuFaults()).isEmpty();
        assertThat(kernel.traceText()).contains("read of 0x40 bytes at IOVA 0x200000 (out of the vfio-user client's memory by DMA_READ)",
                "write of 0x40 bytes at IOVA 0x202000 (into the vfio-user client's memory by DMA_WRITE)");
        assertThat(server.inBandRanges()).containsExactly(new VfioUserServer.InBandRange(IN_BAND, 0x4000));
        assertThat(kernel.resources().dmaMappings()).extracting(r -> r.iova()).containsExactly(IN_BAND);
        assertThat(kernel.resources().lockedPages()).as("nothing pinned").isZero();
    }

    @Test
    void transfersAreSplitAtTheNegotiatedMaxDataXferSize() throws Exception {
        MemorySegment guest = inBand("{\"capabilities\":{\"max_data_xfer_size\":4096}}", 0x8000);
        MemorySegment.copy(MemorySegment.ofArray(pattern(10_000)), 0, guest, 0, 10_000);
        copy(IN_BAND, IN_BAND + 0x4000, 10_000, 0x18);
        drain();

        assertThat(guest.asSlice(0x4000, 10_000).toArray(BYTE)).isEqualTo(pattern(10_000));
        assertThat(ch.requests).extracting(VfioUserServerTest::describe).containsExactly(
                "DMA_READ 0x200000+0x1000", "DMA_READ 0x201000+0x1000", "DMA_READ 0x202000+0x710",
                "DMA_WRITE 0x204000+0x1000", "DMA_WRITE 0x205000+0x1000", "DMA_WRITE 0x206000+0x710");
        assertThat(kernel.iommuFaults()).isEmpty();
    }

    @Test
    void aFailedOrMalformedReplyIsADmaFaultAsTheIommuRecordsThem() throws Exception {
        inBand(QEMU_CAPS, 0x4000);
        Map<String, java.util.function.Function<VfioUserMessage, List<VfioUserMessage>>> answers = new java.util.LinkedHashMap<>();
        answers.put("errno 19 (ENODEV, No such device); QEMU answers so while bus mastering is off", m -> List.of(FakeChannel.error(m, 19)));
        answers.put("has 8 bytes of payload, not 80", m -> List.of(FakeChannel.reply(m, new byte[8])));
        answers.put("says 0x40 bytes at 0x0", m -> List.of(FakeChannel.reply(m, ints(0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))));
        answers.put("says 0x4000000040 bytes at 0x200000", m -> { // the count is a u64: its high half counts
            byte[] p = ch.fromGuest(m).payload();
            p[12] = 0x40;
            return List.of(FakeChannel.reply(m, p));
        });
        answers.put("answered DMA_READ of 0x40 bytes at 0x200000 (message", m -> List.of(new VfioUserMessage(
                new VfioUserHeader(m.header().id(), VfioUserCommand.DMA_WRITE.code(), VfioUserHeader.SIZE, VfioUserHeader.TYPE_REPLY, 0),
                new byte[0], List.of())));
        int round = 0;
        for (Map.Entry<String, java.util.function.Function<VfioUserMessage, List<VfioUserMessage>>> e : answers.entrySet()) {
            ch.answer = e.getValue();
            copy(IN_BAND, IN_BAND + 0x2000, 64, 0x18);
            drain();
            int fault = read(0x20, 0, 4); // queued after the DMA's reply: a read queued before it would be answered while the DMA waits
            drain();
            round++;
            assertThat(readValue(fault, 4)).as("the copy faulted (%s)", e.getKey()).isEqualTo(1);
            assertThat(model.fault).hasMessageContaining("DMA read of 64 bytes at IOVA 0x200000").hasMessageContaining(e.getKey());
            assertThat(kernel.iommuFaults()).hasSize(round).last().satisfies(f -> {
                assertThat(f.device()).isEqualTo(PciAddress.parse(UserDevice.BDF));
                assertThat(f.iova()).isEqualTo(IN_BAND);
                assertThat(f.length()).isEqualTo(64);
                assertThat(f.write()).isFalse();
                assertThat(f.reason()).contains("DMA_READ of 0x40 bytes at 0x200000").contains(e.getKey());
            });
        }
        assertThat(ch.requests).as("no DMA_WRITE after a failed read").allMatch(VfioUserServerTest::isDmaRead).hasSize(answers.size());
        assertThat(kernel.traceText()).contains("DMA fault");
        assertThat(server.log()).as("a device's DMA fault is no failed command").isEmpty();
    }

    @Test
    void aDmaWriteReplyMayEchoTheAddressAndCountButNothingElse() throws Exception {
        MemorySegment guest = inBandWithPattern(64);
        Map<String, java.util.function.Function<VfioUserMessage, byte[]>> replies = new java.util.LinkedHashMap<>();
        replies.put("header only (QEMU)", m -> new byte[0]);
        replies.put("address and u32 count (the specification's table)", m -> java.util.Arrays.copyOf(m.payload(), 12));
        replies.put("address and u64 count", m -> java.util.Arrays.copyOf(m.payload(), 16));
        replies.put("has 5 bytes of payload; a DMA_WRITE reply has none, 12 or 16", m -> new byte[5]);
        replies.put("says 0x41 bytes at 0x202000", m -> {
            byte[] p = java.util.Arrays.copyOf(m.payload(), 16);
            p[8] = 0x41;
            return p;
        });
        for (Map.Entry<String, java.util.function.Function<VfioUserMessage, byte[]>> e : replies.entrySet()) {
            ch.answer = m -> isDmaRead(m) ? List.of(ch.fromGuest(m)) : List.of(FakeChannel.reply(m, e.getValue().apply(m)));
            copy(IN_BAND, IN_BAND + 0x2000, 64, 0x18);
            drain();
            if (e.getKey().contains("bytes")) {
                assertThat(model.fault).as(e.getKey()).hasMessageContaining("DMA write of 64 bytes at IOVA 0x202000")
                        .hasMessageContaining(e.getKey());
            } else {
                assertThat(model.fault).as(e.getKey()).isNull();
            }
        }
        assertThat(kernel.iommuFaults()).hasSize(2).allMatch(f -> f.write());
    }

    @Test
    void theIommuGatesInBandMemoryBeforeAnyMessage() throws Exception {
        inBand(QEMU_CAPS, 0x4000);
        int rom = ch.queue(VfioUserCommand.DMA_MAP.code(), 0, dmaMap(1, 0, 0x30_0000, 0x1000)); // READ only, as QEMU maps ROM
        copy(IN_BAND, 0x30_0000, 64, 0x18);
        drain();
        ok(rom);
        assertThat(model.fault).hasMessageContaining("not writable by the device");
        assertThat(ch.requests).extracting(VfioUserServerTest::describe).containsExactly("DMA_READ 0x200000+0x40");

        int unmap = ch.queue(VfioUserCommand.DMA_UNMAP.code(), 0, dmaUnmap(0, IN_BAND, 0x4000));
        copy(IN_BAND, IN_BAND + 0x2000, 64, 0x18);
        drain();
        ok(unmap);
        assertThat(model.fault).hasMessageContaining("no mapping covers IOVA 0x200000");
        assertThat(ch.requests).as("no message for unmapped memory").hasSize(1);
        assertThat(server.inBandRanges()).containsExactly(new VfioUserServer.InBandRange(0x30_0000, 0x1000));
        assertThat(kernel.resources().memoryMappings()).hasSize(1).allMatch(l -> l.startsWith("remote memory"));
    }

    @Test
    void aCommandArrivingWhileTheDmaWaitsIsHandledAndAnsweredBeforeTheDmaCompletes() throws Exception {
        MemorySegment guest = inBandWithPattern(64);
        int[] configRead = new int[1];
        ch.answer = m -> {
            if (!isDmaRead(m)) {
                return List.of(ch.fromGuest(m));
            }
            VfioUserMessage posted = ch.command(VfioUserCommand.REGION_WRITE.code(), NO_REPLY, access(0x30, 0, 4, ints(0x77)));
            VfioUserMessage vendor = vendorRead();
            configRead[0] = vendor.header().id();
            return List.of(posted, vendor, ch.fromGuest(m));
        };
        copy(IN_BAND, IN_BAND + 0x2000, 64, 0x18);
        drain();

        assertThat(readValue(configRead[0], 4)).isEqualTo(0x10f11af4L);
        assertThat(model.scratch).as("the posted write took effect").isEqualTo(0x77);
        VfioUserMessage dmaWrite = ch.requests.get(1);
        assertThat(positionOf(configRead[0], VfioUserHeader.TYPE_REPLY)).as("answered before the DMA went on")
                .isLessThan(positionOf(dmaWrite.header().id(), VfioUserHeader.TYPE_COMMAND));
        assertThat(guest.asSlice(0x2000, 64).toArray(BYTE)).isEqualTo(pattern(64));
    }

    @Test
    void dmaFromTheDeviceThreadGoesOnWhileTheClientWaitsForAnAnswerFirst() throws Exception {
        MemorySegment guest = inBandWithPattern(256);
        // QEMU's vCPU holds the big lock while it waits for a config read, and QEMU answers DMA_READ only
        // in its main loop, which needs that lock: the DMA reply comes only once the read is answered
        int[] configRead = new int[1];
        ch.answer = m -> {
            if (!isDmaRead(m)) {
                return List.of(ch.fromGuest(m));
            }
            VfioUserMessage vendor = vendorRead();
            configRead[0] = vendor.header().id();
            ch.afterReplyTo(vendor.header().id(), List.of(ch.fromGuest(m)));
            return List.of(vendor);
        };
        copy(IN_BAND, IN_BAND + 0x2000, 256, 0x38);
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread serving = serveInBackground(failures);
        awaitCopy();
        ch.hangUp();
        serving.join(10_000);

        assertThat(serving.isAlive()).isFalse();
        assertThat(failures).isEmpty();
        assertThat(model.copiedOn.getName()).as("the kernel's device thread did the DMA").startsWith("vfio4j-sim-devices");
        assertThat(model.fault).isNull();
        assertThat(guest.asSlice(0x2000, 256).toArray(BYTE)).isEqualTo(pattern(256));
        assertThat(readValue(configRead[0], 4)).isEqualTo(0x10f11af4L);
        assertThat(positionOf(configRead[0], VfioUserHeader.TYPE_REPLY))
                .isLessThan(positionOf(ch.requests.get(1).header().id(), VfioUserHeader.TYPE_COMMAND));
    }

    @Test
    void theEndOfTheConnectionWhileTheDmaWaitsFaultsItAndEndsTheServer() throws Exception {
        inBand(QEMU_CAPS, 0x4000);
        ch.answer = m -> {
            ch.hangUp();
            return List.of();
        };
        copy(IN_BAND, IN_BAND + 0x2000, 64, 0x18);
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread serving = serveInBackground(failures);
        awaitCopy();
        serving.join(10_000);

        assertThat(serving.isAlive()).as("serve() returned").isFalse();
        assertThat(failures).isEmpty();
        assertThat(model.fault).hasMessageContaining("DMA_READ of 0x40 bytes at 0x200000 got no reply: the client closed the connection");
        assertThat(kernel.iommuFaults()).hasSize(1);
        assertThat(kernel.resources().isEmpty()).as("%s", kernel.resources()).isTrue();
    }

    @Test
    void aDmaWhoseReplyDoesNotComeFaultsAfterTheTimeoutAndTheLateReplyIsDropped() throws Exception {
        MemorySegment guest = inBand(QEMU_CAPS, 0x4000);
        server.dmaReplyTimeout(java.time.Duration.ofMillis(200));
        List<VfioUserMessage> unanswered = new java.util.concurrent.CopyOnWriteArrayList<>();
        ch.answer = m -> {
            unanswered.add(m);
            return List.of();
        };
        copy(IN_BAND, IN_BAND + 0x2000, 64, 0x38);
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        Thread serving = serveInBackground(failures);
        awaitCopy();
        long waited = System.nanoTime() - start;

        assertThat(waited).as("waited for the timeout").isGreaterThanOrEqualTo(200_000_000L);
        assertThat(model.fault).hasMessageContaining("did not answer DMA_READ of 0x40 bytes at 0x200000")
                .hasMessageContaining("within 200 ms");
        ch.incoming.add(ch.fromGuest(unanswered.get(0))); // too late
        int read = ch.queue(VfioUserCommand.REGION_READ.code(), 0, access(0, CONFIG, 4, new byte[0]));
        ch.hangUp();
        serving.join(10_000);

        assertThat(serving.isAlive()).isFalse();
        assertThat(failures).isEmpty();
        assertThat(readValue(read, 4)).as("the server goes on").isEqualTo(0x10f11af4L);
        assertThat(ch.sent).as("a late reply is never answered").noneMatch(m -> m.header().command() == VfioUserCommand.DMA_READ.code());
        assertThat(server.log()).anyMatch(l -> l.contains("came after the server gave up"));
        assertThat(guest.asSlice(0x2000, 64).toArray(BYTE)).isEqualTo(new byte[64]);
    }

    // ---- errors

    @Test
    void unknownAndUnservedCommandsAreEnosys() throws Exception {
        version();
        int unknown = ch.queue(99, 0, new byte[8]);
        int feature = ch.queue(VfioUserCommand.DEVICE_FEATURE.code(), 0, ints(16, 0));
        server.serve();
        assertThat(errno(unknown)).isEqualTo(Errno.ENOSYS.number());
        assertThat(errno(feature)).isEqualTo(Errno.ENOSYS.number());
    }

    @Test
    void malformedMessagesAreEinvalAndTheServerGoesOn() throws Exception {
        version();
        List<Integer> bad = List.of(
                ch.queue(VfioUserCommand.DEVICE_GET_REGION_INFO.code(), 0, ints(32, 0)),
                ch.queue(VfioUserCommand.DEVICE_GET_INFO.code(), 0, new byte[3]),
                ch.queue(VfioUserCommand.REGION_READ.code(), 0, new byte[12]),
                ch.queue(VfioUserCommand.REGION_WRITE.code(), 0, access(0, CONFIG, 8, new byte[4])),
                ch.queue(VfioUserCommand.REGION_READ.code(), 0, access(0, 42, 4, new byte[0])),
                ch.queue(VfioUserCommand.REGION_READ.code(), 0, access(0, CONFIG, 2 << 20, new byte[0])),
                ch.queue(VfioUserCommand.REGION_READ.code(), 0, access(-8, CONFIG, 16, new byte[0])),
                ch.queue(VfioUserCommand.DMA_MAP.code(), 0, new byte[31]),
                ch.queue(VfioUserCommand.DMA_UNMAP.code(), 0, dmaUnmap(1, 0, 0x1000)),
                ch.queue(VfioUserCommand.DEVICE_SET_IRQS.code(), 0, new byte[19]),
                ch.queue(VfioUserCommand.DEVICE_RESET.code(), 0, new byte[1]),
                ch.queue(VfioUserCommand.DEVICE_GET_INFO.code(), 0, ints(16, 0, 0, 0), ch.fd()));
        int replyType = ch.queue(VfioUserCommand.DEVICE_GET_INFO.code(), VfioUserHeader.TYPE_REPLY, ints(16, 0, 0, 0));
        int good = read(0, CONFIG, 4);
        int argszTooSmall = ch.queue(VfioUserCommand.DEVICE_GET_INFO.code(), 0, ints(8, 0, 0, 0));
        server.serve();
        for (int id : bad) {
            assertThat(errno(id)).as("message %d", id).isEqualTo(Errno.EINVAL.number());
        }
        assertThat(errno(replyType)).isEqualTo(Errno.EINVAL.number());
        assertThat(readValue(good, 4)).isEqualTo(0x10f11af4L);
        assertThat(errno(argszTooSmall)).as("the kernel's own minsz check").isEqualTo(Errno.EINVAL.number());
    }

    @Test
    void resetReachesTheDevice() throws Exception {
        version();
        enableDevice();
        write(NO_REPLY, 0x30, 0, 0x55, 4);
        int reset = ch.queue(VfioUserCommand.DEVICE_RESET.code(), 0, new byte[0]);
        int scratch = read(0x30, 0, 4);
        int cmd = read(4, CONFIG, 2);
        server.serve();
        assertThat(ok(reset)).isEmpty();
        assertThat(readValue(scratch, 4)).as("the function reset cleared the register").isZero();
        assertThat(readValue(cmd, 2) & 0x6).as("the kernel restores the command register after the reset").isEqualTo(0x6);
    }

    // ---- the end

    @Test
    void eofEndsServingAndLeavesTheKernelAsFresh() throws Exception {
        version();
        enableDevice();
        ch.queue(VfioUserCommand.DMA_MAP.code(), 0, dmaMap(3, 0, 0x10_0000, 0x4000), ch.fd());
        ch.queue(VfioUserCommand.DMA_MAP.code(), 0, dmaMap(1, 0, 0xfffc_0000L, 0x4_0000));
        ch.queue(VfioUserCommand.DEVICE_SET_IRQS.code(), 0, setIrqs(0x24, 1, 0, 2), ch.fd(), ch.fd());
        drain();
        assertThat(kernel.resources().isEmpty()).isFalse();
        server.serve(); // EOF at once
        assertThat(kernel.resources().isEmpty()).as("%s", kernel.resources()).isTrue();
        assertThat(kernel.resources()).isEqualTo(UserDevice.host(new UserDevice()).boot().resources());
        assertThat(server.log()).isEmpty();
    }

    @Test
    void theTraceNamesEachMessage_beforeTheCallsItBecame() throws Exception {
        version();
        int r = read(0, CONFIG, 4);
        int bad = read(0x1000, CONFIG, 4); // past config space: the kernel's EFAULT
        int unknown = ch.queue(99, 0, new byte[0]);
        drain();
        ok(r);
        assertThat(errno(bad)).isEqualTo(Errno.EFAULT.number());
        List<String> lines = kernel.traceText().lines().toList();
        int marker = indexOf(lines, "vfio-user: message " + r + " REGION_READ region 7 +0x0, 4 bytes");
        assertThat(lines.get(marker + 1)).as("what the message became").contains("pread {CONFIG+0x0 (PCI_VENDOR_ID), 4 bytes}");
        int failed = indexOf(lines, "vfio-user: message " + bad + " REGION_READ region 7 +0x1000, 4 bytes");
        assertThat(lines.get(failed + 1)).contains("pread").contains("EFAULT");
        assertThat(lines.get(failed + 2)).contains("vfio-user: message " + bad + " answered with errno 14");
        assertThat(lines.get(indexOf(lines, "vfio-user: message " + unknown + " command 99") + 1))
                .contains("vfio-user: message " + unknown + " answered with errno 38: command 99 is not a vfio-user command");
    }

    private static int indexOf(List<String> lines, String part) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(part)) {
                return i;
            }
        }
        throw new AssertionError("no trace line contains '" + part + "':\n" + String.join("\n", lines));
    }
}
