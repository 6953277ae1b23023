package org.vfio4j;

/**
 * Feature numbers of VFIO_DEVICE_FEATURE, for {@link VfioDevice#probeFeature}. Which ones a device
 * answers depends on the kernel: 5.7 knows only {@link #PCI_VF_TOKEN}; 6.1's vfio-pci adds the
 * low-power features; migration needs a variant driver.
 */
public final class DeviceFeature {
    private DeviceFeature() {}

    /** The VF token an SR-IOV PF shares with the users of its VFs (SET only). */
    public static final int PCI_VF_TOKEN = 0;
    /** Migration capabilities (GET; variant drivers). */
    public static final int MIGRATION = 1;
    /** Migration device state (GET/SET; variant drivers). */
    public static final int MIG_DEVICE_STATE = 2;
    /** Enter runtime low power (SET; Linux 6.1+). */
    public static final int LOW_POWER_ENTRY = 3;
    /** Enter runtime low power with a wake-up eventfd (SET; Linux 6.1+). */
    public static final int LOW_POWER_ENTRY_WITH_WAKEUP = 4;
    /** Leave runtime low power (SET; Linux 6.1+). */
    public static final int LOW_POWER_EXIT = 5;
}
