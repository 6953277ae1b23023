package org.vfio4j;

/**
 * A PCI function address {@code DDDD:BB:DD.F} (segment, bus, device, function), the name VFIO
 * uses for vfio-pci devices in sysfs and in VFIO_GROUP_GET_DEVICE_FD.
 */
public record PciAddress(int segment, int bus, int device, int function) implements Comparable<PciAddress> {
    /** Rejects fields outside their widths (16-bit segment, 8-bit bus, 5-bit device, 3-bit function). */
    public PciAddress {
        if (segment < 0 || segment > 0xffff || bus < 0 || bus > 0xff || device < 0 || device > 0x1f || function < 0 || function > 7) {
            throw new IllegalArgumentException("not a PCI address: " + segment + ":" + bus + ":" + device + "." + function);
        }
    }

    /** Parses {@code "0000:01:00.0"}: four, two and two hex digits (the device's first one 0 or 1), then a function 0-7. */
    public static PciAddress parse(String text) {
        if (text.length() != 12 || text.charAt(4) != ':' || text.charAt(7) != ':' || text.charAt(10) != '.'
                || text.charAt(8) != '0' && text.charAt(8) != '1' || text.charAt(11) < '0' || text.charAt(11) > '7') {
            throw notAnAddress(text);
        }
        int segment = hex(text, 0, 4);
        int bus = hex(text, 5, 7);
        int device = hex(text, 8, 10);
        if ((segment | bus | device) < 0) {
            throw notAnAddress(text);
        }
        return new PciAddress(segment, bus, device, text.charAt(11) - '0');
    }

    /** The hex digits of {@code text[from, to)} as a number; -1 if one is not a hex digit. */
    private static int hex(String text, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            int d = Character.digit(text.charAt(i), 16);
            if (d < 0 || text.charAt(i) > 'f') {
                return -1; // Character.digit also takes non-ASCII digits; the format is ASCII hex only
            }
            v = v << 4 | d;
        }
        return v;
    }

    private static IllegalArgumentException notAnAddress(String text) {
        return new IllegalArgumentException("not a PCI address (expected DDDD:BB:DD.F): " + text);
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
        char[] c = new char[12];
        hex(c, 0, segment, 4);
        c[4] = ':';
        hex(c, 5, bus, 2);
        c[7] = ':';
        hex(c, 8, device, 2);
        c[10] = '.';
        c[11] = (char) ('0' + function);
        return new String(c);
    }

    /** {@code value} as {@code digits} lowercase hex digits at {@code c[at]}. */
    private static void hex(char[] c, int at, int value, int digits) {
        for (int i = digits - 1; i >= 0; i--, value >>>= 4) {
            c[at + i] = Character.forDigit(value & 0xf, 16);
        }
    }
}
