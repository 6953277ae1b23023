package org.vfio4j.sim.user;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.BarRange;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.DmaFaultException;
import org.vfio4j.sim.device.MmioHandler;
import org.vfio4j.sim.device.PciDeviceModel;

/**
 * A small function to serve: INTx, two MSI vectors, a register BAR0 (0x0 source IOVA, 0x8
 * destination IOVA, 0x10 length, a write to 0x18 copies through the IOMMU at once, a write to 0x38
 * copies later on the kernel's device thread; 0x20 reads 1 while the last copy faulted; a write of v
 * to 0x28 raises MSI vector v, asserts INTx when v is 0xff and deasserts it when v is 0xfe; 0x30 is a
 * scratch register) and an 8 KiB memory BAR2.
 */
final class UserDevice implements PciDeviceModel {
    static final String BDF = "0000:05:00.0";
    static final int GROUP = 9;

    DeviceContext context;
    long src;
    long dst;
    long len;
    long scratch;
    volatile DmaFaultException fault;
    int resets;
    /** Copies finished (faulted or not), and the thread of the last one. */
    final Semaphore copied = new Semaphore(0);
    volatile Thread copiedOn;

    static SimulatedHost host(UserDevice model) {
        return SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(GROUP, HostDevice.ofInstance(BDF, model).boundTo(HostDevice.VFIO_PCI)).build();
    }

    @Override
    public ConfigSpace config() {
        return ConfigSpace.builder(0x1af4, 0x10f1, 0x00ff00).interruptPin(1).pcie(true).msi(2, true, true).build();
    }

    @Override
    public List<Bar> bars() {
        MmioHandler regs = new MmioHandler() {
            @Override
            public long read(long offset, int size) {
                return switch ((int) offset) {
                    case 0x20 -> fault == null ? 0 : 1;
                    case 0x30 -> scratch;
                    default -> 0;
                };
            }

            @Override
            public void write(long offset, int size, long value) {
                switch ((int) offset) {
                    case 0x0 -> src = value;
                    case 0x8 -> dst = value;
                    case 0x10 -> len = value;
                    case 0x18 -> copy();
                    case 0x28 -> {
                        if (value == 0xff) {
                            context.setIntx(true);
                        } else if (value == 0xfe) {
                            context.setIntx(false);
                        } else {
                            context.signalMsi((int) value);
                        }
                    }
                    case 0x30 -> scratch = value;
                    case 0x38 -> context.schedule(Duration.ZERO, UserDevice.this::copy);
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

    @Override
    public void reset() {
        resets++;
        scratch = 0;
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
        copiedOn = Thread.currentThread();
        copied.release();
    }
}
