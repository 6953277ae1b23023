package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.sim.PowerRig.errno;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vfio4j.Errno;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;

/**
 * Every value and errno the lane observed from Linux 6.12 on QEMU's powernv9 (the "Observed
 * behaviour" list of the POWER lane notes), one test each, against the powernv preset with
 * CAP_IPC_LOCK as the lane's probe ran.
 */
class SpaprTceLaneTest {
    private static final int RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    private static final long SLOT1 = 0x0800_0000_0000_0000L;

    @Test
    void checkExtension_answersSpaprAndEeh_onlyBeforeAndAfterSetIommu() throws Exception {
        try (PowerRig r = new PowerRig(PowerRig.lane())) {
            for (int ext : new int[] {1, 3, 4, 6, 8, 9, 10}) {
                assertThat(r.k.ioctl(r.container, VFIO_CHECK_EXTENSION, ext)).as("extension %d", ext).isZero();
            }
            for (int ext : new int[] {2, 5, 7}) {
                assertThat(r.k.ioctl(r.container, VFIO_CHECK_EXTENSION, ext)).as("extension %d", ext).isEqualTo(1);
            }
            r.attach(0);
            r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU);
            assertThat(r.k.ioctl(r.container, VFIO_CHECK_EXTENSION, 2)).isEqualTo(1);
            assertThat(r.k.ioctl(r.container, VFIO_CHECK_EXTENSION, 5)).isEqualTo(1);
            assertThat(r.k.ioctl(r.container, VFIO_CHECK_EXTENSION, 1)).isZero();
        }
    }

    @Test
    void checkExtensionOfEeh_isZero_whenEehIsOff() throws Exception {
        SimulatedHost host = PowerRig.lane().toBuilder().power(PowerPlatform.phb4().withEeh(PowerPlatform.Eeh.OFF)).build();
        try (PowerRig r = new PowerRig(host)) {
            assertThat(r.k.ioctl(r.container, VFIO_CHECK_EXTENSION, VFIO_EEH)).isZero();
            assertThat(r.k.ioctl(r.container, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU)).isEqualTo(1);
        }
    }

    @Test
    void anX86Host_hasNoSpaprIommu() throws Exception {
        SimulatedKernel k = SimulatedHost.x86Type1().boot();
        try {
            Fd c = k.open("/dev/vfio/vfio", LinuxAbi.O_RDWR);
            assertThat(k.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU)).isZero();
            assertThat(k.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU)).isZero();
            assertThat(k.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_EEH)).isZero();
        } finally {
            k.close();
        }
    }

    @Test
    void setIommu_errnos() throws Exception {
        try (PowerRig r = new PowerRig(PowerRig.lane())) {
            assertThat(errno(() -> r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU))).as("before a group").isEqualTo(Errno.EINVAL);
            r.attach(0);
            assertThat(errno(() -> r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))).as("type1 on POWER").isEqualTo(Errno.ENODEV);
            assertThat(errno(() -> r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))).isEqualTo(Errno.ENODEV);
            assertThat(r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU)).isZero();
            assertThat(errno(() -> r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU))).as("a second").isEqualTo(Errno.EINVAL);
        }
    }

    @Test
    void getInfo_v2_reportsThePhbAndItsDynamicWindows() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            MemorySegment b = r.info(32);
            assertThat(b.get(ValueLayout.JAVA_INT, 0)).as("argsz").isEqualTo(32);
            assertThat(b.get(ValueLayout.JAVA_INT, 4)).as("flags").isEqualTo(VFIO_IOMMU_SPAPR_INFO_DDW);
            assertThat(b.get(ValueLayout.JAVA_INT, 8)).as("dma32_window_start").isZero();
            assertThat(b.get(ValueLayout.JAVA_INT, 12)).as("dma32_window_size").isEqualTo(0x8000_0000);
            assertThat(b.get(ValueLayout.JAVA_LONG, 16)).as("ddw.pgsizes").isEqualTo(0x4021_1000L);
            assertThat(b.get(ValueLayout.JAVA_INT, 24)).as("ddw.max_dynamic_windows_supported").isEqualTo(2);
            assertThat(b.get(ValueLayout.JAVA_INT, 28)).as("ddw.levels").isEqualTo(5);
            assertThat(b.get(ValueLayout.JAVA_LONG, 32)).as("past the struct").isEqualTo(0xAAAA_AAAA_AAAA_AAAAL);
        }
    }

    @Test
    void getInfo_argsz16_writesOnly16Bytes_argsz8IsEinval() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            MemorySegment b = r.info(16);
            assertThat(b.get(ValueLayout.JAVA_INT, 4)).isEqualTo(VFIO_IOMMU_SPAPR_INFO_DDW);
            assertThat(b.get(ValueLayout.JAVA_INT, 12)).isEqualTo(0x8000_0000);
            assertThat(b.asSlice(16, 24).toArray(ValueLayout.JAVA_BYTE)).as("untouched").containsOnly((byte) 0xAA);
            assertThat(errno(() -> r.info(8))).isEqualTo(Errno.EINVAL);
            assertThat(r.info(31).asSlice(16, 24).toArray(ValueLayout.JAVA_BYTE)).as("31 is still the short form").containsOnly((byte) 0xAA);
        }
    }

    @Test
    void getInfo_beforeSetIommu_isEinval() throws Exception {
        try (PowerRig r = new PowerRig(PowerRig.lane())) {
            r.attach(0);
            assertThat(errno(() -> r.info(32))).isEqualTo(Errno.EINVAL);
        }
    }

    @Test
    void getInfo_v1_hasNoDdw() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_IOMMU)) {
            MemorySegment b = r.info(32);
            assertThat(b.get(ValueLayout.JAVA_INT, 4)).as("flags").isZero();
            assertThat(b.get(ValueLayout.JAVA_INT, 8)).isZero();
            assertThat(b.get(ValueLayout.JAVA_INT, 12)).isEqualTo(0x8000_0000);
            assertThat(b.asSlice(16, 16).toArray(ValueLayout.JAVA_BYTE)).as("ddw zeroed").containsOnly((byte) 0);
        }
    }

    @Test
    void v2_hasNoEnableOrDisable() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            assertThat(errno(r::enable)).isEqualTo(Errno.ENOTTY);
            assertThat(errno(r::disable)).isEqualTo(Errno.ENOTTY);
        }
    }

    @Test
    void v1_hasNoV2Ioctls_mapsOnlyEnabled_enablesOnce() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_IOMMU)) {
            MemorySegment m = r.memory(0x1000);
            assertThat(errno(() -> r.register(r.vaddr(m), 0x1000))).isEqualTo(Errno.ENOTTY);
            assertThat(errno(() -> r.unregister(r.vaddr(m), 0x1000))).isEqualTo(Errno.ENOTTY);
            assertThat(errno(() -> r.create(16, 1L << 30, 1))).isEqualTo(Errno.ENOTTY);
            assertThat(errno(() -> r.remove(0))).isEqualTo(Errno.ENOTTY);
            assertThat(errno(() -> r.map(RW, r.vaddr(m), 0, 0x1000))).as("before ENABLE").isEqualTo(Errno.EPERM);
            assertThat(r.disable()).as("DISABLE when not enabled").isZero();
            assertThat(r.enable()).isZero();
            assertThat(errno(r::enable)).isEqualTo(Errno.EBUSY);
            assertThat(r.map(RW, r.vaddr(m), 0, 0x1000)).isZero();
        }
    }

    @Test
    void v2_mapWithoutRegister_isEperm() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            MemorySegment m = r.memory(0x1000);
            assertThat(errno(() -> r.map(RW, r.vaddr(m), 0, 0x1000))).isEqualTo(Errno.EPERM);
            assertThat(errno(() -> r.unmap(0, 0x1000))).isEqualTo(Errno.EPERM);
        }
    }

    @Test
    void registerMemory_errnos() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            MemorySegment m = r.memory(0x4000);
            long v = r.vaddr(m);
            assertThat(errno(() -> r.register(v + 0x800, 0x1000))).as("unaligned vaddr").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.register(v, 0x1800))).as("unaligned size").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.register(v, 0))).as("size 0").isEqualTo(Errno.ENOMEM);
            assertThat(errno(() -> r.register(16, 0, v, 0x1000))).as("argsz").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.register(24, 1, v, 0x1000))).as("flags").isEqualTo(Errno.EINVAL);
            assertThat(r.register(v, 0x2000)).isZero();
            assertThat(errno(() -> r.register(v, 0x2000))).as("same range again").isEqualTo(Errno.EBUSY);
            assertThat(errno(() -> r.register(v + 0x1000, 0x2000))).as("partial overlap").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.register(v, 0x1000))).as("a subrange").isEqualTo(Errno.EINVAL);
            assertThat(r.register(v + 0x2000, 0x2000)).as("the neighbour").isZero();
        }
    }

    @Test
    void unregisterMemory_ofASubrangeOrAnUnknownRange_isEnoent() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            MemorySegment m = r.memory(0x4000);
            long v = r.vaddr(m);
            assertThat(errno(() -> r.unregister(v, 0x2000))).as("before anything recorded the process").isEqualTo(Errno.EPERM);
            assertThat(r.register(v, 0x2000)).isZero();
            assertThat(errno(() -> r.unregister(v, 0x1000))).as("subrange").isEqualTo(Errno.ENOENT);
            assertThat(errno(() -> r.unregister(v + 0x2000, 0x2000))).as("unknown").isEqualTo(Errno.ENOENT);
            assertThat(errno(() -> r.unregister(16, 0, v, 0x2000))).as("argsz").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.unregister(24, 2, v, 0x2000))).as("flags").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.unregister(v + 1, 0x2000))).as("unaligned").isEqualTo(Errno.EINVAL);
            assertThat(r.unregister(v, 0x2000)).isZero();
            assertThat(errno(() -> r.unregister(v, 0x2000))).as("again").isEqualTo(Errno.ENOENT);
        }
    }

    @Test
    void mapDma_v2_rules() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            MemorySegment m = r.memory(0x10000);
            long v = r.vaddr(m);
            r.register(v, 0x10000);
            assertThat(r.map(RW, v, 0x10000, 0)).as("size 0").isZero();
            assertThat(r.map(RW, v, 0x10000, 0x2000)).isZero();
            assertThat(r.map(VFIO_DMA_MAP_FLAG_READ, v + 0x4000, 0x10000, 0x2000)).as("mapped again: replaced").isZero();
            assertThat(r.k.resources().dmaMappings()).singleElement().satisfies(d -> {
                assertThat(d.iova()).isEqualTo(0x10000);
                assertThat(d.size()).isEqualTo(0x2000);
                assertThat(d.writable()).as("the new TCEs' permission").isFalse();
            });
            assertThat(errno(() -> r.map(RW, v, 0x8000_0000L, 0x1000))).as("past the default window").isEqualTo(Errno.ENXIO);
            assertThat(errno(() -> r.map(0, v, 0x10000, 0x1000))).as("flags 0").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.map(0, v, 0x8000_0000L, 0x1000))).as("flags 0 outside every window").isEqualTo(Errno.ENXIO);
            assertThat(errno(() -> r.map(RW | VFIO_DMA_MAP_FLAG_VADDR, v, 0x10000, 0x1000))).as("VADDR").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.map(31, RW, v, 0x10000, 0x1000))).as("argsz").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.map(RW, v + 0x800, 0x10000, 0x1000))).as("vaddr not on a 4K TCE").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.map(RW, v, 0x10000, 0x800))).as("size not on a 4K TCE").isEqualTo(Errno.EINVAL);
            assertThat(r.map(RW, v, 0x10800, 0x1000)).as("a misaligned IOVA: iommu_tce_put_param_check's || gives 1").isEqualTo(1);
            assertThat(errno(() -> r.map(RW, v + 0xF000, 0x20000, 0x2000))).as("second page unregistered").isEqualTo(Errno.EINVAL);
            assertThat(r.k.resources().dmaMappings()).as("the failed map left nothing").hasSize(1);
        }
    }

    @Test
    void unmapDma_rules_andNothingIsWrittenBack() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            MemorySegment m = r.memory(0x10000);
            long v = r.vaddr(m);
            r.register(v, 0x10000);
            r.map(RW, v, 0x10000, 0x4000);
            MemorySegment u = r.unmapStruct(0, 0x10000, 0x10_0000);
            assertThat(u.get(ValueLayout.JAVA_LONG, 16)).as("size as asked").isEqualTo(0x10_0000);
            assertThat(r.k.resources().dmaMappings()).isEmpty();
            assertThat(r.unmapStruct(0, 0x40_0000, 0x3000).get(ValueLayout.JAVA_LONG, 16)).as("nothing mapped there").isEqualTo(0x3000);
            assertThat(errno(() -> r.unmapStruct(VFIO_DMA_UNMAP_FLAG_ALL, 0, 0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.unmap(0x8000_0000L, 0x1000))).isEqualTo(Errno.ENXIO);
            assertThat(errno(() -> r.unmap(0x10000, 0x800))).isEqualTo(Errno.EINVAL);
            assertThat(r.unmap(0x10800, 0x1000)).as("misaligned IOVA").isEqualTo(1);
        }
    }

    @Test
    void mapDma_v1_replacesToo_andNeedsThePagesPresent() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_IOMMU)) {
            r.enable();
            MemorySegment a = r.memory(0x2000);
            MemorySegment b = r.memory(0x2000);
            assertThat(r.map(VFIO_DMA_MAP_FLAG_READ, r.vaddr(a), 0x10000, 0x2000)).isZero();
            assertThat(r.map(RW, r.vaddr(b), 0x10000, 0x2000)).isZero();
            assertThat(r.k.resources().dmaMappings()).singleElement().satisfies(d -> assertThat(d.writable()).isTrue());
            assertThat(errno(() -> r.map(RW, 0x7777_0000_0000L, 0x20000, 0x1000))).as("no memory there").isEqualTo(Errno.EFAULT);
            MemorySegment ro = r.arena.allocate(0x1000, 0x1000).asReadOnly();
            assertThat(errno(() -> r.map(RW, r.vaddr(ro), 0x20000, 0x1000))).as("WRITE into read-only memory").isEqualTo(Errno.EFAULT);
            assertThat(r.map(VFIO_DMA_MAP_FLAG_READ, r.vaddr(ro), 0x20000, 0x1000)).isZero();
        }
    }

    @Test
    void defaultWindow_isCreatedLazilyWith4kTces_soTheFirstCreateLandsInSlot1() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            assertThat(r.create(16, 1L << 30, 1)).isEqualTo(SLOT1);
            MemorySegment m = r.memory(0x1000);
            r.register(r.vaddr(m), 0x1000);
            assertThat(r.map(RW, r.vaddr(m), 0x7FFF_F000L, 0x1000)).as("4K TCEs at the top of the default window").isZero();
            assertThat(errno(() -> r.create(12, 1L << 30, 1))).as("both slots used").isEqualTo(Errno.ENOSPC);
        }
    }

    @Test
    void tceCreate_placesWindows_andChecksItsArguments() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            MemorySegment before = r.info(32);
            MemorySegment c = r.createStruct(40, 0, 16, 1L << 30, 1);
            assertThat(c.get(ValueLayout.JAVA_LONG, 32)).as("start_addr").isEqualTo(SLOT1);
            assertThat(c.get(ValueLayout.JAVA_INT, 8)).as("page_shift stays").isEqualTo(16);
            assertThat(r.info(32).toArray(ValueLayout.JAVA_BYTE)).as("GET_INFO after a create").isEqualTo(before.toArray(ValueLayout.JAVA_BYTE));
            assertThat(errno(() -> r.create(16, 1L << 30, 1))).as("both slots used").isEqualTo(Errno.ENOSPC);
            assertThat(r.remove(0x1234)).as("any address inside window 0").isZero();
            assertThat(errno(() -> r.remove(0x1234))).as("again").isEqualTo(Errno.EINVAL);
            assertThat(r.remove(SLOT1 + 0x10_0000)).isZero();
            assertThat(r.create(16, 1L << 30, 1)).as("slot 0 first").isZero();
            assertThat(r.create(21, 1L << 32, 2)).isEqualTo(SLOT1);
            assertThat(errno(() -> r.createStruct(39, 0, 16, 1L << 30, 1))).as("argsz").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.createStruct(40, 1, 16, 1L << 30, 1))).as("flags").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.remove(15, 0, 0))).as("remove argsz").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.remove(16, 1, 0))).as("remove flags").isEqualTo(Errno.EINVAL);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {12, 16, 21})
    void tceCreate_ofEachOfferedPageSize_works(int shift) throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            assertThat(r.create(shift, 1L << 30, 1)).isEqualTo(SLOT1);
        }
    }

    @Test
    void tceCreate_refusesPageSizeSizeAndLevelsThePhbRefuses() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            assertThat(errno(() -> r.create(24, 1L << 30, 1))).as("16M pages").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.create(16, 3L << 30, 1))).as("not a power of two").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.create(16, 1L << 30, 0))).as("levels 0").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.create(16, 1L << 30, 9))).as("levels 9").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.create(16, 0, 1))).as("size 0").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> r.create(16, 1L << 30, 5))).as("five levels of 4K pages index 61 bits").isEqualTo(Errno.EINVAL);
            assertThat(r.create(16, 1L << 30, 4)).as("four levels").isEqualTo(SLOT1);
        }
    }

    @Test
    void tceRemove_ofThePendingDefaultWindow_cancelsIt() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            assertThat(r.remove(0)).isZero();
            assertThat(errno(() -> r.remove(0))).as("nothing pending, no window").isEqualTo(Errno.EINVAL);
            assertThat(r.create(16, 1L << 30, 1)).as("slot 0 is free").isZero();
            MemorySegment m = r.memory(0x1000);
            r.register(r.vaddr(m), 0x1000);
            assertThat(errno(() -> r.map(RW, r.vaddr(m), 0x4000_0000L, 0x1000))).as("no default window").isEqualTo(Errno.ENXIO);
        }
    }

    @Test
    void fourKPageKernel_mapIntoA64kWindow_isEinval() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            long w = r.create(16, 1L << 30, 1);
            MemorySegment m = r.memory(0x10000);
            r.register(r.vaddr(m), 0x10000);
            assertThat(errno(() -> r.map(RW, r.vaddr(m), w, 0x10000))).isEqualTo(Errno.EINVAL);
            assertThat(r.map(RW, r.vaddr(m), 0, 0x10000)).as("the default window's 4K TCEs").isZero();
        }
    }

    @Test
    void groupUnsetContainer_withADeviceOpen_isEbusy() throws Exception {
        try (PowerRig r = new PowerRig(PowerRig.lane())) {
            Fd g = r.attach(0);
            r.k.ioctl(r.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU);
            int dev = r.k.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, r.arena.allocateFrom("0000:01:00.0"));
            assertThat(dev).isPositive();
            assertThat(errno(() -> r.k.ioctl(g, VFIO_GROUP_UNSET_CONTAINER, 0))).isEqualTo(Errno.EBUSY);
        }
    }

    @Test
    void eehPeOp_reachesEeh_onV1AndV2() throws Exception {
        for (int type : new int[] {VFIO_SPAPR_TCE_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU}) {
            try (PowerRig r = PowerRig.with(PowerRig.lane(), type)) {
                assertThat(errno(() -> r.eeh(12, 0, VFIO_EEH_PE_GET_STATE))).as("type %d", type).isNotEqualTo(Errno.ENOTTY);
            }
        }
    }

    @Test
    void anUnknownIoctl_isEnotty() throws Exception {
        try (PowerRig r = PowerRig.with(PowerRig.lane(), VFIO_SPAPR_TCE_v2_IOMMU)) {
            assertThat(errno(() -> r.ioctl(VFIO_IOMMU_GET_INFO + 30, r.arena.allocate(64)))).isEqualTo(Errno.ENOTTY);
        }
    }
}
