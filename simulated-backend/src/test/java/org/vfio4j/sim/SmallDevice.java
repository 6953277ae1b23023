package org.vfio4j.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.vfio4j.IommuType;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.BarRange;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.DmaFaultException;
import org.vfio4j.sim.device.MmioHandler;
import org.vfio4j.sim.device.PciDeviceModel;

/**
 * A small PCIe function for the resource and fault tests: FLR, two maskable MSI vectors, INTx, a
 * register BAR0 (0x0 source IOVA, 0x8 destination IOVA, 0x10 length, a write to 0x18 copies through
 * the IOMMU at once; 0x20 reads 1 if the last copy faulted) and an 8 KiB memory BAR2.
 */
final class SmallDevice implements PciDeviceModel {
    static final String BDF = "0000:03:00.0";
    static final int GROUP = 5;

    DeviceContext context;
    long src;
    long dst;
    long len;
    DmaFaultException fault;
    int copies;

    @Override
    public ConfigSpace config() {
        return ConfigSpace.builder(0x1af4, 0x10f0, 0x00ff00).interruptPin(1).pcie(true).msi(2, true, true).build();
    }

    @Override
    public List<Bar> bars() {
        MmioHandler regs = new MmioHandler() {
            @Override
            public long read(long offset, int size) {
                return offset == 0x20 ? (fault == null ? 0 : 1) : offset == 0x10 ? len : 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                switch ((int) offset) {
                    case 0x0 -> src = value;
                    case 0x8 -> dst = value;
                    case 0x10 -> len = value;
                    case 0x18 -> copy();
                    default -> { }
                }
            }
        };
        return List.of(Bar.registers(0, 0x1000, BarKind.MEMORY32, regs),
                new Bar(2, 0x2000, BarKind.MEMORY64, false, List.of(new BarRange.Memory(0, 0x2000))));
    }

    @Override
    public void attach(DeviceContext context) {
        this.context = context;
    }

    private void copy() {
        copies++;
        MemorySegment tmp = Arena.ofAuto().allocate(len);
        try {
            context.dmaRead(src, tmp);
            context.dmaWrite(dst, tmp);
            fault = null;
        } catch (DmaFaultException e) {
            fault = e;
        }
    }

    /** A host with this device alone in group {@link #GROUP} on bus 3 (so a bus reset exists), otherwise the x86 preset. */
    static SimulatedHost.Builder host(SmallDevice model) {
        return SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(GROUP, HostDevice.ofInstance(BDF, model).boundTo(HostDevice.VFIO_PCI));
    }

    /** A booted kernel with the container, group and device open, type1v2 set and bus mastering on. */
    record World(SimulatedKernel kernel, Vfio vfio, VfioContainer container, VfioGroup group, VfioDevice device, SmallDevice model) {
        static World boot(SimulatedHost host, SmallDevice model) throws VfioException {
            SimulatedKernel k = host.boot();
            Vfio vfio = Vfio.over(k);
            VfioContainer c = vfio.openContainer();
            VfioGroup g = vfio.openGroup(GROUP);
            g.setContainer(c);
            c.setIommu(IommuType.TYPE1V2);
            VfioDevice d = g.openDevice(BDF);
            d.config().write16(0x04, d.config().read16(0x04) | 0x4);
            return new World(k, vfio, c, g, d, model);
        }

        static World boot() throws VfioException {
            SmallDevice model = new SmallDevice();
            return boot(host(model).build(), model);
        }
    }
}
