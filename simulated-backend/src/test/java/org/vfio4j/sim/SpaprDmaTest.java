package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.device.IommuFault;

/**
 * A device's DMA on a POWER host goes through the container's TCEs: a copy round trip through
 * v2 and v1 mappings, and the refusals the PHB logs as a "TCE access fault" (no TCE, a write
 * through a read-only TCE, an IOVA past a window), each recorded as an {@link IommuFault}.
 */
class SpaprDmaTest {
    private static final int READ = VFIO_DMA_MAP_FLAG_READ;
    private static final int RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    private final Arena arena = Arena.ofShared();
    private SimulatedKernel k;
    private VfioContainer container;
    private VfioDevice device;
    private SmallDevice model;

    @AfterEach
    void close() {
        if (k != null) {
            k.close();
        }
        arena.close();
    }

    /** Boots on QEMU's PHB4, which reports TCE faults and never freezes the PE, so that a test sees each fault on its own. */
    private void boot(int type) throws Exception {
        boot(type, PowerPlatform.Eeh.QEMU_NEVER_FREEZES);
    }

    private void boot(int type, PowerPlatform.Eeh eeh) throws Exception {
        model = new SmallDevice();
        k = SimulatedHost.powernv().toBuilder().power(PowerPlatform.phb4().withEeh(eeh)).capIpcLock(true).clearGroups()
                .group(SmallDevice.GROUP, HostDevice.ofInstance(SmallDevice.BDF, model).boundTo(HostDevice.VFIO_PCI)).build().boot();
        Vfio vfio = Vfio.over(k);
        container = vfio.openContainer();
        VfioGroup g = vfio.openGroup(SmallDevice.GROUP);
        g.setContainer(container);
        k.ioctl(container.fd(), VFIO_SET_IOMMU, type);
        device = g.openDevice(SmallDevice.BDF);
        device.config().write16(0x04, device.config().read16(0x04) | 0x4); // bus master
    }

    private MemorySegment memory(long size) {
        MemorySegment m = arena.allocate(size, 0x1000);
        k.userAddress(m);
        return m;
    }

    private int ioctl(long request, long... words) throws Exception {
        MemorySegment s = arena.allocate(8L * words.length, 8);
        for (int i = 0; i < words.length; i++) {
            s.set(ValueLayout.JAVA_LONG, 8L * i, words[i]);
        }
        return k.ioctl(container.fd(), request, s);
    }

    private void register(MemorySegment m) throws Exception {
        ioctl(VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 24, k.userAddress(m), m.byteSize());
    }

    private void map(int flags, MemorySegment m, long iova) throws Exception {
        ioctl(VFIO_IOMMU_MAP_DMA, 32 | (long) flags << 32, k.userAddress(m), iova, m.byteSize());
    }

    /** Has the device copy {@code len} bytes from IOVA {@code src} to {@code dst}; whether it faulted. */
    private boolean copy(long src, long dst, long len) throws Exception {
        try (var bar0 = device.region(0)) {
            bar0.writeLong(0x0, src);
            bar0.writeLong(0x8, dst);
            bar0.writeLong(0x10, len);
            bar0.writeLong(0x18, 1);
            return bar0.readInt(0x20) == 1;
        }
    }

