package org.vfio4j.sim.pci;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.core.DeviceWork;
import org.vfio4j.sim.core.IommuDma;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.DmaFaultException;

/**
 * What a device model of one vfio-pci function reaches of the host ({@link DeviceContext}): its
 * BAR memory, DMA through the IOMMU ({@link IommuDma}), its interrupt lines and messages, its
 * config space as the host left it, and the kernel's device clock.
 */
public final class FunctionContext implements DeviceContext {
    private final PciFunction function;
    private final KernelServices kernel;
    private final IommuDma dma;
    private final DeviceWork devices;

    /** The context of {@code function}'s model: DMA goes through {@code dma}, scheduled work to {@code devices}. */
    public FunctionContext(PciFunction function, KernelServices kernel, IommuDma dma, DeviceWork devices) {
        this.function = function;
        this.kernel = kernel;
        this.dma = dma;
        this.devices = devices;
    }

    @Override
    public PciAddress address() {
        return function.address();
    }

    @Override
    public MemorySegment barMemory(int index) {
        MemorySegment m = function.hw.barMemory(index);
        if (m == null) {
            throw new IllegalArgumentException(function + " has no BAR" + index);
        }
        return m;
    }

    @Override
    public void dmaRead(long iova, MemorySegment dst) throws DmaFaultException {
        dma.transfer(iova, dst, false);
    }

    @Override
    public void dmaWrite(long iova, MemorySegment src) throws DmaFaultException {
        dma.transfer(iova, src, true);
    }

    @Override
    public void setIntx(boolean asserted) {
        synchronized (kernel.lock()) {
            if (function.hw.removed) {
                kernel.event(function, "INTx", "dropped: the device was surprise-removed");
                return;
            }
            function.irqs.intxLevel(asserted);
        }
    }

    @Override
    public void signalMsi(int vector) {
        synchronized (kernel.lock()) {
            if (function.hw.removed) {
                kernel.event(function, "MSI vector " + vector, "dropped: the device was surprise-removed");
                return;
            }
            function.irqs.message(vector);
        }
    }

    @Override
    public int readConfig(int offset, int size) {
        synchronized (kernel.lock()) {
            return function.hw.registers(offset, size); // the device's own view: no EEH config block
        }
    }

    @Override
    public Duration deviceLatency() {
        return kernel.facts().deviceLatency();
    }

    @Override
    public Scheduled schedule(Duration delay, Runnable work) {
        return devices.schedule(function, delay, work);
    }
}
