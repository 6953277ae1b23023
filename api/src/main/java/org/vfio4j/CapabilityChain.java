package org.vfio4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.vfio4j.uapi.VfioStructs.vfio_info_cap_header;

/**
 * The one walker of VFIO capability chains ({@code struct vfio_info_cap_header}: u16 id,
 * u16 version, u32 next), shared by every *_GET_INFO decoder. {@code next} and {@code cap_offset}
 * are byte offsets from the start of the info struct; 0 ends the chain. Linux writes the chain
 * right after the struct, each capability after the one before ({@code vfio_info_cap_add}, {@code
 * vfio_info_cap_shift}), so a capability's bytes run from its header to the next header, the last
 * one's to the end of the reply.
 *
 * <p>The walk refuses, as {@link Errno#EPROTO} naming the ioctl: a first capability inside the
 * fixed struct; a header that does not fit in the reply (the argsz sent); a {@code next} that points
 * to the capability itself, back, or into its own header. Each capability therefore starts past
 * the previous header, so a chain has at most one entry per 8 bytes of reply and always ends.
 */
final class CapabilityChain {
    private CapabilityChain() {}

    /**
     * One capability: its header fields, where it starts in the reply, and its bytes (header
     * included) up to the next one or the end of the reply.
     */
    record Entry(int id, int version, long offset, MemorySegment bytes) {}

    /**
     * The chain from {@code capOffset} (0: none) in {@code info}, a reply of {@code info.byteSize()}
     * bytes whose fixed struct takes {@code fixedSize}.
     */
    static List<Entry> walk(Reply reply, MemorySegment info, int capOffset, long fixedSize) throws VfioException {
        List<Entry> out = new ArrayList<>();
        long at = Integer.toUnsignedLong(capOffset);
        if (at != 0 && at < fixedSize) {
            throw reply.malformed("cap_offset " + at + " points inside the " + fixedSize + "-byte struct; the chain starts after it");
        }
        if (at != 0 && !headerFits(at, info)) {
            throw reply.malformed("cap_offset " + at + " leaves no room for an " + vfio_info_cap_header.SIZE + "-byte header in the "
                    + info.byteSize() + "-byte reply (the argsz sent)");
        }
        while (at != 0) {
            int id = Short.toUnsignedInt(info.get(ValueLayout.JAVA_SHORT_UNALIGNED, at + vfio_info_cap_header.id));
            int version = Short.toUnsignedInt(info.get(ValueLayout.JAVA_SHORT_UNALIGNED, at + vfio_info_cap_header.version));
            long next = Integer.toUnsignedLong(info.get(ValueLayout.JAVA_INT_UNALIGNED, at + vfio_info_cap_header.next));
            if (next != 0) {
                checkNext(reply, info, at, next);
            }
            long end = next == 0 ? info.byteSize() : next;
            out.add(new Entry(id, version, at, info.asSlice(at, end - at)));
            at = next;
        }
        return out;
    }

    private static boolean headerFits(long at, MemorySegment info) {
        return at + vfio_info_cap_header.SIZE <= info.byteSize();
    }

    private static void checkNext(Reply reply, MemorySegment info, long at, long next) throws VfioException {
        String from = "capability at offset " + at;
        if (next == at) {
            throw reply.malformed(from + " points to itself; a chain must move forward");
        }
        if (next < at) {
            throw reply.malformed(from + " points back to offset " + next + "; a chain must move forward");
        }
        if (next < at + vfio_info_cap_header.SIZE) {
            throw reply.malformed(from + " points to offset " + next + ", inside its own " + vfio_info_cap_header.SIZE
                    + "-byte header; the next capability starts after it");
        }
        if (!headerFits(next, info)) {
            throw reply.malformed(from + " points to offset " + next + ", where an " + vfio_info_cap_header.SIZE
                    + "-byte header does not fit in the " + info.byteSize() + "-byte reply (the argsz sent)");
        }
    }

    /**
     * Refuses a capability whose bytes are fewer than the {@code size} its fixed fields take.
     *
     * @param name the capability's name in messages, e.g. {@code "IOVA_RANGE"}
     */
    static void requireSize(Reply reply, Entry e, String name, long size) throws VfioException {
        if (e.bytes().byteSize() < size) {
            throw reply.malformed(name + " capability at offset " + e.offset() + " has " + e.bytes().byteSize() + " bytes, fewer than the "
                    + size + " its fixed fields take");
        }
    }

    /**
     * The count of an array at the end of a capability ({@code nr_iovas}, {@code nr_areas}), which
     * must fit in its bytes: a count larger than the bytes is a malformed reply, not data to cut.
     *
     * @param field    the count's name
     * @param at       where the u32 count sits in the capability
     * @param first    where the array starts in the capability, after the count
     * @param element  the size of one element
     * @return the count
     */
    static int count(Reply reply, Entry e, String name, String field, long at, long first, long element) throws VfioException {
        requireSize(reply, e, name, first);
        long n = Integer.toUnsignedLong(e.bytes().get(ValueLayout.JAVA_INT_UNALIGNED, at));
        long room = (e.bytes().byteSize() - first) / element;
        if (n > room) {
            throw reply.malformed(name + " capability at offset " + e.offset() + " says " + field + " " + n + ", but its " + e.bytes().byteSize()
                    + " bytes hold " + room + " (" + element + " bytes each after the first " + first + "); a count must match the bytes");
        }
        return (int) n;
    }
}
