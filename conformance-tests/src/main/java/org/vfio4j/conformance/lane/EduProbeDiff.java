package org.vfio4j.conformance.lane;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compares two runs of {@link DeviceProbe} on two edu functions in one guest (QEMU's built-in edu
 * and vfio4j's Java edu served over vfio-user), line by line, and keeps apart what may differ from
 * what must not:
 * <ul>
 *   <li><b>Placement</b> always differs: the firmware gave each function its own BAR0 address and
 *       interrupt line. Both are read from each side's config dump and replaced by placeholders
 *       before lines are compared.</li>
 *   <li><b>8-byte BAR accesses</b>, when the Java edu is served by a simulated kernel without 8-byte
 *       I/O (before 6.12, {@code vfio_pci_core_do_io_rw}): QEMU turns the guest's 8-byte MMIO into one
 *       REGION_READ or REGION_WRITE of 8 bytes, which that kernel's vfio-pci performs as two 4-byte
 *       accesses, as it does for a real edu assigned to a guest. A load must then equal the two
 *       4-byte loads at the same places on the reference; a store may leave other bytes behind.</li>
 * </ul>
 * Every other line must be equal.
 */
public final class EduProbeDiff {
    /**
     * The two ways the probe loads 8 and 4 bytes of BAR0: through a mapping (the value printed in
     * decimal) and by pread (the bytes printed in hex, in memory order).
     */
    private enum Load {
        MAPPED("load", "^BAR0 mapped load %d at ([0-9a-f]+) = (-?\\d+)$"),
        PREAD("pread", "^BAR0 pread %d at ([0-9a-f]+) = %1$d ([0-9a-f]+)$");

        final String noun;
        final Pattern eight;
        final Pattern four;

        Load(String noun, String pattern) {
            this.noun = noun;
            this.eight = Pattern.compile(String.format(pattern, 8));
            this.four = Pattern.compile(String.format(pattern, 4));
        }

        /** The printed value as its bytes in memory order (little-endian), in hex. */
        String bytes(String printed, int width) {
            if (this == PREAD) {
                return printed;
            }
            long v = Long.parseLong(printed);
            return width == 8 ? String.format("%016x", Long.reverseBytes(v)) : String.format("%08x", Integer.reverseBytes((int) v));
        }
    }

    /** An 8-byte store through a mapping or pwrite, its result or what reads back after it. */
    private static final Pattern STORE_8 = Pattern.compile("^BAR0 (mapped store|pwrite) 8 at [0-9a-f]+( loads back = | reads back | = )");
    private static final String SPLIT = "an 8-byte access performed as two 4-byte ones (no 8-byte I/O in vfio_pci_core_do_io_rw before 6.12)";

    private EduProbeDiff() {}

    /** A line pair that differs, with its line number (from 1) and why it is allowed, or null when it is not. */
    public record Difference(int line, String reference, String other, String allowedBecause) {
        /** Whether this difference breaks the rule that the two functions agree. */
        public boolean unexpected() {
            return allowedBecause == null;
        }
    }

    /** Where the firmware put a function: its BAR0 register value and its interrupt line, from the probe's config dump. */
    record Placement(int bar0, int interruptLine) {
        static Placement of(List<String> lines) {
            byte[] header = new byte[64];
            for (String l : lines) {
                if (l.startsWith("config 000 ")) {
                    System.arraycopy(HexFormat.of().parseHex(l.substring(11, 11 + 64)), 0, header, 0, 32);
                } else if (l.startsWith("config 020 ")) {
                    System.arraycopy(HexFormat.of().parseHex(l.substring(11, 11 + 64)), 0, header, 32, 32);
                }
            }
            int bar0 = (header[0x10] & 0xff) | (header[0x11] & 0xff) << 8 | (header[0x12] & 0xff) << 16 | (header[0x13] & 0xff) << 24;
            return new Placement(bar0, header[0x3c] & 0xff);
        }

        /** The line with this function's BAR0 address and interrupt line replaced by placeholders. */
        String neutral(String line) {
            String be = String.format("%08x", bar0);
            String le = String.format("%02x%02x%02x%02x", bar0 & 0xff, bar0 >>> 8 & 0xff, bar0 >>> 16 & 0xff, bar0 >>> 24);
            String irq = String.format("%02x", interruptLine);
            String s = line;
            if (s.startsWith("config 020 ")) { // byte 0x3c of the dump: 11 characters of prefix, 2 per byte from 0x20
                int at = 11 + 2 * (0x3c - 0x20);
                s = s.substring(0, at) + "<irq>" + s.substring(at + 2);
            }
            return s.replace(be, "<bar0>").replace(le, "<bar0>")
                    .replace("000001" + irq, "000001<irq>") // the dword at 0x3c: pin 1, line
                    .replace("intline " + irq, "intline <irq>");
        }
    }

    /**
     * The differences between the probe of {@code reference} and of {@code other}.
     *
     * @param reference   the probe's lines on QEMU's built-in edu
     * @param other       the probe's lines on the served edu
     * @param splitEight  whether the served edu's kernel performs 8-byte accesses as two 4-byte ones
     * @return every differing line pair, allowed or not; a difference in length is one more, unexpected
     */
    public static List<Difference> compare(List<String> reference, List<String> other, boolean splitEight) {
        Placement pr = Placement.of(reference);
        Placement po = Placement.of(other);
        // the 4-byte loads of either side, by kind and offset, as bytes (where both sides have one, their lines are compared too)
        Map<Load, Map<Long, String>> loads4 = new java.util.EnumMap<>(Load.class);
        for (Load kind : Load.values()) {
            Map<Long, String> at = new java.util.HashMap<>();
            for (List<String> side : List.of(reference, other)) {
                for (String l : side) {
                    Matcher m = kind.four.matcher(l);
                    if (m.matches()) {
                        at.putIfAbsent(Long.parseLong(m.group(1), 16), kind.bytes(m.group(2), 4));
                    }
                }
            }
            loads4.put(kind, at);
        }
        List<Difference> out = new ArrayList<>();
        int n = Math.min(reference.size(), other.size());
        for (int i = 0; i < n; i++) {
            String a = reference.get(i);
            String b = other.get(i);
            if (pr.neutral(a).equals(po.neutral(b))) {
                continue;
            }
            out.add(new Difference(i + 1, a, b, splitEight ? eightByteReason(a, b, loads4) : null));
        }
        if (reference.size() != other.size()) {
            out.add(new Difference(n + 1, reference.size() > n ? reference.get(n) : "(end)", other.size() > n ? other.get(n) : "(end)", null));
        }
        return out;
    }

    /** Why a differing line is the 8-byte split, or null when it is not. */
    private static String eightByteReason(String a, String b, Map<Load, Map<Long, String>> loads4) {
        for (Load kind : Load.values()) {
            Matcher ma = kind.eight.matcher(a);
            Matcher mb = kind.eight.matcher(b);
            if (ma.matches() && mb.matches() && ma.group(1).equals(mb.group(1))) {
                long at = Long.parseLong(mb.group(1), 16);
                String served = kind.bytes(mb.group(2), 8);
                String low = loads4.get(kind).get(at);
                String high = loads4.get(kind).get(at + 4);
                if (low == null || !served.startsWith(low)) {
                    return null;
                }
                if (high == null) { // the probe makes no 4-byte access there: only the first half can be checked
                    return SPLIT + ": the first 4 bytes equal the 4-byte " + kind.noun + " at 0x" + Long.toHexString(at) + " (no 4-byte "
                            + kind.noun + " at 0x" + Long.toHexString(at + 4) + " to check the rest against)";
                }
                return served.equals(low + high) ? SPLIT + ": equals the 4-byte " + kind.noun + "s at 0x" + Long.toHexString(at)
                        + " and 0x" + Long.toHexString(at + 4) : null;
            }
        }
        Matcher sa = STORE_8.matcher(a);
        Matcher sb = STORE_8.matcher(b);
        if (sa.find() && sb.find() && sa.group().equals(sb.group())) {
            return SPLIT + ": an 8-byte store leaves what two 4-byte stores leave";
        }
        return null;
    }
}
