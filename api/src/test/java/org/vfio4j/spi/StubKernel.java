package org.vfio4j.spi;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/** A backend that only has a name, for tests of handle bookkeeping. */
record StubKernel(String name) implements VfioKernel {
    @Override public Fd open(String path, int flags) { throw new UnsupportedOperationException(); }
    @Override public void close(Fd fd) { throw new UnsupportedOperationException(); }
    @Override public int ioctl(Fd fd, long request, MemorySegment arg) { throw new UnsupportedOperationException(); }
    @Override public int ioctl(Fd fd, long request, long value) { throw new UnsupportedOperationException(); }
    @Override public long pread(Fd fd, MemorySegment dst, long offset) { throw new UnsupportedOperationException(); }
    @Override public long pwrite(Fd fd, MemorySegment src, long offset) { throw new UnsupportedOperationException(); }
    @Override public long read(Fd fd, MemorySegment dst) { throw new UnsupportedOperationException(); }
    @Override public long write(Fd fd, MemorySegment src) { throw new UnsupportedOperationException(); }
    @Override public MemorySegment mmap(Fd fd, long offset, long length, int prot, int flags) { throw new UnsupportedOperationException(); }
    @Override public void munmap(MemorySegment mapping) { throw new UnsupportedOperationException(); }
    @Override public long load(MemorySegment mapping, long offset, int size) { throw new UnsupportedOperationException(); }
    @Override public void store(MemorySegment mapping, long offset, int size, long value) { throw new UnsupportedOperationException(); }
    @Override public Fd eventfd(int initialValue, int flags) { throw new UnsupportedOperationException(); }
    @Override public short[] poll(List<PollFd> fds, int timeoutMillis) { throw new UnsupportedOperationException(); }
    @Override public Path root() { throw new UnsupportedOperationException(); }
    @Override public long readEventCounter(Fd eventfd) { throw new UnsupportedOperationException(); }
    @Override public void writeEventCounter(Fd eventfd, long value) { throw new UnsupportedOperationException(); }
    @Override public long userAddress(MemorySegment memory) { throw new UnsupportedOperationException(); }
    @Override public Fd adopt(int number, String description) { throw new UnsupportedOperationException(); }
    @Override public void close() { }
}
