package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.IommuType;
import org.vfio4j.KernelProfile;
import org.vfio4j.PciAddress;
import org.vfio4j.PciRegisters;
import org.vfio4j.RegionCapability;
import org.vfio4j.RegionInfo;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.BarRange;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.DeviceRegion;
import org.vfio4j.sim.device.DmaFaultException;
import org.vfio4j.sim.device.MmioHandler;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.sim.device.Rom;
import org.vfio4j.sim.pci.PciFunction;
import org.vfio4j.spi.LinuxAbi;

/**
 * The device-model SPI shown by a small model: a "copier" with a register BAR (a doorbell that
 * copies {@code len} bytes from one IOVA to another through the IOMMU, counting accesses), a memory
 * BAR, a ROM, and a vendor region with capabilities; and what vfio-pci makes of it.
 */
class DeviceModelTest {
    private final Arena arena = Arena.ofShared();

    @AfterEach
    void close() {
        arena.close();
    }

    /** The model: registers at BAR0 (0x0 src, 0x8 dst, 0x10 len, 0x18 doorbell), 8 KiB prefetchable memory at BAR2. */
    static final class Copier implements PciDeviceModel {
        final List<String> accesses = new ArrayList<>();
        DeviceContext context;
        long src;
        long dst;
        long len;
        DmaFaultException fault;

        @Override
        public ConfigSpace config() {
            return ConfigSpace.builder(0x1af4, 0x10ff, 0x00ff00).interruptPin(1).msi(4, true, true).pm(false).readOnlyGaps().build();
        }

        @Override
        public List<Bar> bars() {
            MmioHandler regs = new MmioHandler() {
                @Override
                public long read(long offset, int size) {
                    accesses.add("r" + size + "@" + offset);
                    return offset == 0x10 ? len : 0;
                }

                @Override
                public void write(long offset, int size, long value) {
                    accesses.add("w" + size + "@" + offset);
                    switch ((int) offset) {
                        case 0x0 -> src = value;
                        case 0x8 -> dst = value;
                        case 0x10 -> len = value;
                        case 0x18 -> copy();
                        default -> { }
                    }
                }
            };
            return List.of(Bar.registers(0, 0x100, BarKind.MEMORY32, regs),
                    new Bar(2, 0x2000, BarKind.MEMORY64, true, List.of(new BarRange.Memory(0, 0x2000))));
        }

        @Override
        public Optional<Rom> rom() {
            return Optional.of(new Rom(0x4000, new byte[] {0x55, (byte) 0xaa, 1, 2}));
        }

        @Override
        public List<DeviceRegion> regions() {
            return List.of(new DeviceRegion(0x80001af4, 7, 0x1000, false, false,
                    List.of(new RegionCapability.Nvlink2Ssatgt(0x1234_5678_9000L), new RegionCapability.Nvlink2LinkSpeed(9)), Optional.empty()));
        }

        @Override
        public void attach(DeviceContext context) {
            this.context = context;
        }

        private void copy() {
            MemorySegment tmp = Arena.ofAuto().allocate(len);
            try {
                context.dmaRead(src, tmp);
                context.dmaWrite(dst, tmp);
                fault = null;
            } catch (DmaFaultException e) {
                fault = e;
            }
        }
    }

    private record World(SimulatedKernel kernel, Vfio vfio, VfioContainer container, VfioDevice device, Copier model) {}

    private World boot(Copier model) throws Exception {
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(3, HostDevice.ofInstance("0000:04:00.0", model).boundTo(HostDevice.VFIO_PCI)).build();
        SimulatedKernel k = host.boot();
        Vfio vfio = Vfio.over(k);
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(3);
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        VfioDevice d = g.openDevice("0000:04:00.0");
        d.config().write16(0x04, d.config().read16(0x04) | 0x4); // bus master: the device may DMA
        return new World(k, vfio, c, d, model);
    }

