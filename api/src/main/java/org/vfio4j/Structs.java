package org.vfio4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.vfio4j.uapi.VfioStructs;

/** Small helpers to fill and read ioctl argument structs in heap memory; offsets come from {@link VfioStructs}. */
final class Structs {
    private Structs() {}

    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    /** A zeroed buffer of {@code size} bytes, 8-byte aligned. */
    static MemorySegment buffer(long size) {
        return MemorySegment.ofArray(new long[(int) ((size + 7) / 8)]).asSlice(0, size);
    }

    /** A zeroed struct of {@code size} bytes whose first member, {@code argsz}, says so. */
    static MemorySegment withArgsz(long size) {
        MemorySegment s = buffer(size);
        s.set(U32, VfioStructs.ARGSZ, (int) size);
        return s;
    }
}
