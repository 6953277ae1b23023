package org.vfio4j.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import org.vfio4j.KernelProfile;
import org.vfio4j.RegionCapability;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.BarRange;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.DeviceRegion;
import org.vfio4j.sim.device.Display;
import org.vfio4j.sim.device.DmaFaultException;
import org.vfio4j.sim.device.EdidRegion;
import org.vfio4j.sim.device.MmioHandler;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.sim.device.Rom;

/**
 * The hosts the seam fuzzer boots: every kind of file and region the simulator serves. Each call
 * builds new device models, so no device state is shared between episodes.
 */
final class FuzzHosts {
    private FuzzHosts() {}

    /** Bus 5 holds two fuzz devices in groups 20 and 21 (a hot reset covers both). */
    static final String MSIX_DEVICE = "0000:05:00.0";
    static final String DISPLAY_DEVICE = "0000:05:00.1";
    static final String PF = "0000:06:00.0";
    static final String VF = "0000:06:00.2";
    static final String SHARED = "0000:07:00.0";

    /** The hosts, by number: 0 rich 6.1, 1 rich 5.7, 2 no-IOMMU, 3 the x86 preset. */
    static SimulatedHost host(int n) {
        return switch (n) {
            case 0 -> rich(KernelProfile.LINUX_6_1);
            case 1 -> rich(KernelProfile.LINUX_5_7);
            case 2 -> SimulatedHost.noIommu().toBuilder().clearGroups()
                    .group(0, HostDevice.ofInstance("0000:00:04.0", new Fuzzee(true)).boundTo(HostDevice.VFIO_PCI)).build();
            default -> SimulatedHost.x86Type1();
        };
    }

    static final int HOSTS = 4;

    /**
     * Two fuzz devices on bus 5 (one with MSI-X in its memory BAR, one VGA display with MSI and a
     * dma-buf plane), an SR-IOV PF and its VF on bus 6, and a group that is not viable (a vfio-pci
     * function whose sibling is bound to e1000e). Small DMA entry and locked-memory limits, so
     * ENOSPC and ENOMEM are reachable.
     */
    static SimulatedHost rich(KernelProfile profile) {
        ConfigSpace pf = ConfigSpace.builder(0x8086, 0x1521, 0x020000).interruptPin(1).pcie(true).msi(1, false, false)
                .extendedCapability(0x10, 1, new byte[0x3c]).build();
        ConfigSpace vf = ConfigSpace.builder(0x8086, 0x1520, 0x020000).pcie(true).msix(4, 0, 0x0, 0, 0x800).build();
        return SimulatedHost.builder().name("fuzz host").profile(profile).dmaEntryLimit(24).memlockLimit(256 * 1024)
                .group(20, HostDevice.ofInstance(MSIX_DEVICE, new Fuzzee(true)).boundTo(HostDevice.VFIO_PCI))
                .group(21, HostDevice.ofInstance(DISPLAY_DEVICE, new Fuzzee(false)).boundTo(HostDevice.VFIO_PCI))
                .group(22, HostDevice.of(PF, () -> () -> pf).boundTo(HostDevice.VFIO_PCI))
                .group(23, HostDevice.ofInstance(VF, new PciDeviceModel() {
                    @Override
                    public ConfigSpace config() {
                        return vf;
                    }

                    @Override
                    public List<Bar> bars() {
                        return List.of(Bar.memory(0, 0x1000, BarKind.MEMORY64, false));
                    }
                }).asVirtualFunctionOf(PF).boundTo(HostDevice.VFIO_PCI))
                .group(24, HostDevice.ofInstance(SHARED, new Fuzzee(true)).boundTo(HostDevice.VFIO_PCI),
                        HostDevice.pci("0000:07:00.1", 0x8086, 0x10d3, 0x020000).boundTo("e1000e"))
                .build();
    }

    /**
     * A device with a register BAR0 (DMA copy engine, interrupt triggers, display mode), a 16 KiB
     * memory BAR2, an I/O BAR4, a ROM, a vendor memory region with capabilities and, for the display
     * variant, an EDID region and a dma-buf plane in BAR2. Registers at BAR0: 0x00 source IOVA, 0x08
     * destination IOVA, 0x10 length (at most 64 KiB), 0x18 command (1 copy, 2 MSI vector {@code
     * value >> 8}, 3 assert INTx, 4 deassert INTx), 0x30 width, 0x34 height.
     */
    static final class Fuzzee implements PciDeviceModel {
        private final boolean msix;
        private final EdidRegion edid = new EdidRegion(1024, 768);
        private DeviceContext context;
        private long src;
        private long dst;
        private long len;
        private int width;
        private int height;

