package org.vfio4j.kernel.user;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A filesystem {@code struct sockaddr_un}: family {@code AF_UNIX}, then the path and its NUL. */
record UnixAddress(MemorySegment address, int length) {

    /**
     * The address of {@code path} in {@code arena}. A path must fit {@code sun_path} with its NUL
     * (107 bytes): a longer one is refused here rather than silently cut by the kernel's rules.
     */
    static UnixAddress of(Arena arena, Path path) throws IOException {
        byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= SocketLibc.SUN_PATH_SIZE) {
            throw new IOException("a UNIX socket address holds at most " + (SocketLibc.SUN_PATH_SIZE - 1)
                    + " bytes of path before its NUL, and " + path + " has " + bytes.length);
        }
        if (bytes.length == 0) {
            throw new IOException("a UNIX socket needs a path, not an empty one");
        }
        MemorySegment a = arena.allocate(SocketLibc.SOCKADDR_UN_SIZE, 8);
        a.set(ValueLayout.JAVA_SHORT, 0, (short) SocketLibc.AF_UNIX);
        MemorySegment.copy(bytes, 0, a, ValueLayout.JAVA_BYTE, 2, bytes.length);
        // offsetof(sun_path) + the path + its NUL, as unix_mkname expects for a filesystem address
        return new UnixAddress(a, 2 + bytes.length + 1);
    }
}
