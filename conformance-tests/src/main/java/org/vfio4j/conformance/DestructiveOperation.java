package org.vfio4j.conformance;

/**
 * What a conformance run does to a device only when the user allowed it: each can disturb a real
 * machine beyond the run itself, so a target names the ones it allows ({@link
 * ConformanceTarget#allowed()}), properties that need one carry {@link RequiresFeature} with its
 * {@link TargetFeature}, and the target's seam refuses the calls themselves ({@link
 * OperationRefused}) when a property that does not say so tries.
 */
public enum DestructiveOperation {
    /**
     * VFIO_DEVICE_RESET, VFIO_DEVICE_PCI_HOT_RESET and the EEH PE resets (RESET_HOT,
     * RESET_FUNDAMENTAL): a reset throws away the device's state, and a hot reset also resets every
     * other function on the bus.
     */
    RESET("resets were", "--allow-reset", "vfio4j.kernel.allowReset", "reset the named devices"),
    /**
     * Turning on bus mastering (PCI_COMMAND_MASTER) in a device's command register: the device may
     * then write to memory (the run's own mappings, through the IOMMU), an MSI among such writes.
     */
    DEVICE_DMA("device DMA was", "--allow-dma", "vfio4j.kernel.allowDma", "let the devices DMA into this process's memory"),
    /** VFIO_EEH_PE_OP with INJECT_ERR: the platform freezes the device's PE as after a real error. */
    EEH_INJECTION("EEH error injection was", "--allow-eeh-injection", "vfio4j.kernel.allowEehInjection",
            "inject EEH errors into the named devices' PEs");

    private final String what;
    private final String flag;
    private final String property;
    private final String purpose;

    DestructiveOperation(String what, String flag, String property, String purpose) {
        this.what = what;
        this.flag = flag;
        this.property = property;
        this.purpose = purpose;
    }

    /** {@return the command-line flag that allows it, e.g. {@code --allow-reset}} */
    public String flag() {
        return flag;
    }

    /** {@return the system property that allows it for {@link KernelTargets}, e.g. {@code vfio4j.kernel.allowReset}} */
    public String property() {
        return property;
    }

    /** {@return why a property or call needing it does not run: the sentence names the flag and the property} */
    public String whyRefused() {
        return what + " not allowed (pass " + flag + " to " + purpose + "; for KernelConformanceTest, -D" + property + "=true)";
    }
}
