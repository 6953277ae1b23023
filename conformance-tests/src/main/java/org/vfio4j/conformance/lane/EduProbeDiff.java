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
    /** An 8-byte load through a mapping (value in decimal) or pread (bytes in hex), and the 4-byte loads of the same kind. */
    private static final Pattern MAPPED_LOAD_8 = Pattern.compile("^BAR0 mapped load 8 at ([0-9a-f]+) = (-?\\d+)$");
    private static final Pattern MAPPED_LOAD_4 = Pattern.compile("^BAR0 mapped load 4 at ([0-9a-f]+) = (-?\\d+)$");
    private static final Pattern PREAD_8 = Pattern.compile("^BAR0 pread 8 at ([0-9a-f]+) = 8 ([0-9a-f]{16})$");
    private static final Pattern PREAD_4 = Pattern.compile("^BAR0 pread 4 at ([0-9a-f]+) = 4 ([0-9a-f]{8})$");
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
        // the 4-byte loads of either side, as the 8-byte ones print them (where both sides have one, their lines are compared too)
        Map<Long, Long> mapped4 = new java.util.HashMap<>();
        Map<Long, String> pread4 = new java.util.HashMap<>();
        for (List<String> side : List.of(reference, other)) {
            for (String l : side) {
                Matcher m = MAPPED_LOAD_4.matcher(l);
                if (m.matches()) {
                    mapped4.putIfAbsent(Long.parseLong(m.group(1), 16), Long.parseLong(m.group(2)));
                }
                Matcher p = PREAD_4.matcher(l);
                if (p.matches()) {
                    pread4.putIfAbsent(Long.parseLong(p.group(1), 16), p.group(2));
                }
            }
        }
        List<Difference> out = new ArrayList<>();
        int n = Math.min(reference.size(), other.size());
        for (int i = 0; i < n; i++) {
            String a = reference.get(i);
            String b = other.get(i);
            if (pr.neutral(a).equals(po.neutral(b))) {
                continue;
            }
            out.add(new Difference(i + 1, a, b, splitEight ? eightByteReason(a, b, mapped4, pread4) : null));
        }
        if (reference.size() != other.size()) {
            out.add(new Difference(n + 1, reference.size() > n ? reference.get(n) : "(end)", other.size() > n ? other.get(n) : "(end)", null));
        }
        return out;
    }

    /** Why a differing line is the 8-byte split, or null when it is not. */
    private static String eightByteReason(String a, String b, Map<Long, Long> mapped4, Map<Long, String> pread4) {
        Matcher ma = MAPPED_LOAD_8.matcher(a);
        Matcher mb = MAPPED_LOAD_8.matcher(b);
        if (ma.matches() && mb.matches() && ma.group(1).equals(mb.group(1))) {
            long at = Long.parseLong(mb.group(1), 16);
            Long low = mapped4.get(at);
            Long high = mapped4.get(at + 4);
            long served = Long.parseLong(mb.group(2));
            if (low == null || (int) served != low.intValue()) {
                return null;
            }
            if (high == null) { // the probe makes no 4-byte load there: only the lower half can be checked
                return SPLIT + ": the lower half equals the 4-byte load at 0x" + Long.toHexString(at) + " (no 4-byte load at 0x"
                        + Long.toHexString(at + 4) + " to check the upper half against)";
            }
            return served == ((high << 32) | (low & 0xffff_ffffL)) ? SPLIT + ": equals the 4-byte loads at 0x" + Long.toHexString(at)
                    + " and 0x" + Long.toHexString(at + 4) : null;
        }
        Matcher pa = PREAD_8.matcher(a);
        Matcher pb = PREAD_8.matcher(b);
        if (pa.matches() && pb.matches() && pa.group(1).equals(pb.group(1))) {
            long at = Long.parseLong(pb.group(1), 16);
            String low = pread4.get(at);
            String high = pread4.get(at + 4);
            if (low == null || !pb.group(2).startsWith(low)) {
                return null;
            }
            if (high == null) {
                return SPLIT + ": the first 4 bytes equal the 4-byte pread at 0x" + Long.toHexString(at) + " (no 4-byte pread at 0x"
                        + Long.toHexString(at + 4) + " to check the rest against)";
            }
            return pb.group(2).equals(low + high) ? SPLIT + ": equals the 4-byte preads at 0x" + Long.toHexString(at) + " and 0x"
                    + Long.toHexString(at + 4) : null;
        }
        Matcher sa = STORE_8.matcher(a);
        Matcher sb = STORE_8.matcher(b);
        if (sa.find() && sb.find() && sa.group().equals(sb.group())) {
            return SPLIT + ": an 8-byte store leaves what two 4-byte stores leave";
        }
        return null;
    }
}
