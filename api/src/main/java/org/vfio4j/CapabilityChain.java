package org.vfio4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.vfio4j.uapi.VfioStructs.vfio_info_cap_header;

/**
 * The one walker of VFIO capability chains ({@code struct vfio_info_cap_header}: u16 id,
 * u16 version, u32 next), shared by every *_GET_INFO decoder. {@code next} and {@code cap_offset}
 * are byte offsets from the start of the info struct; 0 ends the chain. The walk refuses offsets
 * outside the buffer, headers that do not fit, and chains that do not move forward (a cycle), so
 * bad bytes from a backend become an exception, never a hang.
 */
final class CapabilityChain {
    private CapabilityChain() {}

    /** One capability: its header fields and its bytes (header included) up to the next one or the end. */
    record Entry(int id, int version, MemorySegment bytes) {}

    static List<Entry> walk(MemorySegment info, int capOffset) {
        List<Entry> out = new ArrayList<>();
        long at = Integer.toUnsignedLong(capOffset);
        long previous = -1;
        while (at != 0) {
            if (at <= previous || at + vfio_info_cap_header.SIZE > info.byteSize()) {
                throw new IllegalStateException("malformed capability chain: offset " + at + " in a " + info.byteSize()
                        + "-byte reply" + (at <= previous ? " does not move forward" : " leaves no room for a header"));
            }
            int id = Short.toUnsignedInt(info.get(ValueLayout.JAVA_SHORT_UNALIGNED, at + vfio_info_cap_header.id));
            int version = Short.toUnsignedInt(info.get(ValueLayout.JAVA_SHORT_UNALIGNED, at + vfio_info_cap_header.version));
            long next = Integer.toUnsignedLong(info.get(ValueLayout.JAVA_INT_UNALIGNED, at + vfio_info_cap_header.next));
            long end = next == 0 ? info.byteSize() : Math.min(next, info.byteSize());
            out.add(new Entry(id, version, info.asSlice(at, Math.max(vfio_info_cap_header.SIZE, end - at))));
            previous = at;
            at = next;
        }
        return out;
    }
}