        Fuzzee(boolean msix) {
            this.msix = msix;
        }

        @Override
        public ConfigSpace config() {
            ConfigSpace.Builder b = ConfigSpace.builder(0x1af4, msix ? 0x10f0 : 0x10f1, msix ? 0x00ff00 : 0x030000)
                    .interruptPin(1).pm(false);
            b = msix ? b.pcie(true).msix(8, 2, 0x2000, 2, 0x3000) : b.msi(4, true, true);
            return b.readOnlyGaps().build();
        }

        @Override
        public List<Bar> bars() {
            MmioHandler regs = new MmioHandler() {
                @Override
                public long read(long offset, int size) {
                    long v = switch ((int) (offset & ~7)) {
                        case 0x00 -> src;
                        case 0x08 -> dst;
                        case 0x10 -> len;
                        case 0x30 -> width | (long) height << 32;
                        default -> 0xdeadbeefcafef00dL;
                    };
                    return v >>> ((offset & 7) * 8);
                }

                @Override
                public void write(long offset, int size, long value) {
                    switch ((int) offset) {
                        case 0x00 -> src = value;
                        case 0x08 -> dst = value;
                        case 0x10 -> len = Math.min(value & 0xffffffffL, 0x10000);
                        case 0x18 -> command(value);
                        case 0x30 -> width = (int) Math.min(value & 0xffff, 64);
                        case 0x34 -> height = (int) Math.min(value & 0xffff, 64);
                        default -> { }
                    }
                }
            };
            MmioHandler io = new MmioHandler() {
                private long latch;

                @Override
                public long read(long offset, int size) {
                    return latch >>> ((offset & 7) * 8);
                }

                @Override
                public void write(long offset, int size, long value) {
                    latch = value;
                }
            };
            return List.of(Bar.registers(0, 0x1000, BarKind.MEMORY32, regs),
                    new Bar(2, 0x4000, BarKind.MEMORY64, true, List.of(new BarRange.Memory(0, 0x4000))),
                    Bar.registers(4, 0x20, BarKind.IO, io));
        }

        private void command(long value) {
            switch ((int) (value & 0xff)) {
                case 1 -> {
                    MemorySegment tmp = Arena.ofAuto().allocate(Math.max(1, len));
                    try {
                        context.dmaRead(src, tmp);
                        context.dmaWrite(dst, tmp);
                    } catch (DmaFaultException e) {
                        // recorded by the IOMMU; the device just stops
                    }
                }
                case 2 -> context.signalMsi((int) (value >>> 8) & 0xff);
                case 3 -> context.setIntx(true);
                case 4 -> context.setIntx(false);
                default -> { }
            }
        }

        @Override
        public Optional<Rom> rom() {
            return Optional.of(new Rom(0x4000, new byte[] {0x55, (byte) 0xaa, 8, 0}));
        }

        @Override
        public List<DeviceRegion> regions() {
            DeviceRegion vendor = new DeviceRegion(0x80001af4, 3, 0x2000, true, true,
                    List.of(new RegionCapability.SparseMmap(List.of(new RegionCapability.Area(0, 0x1000))),
                            new RegionCapability.Nvlink2LinkSpeed(8)), Optional.empty());
            return msix ? List.of(vendor) : List.of(vendor, edid.region());
        }

        @Override
        public void attach(DeviceContext context) {
            this.context = context;
        }

        @Override
        public void reset() {
            src = 0;
            dst = 0;
            len = 0;
            width = 0;
            height = 0;
        }

        @Override
        public Optional<Display> display() {
            if (msix) {
                return Optional.empty();
            }
            return Optional.of(new Display() {
                @Override
                public Export export() {
                    return Export.DMABUF;
                }

                @Override
                public Optional<Plane> plane(int drmPlaneType) {
                    if (drmPlaneType != 1 || width == 0 || height == 0 || context == null) {
                        return Optional.empty();
                    }
                    MemorySegment pixels = context.barMemory(2).asSlice(0, (long) width * height * 4);
                    return Optional.of(new Plane(0x34325258, 0, width, height, width * 4, 0, 0, 0, 0, 0, pixels));
                }
            });
        }
    }
}
