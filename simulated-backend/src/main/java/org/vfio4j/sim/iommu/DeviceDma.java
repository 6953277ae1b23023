package org.vfio4j.sim.iommu;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.vfio4j.sim.core.Container;
import org.vfio4j.sim.core.IommuDma;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.VfioDevice;
import org.vfio4j.sim.device.DmaFaultException;
import org.vfio4j.sim.device.IommuFault;

/**
 * A function's DMA as the IOMMU sees it: each access by IOVA is translated through the type1
 * mappings of the container its group is in, and refused with an {@link IommuFault} when the
 * function may not reach the memory (bus mastering off, no container or no type1 IOMMU, no mapping,
 * a mapping without the needed permission, pinned memory gone or out of this thread's reach, an
 * injected fault, a surprise-removed device). An access that spans mappings is split at their ends.
 */
public final class DeviceDma implements IommuDma {
    private final VfioDevice function;
    private final BooleanSupplier removed;
    private final BooleanSupplier busMaster;
    private final KernelServices kernel;
    /** Every refused access of every function, oldest first (guarded by the kernel lock). */
    private final List<IommuFault> faults;

    /**
     * The DMA path of {@code function}, whose driver tells whether it was surprise-removed and
     * whether bus mastering is on; refused accesses are added to {@code faults}.
     */
    public DeviceDma(VfioDevice function, BooleanSupplier removed, BooleanSupplier busMaster, KernelServices kernel,
                     List<IommuFault> faults) {
        this.function = function;
        this.removed = removed;
        this.busMaster = busMaster;
        this.kernel = kernel;
        this.faults = faults;
    }

    /**
     * Copies {@code buf} to ({@code write}) or from host memory at {@code iova}, mapping by mapping.
     *
     * @throws DmaFaultException at the first byte the IOMMU refuses; the bytes before it were copied
     */
    @Override
    public void transfer(long iova, MemorySegment buf, boolean write) throws DmaFaultException {
        synchronized (kernel.lock()) {
            String forced = removed.getAsBoolean() ? "the device was surprise-removed: nothing of it reaches memory"
                    : kernel.faults().dmaFault(function.address());
            long done = 0;
            while (done < buf.byteSize()) {
                long at = iova + done;
                Container c = function.group().container();
                Type1Iommu t = c == null || !(c.iommu() instanceof Type1Iommu type1) ? null : type1;
                Type1Iommu.Dma d = t == null ? null : t.mappingAt(at);
                String reason = forced != null ? forced : refusal(at, c, t, d, write);
                long n = 0;
                if (reason == null) {
                    long off = at - d.iova();
                    n = Math.min(buf.byteSize() - done, Math.min(d.size() - off, d.memory().byteSize() - off));
                    try {
                        if (write) {
                            MemorySegment.copy(buf, done, d.memory(), off, n);
                        } else {
                            MemorySegment.copy(d.memory(), off, buf, done, n);
                        }
                    } catch (UnsupportedOperationException e) {
                        // a read-only segment: an mmap of another device's trapped registers (peer-to-peer DMA)
                        reason = "the mapping is device memory whose registers a device model traps; the simulator does not"
                                + " route one device's DMA into another device's registers";
                    } catch (IllegalStateException | WrongThreadException e) {
                        // the arena closed under the transfer (or changed hands): the device sees a fault, no caller an exception
                        reason = "the pinned memory behind the mapping could not be reached during the transfer: " + e.getMessage();
                    }
                }
                if (reason != null) {
                    IommuFault fault = new IommuFault(function.address(), at, buf.byteSize() - done, write, reason);
                    faults.add(fault);
                    long left = buf.byteSize() - done;
                    String why = reason;
                    kernel.event(function, "DMA fault", () -> String.format("%s of 0x%x bytes at IOVA 0x%x refused: %s",
                            write ? "write" : "read", left, at, why));
                    throw new DmaFaultException(fault);
                }
                done += n;
            }
            kernel.event(function, "DMA", () -> String.format("%s of 0x%x bytes at IOVA 0x%x (%s host memory)",
                    write ? "write" : "read", buf.byteSize(), iova, write ? "into" : "out of"));
        }
    }

    /** Why the IOMMU refuses an access at {@code at} through mapping {@code d}, or null when it translates it. */
    private String refusal(long at, Container c, Type1Iommu t, Type1Iommu.Dma d, boolean write) {
        return !busMaster.getAsBoolean() ? "bus mastering is off (PCI_COMMAND_MASTER): the function cannot"
                + " issue DMA"
                : c == null ? "group " + function.group().id() + " is in no container: the IOMMU blocks all DMA"
                : t == null ? "the container has no type1 IOMMU set"
                : d == null ? String.format("no mapping covers IOVA 0x%x", at)
                : write && !d.write() ? String.format("the mapping [0x%x, +0x%x) is not writable by the device (no"
                        + " VFIO_DMA_MAP_FLAG_WRITE)", d.iova(), d.size())
                : !write && !d.read() ? String.format("the mapping [0x%x, +0x%x) is not readable by the device (no"
                        + " VFIO_DMA_MAP_FLAG_READ)", d.iova(), d.size())
                : d.memory() == null || !d.memory().scope().isAlive() ? "the pinned memory behind the mapping is gone"
                : !d.memory().isAccessibleBy(Thread.currentThread()) ? String.format("the memory behind the mapping [0x%x,"
                        + " +0x%x) belongs to a confined arena of another thread, which the simulator cannot reach from"
                        + " the thread doing the device's DMA (%s; devices finish DMA on the kernel's device thread):"
                        + " map memory a device can reach, from Arena.ofShared(), Arena.ofAuto() or Arena.global()",
                        d.iova(), d.size(), Thread.currentThread().getName())
                : null;
    }
}
