package org.vfio4j.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The kernel's device memory (BARs, regions, dma-bufs): a shared arena made when the first segment
 * is allocated from it. Closing a shared arena makes the JVM handshake with every thread (some 20
 * microseconds, during which the other threads stop), so a kernel whose device memory was never
 * touched makes no arena and its close costs nothing and stops no one. Once closed it behaves as a
 * closed arena: allocating fails with {@link IllegalStateException}. Thread-safe.
 */
final class LazySharedArena implements Arena {
    private Arena arena;
    private boolean closed;

    @Override
    public synchronized MemorySegment allocate(long byteSize, long byteAlignment) {
        return arena().allocate(byteSize, byteAlignment);
    }

    @Override
    public synchronized MemorySegment.Scope scope() {
        return arena().scope();
    }

    /** The arena, made now if needed; closed at once if this was closed before it was ever needed. */
    private Arena arena() {
        if (arena == null) {
            arena = Arena.ofShared();
            if (closed) {
                arena.close(); // its segments and scope are those of a closed arena
            }
        }
        return arena;
    }

    /** Whether {@link #close()} was called. */
    synchronized boolean closed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            throw new IllegalStateException("Already closed");
        }
        closed = true;
        if (arena != null) {
            arena.close();
        }
    }
}
