package org.vfio4j.sim.core;

import java.util.List;
import java.util.function.Supplier;
import org.vfio4j.KernelProfile;

/**
 * What the parts of the simulated kernel (the core's groups and containers, vfio-pci, the IOMMU
 * drivers) need from the kernel that wires them together: its lock, the host's facts, the fault
 * plan, the fd table, eventfd signalling and the trace. The simulated kernel implements it.
 */
public interface KernelServices {
    /** The kernel lock's monitor, which every call and every piece of device work holds. */
    Object lock();

    /** The kernel version whose rules apply. */
    KernelProfile profile();

    /** The host's facts. */
    HostFacts facts();

    /** The armed faults. */
    FaultGate faults();

    /** The process's memory as the kernel can reach it. */
    ProcessMemory memory();

    /**
     * The IOMMU drivers registered with the VFIO core, in its list order (not the no-IOMMU one):
     * type1 on an x86 host, sPAPR TCE on a POWER host.
     */
    List<IommuDriverOps> iommuDrivers();

    /** The no-IOMMU driver, registered only in no-IOMMU mode. */
    IommuDriverOps noIommuDriver();

    /** The open file behind fd {@code number}, or null ({@code fdget}). */
    OpenFile fileOf(int number);

    /** A new fd for {@code device}, opened through {@code groupFile} (GET_DEVICE_FD). */
    int openDevice(VfioDevice device, GroupFile groupFile);

    /** A new fd for a dma-buf. */
    int installDmaBuf(DmaBufFile buf);

    /** Adds one to the eventfd's counter and wakes its waiters ({@code eventfd_signal}). */
    void signal(EventFdFile e);

    /** How the trace and messages name an eventfd ({@code "fd 7 (eventfd)"}). */
    String describeEventFd(EventFdFile e);

    /** Records an event in the trace: what happened to {@code target}. */
    void event(Object target, String what, String detail);

    /** Records an event in the trace, formatting its detail only when the trace is on. */
    void event(Object target, String what, Supplier<String> detail);
}