    @Test
    void v2_aCopyRoundTripsThroughTheDefaultWindowsTces() throws Exception {
        boot(VFIO_SPAPR_TCE_v2_IOMMU);
        MemorySegment src = memory(0x2000);
        MemorySegment dst = memory(0x2000);
        register(src);
        register(dst);
        for (long i = 0; i < 0x2000; i += 8) {
            src.set(ValueLayout.JAVA_LONG, i, 0x0101_0101_0101_0101L * (i / 8 % 251));
        }
        map(READ, src, 0x10_0000);
        map(RW, dst, 0x20_0000);
        assertThat(copy(0x10_0800, 0x20_0800, 0x1000)).as("faulted").isFalse();
        assertThat(dst.asSlice(0x800, 0x1000).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(src.asSlice(0x800, 0x1000).toArray(ValueLayout.JAVA_BYTE));
        assertThat(dst.get(ValueLayout.JAVA_LONG, 0)).as("outside the copy").isZero();
        assertThat(k.iommuFaults()).isEmpty();
    }

    @Test
    void v1_aCopyRoundTripsThroughPinnedPages_andAWriteOnlyTceIsReadableToo() throws Exception {
        boot(VFIO_SPAPR_TCE_IOMMU);
        k.ioctl(container.fd(), VFIO_IOMMU_ENABLE, 0);
        MemorySegment src = memory(0x1000);
        MemorySegment dst = memory(0x1000);
        src.set(ValueLayout.JAVA_LONG, 0x10, 0x1122_3344_5566_7788L);
        map(VFIO_DMA_MAP_FLAG_WRITE, src, 0x4000); // pnv_tce_xchg adds TCE_PCI_READ to TCE_PCI_WRITE
        map(RW, dst, 0x8000);
        assertThat(copy(0x4000, 0x8000, 0x100)).isFalse();
        assertThat(dst.get(ValueLayout.JAVA_LONG, 0x10)).isEqualTo(0x1122_3344_5566_7788L);
    }

    @Test
    void aWriteThroughAReadOnlyTce_isATceAccessFault() throws Exception {
        boot(VFIO_SPAPR_TCE_v2_IOMMU);
        MemorySegment m = memory(0x2000);
        register(m);
        map(READ, m, 0x10_0000);
        assertThat(copy(0x10_0000, 0x10_1000, 8)).as("faulted").isTrue();
        assertThat(k.iommuFaults()).singleElement().satisfies(f -> {
            assertThat(f.iova()).isEqualTo(0x10_1000);
            assertThat(f.write()).isTrue();
            assertThat(f.reason()).startsWith("TCE access fault").contains("read only");
        });
    }

    @Test
    void anIovaWithoutTce_orPastTheWindows_isATceAccessFault() throws Exception {
        boot(VFIO_SPAPR_TCE_v2_IOMMU);
        MemorySegment m = memory(0x2000);
        register(m);
        map(RW, m, 0x7FFF_F000L); // runs one TCE past the 2 GiB default window: the map succeeds
        assertThat(copy(0x7FFF_F000L, 0x7FFF_F800L, 8)).as("inside the window").isFalse();
        assertThat(copy(0x8000_0000L, 0x7FFF_F000L, 8)).as("the TCE written past the window").isTrue();
        assertThat(copy(0x30_0000, 0x7FFF_F000L, 8)).as("no TCE").isTrue();
        assertThat(k.iommuFaults()).extracting(IommuFault::reason).satisfiesExactly(
                r -> assertThat(r).startsWith("TCE access fault: IOVA 0x80000000 is in no DMA window"),
                r -> assertThat(r).startsWith("TCE access fault: no TCE maps IOVA 0x300000"));
    }

    @Test
    void afterUnmap_theDeviceReachesNothing() throws Exception {
        boot(VFIO_SPAPR_TCE_v2_IOMMU);
        MemorySegment m = memory(0x1000);
        register(m);
        map(RW, m, 0);
        ioctl(VFIO_IOMMU_UNMAP_DMA, 24, 0, 0x1000);
        assertThat(copy(0, 0x800, 8)).isTrue();
        assertThat(k.iommuFaults()).singleElement().satisfies(f -> assertThat(f.reason()).startsWith("TCE access fault: no TCE"));
    }

    /**
     * On a hardware PHB the refused DMA is an EEH error: the PE freezes (eeh_dev_check_failure), so
     * the device's registers read all ones, GET_STATE says STOPPED, and its next DMA is refused as
     * frozen, without a second TCE fault.
     */
    @Test
    void onAFreezingPhb_aTceFaultFreezesThePe() throws Exception {
        boot(VFIO_SPAPR_TCE_v2_IOMMU, PowerPlatform.Eeh.FREEZES);
        MemorySegment m = memory(0x1000);
        register(m);
        map(RW, m, 0);
        assertThat(copy(0x30_0000, 0x800, 8)).as("the status register reads all ones once frozen").isFalse();
        try (var bar0 = device.region(0)) {
            assertThat(bar0.readInt(0x20)).isEqualTo(-1);
        }
        MemorySegment op = memory(0x1000);
        op.set(ValueLayout.JAVA_INT, 0, 12);
        op.set(ValueLayout.JAVA_INT, 8, VFIO_EEH_PE_GET_STATE);
        assertThat(k.ioctl(container.fd(), VFIO_EEH_PE_OP, op)).isEqualTo(VFIO_EEH_PE_STATE_STOPPED);
        assertThat(k.iommuFaults()).extracting(IommuFault::reason).singleElement()
                .satisfies(r -> assertThat(r).startsWith("TCE access fault: no TCE maps IOVA 0x300000"));
    }
}