    @Test
    void regions_reportWhatTheModelDeclares() throws Exception {
        World w = boot(new Copier());
        VfioDevice d = w.device();
        assertThat(d.info().numRegions()).isEqualTo(10);
        assertThat(d.info().canReset()).as("PM capability without No_Soft_Reset").isTrue();
        RegionInfo bar0 = d.regionInfo(0);
        assertThat(bar0.size()).isEqualTo(0x100);
        assertThat(bar0.mmappable()).as("a sub-page BAR the host placed page aligned").isTrue();
        assertThat(d.regionInfo(1).size()).isZero();
        RegionInfo bar2 = d.regionInfo(2);
        assertThat(bar2.flags()).isEqualTo(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP);
        assertThat(d.regionInfo(3).size()).as("upper half of the 64-bit BAR2").isZero();
        assertThat(d.regionInfo(VFIO_PCI_ROM_REGION_INDEX).size()).isEqualTo(0x4000);
        assertThat(d.regionInfo(VFIO_PCI_ROM_REGION_INDEX).flags()).isEqualTo(VFIO_REGION_INFO_FLAG_READ);
        RegionInfo vendor = d.regionInfo(9);
        assertThat(vendor.offset()).isEqualTo(9L << 40);
        assertThat(vendor.capabilities()).containsExactly(new RegionCapability.Type(0x80001af4, 7),
                new RegionCapability.Nvlink2Ssatgt(0x1234_5678_9000L), new RegionCapability.Nvlink2LinkSpeed(9));
        assertThat(d.irqInfo(VFIO_PCI_MSI_IRQ_INDEX).count()).isEqualTo(4);
        assertThat(Errnos.of(() -> d.regionInfo(VFIO_PCI_VGA_REGION_INDEX))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void registers_areTrappedAsAlignedAccesses_andMemoryIsShared() throws Exception {
        World w = boot(new Copier());
        MemorySegment buf = arena.allocate(8);
        buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x1122334455667788L);
        assertThat(w.kernel().pwrite(w.device().fd(), buf.asSlice(0, 7), 0x10)).isEqualTo(7);
        assertThat(w.model().accesses).containsExactly("w4@16", "w2@20", "w1@22");
        try (var bar2 = w.device().region(2)) {
            assertThat(bar2.isMapped(0, 8)).isTrue();
            bar2.writeLong(0x100, 42);
            assertThat(w.kernel().pread(w.device().fd(), buf, (2L << 40) + 0x100)).isEqualTo(8);
            assertThat(buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).isEqualTo(42);
        }
        MemorySegment regs = w.kernel().mmap(w.device().fd(), 0, 4096, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, LinuxAbi.MAP_SHARED);
        assertThat(regs.isReadOnly()).as("registers cannot be trapped through a mapping").isTrue();
        assertThatThrownBy(() -> regs.set(ValueLayout.JAVA_INT, 0x18, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
        try (var bar0 = w.device().region(0)) {
            assertThat(bar0.isMapped(0, 8)).as("registers are mapped: the accessor's loads and stores reach the model").isTrue();
            w.model().accesses.clear();
            bar0.writeLong(0x10, 0x1234);
            bar0.writeShort(0x2, 7);
            assertThat(bar0.readLong(0x10)).isEqualTo(0x1234);
            bar0.write(0x1, MemorySegment.ofArray(new byte[7]));
            assertThat(w.model().accesses).as("one access of each width at each offset, as the CPU makes them")
                    .containsExactly("w8@16", "w2@2", "r8@16", "w1@1", "w2@2", "w4@4");
        }
        w.kernel().munmap(regs);
        assertThatThrownBy(() -> w.kernel().load(regs, 0, 4)).as("an unmapped mapping").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a live mapping");
    }

    @Test
    void closingTheDeviceFd_withAMappingLive_keepsTheDeviceOpenUntilTheLastMunmap() throws Exception {
        World w = boot(new Copier());
        MemorySegment regs = w.kernel().mmap(w.device().fd(), 0, 4096, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, LinuxAbi.MAP_SHARED);
        PciFunction f = w.kernel().vfioFunction(PciAddress.parse("0000:04:00.0")).orElseThrow();
        w.device().close();
        assertThat(f.openCount()).as("the mapping holds the device file (vma->vm_file)").isEqualTo(1);
        w.kernel().store(regs, 0x10, 4, 0x40);
        assertThat(w.kernel().load(regs, 0x10, 4)).as("the mapping still reaches the device").isEqualTo(0x40);
        w.kernel().munmap(regs);
        assertThat(f.openCount()).as("the last munmap releases it").isZero();
    }

    @Test
    void mappedAccessWithMemoryDecodeOff_isSigbusAsEio() throws Exception {
        World w = boot(new Copier());
        try (var bar0 = w.device().region(0)) {
            w.device().config().disableCommand(PciRegisters.COMMAND_MEMORY);
            assertThat(Errnos.of(() -> bar0.readInt(0x10))).as("vfio_pci_mmap_fault refuses the page").isEqualTo(Errno.EIO);
            w.device().config().enableCommand(PciRegisters.COMMAND_MEMORY);
            assertThat(bar0.readInt(0x10)).isZero();
        }
    }

    @Test
    void rom_readsItsImageThenAllOnes_andRefusesWrites() throws Exception {
        World w = boot(new Copier());
        MemorySegment buf = arena.allocate(8);
        assertThat(w.kernel().pread(w.device().fd(), buf, 6L << 40)).isEqualTo(8);
        assertThat(buf.toArray(ValueLayout.JAVA_BYTE)).containsExactly(0x55, (byte) 0xaa, 1, 2, -1, -1, -1, -1);
        assertThat(w.kernel().pread(w.device().fd(), buf, (6L << 40) + 0x4000 - 2)).as("clipped at the ROM BAR end").isEqualTo(2);
        assertThat(Errnos.of(() -> w.kernel().pwrite(w.device().fd(), buf, 6L << 40))).isEqualTo(Errno.EINVAL);
        assertThat(Errnos.of(() -> w.kernel().pwrite(w.device().fd(), buf, 9L << 40))).as("read-only vendor region").isEqualTo(Errno.EINVAL);
        assertThat(w.device().config().read32(0x30) & 0x3ffe).as("ROM BAR: the host address, size-aligned").isZero();
        w.device().config().write32(0x30, -1);
        assertThat(w.device().config().read32(0x30)).isEqualTo(~(0x4000 - 1) | 1);
    }

    @Test
    void deviceDma_goesThroughTheIommu_andFaultsAreVisible() throws Exception {
        World w = boot(new Copier());
        MemorySegment from = arena.allocate(4096, 4096);
        MemorySegment to = arena.allocate(4096, 4096);
        from.setString(0, "through the IOMMU");
        w.container().mapDma(from, 0x10000, true, false);
        w.container().mapDma(to, 0x20000, true, true);
        try (var bar0 = w.device().region(0)) {
            bar0.writeLong(0x0, 0x10000);
            bar0.writeLong(0x8, 0x20000);
            bar0.writeLong(0x10, 32);
            bar0.writeLong(0x18, 1);
            assertThat(to.getString(0)).isEqualTo("through the IOMMU");
            assertThat(w.kernel().iommuFaults()).isEmpty();

            bar0.writeLong(0x8, 0x10000); // read-only for the device
            bar0.writeLong(0x18, 1);
            assertThat(w.model().fault).isNotNull();
            assertThat(w.model().fault.fault().reason()).contains("not writable");
            bar0.writeLong(0x0, 0x30000); // unmapped
            bar0.writeLong(0x18, 1);
            assertThat(w.kernel().iommuFaults()).hasSize(2);
            assertThat(w.kernel().iommuFaults().get(1).iova()).isEqualTo(0x30000);
            assertThat(w.kernel().iommuFaults().get(1).reason()).contains("no mapping");
            w.device().config().write16(0x04, w.device().config().read16(0x04) & ~0x4);
            bar0.writeLong(0x0, 0x10000);
            bar0.writeLong(0x8, 0x20000);
            bar0.writeLong(0x18, 1);
            assertThat(w.model().fault.fault().reason()).as("no bus mastering, no DMA").contains("bus mastering is off");
        }
    }

    private record Opened(Vfio vfio, VfioDevice device) {}

    private static VfioDevice openOnly(PciDeviceModel model, KernelProfile profile) throws Exception {
        return open(model, profile).device();
    }

    private static Opened open(PciDeviceModel model, KernelProfile profile) throws Exception {
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups().profile(profile)
                .group(3, HostDevice.ofInstance("0000:04:00.0", model).boundTo(HostDevice.VFIO_PCI)).build();
        Vfio vfio = Vfio.open(host);
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(3);
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        return new Opened(vfio, g.openDevice("0000:04:00.0"));
    }

    @Test
    void vgaRegion_hasThreeLegacyWindows_clippedAtTheirEnds() throws Exception {
        List<String> seen = new ArrayList<>();
        PciDeviceModel vga = new PciDeviceModel() {
            @Override
            public ConfigSpace config() {
                return ConfigSpace.builder(0x1234, 0x1111, 0x030000).build();
            }

            @Override
            public MmioHandler vga() {
                return new MmioHandler() {
                    @Override
                    public long read(long offset, int size) {
                        seen.add("r" + size + "@" + Long.toHexString(offset));
                        return 0;
                    }

                    @Override
                    public void write(long offset, int size, long value) {}
                };
            }
        };
        VfioDevice d = openOnly(vga, KernelProfile.LINUX_6_1);
        assertThat(d.regionInfo(VFIO_PCI_VGA_REGION_INDEX).size()).isEqualTo(0xc0000);
        assertThat(d.regionInfo(VFIO_PCI_VGA_REGION_INDEX).flags()).isEqualTo(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
        try (var r = d.region(VFIO_PCI_VGA_REGION_INDEX)) {
            MemorySegment four = arena.allocate(4);
            assertThat(r.read(0xa0000, four)).isEqualTo(4);
            assertThat(r.read(0x3ba, four)).as("clipped at 0x3bc").isEqualTo(2);
            assertThat(r.read(0x3de, four)).as("clipped at 0x3e0").isEqualTo(2);
            assertThat(r.read(0xbfffe, four)).as("clipped at 0xc0000").isEqualTo(2);
            assertThat(Errnos.of(() -> r.read(0x3bc, four))).isEqualTo(Errno.EINVAL);
            assertThat(Errnos.of(() -> r.read(0x9ffff, four))).isEqualTo(Errno.EINVAL);
            assertThat(Errnos.of(() -> r.read(0x3af, four))).isEqualTo(Errno.EINVAL);
        }
        assertThat(seen).containsExactly("r4@a0000", "r2@3ba", "r2@3de", "r2@bfffe");
    }

    @Test
    void extendedCapabilities_hideUnknownOnes_andKeepAPlaceholderAt0x100() throws Exception {
        ConfigSpace hiddenFirst = ConfigSpace.builder(0x1af4, 0x10fd, 0x00ff00).pcie(false)
                .extendedCapability(0x1e, 1, new byte[12])      // L1 PM substates: not shown by vfio-pci
                .extendedCapability(0x01, 2, new byte[0x28])    // AER: shown
                .extendedCapability(0x1f, 1, new byte[8])       // PTM: not shown
                .extendedCapability(0x03, 1, new byte[8])       // DSN: shown
                .build();
        var caps = openOnly(() -> hiddenFirst, KernelProfile.LINUX_6_1).config().extendedCapabilities();
        assertThat(caps.stream().map(c -> c.id() + "@" + Integer.toHexString(c.offset())).toList())
                .as("placeholder (id 0) at 0x100, AER, then DSN: PTM unlinked").containsExactly("0@100", "1@110", "3@148");
        ConfigSpace onlyHidden = ConfigSpace.builder(0x1af4, 0x10fd, 0x00ff00).pcie(false)
                .extendedCapability(0x1e, 1, new byte[12]).build();
        assertThat(openOnly(() -> onlyHidden, KernelProfile.LINUX_6_1).config().read32(0x100)).as("no visible ecap").isZero();
    }

    @Test
    void barAccess_inD3hot_isEioFrom61() throws Exception {
        for (KernelProfile p : KernelProfile.values()) {
            Opened o = open(new Copier(), p);
            VfioDevice d = o.device();
            int pm = d.config().find(0x01);
            MemorySegment four = arena.allocate(4);
            d.config().write16(pm + 4, 3); // D3hot
            assertThat(d.config().read16(pm + 4) & 3).isEqualTo(3);
            assertThat(Errnos.of(() -> o.vfio().seam().pread(d.fd(), four, 2L << 40))).as("%s", p)
                    .isEqualTo(p == KernelProfile.LINUX_6_1 || p == KernelProfile.LINUX_6_12 ? Errno.EIO : null);
            d.config().write16(pm + 4, 0);
            assertThat(Errnos.of(() -> o.vfio().seam().pread(d.fd(), four, 2L << 40))).isNull();
        }
    }

    @Test
    void intxCount_followsThePin_andTheInterruptLineIsVirtual() throws Exception {
        ConfigSpace noPin = ConfigSpace.builder(0x1af4, 0x10fe, 0x00ff00).interruptLine(0x0b).build();
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(3, HostDevice.of("0000:04:00.0", () -> () -> noPin).boundTo(HostDevice.VFIO_PCI)).build();
        Vfio vfio = Vfio.open(host);
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(3);
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        VfioDevice d = g.openDevice("0000:04:00.0");
        assertThat(d.irqInfo(VFIO_PCI_INTX_IRQ_INDEX).count()).as("no interrupt pin, no INTx").isZero();
        d.config().write8(0x3c, 0x42);
        assertThat(d.config().read8(0x3c)).isEqualTo(0x42);
        d.close();
        VfioDevice again = g.openDevice("0000:04:00.0");
        assertThat(again.config().read8(0x3c)).as("the hardware's line: the write went to the virtual copy only").isEqualTo(0x0b);
    }

}
