package org.vfio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.vfio4j.RecordingSeam.Forged;

/**
 * Replies that break the VFIO ABI, one rule at a time, each with the exact message the typed layer
 * gives: EPROTO, the ioctl, what it was applied to, the field, the value and the rule. The bytes
 * are written here at the offsets of {@code <linux/vfio.h>}, as numbers.
 */
class HostileReplyTest {
    private static final String CONTAINER = "fd 3 (/dev/vfio/vfio)";
    private static final String BAR0 = "0000:01:00.0 BAR0";
    private static final String DEVICE = "0000:01:00.0";
    /** READ | WRITE | MMAP | CAPS. */
    private static final int REGION_FLAGS = 0xf;
    /** PGSIZES | CAPS. */
    private static final int IOMMU_FLAGS = 0x3;

    private final RecordingSeam seam = new RecordingSeam();

    private static ByteBuffer le(byte[] b) {
        return NaiveReplies.le(b);
    }

    private static void header(byte[] reply, int at, int id, int version, int next) {
        le(reply).putShort(at, (short) id).putShort(at + 2, (short) version).putInt(at + 4, next);
    }

    /** A region info reply of {@code size} bytes (argsz) for BAR0, 16 KiB at offset 0, with the chain at {@code capOffset}. */
    private static byte[] regionReply(int size, int capOffset) {
        return NaiveReplies.regionInfo(size, REGION_FLAGS, 0, capOffset, 0x4000, 0, new byte[size - 32]);
    }

    /** The seam asks for room for {@code full} in a first reply, then answers with it. */
    private RegionInfo regionInfo(byte[] full) throws VfioException {
        seam.lie(Forged.bytes(NaiveReplies.regionInfo(full.length, REGION_FLAGS, 0, 0, 0x4000, 0, new byte[0])), Forged.bytes(full));
        return seam.device().regionInfo(0);
    }

    /** A type1 info reply of {@code size} bytes (argsz) with 4 KiB pages and the chain at {@code capOffset}. */
    private static byte[] iommuReply(int size, int capOffset) {
        return NaiveReplies.iommuInfo(size, IOMMU_FLAGS, 0x1000, capOffset, new byte[size - 24]);
    }

    private IommuInfo iommuInfo(byte[] full) throws VfioException {
        seam.lie(Forged.bytes(NaiveReplies.iommuInfo(full.length, IOMMU_FLAGS, 0x1000, 0, new byte[0])), Forged.bytes(full));
        return seam.container().iommuInfo();
    }

