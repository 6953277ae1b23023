package org.vfio4j;

import org.vfio4j.uapi.VfioUapi;

/**
 * The interrupt indexes of a vfio-pci device ({@code VFIO_PCI_*_IRQ_INDEX}), for {@link
 * VfioDevice#irqInfo}, {@link VfioDevice#enableIrq} and the other SET_IRQS calls. INTx, MSI and
 * MSI-X exclude each other; ERR (AER errors, PCI Express only) and REQ (the host wants the device
 * back) each have one eventfd slot.
 */
public final class IrqIndex {
    private IrqIndex() {}

    /** Legacy level-triggered INTx: one vector, automasked by the kernel on each interrupt. */
    public static final int INTX = VfioUapi.VFIO_PCI_INTX_IRQ_INDEX;
    /** MSI: up to 32 vectors. */
    public static final int MSI = VfioUapi.VFIO_PCI_MSI_IRQ_INDEX;
    /** MSI-X: up to 2048 vectors. */
    public static final int MSIX = VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX;
    /** Error reporting (AER): signalled when the host sees an uncorrectable error. */
    public static final int ERR = VfioUapi.VFIO_PCI_ERR_IRQ_INDEX;
    /** Device request: signalled when the host asks for the device back (unbind). */
    public static final int REQ = VfioUapi.VFIO_PCI_REQ_IRQ_INDEX;
    /** The number of indexes. */
    public static final int COUNT = VfioUapi.VFIO_PCI_NUM_IRQS;

    /** A name for messages: {@code "INTx"}, {@code "MSI"}, {@code "MSI-X"}, {@code "ERR"}, {@code "REQ"}. */
    public static String name(int index) {
        return switch (index) {
            case INTX -> "INTx";
            case MSI -> "MSI";
            case MSIX -> "MSI-X";
            case ERR -> "ERR";
            case REQ -> "REQ";
            default -> "IRQ index " + index;
        };
    }
}
