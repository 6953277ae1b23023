package org.vfio4j.sim.device;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import org.vfio4j.PciAddress;

/**
 * What the simulated machine gives an emulated function: DMA through the IOMMU of the container its
 * group is attached to, its own BAR memory, its interrupt lines, and a clock for work that takes
 * time. Handed to {@link PciDeviceModel#attach} once per booted kernel.
 *
 * <p>Every callback into a model (register accesses, {@link PciDeviceModel#reset()}, scheduled work)
 * runs under the simulated kernel's lock, so a model must never do unbounded work in one: anything
 * a real device takes time over (a DMA transfer, a computation) is started by the register write,
 * shows as "busy" in the device's status, and completes later through {@link #schedule}.
 */
public interface DeviceContext {
    /** Where the function sits. */
    PciAddress address();

    /**
     * Reads {@code dst.byteSize()} bytes at {@code iova} from process memory, translated by the IOMMU.
     * Unmapped IOVAs, or no container with an IOMMU, fault.
     */
    void dmaRead(long iova, MemorySegment dst) throws DmaFaultException;

    /** Writes {@code src} at {@code iova}; also faults on mappings without WRITE permission. */
    void dmaWrite(long iova, MemorySegment src) throws DmaFaultException;

    /**
     * The bytes behind BAR {@code index} (its memory ranges are windows of it; trapped ranges are
     * left to the handler). The same memory userspace reaches by pread/pwrite and mmap.
     */
    MemorySegment barMemory(int index);

    /**
     * Drives the function's INTx line, level-triggered: the interrupt status bit follows it; while
     * it is asserted and VFIO delivers INTx unmasked, the kernel masks the line and signals the
     * eventfd once; the user acknowledges the device (which deasserts) and unmasks.
     */
    void setIntx(boolean asserted);

    /**
     * Sends MSI or MSI-X message {@code vector}, whichever the host enabled: signalled on that
     * vector's eventfd, or, while the vector is masked, remembered in its pending bit and delivered
     * when it is unmasked. Without MSI or MSI-X enabled the message goes nowhere.
     */
    void signalMsi(int vector);

    /** Reads the function's own config registers (the hardware values, e.g. whether MSI is enabled). */
    int readConfig(int offset, int size);

    /**
     * How long slow device work takes on this host ({@code SimulatedHost.Builder.deviceLatency}):
     * the delay a model gives {@link #schedule} for work whose real duration tests do not care
     * about, such as QEMU edu's 100 ms DMA timer. Short by default, so tests stay fast, and never
     * negative.
     *
     * @return the host's device latency
     */
    Duration deviceLatency();

    /**
     * Runs {@code work} once, {@code delay} from now, on a thread the simulated kernel owns, as a
     * device's timer or engine completes: under the kernel lock, like every other callback, so it
     * may use this context (DMA, interrupts, config reads) and its own state. Work scheduled with
     * equal delays runs in the order it was scheduled.
     *
     * <p>The work never runs after the kernel is closed (closing cancels everything pending), nor
     * after {@link Scheduled#cancel()}; a model's {@link PciDeviceModel#reset()} should cancel the
     * work it no longer wants, as the kernel does not know which work a reset undoes. An exception
     * thrown by the work is a bug in the model: it is recorded in the kernel's trace as a {@code
     * "device work failed"} event and reaches no caller. Scheduling on a closed kernel does nothing
     * and returns an already cancelled handle.
     *
     * @param delay how long from now, {@code >= 0}
     * @param work  what the device does then
     * @return a handle to cancel the work
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    Scheduled schedule(Duration delay, Runnable work);

    /** A piece of work given to {@link #schedule}. */
    interface Scheduled {
        /**
         * Keeps the work from running if it has not started; true if this call stopped it. Safe from
         * any thread; the work itself may cancel its own handle (it then returns false).
         *
         * @return whether the work was pending and now never runs
         */
        boolean cancel();

        /**
         * Whether the work is still waiting to run.
         *
         * @return false once it ran, was cancelled, or its kernel closed
         */
        boolean isPending();
    }
}
