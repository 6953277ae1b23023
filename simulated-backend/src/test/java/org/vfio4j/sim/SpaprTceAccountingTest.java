package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.sim.PowerRig.errno;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;

/**
 * What the sPAPR TCE IOMMU charges to RLIMIT_MEMLOCK and when it gives it back, the life of its
 * windows and registrations across groups and containers, and the two 6.12 bugs the simulator
 * keeps ({@code iommu_tce_check_ioba} ignoring a map's length, {@code tce_iommu_unregister_pages}
 * dropping {@code mm_iommu_put}'s EBUSY). The host has no CAP_IPC_LOCK, so every charge shows.
 */
class SpaprTceAccountingTest {
    private static final int RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    /** The default window's table: 2 GiB of 4K TCEs in one level, twice 4 MiB ({@code pnv_pci_ioda2_get_table_size}). */
    private static final long DEFAULT_WINDOW_PAGES = 2 * (4L << 20) / 4096;
    /** A 1 GiB window of 64K TCEs in one level: twice 128 KiB. */
    private static final long WINDOW_64K_1G_PAGES = 2 * (128L << 10) / 4096;

    private static SimulatedHost host(long memlock) {
        return SimulatedHost.powernv().toBuilder().memlockLimit(memlock).build();
    }

    @Test
    void v1Enable_chargesTheWhole32BitWindow_againstRlimitMemlock() throws Exception {
        try (PowerRig r = PowerRig.with(SimulatedHost.powernv(), VFIO_SPAPR_TCE_IOMMU)) {
            assertThat(errno(r::enable)).as("2 GiB against the preset's 64 MiB").isEqualTo(Errno.ENOMEM);
            assertThat(r.k.lockedPages()).isZero();
        }
        try (PowerRig r = PowerRig.with(host(4L << 30), VFIO_SPAPR_TCE_IOMMU)) {
            r.enable();
            assertThat(r.k.lockedPages()).as("tce32_size / PAGE_SIZE").isEqualTo(0x8000_0000L / 4096);
            r.disable();
            assertThat(r.k.lockedPages()).isZero();
            r.enable();
            MemorySegment m = r.memory(0x1000);
            r.map(RW, r.vaddr(m), 0, 0x1000);
            assertThat(r.k.lockedPages()).as("plus the default window's table").isEqualTo(0x8000_0000L / 4096 + DEFAULT_WINDOW_PAGES);
            r.disable();
            assertThat(errno(() -> r.map(RW, r.vaddr(m), 0x1000, 0x1000))).as("disabled again").isEqualTo(Errno.EPERM);
            assertThat(r.k.resources().dmaMappings()).as("DISABLE leaves the TCEs").hasSize(1);
        }
    }

