package org.vfio4j.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * What a run must leave as it found it on a device, read from outside VFIO ({@link HostView}): the
 * hardware command register, the MSI and MSI-X Message Control words (empty when the device has no
 * such capability or the view cannot read past the first 64 bytes of config space) and the names
 * of the interrupts vfio-pci has set up for it ({@code vfio-msi[0](0000:01:00.0)} in {@code
 * /proc/interrupts}, or the simulator's armed triggers).
 *
 * <p>{@link #changesSince} compares the whole command register, MSI's Enable bit and MSI-X's Enable
 * and Function Mask bits, and the interrupt names. MSI's Multiple Message Enable field is left out:
 * Linux clears only Enable when it shuts MSI down ({@code pci_msi_shutdown}), so the field keeps the
 * last vector count it programmed, which means nothing while Enable is clear.
 *
 * @param command     the command register (PCI_COMMAND)
 * @param msiControl  MSI Message Control, if the device has MSI and it could be read
 * @param msixControl MSI-X Message Control, if the device has MSI-X and it could be read
 * @param interrupts  the interrupts set up for the device, sorted
 */
public record DeviceState(int command, OptionalInt msiControl, OptionalInt msixControl, List<String> interrupts) {
    /** PCI_MSI_FLAGS_ENABLE ({@code <linux/pci_regs.h>}). */
    static final int MSI_ENABLE = 0x0001;
    /** PCI_MSIX_FLAGS_ENABLE and PCI_MSIX_FLAGS_MASKALL ({@code <linux/pci_regs.h>}). */
    static final int MSIX_ENABLE_AND_MASK = 0xc000;
    private static final int PCI_COMMAND = 0x04;
    private static final int PCI_STATUS = 0x06;
    private static final int PCI_STATUS_CAP_LIST = 0x10;
    private static final int PCI_CAPABILITY_LIST = 0x34;
    private static final int PCI_CAP_ID_MSI = 0x05;
    private static final int PCI_CAP_ID_MSIX = 0x11;
    /** The standard header; capabilities live above it. */
    private static final int HEADER = 0x40;

    /** Keeps a sorted copy of {@code interrupts}. */
    public DeviceState {
        Objects.requireNonNull(msiControl);
        Objects.requireNonNull(msixControl);
        interrupts = interrupts.stream().sorted().toList();
    }

    /**
     * The state in {@code config} (the device's config space from offset 0, as much as could be
     * read) with {@code interrupts}: the command register, and the capability list walked for MSI
     * and MSI-X when the bytes reach past the header.
     */
    public static DeviceState of(byte[] config, List<String> interrupts) {
        OptionalInt msi = OptionalInt.empty();
        OptionalInt msix = OptionalInt.empty();
        if (config.length > HEADER && (u16(config, PCI_STATUS) & PCI_STATUS_CAP_LIST) != 0) {
            int at = config[PCI_CAPABILITY_LIST] & 0xfc;
            for (int hops = 0; at >= HEADER && at + 4 <= config.length && hops < 48; hops++) {
                int id = config[at] & 0xff;
                if (id == PCI_CAP_ID_MSI) {
                    msi = OptionalInt.of(u16(config, at + 2));
                } else if (id == PCI_CAP_ID_MSIX) {
                    msix = OptionalInt.of(u16(config, at + 2));
                }
                at = config[at + 1] & 0xfc;
            }
        }
        return new DeviceState(u16(config, PCI_COMMAND), msi, msix, interrupts);
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    /** What differs from {@code before}, one phrase each ({@code "command register 0x0002 before, 0x0006 after"}); empty if nothing. */
    public List<String> changesSince(DeviceState before) {
        List<String> changes = new ArrayList<>();
        if (command != before.command) {
            changes.add(String.format("command register 0x%04x before, 0x%04x after", before.command, command));
        }
        compare(changes, "MSI Message Control", before.msiControl, msiControl, MSI_ENABLE);
        compare(changes, "MSI-X Message Control", before.msixControl, msixControl, MSIX_ENABLE_AND_MASK);
        if (!interrupts.equals(before.interrupts)) {
            changes.add("interrupts " + before.interrupts + " before, " + interrupts + " after");
        }
        return changes;
    }

    private static void compare(List<String> changes, String what, OptionalInt before, OptionalInt after, int bits) {
        if (before.isPresent() != after.isPresent()
                || (before.isPresent() && (before.getAsInt() & bits) != (after.getAsInt() & bits))) {
            changes.add(String.format("%s %s before, %s after", what, hex(before), hex(after)));
        }
    }

    private static String hex(OptionalInt v) {
        return v.isPresent() ? String.format("0x%04x", v.getAsInt()) : "unreadable";
    }
}
