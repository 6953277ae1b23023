package org.vfio4j.sim;

import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.vfio4j.PciAddress;
import org.vfio4j.VfioException;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.UserArg;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.BarRange;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.MmioHandler;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.uapi.VfioStructs.vfio_eeh_pe_op;
import org.vfio4j.uapi.VfioStructs.vfio_irq_set;

/**
 * A booted POWER host ({@link SimulatedHost#powernv()}'s PHB) with one {@link ScratchDevice} in
 * group 0, opened through the system-call seam as a driver opens it, for the tests of what a frozen
 * or reset EEH PE does to a device. The container gets the sPAPR TCE v2 IOMMU when the kernel
 * offers it, type1v2 otherwise (until the sPAPR driver is merged). VFIO_EEH_PE_OP goes straight to
 * the kernel's EEH, as the sPAPR driver hands it on for each group.
 */
final class PowerWorld implements AutoCloseable {
    static final String BDF = "0000:01:00.0";
    static final PciAddress ADDRESS = PciAddress.parse(BDF);
    static final int GROUP = 0;
    /** Where BAR2 starts in the device fd, and the config region. */
    static final long BAR0 = 0;
    static final long BAR2 = 2L << 40;
    static final long CONFIG = (long) VFIO_PCI_CONFIG_REGION_INDEX << 40;

    final ScratchDevice model = new ScratchDevice();
    final SimulatedKernel kernel;
    final Fd group;
    final Fd device;
    final MemorySegment bar2;
    private final Arena arena = Arena.ofConfined();

    PowerWorld(PowerPlatform.Eeh eeh) throws VfioException {
        SimulatedHost host = SimulatedHost.powernv().toBuilder().clearGroups()
                .power(PowerPlatform.phb4().withEeh(eeh))
                .group(GROUP, HostDevice.ofInstance(BDF, model).boundTo(HostDevice.VFIO_PCI)).build();
        kernel = host.boot();
        Fd container = kernel.open("/dev/vfio/vfio", LinuxAbi.O_RDWR);
        group = kernel.open("/dev/vfio/" + GROUP, LinuxAbi.O_RDWR);
        MemorySegment fd = arena.allocate(4);
        fd.set(ValueLayout.JAVA_INT, 0, container.number());
        kernel.ioctl(group, VFIO_GROUP_SET_CONTAINER, fd);
        boolean spapr = kernel.ioctl(container, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU) == 1;
        kernel.ioctl(container, VFIO_SET_IOMMU, spapr ? VFIO_SPAPR_TCE_v2_IOMMU : VFIO_TYPE1v2_IOMMU);
        device = openDevice();
        bar2 = kernel.mmap(device, BAR2, 0x1000, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, LinuxAbi.MAP_SHARED);
        setMaster();
    }

    /** VFIO_GROUP_GET_DEVICE_FD for the device. */
    Fd openDevice() throws VfioException {
        int n = kernel.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, arena.allocateFrom(BDF));
        return kernel.adopt(n, "device");
    }

    /** Turns bus mastering on (a read-modify-write of the command register). */
    void setMaster() throws VfioException {
        configWrite(0x04, 2, configRead(0x04, 2) | 0x4);
    }

    /** A pread of {@code size} bytes at {@code offset} of the device fd, little-endian. */
    long read(long offset, int size) throws VfioException {
        MemorySegment b = arena.allocate(8);
        kernel.pread(device, b.asSlice(0, size), offset);
        return size == 8 ? b.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) : b.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) & ((1L << 8 * size) - 1);
    }

    /** A pwrite of {@code size} bytes of {@code value} at {@code offset} of the device fd. */
    void write(long offset, int size, long value) throws VfioException {
        MemorySegment b = arena.allocate(8);
        b.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, value);
        kernel.pwrite(device, b.asSlice(0, size), offset);
    }

    int configRead(int at, int size) throws VfioException {
        return (int) read(CONFIG + at, size);
    }

    void configWrite(int at, int size, int value) throws VfioException {
        write(CONFIG + at, size, value);
    }

    /** VFIO_EEH_PE_OP {@code op} for group 0, as the sPAPR driver hands it to EEH; its result. */
    int peOp(int op) throws KernelError {
        MemorySegment m = arena.allocate(vfio_eeh_pe_op.SIZE);
        m.set(ValueLayout.JAVA_INT, vfio_eeh_pe_op.argsz, vfio_eeh_pe_op.SIZE);
        m.set(ValueLayout.JAVA_INT, vfio_eeh_pe_op.op, op);
        m.set(ValueLayout.JAVA_INT, vfio_eeh_pe_op.err + 4, 4); // err.func: a config load error, what PHB4 injects
        return kernel.eeh().peOp(GROUP, UserArg.pointer(m), new SyscallContext());
    }

    /** A non-blocking eventfd bound to MSI vector 0 with VFIO_DEVICE_SET_IRQS. */
    Fd msiEventfd() throws VfioException {
        Fd e = kernel.eventfd(0, LinuxAbi.EFD_NONBLOCK);
        MemorySegment s = arena.allocate(vfio_irq_set.SIZE + 4);
        s.set(ValueLayout.JAVA_INT, vfio_irq_set.argsz, (int) s.byteSize());
        s.set(ValueLayout.JAVA_INT, vfio_irq_set.flags, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
        s.set(ValueLayout.JAVA_INT, vfio_irq_set.index, VFIO_PCI_MSI_IRQ_INDEX);
        s.set(ValueLayout.JAVA_INT, vfio_irq_set.start, 0);
        s.set(ValueLayout.JAVA_INT, vfio_irq_set.count, 1);
        s.set(ValueLayout.JAVA_INT, vfio_irq_set.data, e.number());
        kernel.ioctl(device, VFIO_DEVICE_SET_IRQS, s);
        return e;
    }

    @Override
    public void close() {
        kernel.close();
        arena.close();
    }

    /**
     * A small PCIe function: BAR0 holds a scratch register at 0 that a reset clears (and counts),
     * BAR2 is 4 KiB of memory; one MSI vector, FLR.
     */
    static final class ScratchDevice implements PciDeviceModel {
        int scratch;
        int resets;
        DeviceContext context;

        @Override
        public ConfigSpace config() {
            return ConfigSpace.builder(0x1234, 0x11e8, 0x00ff00).interruptPin(1).pcie(true).msi(1, true, true).build();
        }

        @Override
        public List<Bar> bars() {
            MmioHandler regs = new MmioHandler() {
                @Override
                public long read(long offset, int size) {
                    return offset == 0 ? scratch : 0;
                }

                @Override
                public void write(long offset, int size, long value) {
                    if (offset == 0) {
                        scratch = (int) value;
                    }
                }
            };
            return List.of(Bar.registers(0, 0x1000, BarKind.MEMORY32, regs),
                    new Bar(2, 0x1000, BarKind.MEMORY64, false, List.of(new BarRange.Memory(0, 0x1000))));
        }

        @Override
        public void attach(DeviceContext context) {
            this.context = context;
        }

        @Override
        public void reset() {
            scratch = 0;
            resets++;
        }
    }
}