    /**
     * SET_IOMMU attaches every group of the container; when one refuses (a v1 container takes one
     * group: EBUSY), the core drops the driver instance with the groups it took
     * ({@code __vfio_container_attach_groups} unwinds, then {@code release}), so the container has
     * no IOMMU and another type can still be set.
     */
    @Test
    void setIommu_whenASecondGroupRefusesV1_leavesNoIommu_andV2CanBeSet() throws Exception {
        try (PowerRig r = new PowerRig(PowerRig.lane())) {
            r.attach(0);
            r.attach(1);
            assertThat(errno(() -> r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU))).isEqualTo(Errno.EBUSY);
            assertThat(errno(() -> r.info(32))).as("no IOMMU after the failed SET_IOMMU").isEqualTo(Errno.EINVAL);
            assertThat(r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU)).isZero();
            assertThat(r.k.lockedPages()).isZero();
        }
    }

    @Test
    void v2_chargesRegisteredPagesAndTables_andReleaseGivesAllBack() throws Exception {
        try (PowerRig r = new PowerRig(host(1L << 30))) {
            Fd g = r.attach(0);
            r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU);
            MemorySegment m = r.memory(0x10000);
            r.register(r.vaddr(m), 0x10000);
            assertThat(r.k.lockedPages()).isEqualTo(16);
            r.map(RW, r.vaddr(m), 0, 0x10000);
            assertThat(r.k.lockedPages()).as("the default window, created by the first map").isEqualTo(16 + DEFAULT_WINDOW_PAGES);
            long w = r.create(16, 1L << 30, 1);
            assertThat(r.k.lockedPages()).isEqualTo(16 + DEFAULT_WINDOW_PAGES + WINDOW_64K_1G_PAGES);
            r.remove(w);
            assertThat(r.k.lockedPages()).isEqualTo(16 + DEFAULT_WINDOW_PAGES);
            r.create(16, 1L << 30, 1);
            r.k.ioctl(g, VFIO_GROUP_UNSET_CONTAINER, 0);
            assertThat(r.k.resources().dmaMappings()).as("the last group's detach clears the TCEs").isEmpty();
            assertThat(r.k.lockedPages()).as("release frees the windows and the registration").isZero();
        }
    }

    @Test
    void tceCreate_overRlimitMemlock_isEnomem() throws Exception {
        try (PowerRig r = PowerRig.with(host(4L << 20), VFIO_SPAPR_TCE_v2_IOMMU)) {
            r.remove(0); // no default window: its 8 MiB table would not fit either
            assertThat(errno(() -> r.create(12, 1L << 31, 1))).as("8 MiB of table").isEqualTo(Errno.ENOMEM);
            assertThat(r.create(16, 1L << 30, 1)).isZero();
            assertThat(r.k.lockedPages()).isEqualTo(WINDOW_64K_1G_PAGES);
        }
    }

    @Test
    void aTableThePlatformRefuses_keepsItsCharge() throws Exception {
        try (PowerRig r = PowerRig.with(host(1L << 30), VFIO_SPAPR_TCE_v2_IOMMU)) {
            r.remove(0);
            // 5 levels of at least 4K each index (12 - 3) * 5 + 12 = 57 bits: pnv_pci_ioda2_table_alloc_pages refuses it,
            // after tce_iommu_create_table charged 2 MiB + 4 x 4 KiB, twice
            assertThat(errno(() -> r.create(12, 1L << 30, 5))).isEqualTo(Errno.EINVAL);
            assertThat(r.k.lockedPages()).isEqualTo(2 * ((2L << 20) + 4 * 4096) / 4096);
        }
    }

    @Test
    void aMapRunningPastItsWindow_succeeds_asIommuTceCheckIobaChecksOnlyTheFirstPage() throws Exception {
        try (PowerRig r = PowerRig.with(host(1L << 30), VFIO_SPAPR_TCE_v2_IOMMU)) {
            MemorySegment m = r.memory(0x3000);
            r.register(r.vaddr(m), 0x3000);
            assertThat(r.map(RW, r.vaddr(m), 0x7FFF_F000L, 0x3000)).isZero();
            assertThat(r.k.resources().dmaMappings()).singleElement().satisfies(d -> {
                assertThat(d.iova()).isEqualTo(0x7FFF_F000L);
                assertThat(d.size()).as("two TCEs past the 2 GiB window").isEqualTo(0x3000);
            });
            assertThat(errno(() -> r.map(RW, r.vaddr(m), 0x8000_0000L, 0x1000))).as("starting past it").isEqualTo(Errno.ENXIO);
            assertThat(r.unmap(0x7FFF_F000L, 0x3000)).as("unmap over the same range clears them").isZero();
            assertThat(r.k.resources().dmaMappings()).isEmpty();
            assertThat(r.unregister(r.vaddr(m), 0x3000)).isZero();
            assertThat(r.k.lockedPages()).as("the registration is gone, not leaked").isEqualTo(DEFAULT_WINDOW_PAGES);
        }
    }

    @Test
    void unregisterOfMappedMemory_returns0_andLeaksTheRegistration() throws Exception {
        try (PowerRig r = new PowerRig(host(1L << 30))) {
            Fd g = r.attach(0);
            r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU);
            MemorySegment m = r.memory(0x3000);
            long v = r.vaddr(m);
            r.register(v, 0x2000);
            r.map(RW, v, 0x10000, 0x1000);
            assertThat(r.unregister(v, 0x2000)).as("mm_iommu_put's EBUSY is dropped").isZero();
            assertThat(errno(() -> r.unregister(v, 0x2000))).as("no longer this container's").isEqualTo(Errno.ENOENT);
            assertThat(r.k.resources().dmaMappings()).as("the TCE stays").hasSize(1);
            assertThat(errno(() -> r.register(v + 0x1000, 0x2000))).as("the region still overlaps").isEqualTo(Errno.EINVAL);
            assertThat(r.register(v, 0x2000)).as("the same range is adopted again").isZero();
            assertThat(r.k.lockedPages()).as("adopted, not charged twice").isEqualTo(2 + DEFAULT_WINDOW_PAGES);
            r.unmap(0x10000, 0x1000);
            assertThat(r.unregister(v, 0x2000)).isZero();
            r.k.ioctl(g, VFIO_GROUP_UNSET_CONTAINER, 0);
            assertThat(r.k.lockedPages()).as("registered to nobody, charged forever (the kernel WARNs at exit)").isEqualTo(2);
        }
    }

    @Test
    void detachingOneOfTwoGroups_clearsEveryTce_butKeepsTheWindows() throws Exception {
        try (PowerRig r = new PowerRig(host(1L << 30))) {
            r.attach(0);
            Fd g1 = r.attach(1);
            r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU);
            MemorySegment m = r.memory(0x2000);
            r.register(r.vaddr(m), 0x2000);
            r.map(RW, r.vaddr(m), 0, 0x2000);
            long charged = r.k.lockedPages();
            r.k.ioctl(g1, VFIO_GROUP_UNSET_CONTAINER, 0);
            assertThat(r.k.resources().dmaMappings()).as("tce_iommu_release_ownership clears all windows").isEmpty();
            assertThat(r.map(RW, r.vaddr(m), 0, 0x2000)).isZero();
            assertThat(r.k.lockedPages()).as("the window stayed").isEqualTo(charged);
        }
    }

    @Test
    void v1_takesOneGroup() throws Exception {
        try (PowerRig r = new PowerRig(PowerRig.lane())) {
            r.attach(0);
            r.attach(1);
            assertThat(errno(() -> r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU))).isEqualTo(Errno.EBUSY);
            assertThat(r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU)).as("v2 shares its windows").isZero();
        }
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_IOMMU)) {
            assertThat(errno(() -> r.attach(1))).isEqualTo(Errno.EBUSY);
        }
    }

    @Test
    void aRegistration_isSharedByTheProcessesContainers() throws Exception {
        try (PowerRig r = PowerRig.with(host(1L << 30), VFIO_SPAPR_TCE_v2_IOMMU)) {
            Fd other = r.k.open("/dev/vfio/vfio", LinuxAbi.O_RDWR);
            Fd g1 = r.k.open("/dev/vfio/1", LinuxAbi.O_RDWR);
            MemorySegment fd = r.arena.allocate(4);
            fd.set(ValueLayout.JAVA_INT, 0, other.number());
            r.k.ioctl(g1, VFIO_GROUP_SET_CONTAINER, fd);
            r.k.ioctl(other, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU);
            MemorySegment m = r.memory(0x2000);
            MemorySegment n = r.memory(0x1000);
            r.register(r.vaddr(m), 0x2000);
            MemorySegment reg = r.arena.allocate(24, 8);
            reg.set(ValueLayout.JAVA_INT, 0, 24);
            reg.set(ValueLayout.JAVA_LONG, 8, r.vaddr(n));
            reg.set(ValueLayout.JAVA_LONG, 16, 0x1000);
            r.k.ioctl(other, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, reg); // enables the other container
            assertThat(r.k.lockedPages()).isEqualTo(3);
            MemorySegment map = r.arena.allocate(32, 8);
            map.set(ValueLayout.JAVA_INT, 0, 32);
            map.set(ValueLayout.JAVA_INT, 4, RW);
            map.set(ValueLayout.JAVA_LONG, 8, r.vaddr(m));
            map.set(ValueLayout.JAVA_LONG, 16, 0x10000);
            map.set(ValueLayout.JAVA_LONG, 24, 0x2000);
            assertThat(r.k.ioctl(other, VFIO_IOMMU_MAP_DMA, map)).as("memory the first container registered").isZero();
            reg.set(ValueLayout.JAVA_LONG, 8, r.vaddr(m));
            reg.set(ValueLayout.JAVA_LONG, 16, 0x2000);
            assertThat(r.k.ioctl(other, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, reg)).as("the same range: shared").isZero();
            assertThat(r.k.lockedPages()).as("not charged again").isEqualTo(3 + DEFAULT_WINDOW_PAGES);
        }
    }
}
