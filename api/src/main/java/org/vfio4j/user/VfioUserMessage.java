package org.vfio4j.user;

import java.util.List;
import java.util.Objects;

/**
 * One whole vfio-user message as it travels: the header, the bytes after it, and the descriptors
 * passed beside it.
 *
 * @param header  the header; its size is 16 + {@code payload.length}
 * @param payload the message data after the header (not copied: the caller gives it up)
 * @param fds     the descriptors passed with the message, in order
 */
public record VfioUserMessage(VfioUserHeader header, byte[] payload, List<PassedFd> fds) {
    /** Checks the header's size matches the payload. */
    public VfioUserMessage {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(payload, "payload");
        fds = List.copyOf(fds);
        if (header.size() != VfioUserHeader.SIZE + (long) payload.length) {
            throw new IllegalArgumentException("the header says " + header.size() + " bytes but the message has "
                    + (VfioUserHeader.SIZE + (long) payload.length));
        }
    }
}
