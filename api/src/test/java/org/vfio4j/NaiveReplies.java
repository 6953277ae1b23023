package org.vfio4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.vfio4j.RecordingSeam.Forged;

/**
 * A naive model of what the kernel writes back for the info ioctls, written from {@code
 * <linux/vfio.h>} with the offsets as numbers (not from {@code VfioStructs}) and without the
 * decoders' code: an encoder from values to reply bytes, and a reference reader that says, for the
 * replies a seam forges, which calls the typed layer must make, and whether it must decode a value
 * or refuse the reply as malformed (EPROTO). Native byte order, as the kernel writes.
 *
 * <p>The reference keeps the ABI's rules in their plainest form: a second call only with the
 * argsz the first asked for, at most {@link #MAX_ARGSZ}, which the second reply must not exceed; a
 * chain that starts after the fixed struct and whose every {@code next} is 0 or at least 8 bytes
 * past the header it is in, with room for a header; each capability's bytes reaching the next one
 * (the last, the end of the buffer); fixed fields and counted arrays inside those bytes.
 */
final class NaiveReplies {
    private NaiveReplies() {}

    static final long MAX_ARGSZ = 1 << 20;
    static final int TYPE1_INFO_SIZE = 24;
    static final int REGION_INFO_SIZE = 32;
    static final int HOT_RESET_INFO_SIZE = 12;
    static final int IOMMU_INFO_CAPS = 1 << 1;
    static final int REGION_INFO_FLAG_CAPS = 1 << 3;

    /** What the typed layer must do with a sequence of forged replies. */
    sealed interface Outcome<T> permits Decoded, Malformed, Refused {}

    /** It decodes {@code value}. */
    record Decoded<T>(T value) implements Outcome<T> {}

    /** It refuses the reply: EPROTO. */
    record Malformed<T>() implements Outcome<T> {}

    /** It passes on the errno the seam threw. */
    record Refused<T>(Errno errno) implements Outcome<T> {}

    /** The outcome and the argsz of each call the typed layer must make. */
    record Expected<T>(Outcome<T> outcome, List<Long> argszSent) {}

