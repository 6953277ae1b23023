package org.vfio4j.uapi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds {@link MemoryLayout}s the way a C compiler lays out structs on Linux (x86-64, arm64):
 * each member at the next offset aligned to its own alignment, the whole padded to the largest
 * alignment. The struct definitions in {@link VfioLayouts} name only their members; this class adds
 * the padding, so a layout cannot drift from C by a forgotten pad (the ABI proof would catch it).
 *
 * <p>Flexible array members ({@code __u8 data[]}) are zero-length sequences: they take no size but
 * have an offset and an alignment, as in C. Anonymous unions are unnamed {@link UnionLayout}s whose
 * members are addressed as if they were members of the enclosing struct.
 */
public final class CLayout {
    private CLayout() {}

    /** {@code __u8}. */
    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    /** {@code __u16}. */
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;
    /** {@code __u32} (Java reads it as a signed {@code int}; use {@link Integer#toUnsignedLong}). */
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT;
    /** {@code __s32}. */
    public static final ValueLayout.OfInt S32 = ValueLayout.JAVA_INT;
    /** {@code __u64} (Java reads it as a signed {@code long}). */
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG;

    /** A C struct named {@code name} with the given named members, padded as C pads it. */
    public static StructLayout struct(String name, MemoryLayout... members) {
        List<MemoryLayout> laidOut = new ArrayList<>();
        long offset = 0;
        long alignment = 1;
        for (MemoryLayout m : members) {
            long a = m.byteAlignment();
            alignment = Math.max(alignment, a);
            long aligned = alignUp(offset, a);
            if (aligned > offset) {
                laidOut.add(MemoryLayout.paddingLayout(aligned - offset));
            }
            laidOut.add(m);
            offset = aligned + m.byteSize();
        }
        long size = alignUp(offset, alignment);
        if (size > offset) {
            laidOut.add(MemoryLayout.paddingLayout(size - offset));
        }
        return MemoryLayout.structLayout(laidOut.toArray(MemoryLayout[]::new)).withName(name);
    }

    /** An anonymous C union: its members are addressed as members of the enclosing struct. */
    public static UnionLayout anonymousUnion(MemoryLayout... members) {
        return MemoryLayout.unionLayout(members);
    }

    /** A flexible array member {@code element name[]}: no size, the element's alignment. */
    public static SequenceLayout flexibleArray(String name, MemoryLayout element) {
        return MemoryLayout.sequenceLayout(0, element).withName(name);
    }

    /** A fixed array member {@code element name[count]}. */
    public static SequenceLayout array(String name, long count, MemoryLayout element) {
        return MemoryLayout.sequenceLayout(count, element).withName(name);
    }

    /**
     * The bytes a struct with a trailing flexible array needs for {@code count} elements:
     * {@code offsetof(flex) + count * sizeof(element)}, never less than {@code sizeof(struct)}.
     */
    public static long sizeWithElements(StructLayout struct, long count) {
        MemoryLayout last = lastMember(struct);
        if (!(last instanceof SequenceLayout flex) || flex.elementCount() != 0) {
            throw new IllegalArgumentException(struct.name().orElse("struct") + " has no flexible array member");
        }
        long offset = struct.byteOffset(MemoryLayout.PathElement.groupElement(flex.name().orElseThrow()));
        return Math.max(struct.byteSize(), offset + count * flex.elementLayout().byteSize());
    }

    /**
     * A {@link VarHandle} for the value member at {@code path} (e.g. {@code "argsz"} or
     * {@code "header", "id"}) taking only the segment: the base offset is bound to 0.
     */
    public static VarHandle field(GroupLayout struct, String... path) {
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = MemoryLayout.PathElement.groupElement(path[i]);
        }
        return MethodHandles.insertCoordinates(struct.varHandle(elements), 1, 0L);
    }

    /** The byte offset of a named member, looking through anonymous unions. */
    public static long offsetOf(GroupLayout struct, String name) {
        for (Member m : members(struct)) {
            if (m.path().equals(name)) {
                return m.offset();
            }
        }
        throw new IllegalArgumentException((struct.name().orElse("struct")) + " has no member " + name);
    }

    /**
     * One named member of a struct, flattened: nested structs give {@code "header.id"}, anonymous
     * unions lend their members' names to the enclosing struct.
     *
     * @param path     the C member designator ({@code "header.next"})
     * @param offset   {@code offsetof}
     * @param size     {@code sizeof} of the member (0 for a flexible array)
     * @param flexible whether it is a flexible array member
     */
    public record Member(String path, long offset, long size, boolean flexible) {}

    /** Every named member of {@code struct}, depth first, nested members after their parent. */
    public static List<Member> members(GroupLayout struct) {
        List<Member> out = new ArrayList<>();
        collect(struct, "", 0, out);
        return out;
    }

    private static void collect(GroupLayout group, String prefix, long base, List<Member> out) {
        long offset = 0;
        for (MemoryLayout m : group.memberLayouts()) {
            long at = base + (group instanceof UnionLayout ? 0 : offset);
            if (m instanceof GroupLayout g && m.name().isEmpty()) {
                collect(g, prefix, at, out); // anonymous union or struct
            } else if (m.name().isPresent()) {
                String path = prefix + m.name().get();
                boolean flexible = m instanceof SequenceLayout s && s.elementCount() == 0;
                out.add(new Member(path, at, m.byteSize(), flexible));
                if (m instanceof GroupLayout g) {
                    collect(g, path + ".", at, out);
                }
            }
            offset += m.byteSize();
        }
    }

    private static MemoryLayout lastMember(StructLayout struct) {
        List<MemoryLayout> members = struct.memberLayouts();
        for (int i = members.size() - 1; i >= 0; i--) {
            if (members.get(i).name().isPresent()) {
                return members.get(i);
            }
        }
        throw new IllegalArgumentException("empty struct");
    }

    private static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
