package org.vfio4j;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PCI function address {@code DDDD:BB:DD.F} (segment, bus, device, function), the name VFIO
 * uses for vfio-pci devices in sysfs and in VFIO_GROUP_GET_DEVICE_FD.
 */
public record PciAddress(int segment, int bus, int device, int function) implements Comparable<PciAddress> {
    private static final Pattern FORMAT = Pattern.compile("([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-1][0-9a-fA-F])\\.([0-7])");

    /** Rejects fields outside their widths (16-bit segment, 8-bit bus, 5-bit device, 3-bit function). */
    public PciAddress {
        if (segment < 0 || segment > 0xffff || bus < 0 || bus > 0xff || device < 0 || device > 0x1f || function < 0 || function > 7) {
            throw new IllegalArgumentException("not a PCI address: " + segment + ":" + bus + ":" + device + "." + function);
        }
    }

    /** Parses {@code "0000:01:00.0"}. */
    public static PciAddress parse(String text) {
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a PCI address (expected DDDD:BB:DD.F): " + text);
        }
        return new PciAddress(Integer.parseInt(m.group(1), 16), Integer.parseInt(m.group(2), 16),
                Integer.parseInt(m.group(3), 16), Integer.parseInt(m.group(4), 16));
    }

    /** {@code devfn} as in struct vfio_pci_dependent_device: {@code device << 3 | function}. */
    public int devfn() {
        return device << 3 | function;
    }

    @Override
    public int compareTo(PciAddress o) {
        return Long.compare(key(), o.key());
    }

    private long key() {
        return (long) segment << 16 | bus << 8 | devfn();
    }

    /** The canonical name, e.g. {@code "0000:01:00.0"}. */
    @Override
    public String toString() {
        return String.format("%04x:%02x:%02x.%x", segment, bus, device, function);
    }
}