    // ---- encoding ----

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    }

    /** A capability: the 8-byte header (next 0 until {@link #link}) and {@code body}, then {@code pad} zero bytes. */
    static byte[] capability(int id, int version, byte[] body, int pad) {
        byte[] c = new byte[8 + body.length + pad];
        le(c).putShort(0, (short) id).putShort(2, (short) version);
        System.arraycopy(body, 0, c, 8, body.length);
        return c;
    }

    /** The capabilities one after the other from offset {@code base} of the reply, each {@code next} pointing at the following one. */
    static byte[] link(List<byte[]> caps, int base) {
        int size = caps.stream().mapToInt(c -> c.length).sum();
        byte[] out = new byte[size];
        int at = 0;
        for (int i = 0; i < caps.size(); i++) {
            byte[] c = caps.get(i);
            System.arraycopy(c, 0, out, at, c.length);
            le(out).putInt(at + 4, i + 1 < caps.size() ? base + at + c.length : 0);
            at += c.length;
        }
        return out;
    }

    static byte[] iommuCapability(IommuCapability c, int pad) {
        return switch (c) {
            case IommuCapability.IovaRanges r -> {
                byte[] body = new byte[8 + 16 * r.ranges().size()];
                le(body).putInt(0, r.ranges().size());
                for (int i = 0; i < r.ranges().size(); i++) {
                    le(body).putLong(8 + 16 * i, r.ranges().get(i).start()).putLong(16 + 16 * i, r.ranges().get(i).end());
                }
                yield capability(1, 1, body, pad);
            }
            case IommuCapability.Migration m -> {
                byte[] body = new byte[24];
                le(body).putInt(0, m.flags()).putLong(8, m.pageSizes()).putLong(16, m.maxDirtyBitmapSize());
                yield capability(2, 1, body, pad);
            }
            case IommuCapability.DmaAvailable d -> {
                byte[] body = new byte[4];
                le(body).putInt(0, d.available());
                yield capability(3, 1, body, pad);
            }
            case IommuCapability.Unknown u -> capability(u.id(), u.version(), Arrays.copyOfRange(u.bytes(), 8, u.bytes().length), pad);
        };
    }

    static byte[] regionCapability(RegionCapability c, int pad) {
        byte[] body = switch (c) {
            case RegionCapability.SparseMmap s -> {
                byte[] b = new byte[8 + 16 * s.areas().size()];
                le(b).putInt(0, s.areas().size());
                for (int i = 0; i < s.areas().size(); i++) {
                    le(b).putLong(8 + 16 * i, s.areas().get(i).offset()).putLong(16 + 16 * i, s.areas().get(i).size());
                }
                yield b;
            }
            case RegionCapability.Type t -> {
                byte[] b = new byte[8];
                le(b).putInt(0, t.type()).putInt(4, t.subtype());
                yield b;
            }
            case RegionCapability.MsixMappable m -> new byte[0];
            case RegionCapability.Nvlink2Ssatgt s -> {
                byte[] b = new byte[8];
                le(b).putLong(0, s.target());
                yield b;
            }
            case RegionCapability.Nvlink2LinkSpeed l -> {
                byte[] b = new byte[8];
                le(b).putInt(0, l.linkSpeed());
                yield b;
            }
            case RegionCapability.Unknown u -> u.body();
        };
        return capability(c.id(), c.version(), body, pad);
    }

    /** struct vfio_iommu_type1_info (24 bytes) followed by {@code chain}. */
    static byte[] iommuInfo(long argsz, int flags, long pageSizes, int capOffset, byte[] chain) {
        byte[] b = new byte[TYPE1_INFO_SIZE + chain.length];
        le(b).putInt(0, (int) argsz).putInt(4, flags).putLong(8, pageSizes).putInt(16, capOffset);
        System.arraycopy(chain, 0, b, TYPE1_INFO_SIZE, chain.length);
        return b;
    }

    /** struct vfio_region_info (32 bytes) followed by {@code chain}. */
    static byte[] regionInfo(long argsz, int flags, int index, int capOffset, long size, long offset, byte[] chain) {
        byte[] b = new byte[REGION_INFO_SIZE + chain.length];
        le(b).putInt(0, (int) argsz).putInt(4, flags).putInt(8, index).putInt(12, capOffset).putLong(16, size).putLong(24, offset);
        System.arraycopy(chain, 0, b, REGION_INFO_SIZE, chain.length);
        return b;
    }

    /** struct vfio_pci_hot_reset_info with {@code count} and the devices (group, segment, bus, devfn). */
    static byte[] hotResetInfo(long argsz, int count, List<HotResetInfo.Device> devices) {
        byte[] b = new byte[HOT_RESET_INFO_SIZE + 8 * devices.size()];
        le(b).putInt(0, (int) argsz).putInt(8, count);
        for (int i = 0; i < devices.size(); i++) {
            HotResetInfo.Device d = devices.get(i);
            le(b).putInt(12 + 8 * i, d.groupId()).putShort(16 + 8 * i, (short) d.address().segment());
            b[18 + 8 * i] = (byte) d.address().bus();
            b[19 + 8 * i] = (byte) (d.address().device() << 3 | d.address().function());
        }
        return b;
    }

    // ---- the reference reader ----

    private static long u32(byte[] b, int at) {
        return Integer.toUnsignedLong(le(b).getInt(at));
    }

    /** The argument as the seam leaves it: {@code size} zeroed bytes with argsz, {@code index} at 8 if given, the forged bytes over the start. */
    static byte[] image(long size, Integer index, Forged f) {
        byte[] b = new byte[(int) size];
        le(b).putInt(0, (int) size);
        if (index != null) {
            le(b).putInt(8, index);
        }
        System.arraycopy(f.bytes(), 0, b, 0, Math.min(f.bytes().length, b.length));
        return b;
    }

    /** One capability as the reference reads it: header fields, where it starts, its bytes. */
    record Cap(int id, int version, int at, byte[] bytes) {}

    /** The chain from {@code capOffset}, or null when it breaks a rule. */
    static List<Cap> chain(byte[] reply, long capOffset, int fixed) {
        List<Cap> caps = new ArrayList<>();
        if (capOffset != 0 && capOffset < fixed) {
            return null;
        }
        List<Long> starts = new ArrayList<>();
        for (long at = capOffset; at != 0; ) {
            if (at + 8 > reply.length) {
                return null;
            }
            long next = u32(reply, (int) at + 4);
            if (next != 0 && next < at + 8) {
                return null;
            }
            starts.add(at);
            at = next;
        }
        for (int i = 0; i < starts.size(); i++) {
            int at = (int) (long) starts.get(i);
            int end = i + 1 < starts.size() ? (int) (long) starts.get(i + 1) : reply.length;
            caps.add(new Cap(le(reply).getShort(at) & 0xffff, le(reply).getShort(at + 2) & 0xffff, at, Arrays.copyOfRange(reply, at, end)));
        }
        return caps;
    }

    /** A type1 IOMMU capability, or null when its bytes break a rule. */
    static IommuCapability iommuCapability(Cap c) {
        byte[] b = c.bytes();
        switch (c.id()) {
            case 1 -> {
                if (b.length < 16 || 16 + 16 * u32(b, 8) > b.length) {
                    return null;
                }
                List<IovaRange> ranges = new ArrayList<>();
                for (int i = 0; i < u32(b, 8); i++) {
                    long start = le(b).getLong(16 + 16 * i);
                    long end = le(b).getLong(24 + 16 * i);
                    boolean afterPrevious = ranges.isEmpty() || Long.compareUnsigned(ranges.getLast().end(), start) < 0;
                    if (Long.compareUnsigned(start, end) > 0 || !afterPrevious) {
                        return null;
                    }
                    ranges.add(new IovaRange(start, end));
                }
                return new IommuCapability.IovaRanges(ranges);
            }
            case 2 -> {
                return b.length < 32 ? null : new IommuCapability.Migration(le(b).getInt(8), le(b).getLong(16), le(b).getLong(24));
            }
            case 3 -> {
                return b.length < 12 ? null : new IommuCapability.DmaAvailable(le(b).getInt(8));
            }
            default -> {
                return new IommuCapability.Unknown(c.id(), c.version(), b);
            }
        }
    }

    /** A region capability, or null when a version-1 capability of a known id is shorter than its fields. */
    static RegionCapability regionCapability(Cap c) {
        byte[] b = c.bytes();
        byte[] body = Arrays.copyOfRange(b, 8, b.length);
        if (c.version() != 1 || c.id() < 1 || c.id() > 5) {
            return new RegionCapability.Unknown(c.id(), c.version(), body);
        }
        return switch (c.id()) {
            case 1 -> {
                if (b.length < 16 || 16 + 16 * u32(b, 8) > b.length) {
                    yield null;
                }
                List<RegionCapability.Area> areas = new ArrayList<>();
                for (int i = 0; i < u32(b, 8); i++) {
                    areas.add(new RegionCapability.Area(le(b).getLong(16 + 16 * i), le(b).getLong(24 + 16 * i)));
                }
                yield new RegionCapability.SparseMmap(areas);
            }
            case 2 -> b.length < 16 ? null : new RegionCapability.Type(le(b).getInt(8), le(b).getInt(12));
            case 3 -> new RegionCapability.MsixMappable();
            case 4 -> b.length < 16 ? null : new RegionCapability.Nvlink2Ssatgt(le(b).getLong(8));
            default -> b.length < 12 ? null : new RegionCapability.Nvlink2LinkSpeed(le(b).getInt(8));
        };
    }

    /**
     * The chain whose offset is the u32 at {@code capOffsetField}, each capability decoded, or null
     * when there is none (CAPS promised one), the chain breaks a rule, or a capability does.
     */
    private static <C> List<C> decode(byte[] reply, int capOffsetField, int fixed, Function<Cap, C> decoder) {
        List<Cap> chain = u32(reply, capOffsetField) == 0 ? null : chain(reply, u32(reply, capOffsetField), fixed);
        if (chain == null) {
            return null;
        }
        List<C> out = new ArrayList<>();
        for (Cap c : chain) {
            C decoded = decoder.apply(c);
            if (decoded == null) {
                return null;
            }
            out.add(decoded);
        }
        return out;
    }

    /** VFIO_IOMMU_GET_INFO's outcome for the forged replies. */
    static Expected<IommuInfo> iommuInfo(List<Forged> replies) {
        List<Long> sent = new ArrayList<>(List.of((long) TYPE1_INFO_SIZE));
        byte[] r = image(TYPE1_INFO_SIZE, null, replies.get(0));
        long asked = u32(r, 0);
        if (asked > TYPE1_INFO_SIZE) {
            if (asked > MAX_ARGSZ) {
                return new Expected<>(new Malformed<>(), sent);
            }
            sent.add(asked);
            r = image(asked, null, replies.get(1));
            if (u32(r, 0) > asked) {
                return new Expected<>(new Malformed<>(), sent);
            }
        }
        int flags = le(r).getInt(4);
        List<IommuCapability> caps = (flags & IOMMU_INFO_CAPS) == 0 ? List.of() : decode(r, 16, TYPE1_INFO_SIZE, NaiveReplies::iommuCapability);
        if (caps == null) {
            return new Expected<>(new Malformed<>(), sent);
        }
        return new Expected<>(new Decoded<>(new IommuInfo(flags, le(r).getLong(8), caps)), sent);
    }

    /** VFIO_DEVICE_GET_REGION_INFO's outcome for region {@code index} and the forged replies. */
    static Expected<RegionInfo> regionInfo(int index, List<Forged> replies) {
        List<Long> sent = new ArrayList<>(List.of((long) REGION_INFO_SIZE));
        byte[] r = image(REGION_INFO_SIZE, index, replies.get(0));
        long asked = u32(r, 0);
        if ((le(r).getInt(4) & REGION_INFO_FLAG_CAPS) != 0 && asked > REGION_INFO_SIZE) {
            if (asked > MAX_ARGSZ) {
                return new Expected<>(new Malformed<>(), sent);
            }
            sent.add(asked);
            r = image(asked, index, replies.get(1));
            if ((le(r).getInt(4) & REGION_INFO_FLAG_CAPS) != 0 && u32(r, 0) > asked) {
                return new Expected<>(new Malformed<>(), sent);
            }
        }
        int flags = le(r).getInt(4);
        List<RegionCapability> caps = (flags & REGION_INFO_FLAG_CAPS) == 0 ? List.of()
                : decode(r, 12, REGION_INFO_SIZE, NaiveReplies::regionCapability);
        if (caps == null) {
            return new Expected<>(new Malformed<>(), sent);
        }
        return new Expected<>(new Decoded<>(new RegionInfo(index, flags, le(r).getLong(16), le(r).getLong(24), caps)), sent);
    }

    /** VFIO_DEVICE_GET_PCI_HOT_RESET_INFO's outcome: the header, ENOSPC with the count, then room for every device. */
    static Expected<HotResetInfo> hotResetInfo(List<Forged> replies) {
        List<Long> sent = new ArrayList<>(List.of((long) HOT_RESET_INFO_SIZE));
        Forged first = replies.get(0);
        if (first.errno() != null && first.errno() != Errno.ENOSPC) {
            return new Expected<>(new Refused<>(first.errno()), sent);
        }
        long count = u32(image(HOT_RESET_INFO_SIZE, null, first), 8);
        long argsz = HOT_RESET_INFO_SIZE + 8 * count;
        if (argsz > MAX_ARGSZ) {
            return new Expected<>(new Malformed<>(), sent);
        }
        sent.add(argsz);
        if (replies.get(1).errno() != null) {
            return new Expected<>(new Refused<>(replies.get(1).errno()), sent);
        }
        byte[] r = image(argsz, null, replies.get(1));
        if (u32(r, 8) > count) {
            return new Expected<>(new Malformed<>(), sent);
        }
        List<HotResetInfo.Device> devices = new ArrayList<>();
        for (int i = 0; i < u32(r, 8); i++) {
            int devfn = r[19 + 8 * i] & 0xff;
            devices.add(new HotResetInfo.Device(le(r).getInt(12 + 8 * i),
                    new PciAddress(le(r).getShort(16 + 8 * i) & 0xffff, r[18 + 8 * i] & 0xff, devfn >> 3, devfn & 7)));
        }
        return new Expected<>(new Decoded<>(new HotResetInfo(devices)), sent);
    }
}
