package org.vfio4j.sim.core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.vfio4j.Errno;
import org.vfio4j.uapi.VfioStructs;

/**
 * The {@code unsigned long arg} of an ioctl as the simulated kernel sees it: a value, and the user
 * memory it points to when the caller passed a segment. Reads and writes check bounds the way
 * {@code copy_from_user}/{@code copy_to_user} fault: outside the caller's memory is {@code EFAULT}.
 */
public final class UserArg {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    public final long value;
    private final MemorySegment memory;

    private UserArg(long value, MemorySegment memory) {
        this.value = value;
        this.memory = memory;
    }

    /** A pointer to {@code memory}; a null segment is the NULL pointer, which copy_from_user faults on. */
    public static UserArg pointer(MemorySegment memory) {
        return memory == null ? new UserArg(0, null) : new UserArg(memory.address(), memory);
    }

    public static UserArg value(long value) {
        return new UserArg(value, null);
    }

    /** How many bytes of user memory the pointer reaches (0 for a plain value, or memory the kernel cannot reach). */
    long reach() {
        return memory == null || unreachable() != null ? 0 : memory.byteSize();
    }

    /**
     * Why the kernel cannot reach the argument memory at all, or null: its arena was closed (the
     * memory is unmapped), or it is confined to another thread (no other thread, the simulated
     * kernel included, can touch it). Either way {@code copy_from_user} faults.
     */
    private String unreachable() {
        if (!memory.scope().isAlive()) {
            return "the argument memory is gone (its arena was closed)";
        }
        if (!memory.isAccessibleBy(Thread.currentThread())) {
            return "the argument memory is confined to another thread";
        }
        return null;
    }

    /** {@code copy_from_user} of {@code length} bytes at {@code offset}: fails EFAULT outside the caller's memory. */
    public void checkReadable(long offset, long length, String what) throws KernelError {
        String gone = memory == null ? null : unreachable();
        if (gone != null) {
            throw KernelError.of(Errno.EFAULT, "copy_from_user of " + length + " bytes (" + what + ") faults: " + gone);
        }
        if (memory == null || offset < 0 || length < 0 || offset + length > memory.byteSize()) {
            throw KernelError.of(Errno.EFAULT, "copy_from_user of " + length + " bytes (" + what + ") at offset " + offset
                    + " faults: the argument " + describe() + " does not reach that far");
        }
    }

    /** {@code copy_to_user} of {@code length} bytes at {@code offset}. */
    public void checkWritable(long offset, long length, String what) throws KernelError {
        checkReadable(offset, length, what);
        if (memory.isReadOnly()) {
            throw KernelError.of(Errno.EFAULT, "copy_to_user (" + what + ") faults: the argument memory is read-only");
        }
    }

    /**
     * {@code copy_from_user(&s, arg, minsz)}, the first step of a VFIO ioctl handler: EFAULT unless
     * the first {@code minsz} bytes of {@code struct} are readable. Returns {@code argsz}, which opens
     * every such struct ({@link VfioStructs#ARGSZ}); each handler checks it against its minsz in its
     * own order.
     */
    public int copyIn(long minsz, String struct) throws KernelError {
        checkReadable(0, minsz, struct);
        return u32(VfioStructs.ARGSZ);
    }

    public int u32(long offset) {
        return memory.get(U32, offset);
    }

    public long u64(long offset) {
        return memory.get(U64, offset);
    }

    public byte u8(long offset) {
        return memory.get(ValueLayout.JAVA_BYTE, offset);
    }

    public void putU32(long offset, int v) {
        memory.set(U32, offset, v);
    }

    public void putU64(long offset, long v) {
        memory.set(U64, offset, v);
    }

    public void putU16(long offset, short v) {
        memory.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset, v);
    }

    public void putBytes(long offset, byte[] bytes) {
        MemorySegment.copy(bytes, 0, memory, ValueLayout.JAVA_BYTE, offset, bytes.length);
    }

    private String describe() {
        return memory == null ? "(a plain value 0x" + Long.toHexString(value) + ", not a pointer)" : "(" + memory.byteSize() + " bytes)";
    }
}
