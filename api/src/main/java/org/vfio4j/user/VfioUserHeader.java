package org.vfio4j.user;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 16-byte header every vfio-user message starts with, in the host's byte order: the message
 * id (echoed by the reply), the command, the size of the whole message including this header, the
 * flags (bits 0-3 the type, command or reply; {@link #NO_REPLY}; {@link #ERROR}) and, in a reply,
 * an errno.
 *
 * @param id      the sender's message id, echoed in the reply
 * @param command the command number (a {@link VfioUserCommand} code, or another number a peer sent)
 * @param size    bytes of the whole message, header included
 * @param flags   type, no-reply and error bits
 * @param error   the errno of an error reply; reserved (0) in a command
 */
public record VfioUserHeader(int id, int command, long size, int flags, int error) {
    /** Bytes of the header on the wire. */
    public static final int SIZE = 16;
    /** The type bits of {@link #flags}. */
    public static final int TYPE_MASK = 0xf;
    /** Type: a command. */
    public static final int TYPE_COMMAND = 0;
    /** Type: a reply to the command with the same id. */
    public static final int TYPE_REPLY = 1;
    /** A command that wants no reply (a posted write): the server must not answer it. */
    public static final int NO_REPLY = 0x10;
    /** A reply saying the command failed, with its errno in {@link #error}; it carries no payload. */
    public static final int ERROR = 0x20;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

    /** Checks the fields fit their widths on the wire. */
    public VfioUserHeader {
        if ((id & ~0xffff) != 0 || (command & ~0xffff) != 0 || size < 0 || size > 0xffff_ffffL) {
            throw new IllegalArgumentException("a vfio-user header holds a 16-bit id and command and a 32-bit size, not id "
                    + id + ", command " + command + ", size " + size);
        }
    }

    /** Reads a header from the first 16 bytes of {@code wire}; the caller checks the size against what arrived. */
    public static VfioUserHeader decode(MemorySegment wire) {
        return new VfioUserHeader(Short.toUnsignedInt(wire.get(U16, 0)), Short.toUnsignedInt(wire.get(U16, 2)),
                Integer.toUnsignedLong(wire.get(U32, 4)), wire.get(U32, 8), wire.get(U32, 12));
    }

    /** Writes this header into the first 16 bytes of {@code wire}. */
    public void encode(MemorySegment wire) {
        wire.set(U16, 0, (short) id);
        wire.set(U16, 2, (short) command);
        wire.set(U32, 4, (int) size);
        wire.set(U32, 8, flags);
        wire.set(U32, 12, error);
    }

    /** The type bits: {@link #TYPE_COMMAND}, {@link #TYPE_REPLY} or a value the protocol does not define. */
    public int type() {
        return flags & TYPE_MASK;
    }

    /** Whether this is a command that wants no reply. */
    public boolean noReply() {
        return (flags & NO_REPLY) != 0;
    }

    /** Whether this is an error reply. */
    public boolean isError() {
        return (flags & ERROR) != 0;
    }

    /** The reply header to this command: same id and command, {@code payload} bytes after the header. */
    public VfioUserHeader reply(long payload) {
        return new VfioUserHeader(id, command, SIZE + payload, TYPE_REPLY, 0);
    }

    /** The error reply to this command: the header alone, with {@code errno}. */
    public VfioUserHeader errorReply(int errno) {
        return new VfioUserHeader(id, command, SIZE, TYPE_REPLY | ERROR, errno);
    }
}
