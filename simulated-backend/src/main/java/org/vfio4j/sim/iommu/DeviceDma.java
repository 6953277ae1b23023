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
import org.vfio4j.sim.device.RemoteMemory;
import org.vfio4j.sim.eeh.Eeh;

/**
 * A function's DMA as the IOMMU sees it: each access by IOVA is translated through the tables of
 * the IOMMU driver of the container its group is in ({@link DmaTranslator}: type1's mappings, the
 * sPAPR TCE windows), and refused with an {@link IommuFault} when the function may not reach the
 * memory (bus mastering off, its PE frozen by EEH, no container or no IOMMU set, no mapping or
 * TCE, one without the needed permission, pinned memory gone or out of this thread's reach, an
 * injected fault, a surprise-removed device, remote memory whose holder did not answer). An access
 * that spans mappings is split at their ends. On a POWER host a refusal of the TCE tables is an
 * error the PHB reports to EEH.
 */
public final class DeviceDma implements IommuDma {
    private final VfioDevice function;
    private final BooleanSupplier removed;
    private final BooleanSupplier busMaster;
    private final KernelServices kernel;
    /** The host's EEH (on an x86 host it has no PEs: nothing is ever frozen). */
    private final Eeh eeh;
    /** The refused accesses of every function (guarded by the kernel lock). */
    private final FaultLog faults;

    /**
     * The DMA path of {@code function}, whose driver tells whether it was surprise-removed and
     * whether bus mastering is on; refused accesses are added to {@code faults}; {@code eeh} is the
     * host's EEH.
     */
    public DeviceDma(VfioDevice function, BooleanSupplier removed, BooleanSupplier busMaster, KernelServices kernel,
                     Eeh eeh, FaultLog faults) {
        this.function = function;
        this.removed = removed;
        this.busMaster = busMaster;
        this.kernel = kernel;
        this.eeh = eeh;
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
            RemoteMemory remote = null; // the last remote memory a piece went through, for the trace
            while (done < buf.byteSize()) {
                long at = iova + done;
                Container c = function.group().container();
                DmaTranslator t = c != null && c.iommu() instanceof DmaTranslator tables ? tables : null;
                String reason = forced != null ? forced : blocked(c, t);
                boolean bridgeError = false;
                long n = 0;
                if (reason == null) {
                    switch (t.translate(at, write)) {
                        case DmaTranslator.Refused r -> {
                            reason = r.reason();
                            bridgeError = t.refusalsAreBridgeErrors();
                        }
                        case DmaTranslator.Target target -> {
                            reason = unreachable(target);
                            if (reason == null) {
                                n = Math.min(buf.byteSize() - done, Math.min(target.length(), target.memory().byteSize() - target.offset()));
                                reason = copy(buf, done, target, n, write);
                            }
                        }
                        case DmaTranslator.Remote r -> {
                            n = Math.min(buf.byteSize() - done, r.length());
                            reason = copy(buf, done, r, n, write);
                            remote = r.memory();
                        }
                    }
                }
                if (reason != null) {
                    IommuFault fault = new IommuFault(function.address(), at, buf.byteSize() - done, write, reason);
                    faults.add(fault);
                    long left = buf.byteSize() - done;
                    String why = reason;
                    kernel.event(function, "DMA fault", () -> String.format("%s of 0x%x bytes at IOVA 0x%x refused: %s",
                            write ? "write" : "read", left, at, why));
                    if (bridgeError && eeh != null) {
                        // the PHB itself flags a DMA its TCE tables refuse and freezes the PE; Linux learns of it from OPAL (pnv_eeh_next_error)
                        eeh.errorDetected(function.address(), reason);
                    }
                    throw new DmaFaultException(fault);
                }
                done += n;
            }
            RemoteMemory through = remote;
            kernel.event(function, "DMA", () -> String.format("%s of 0x%x bytes at IOVA 0x%x (%s)",
                    write ? "write" : "read", buf.byteSize(), iova, through != null ? through.describe(write)
                            : write ? "into host memory" : "out of host memory"));
        }
    }

    /** Copies {@code n} bytes between {@code buf} at {@code done} and the target; why it could not, or null. */
    private static String copy(MemorySegment buf, long done, DmaTranslator.Target target, long n, boolean write) {
        try {
            if (write) {
                MemorySegment.copy(buf, done, target.memory(), target.offset(), n);
            } else {
                MemorySegment.copy(target.memory(), target.offset(), buf, done, n);
            }
            return null;
        } catch (UnsupportedOperationException e) {
            // a read-only segment: an mmap of another device's trapped registers (peer-to-peer DMA)
            return "the mapping is device memory whose registers a device model traps; the simulator does not"
                    + " route one device's DMA into another device's registers";
        } catch (IllegalStateException | WrongThreadException e) {
            // the arena closed under the transfer (or changed hands): the device sees a fault, no caller an exception
            return "the pinned memory behind the mapping could not be reached during the transfer: " + e.getMessage();
        }
    }

    /**
     * Moves {@code n} bytes between {@code buf} at {@code done} and remote memory (a request to whoever
     * holds it, on this thread, under the kernel lock); why it could not, or null.
     */
    private static String copy(MemorySegment buf, long done, DmaTranslator.Remote target, long n, boolean write) {
        try {
            if (write) {
                target.memory().write(target.offset(), buf.asSlice(done, n));
            } else {
                target.memory().read(target.offset(), buf.asSlice(done, n));
            }
            return null;
        } catch (RemoteMemory.Unreachable e) {
            return e.getMessage();
        }
    }

    /** Why no access of the function reaches the IOMMU's tables at all, or null when one does. */
    private String blocked(Container c, DmaTranslator t) {
        return !busMaster.getAsBoolean() ? "bus mastering is off (PCI_COMMAND_MASTER): the function cannot"
                + " issue DMA"
                : eeh != null && eeh.dmaFrozen(function.address()) ? "the PE of " + function.address() + " is frozen by EEH: its"
                        + " DMA is blocked until VFIO_EEH_PE_UNFREEZE_DMA or a PE reset"
                : c == null ? "group " + function.group().id() + " is in no container: the IOMMU blocks all DMA"
                : c.iommu() == null ? "the container has no IOMMU set (VFIO_SET_IOMMU)"
                : t == null ? "the container's " + c.iommu().name() + " IOMMU translates no DMA"
                : null;
    }

    /** Why the memory of a translated access cannot be reached, or null when it can. */
    private static String unreachable(DmaTranslator.Target target) {
        MemorySegment m = target.memory();
        return m == null || !m.scope().isAlive() ? "the pinned memory behind the mapping is gone"
                : !m.isAccessibleBy(Thread.currentThread()) ? String.format("the memory behind %s belongs to a confined arena"
                        + " of another thread, which the simulator cannot reach from the thread doing the device's DMA (%s;"
                        + " devices finish DMA on the kernel's device thread): map memory a device can reach, from"
                        + " Arena.ofShared(), Arena.ofAuto() or Arena.global()", target.what(), Thread.currentThread().getName())
                : null;
    }
}
