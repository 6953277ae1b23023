package org.vfio4j.sim.device;

/** Thrown to a device model whose DMA the IOMMU refused; the same fault is recorded by the kernel. */
public final class DmaFaultException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient IommuFault fault;

    /** A DMA fault; the message describes {@code fault}. */
    public DmaFaultException(IommuFault fault) {
        super((fault.write() ? "DMA write" : "DMA read") + " of " + fault.length() + " bytes at IOVA 0x" + Long.toHexString(fault.iova())
                + " by " + fault.device() + " faulted: " + fault.reason());
        this.fault = fault;
    }

    /** {@return the fault the IOMMU recorded} */
    public IommuFault fault() {
        return fault;
    }
}