    private static void assertMalformed(ThrowingCallable call, String operation, String target, String rule) {
        assertThatThrownBy(call).isInstanceOfSatisfying(VfioException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.EPROTO);
            assertThat(e.operation()).isEqualTo(operation);
        }).hasMessage(operation + " on " + target + " failed: EPROTO (Protocol error): " + rule);
    }

    private void assertRegionMalformed(byte[] full, String rule) {
        assertMalformed(() -> regionInfo(full), "VFIO_DEVICE_GET_REGION_INFO", BAR0, rule);
        assertThat(seam.calls).hasSize(2);
    }

    private void assertIommuMalformed(byte[] full, String rule) {
        assertMalformed(() -> iommuInfo(full), "VFIO_IOMMU_GET_INFO", CONTAINER, rule);
        assertThat(seam.calls).hasSize(2);
    }

    // ---- the chain ----

    @Test
    void aNextThatPointsToItsOwnCapability_isALoop() {
        byte[] r = regionReply(64, 32);
        header(r, 32, 3, 1, 48);
        header(r, 48, 3, 1, 48);
        assertRegionMalformed(r, "capability at offset 48 points to itself; a chain must move forward");
    }

    @Test
    void aNextThatPointsBack_isRefused() {
        byte[] r = regionReply(64, 32);
        header(r, 32, 3, 1, 48);
        header(r, 48, 3, 1, 32);
        assertRegionMalformed(r, "capability at offset 48 points back to offset 32; a chain must move forward");
    }

    @Test
    void aNextInsideItsOwnHeader_isRefused() {
        byte[] r = regionReply(64, 32);
        header(r, 32, 3, 1, 36);
        assertRegionMalformed(r, "capability at offset 32 points to offset 36, inside its own 8-byte header; the next capability"
                + " starts after it");
    }

    @Test
    void aNextIntoTheMiddleOfTheCapabilityBefore_leavesItTooShortForItsCount() {
        // SPARSE_MMAP with 2 areas needs 48 bytes; the next capability starts 24 bytes in
        byte[] r = regionReply(96, 32);
        header(r, 32, 1, 1, 56);
        le(r).putInt(40, 2).putLong(48, 0).putLong(56, 0x1000).putLong(64, 0x2000).putLong(72, 0x1000);
        header(r, 56, 3, 1, 0);
        assertRegionMalformed(r, "SPARSE_MMAP capability at offset 32 says nr_areas 2, but its 24 bytes hold 0 (16 bytes each after"
                + " the first 16); a count must match the bytes");
    }

    @Test
    void aNextPastArgsz_isRefused() {
        byte[] r = regionReply(64, 32);
        header(r, 32, 3, 1, 200);
        assertRegionMalformed(r, "capability at offset 32 points to offset 200, where an 8-byte header does not fit in the 64-byte"
                + " reply (the argsz sent)");
    }

    @Test
    void aNextWhoseHeaderEndsPastArgsz_isRefused() {
        byte[] r = regionReply(64, 32);
        header(r, 32, 3, 1, 60);
        assertRegionMalformed(r, "capability at offset 32 points to offset 60, where an 8-byte header does not fit in the 64-byte"
                + " reply (the argsz sent)");
    }

    @Test
    void aCapOffsetPastArgsz_isRefused() {
        byte[] r = regionReply(64, 60);
        assertRegionMalformed(r, "cap_offset 60 leaves no room for an 8-byte header in the 64-byte reply (the argsz sent)");
    }

    @Test
    void aCapOffsetInsideTheFixedStruct_isRefused() {
        byte[] r = regionReply(64, 8);
        assertRegionMalformed(r, "cap_offset 8 points inside the 32-byte struct; the chain starts after it");
    }

    @Test
    void capsWithoutAChain_isRefused_ratherThanDecodedAsNoCapabilities() {
        byte[] r = regionReply(64, 0);
        assertRegionMalformed(r, "flags has VFIO_REGION_INFO_FLAG_CAPS but cap_offset is 0, and argsz asks for no more than the 64"
                + " bytes sent; a chain that fits is written after the struct");
    }

    // ---- capabilities too short for their fields ----

    @Test
    void anIovaRangeCapabilityOf8Bytes_isRefused() {
        byte[] r = iommuReply(40, 24);
        header(r, 24, 1, 1, 32);
        header(r, 32, 7, 1, 0);
        assertIommuMalformed(r, "IOVA_RANGE capability at offset 24 has 8 bytes, fewer than the 16 its fixed fields take");
    }

    @Test
    void anIovaRangeCountLargerThanItsBytes_isRefused_notCut() {
        byte[] r = iommuReply(72, 24);
        header(r, 24, 1, 1, 0);
        le(r).putInt(32, 3).putLong(40, 0).putLong(48, 0xfff).putLong(56, 0x10000).putLong(64, 0x1ffff);
        assertIommuMalformed(r, "IOVA_RANGE capability at offset 24 says nr_iovas 3, but its 48 bytes hold 2 (16 bytes each after the"
                + " first 16); a count must match the bytes");
    }

    @Test
    void iovaRangesThatAreBackwardsOrOverlap_areRefused() {
        byte[] backwards = iommuReply(56, 24);
        header(backwards, 24, 1, 1, 0);
        le(backwards).putInt(32, 1).putLong(40, 0x2000).putLong(48, 0x1000);
        assertIommuMalformed(backwards, "IOVA_RANGE capability at offset 24: range 0 starts at 0x2000, after its end 0x1000");

        seam.calls.clear();
        byte[] overlapping = iommuReply(72, 24);
        header(overlapping, 24, 1, 1, 0);
        le(overlapping).putInt(32, 2).putLong(40, 0x1000).putLong(48, 0x2fff).putLong(56, 0x2fff).putLong(64, 0x4000);
        assertIommuMalformed(overlapping, "IOVA_RANGE capability at offset 24: range 1 starts at 0x2fff, not after the end 0x2fff of"
                + " range 0; ranges are sorted and disjoint");
    }

    @Test
    void dmaAvailAndMigrationShorterThanTheirFields_areRefused() {
        byte[] dma = iommuReply(48, 24);
        header(dma, 24, 3, 1, 32);
        header(dma, 32, 7, 1, 0);
        assertIommuMalformed(dma, "DMA_AVAIL capability at offset 24 has 8 bytes, fewer than the 12 its fixed fields take");

        seam.calls.clear();
        byte[] migration = iommuReply(48, 24);
        header(migration, 24, 2, 1, 0);
        assertIommuMalformed(migration, "MIGRATION capability at offset 24 has 24 bytes, fewer than the 32 its fixed fields take");
    }

    @Test
    void aSparseMmapCountLargerThanItsBytes_isRefused_ratherThanMappingTheWholeRegion() {
        byte[] r = regionReply(80, 32);
        header(r, 32, 1, 1, 0);
        le(r).putInt(40, 3).putLong(48, 0x3000).putLong(56, 0x1000).putLong(64, 0).putLong(72, 0x1000);
        assertRegionMalformed(r, "SPARSE_MMAP capability at offset 32 says nr_areas 3, but its 48 bytes hold 2 (16 bytes each after"
                + " the first 16); a count must match the bytes");
    }

    @Test
    void knownRegionCapabilitiesShorterThanTheirFields_areRefused() {
        String[][] cases = {{"1", "SPARSE_MMAP", "16"}, {"2", "TYPE", "16"}, {"4", "NVLINK2_SSATGT", "16"}, {"5", "NVLINK2_LNKSPD", "12"}};
        for (String[] c : cases) {
            seam.calls.clear();
            byte[] r = regionReply(48, 32);
            header(r, 32, Integer.parseInt(c[0]), 1, 40);
            header(r, 40, 9, 1, 0);
            assertRegionMalformed(r, c[1] + " capability at offset 32 has 8 bytes, fewer than the " + c[2] + " its fixed fields take");
        }
    }

    @Test
    void shortCapabilitiesOfAnotherVersion_orUnknownIds_areKeptAsTheyCome() throws Exception {
        byte[] r = regionReply(48, 32);
        header(r, 32, 1, 2, 40); // SPARSE_MMAP version 2: a layout this version does not know
        header(r, 40, 9, 1, 0);
        RegionInfo info = regionInfo(r);
        assertThat(info.capabilities()).containsExactly(new RegionCapability.Unknown(1, 2, new byte[0]),
                new RegionCapability.Unknown(9, 1, new byte[0]));
    }

    // ---- argsz ----

    @Test
    void anArgszThatGrowsAgainOnTheSecondCall_isRefused_withoutAThirdCall() {
        byte[] second = regionReply(64, 0);
        le(second).putInt(0, 96);
        assertRegionMalformed(second, "argsz 96 on the second call, which was given the 64 bytes the first asked for; a reply must fit"
                + " the room it asked for");
        assertThat(seam.calls).extracting(c -> le(c.sent()).getInt(0)).containsExactly(32, 64);

        seam.calls.clear();
        byte[] iommu = iommuReply(48, 0);
        le(iommu).putInt(0, 49);
        assertIommuMalformed(iommu, "argsz 49 on the second call, which was given the 48 bytes the first asked for; a reply must fit the"
                + " room it asked for");
    }

    @Test
    void anArgszOf4GiB_isRefused_beforeAnythingIsAllocated() {
        seam.lie(Forged.bytes(NaiveReplies.regionInfo(0xffff_ffffL, REGION_FLAGS, 0, 0, 0x4000, 0, new byte[0])));
        assertMalformed(() -> seam.device().regionInfo(0), "VFIO_DEVICE_GET_REGION_INFO", BAR0,
                "argsz asks for 4294967295 bytes, more than the 1048576 a reply may need (Linux's take a few hundred)");
        assertThat(seam.calls).hasSize(1);

        seam.calls.clear();
        seam.lie(Forged.bytes(NaiveReplies.iommuInfo((1 << 20) + 1, IOMMU_FLAGS, 0x1000, 0, new byte[0])));
        assertMalformed(() -> seam.container().iommuInfo(), "VFIO_IOMMU_GET_INFO", CONTAINER,
                "argsz asks for 1048577 bytes, more than the 1048576 a reply may need (Linux's take a few hundred)");
        assertThat(seam.calls).hasSize(1);
    }

    @Test
    void anArgszOfExactly1MiB_isAskedFor() throws Exception {
        byte[] r = iommuReply(1 << 20, 24);
        header(r, 24, 7, 1, 0);
        IommuInfo info = iommuInfo(r);
        assertThat(seam.calls).extracting(c -> c.sent().length).containsExactly(24, 1 << 20);
        assertThat(((IommuCapability.Unknown) info.capabilities().getFirst()).bytes()).hasSize((1 << 20) - 24);
    }

    // ---- hot reset ----

    private HotResetInfo hotResetInfo(Forged... replies) throws VfioException {
        seam.lie(replies);
        return seam.device().hotResetInfo();
    }

    @Test
    void aHotResetCountThatIsNegativeAsAnInt_isRefused_beforeTheSecondCall() {
        Forged first = Forged.bytes(NaiveReplies.hotResetInfo(12, -1, List.of())).failing(Errno.ENOSPC);
        assertMalformed(() -> hotResetInfo(first), "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", DEVICE,
                "count 4294967295 asks for 34359738372 bytes, more than the 1048576 a reply may need (Linux's take a few hundred)");
        assertThat(seam.calls).hasSize(1);
    }

    @Test
    void aHotResetCountJustOverTheBound_isRefused_andOneAtTheBoundIsAskedFor() throws Exception {
        // 12 + 8 * 131070 = 1048572 bytes fit the 1 MiB bound; 131071 devices do not
        Forged over = Forged.bytes(NaiveReplies.hotResetInfo(12, 131_071, List.of())).failing(Errno.ENOSPC);
        assertMalformed(() -> hotResetInfo(over), "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", DEVICE,
                "count 131071 asks for 1048580 bytes, more than the 1048576 a reply may need (Linux's take a few hundred)");

        seam.calls.clear();
        Forged at = Forged.bytes(NaiveReplies.hotResetInfo(12, 131_070, List.of())).failing(Errno.ENOSPC);
        assertThat(hotResetInfo(at, Forged.bytes(NaiveReplies.hotResetInfo(1_048_572, 0, List.of()))).devices()).isEmpty();
        assertThat(seam.calls).extracting(c -> le(c.sent()).getInt(0)).containsExactly(12, 1_048_572);
    }

    @Test
    void aHotResetCountLargerOnTheSecondCallThanItsBuffer_isRefused() {
        var device = new HotResetInfo.Device(7, new PciAddress(0, 1, 0, 0));
        Forged first = Forged.bytes(NaiveReplies.hotResetInfo(12, 1, List.of())).failing(Errno.ENOSPC);
        Forged second = Forged.bytes(NaiveReplies.hotResetInfo(20, 2, List.of(device)));
        assertMalformed(() -> hotResetInfo(first, second), "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", DEVICE,
                "count 2 on the second call, but its argsz 20 has room for 1; a reply that does not fit is ENOSPC");
    }

    @Test
    void aHotResetInfoThatFits_isDecoded() throws Exception {
        var a = new HotResetInfo.Device(7, new PciAddress(0, 1, 0, 0));
        var b = new HotResetInfo.Device(8, new PciAddress(0x10, 0xff, 0x1f, 7));
        HotResetInfo info = hotResetInfo(Forged.bytes(NaiveReplies.hotResetInfo(12, 2, List.of())).failing(Errno.ENOSPC),
                Forged.bytes(NaiveReplies.hotResetInfo(28, 2, List.of(a, b))));
        assertThat(info.devices()).containsExactly(a, b);
        assertThat(seam.calls).extracting(c -> le(c.sent()).getInt(0)).containsExactly(12, 28);
    }

    // ---- counts and descriptors returned ----

    @Test
    void countsAbove2To31_areRefused() {
        seam.lie(Forged.bytes(RecordingSeam.Bytes.of(16).u32(0, 16).u32(4, 1).u32(8, IrqIndex.MSIX).u32(12, 0x8000_0000).array()));
        assertMalformed(() -> seam.device().irqInfo(IrqIndex.MSIX), "VFIO_DEVICE_GET_IRQ_INFO", DEVICE + " MSI-X",
                "count 2147483648 is above 2^31-1; no VFIO device has that many");

        seam.calls.clear();
        seam.lie(Forged.bytes(RecordingSeam.Bytes.of(20).u32(0, 20).u32(4, 3).u32(8, -1).u32(12, 5).array()));
        assertMalformed(() -> seam.device().info(), "VFIO_DEVICE_GET_INFO", DEVICE,
                "num_regions 4294967295 is above 2^31-1; no VFIO device has that many");
    }

    @Test
    void aNegativeDescriptor_isRefused_beforeItIsAdopted() {
        seam.lie(Forged.result(-1));
        assertMalformed(() -> seam.group().openDevice(DEVICE), "VFIO_GROUP_GET_DEVICE_FD", "fd 4 (/dev/vfio/7)",
                "the result -1 is not a file descriptor; a new descriptor is 0 or more");

        seam.calls.clear();
        seam.lie(Forged.result(-9));
        assertMalformed(() -> seam.device().gfxDmabuf(1), "VFIO_DEVICE_GET_GFX_DMABUF", DEVICE,
                "the result -9 is not a file descriptor; a new descriptor is 0 or more");
    }

    @Test
    void aDescriptorReturned_isAdoptedWithItsNumber() throws Exception {
        seam.lie(Forged.result(0));
        assertThat(seam.group().openDevice(DEVICE).fd().number()).isZero();
    }

    @Test
    void anIrqResultThatIsNotFewerVectorsThanAsked_isRefused() throws Exception {
        EventNotifier a = new EventNotifier(seam.kernel, new org.vfio4j.spi.Fd(seam.kernel, 10, "eventfd", n -> 0), () -> null);
        EventNotifier b = new EventNotifier(seam.kernel, new org.vfio4j.spi.Fd(seam.kernel, 11, "eventfd", n -> 0), () -> null);
        seam.lie(Forged.result(2), Forged.result(-1), Forged.result(1), Forged.result(3));
        assertMalformed(() -> seam.device().setIrqEventfds(IrqIndex.MSIX, 0, List.of(a, b)), "VFIO_DEVICE_SET_IRQS", DEVICE + " MSI-X",
                "the result 2 for start 0 and 2 eventfds is neither 0 nor a number of vectors below the 2 asked for");
        assertMalformed(() -> seam.device().setIrqEventfds(IrqIndex.MSIX, 0, List.of(a, b)), "VFIO_DEVICE_SET_IRQS", DEVICE + " MSI-X",
                "the result -1 for start 0 and 2 eventfds is neither 0 nor a number of vectors below the 2 asked for");
        assertThat(seam.device().setIrqEventfds(IrqIndex.MSIX, 0, List.of(a, b))).as("1 of 2 granted").isEqualTo(1);
        // vectors 2 and 3 need nvec 4 (vfio_pci_set_msi_trigger): 3 granted is fewer
        assertThat(seam.device().setIrqEventfds(IrqIndex.MSIX, 2, List.of(a, b))).isEqualTo(3);
    }

    @Test
    void negativeResults_ofCallsWhoseResultIsUsed_areRefused() {
        seam.lie(Forged.result(-2));
        assertMalformed(() -> seam.container().eeh().state(), "VFIO_EEH_PE_OP", CONTAINER,
                "the result -2 is negative; a call that fails reports an errno, a call that succeeds returns 0 or more");
        seam.calls.clear();
        seam.lie(Forged.result(-2));
        assertMalformed(() -> seam.container().checkExtension(1), "VFIO_CHECK_EXTENSION", CONTAINER,
                "the result -2 is negative; a call that fails reports an errno, a call that succeeds returns 0 or more");
        seam.calls.clear();
        seam.lie(Forged.result(-2));
        try (Arena arena = Arena.ofConfined()) {
            assertMalformed(() -> seam.container().mapDma(arena.allocate(4096, 4096), 0x10000), "VFIO_IOMMU_MAP_DMA", CONTAINER,
                    "the result -2 is negative; a call that fails reports an errno, a call that succeeds returns 0 or more");
        }
    }

    // ---- what a region maps ----

    /** Region BAR0 of 16 KiB, mmappable, with one SPARSE_MMAP area. */
    private Region regionWithArea(long offset, long size) throws VfioException {
        byte[] r = regionReply(64, 32);
        header(r, 32, 1, 1, 0);
        le(r).putInt(40, 1).putLong(48, offset).putLong(56, size);
        seam.lie(Forged.bytes(NaiveReplies.regionInfo(64, REGION_FLAGS, 0, 0, 0x4000, 0, new byte[0])), Forged.bytes(r));
        return seam.device().region(0);
    }

    @Test
    void anAreaWhoseOffsetReadsNegative_isNotMapped() throws Exception {
        // 2^64 - 4096: far past the region, not 4 KiB before it (which would be the previous region's tail)
        try (Region region = regionWithArea(-4096, 4096)) {
            assertThat(seam.mmaps).isEmpty();
            assertThat(region.isMapped(0, 4)).isFalse();
        }
    }

    @Test
    void anAreaWhoseSizeReadsNegative_isMappedToTheEndOfTheRegion() throws Exception {
        try (Region region = regionWithArea(0x1000, -1)) {
            assertThat(seam.mmaps).singleElement().satisfies(m -> assertThat(m).containsExactly(0x1000, 0x3000));
            assertThat(region.isMapped(0x1000, 0x3000)).isTrue();
        }
    }

    @Test
    void aPreadThatClaimsMoreBytesThanItWasGiven_isRefused() {
        RecordingSeam seam = new RecordingSeam();
        seam.transferCount = 9L;
        VfioDevice device = seam.device();
        assertMalformed(() -> device.readConfigDword(0), "pread", "fd 5 (device 0000:01:00.0)",
                "the count 9 is outside 0..4, the bytes the call was given");
    }

    @Test
    void aNegativePwriteCount_isRefused() {
        RecordingSeam seam = new RecordingSeam();
        seam.transferCount = -3L;
        VfioDevice device = seam.device();
        assertMalformed(() -> device.config().write16(4, 6), "pwrite", "fd 5 (device 0000:01:00.0)",
                "the count -3 is outside 0..2, the bytes the call was given");
    }

    @Test
    void aPollThatAnswersForNoDescriptor_isRefused() {
        RecordingSeam seam = new RecordingSeam();
        seam.pollAnswer = new short[0];
        EventNotifier n = new EventNotifier(seam.kernel, new org.vfio4j.spi.Fd(seam.kernel, 6, "eventfd", x -> 0), () -> null);
        assertMalformed(() -> n.await(java.time.Duration.ofMillis(1)), "poll", "fd 6 (eventfd)",
                "poll was asked about 1 descriptor and answered for 0; it returns one revents per descriptor");
    }
}
