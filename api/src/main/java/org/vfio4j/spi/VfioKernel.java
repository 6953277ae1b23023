package org.vfio4j.spi;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.vfio4j.VfioException;

/**
 * The system-call boundary that both backends implement: what a VFIO driver asks of Linux.
 *
 * <p>Everything above this interface (struct marshalling, the argsz protocol, capability chains, the
 * typed objects) is written once; everything below it is either libc (the kernel backend) or a VFIO
 * kernel modelled in the JVM (the simulated backend). Arguments are raw bytes exactly as the kernel
 * receives them, so a simulator must reproduce argsz growth, written-back fields and errno.
 *
 * <p>Failures are {@link VfioException}s carrying the errno {@code -1}-returning libc calls set.
 * File descriptors are {@link Fd} handles owned by the backend that made them; passing a handle of
 * another backend throws {@link IllegalArgumentException}, and a handle used after {@link
 * #close(Fd)} fails with {@code EBADF} without reaching the kernel (its number may be reused).
 * Constants for flags and events are in {@link LinuxAbi}.
 */
public interface VfioKernel extends AutoCloseable {

    /** A short name for messages and reports: {@code "kernel"}, {@code "simulated"}. */
    String name();

    /** {@code open(2)}: opens {@code path} (e.g. {@code /dev/vfio/vfio}) with {@link LinuxAbi} O_* flags. */
    Fd open(String path, int flags) throws VfioException;

    /**
     * {@code close(2)}. Closing a handle that is already closed fails with {@code EBADF}. When
     * another thread is inside a call on the same handle, the descriptor is released when that call
     * returns, as the kernel keeps the file alive while a system call holds it.
     */
    void close(Fd fd) throws VfioException;

    /**
     * The handle for a descriptor number that a call created and returned as its result (the new
     * device fd of VFIO_GROUP_GET_DEVICE_FD). The handle then owns the number: close it once.
     *
     * @throws VfioException {@code EBADF} if no such descriptor is open on this backend
     */
    Fd adopt(int number, String description) throws VfioException;

    /** {@code ioctl(2)} with a pointer argument; returns the non-negative result (a new fd number for some requests). */
    int ioctl(Fd fd, long request, MemorySegment arg) throws VfioException;

    /** {@code ioctl(2)} with an integer argument passed by value (CHECK_EXTENSION, SET_IOMMU). */
    int ioctl(Fd fd, long request, long value) throws VfioException;

    /** {@code pread(2)} of {@code dst.byteSize()} bytes at {@code offset}; returns the count read (may be short). */
    long pread(Fd fd, MemorySegment dst, long offset) throws VfioException;

    /** {@code pwrite(2)} of {@code src.byteSize()} bytes at {@code offset}; returns the count written (may be short). */
    long pwrite(Fd fd, MemorySegment src, long offset) throws VfioException;

    /** {@code read(2)} of up to {@code dst.byteSize()} bytes (an eventfd wants exactly 8). */
    long read(Fd fd, MemorySegment dst) throws VfioException;

    /** {@code write(2)} of {@code src.byteSize()} bytes (an eventfd wants exactly 8). */
    long write(Fd fd, MemorySegment src) throws VfioException;

    /**
     * {@code mmap(2)} of {@code length} bytes of {@code fd} at {@code offset}. The returned segment is
     * valid until {@link #munmap(MemorySegment)} or until this backend is closed; an access after that
     * throws {@link IllegalStateException} instead of touching unmapped memory.
     */
    MemorySegment mmap(Fd fd, long offset, long length, int prot, int flags) throws VfioException;

    /** {@code munmap(2)} of a whole segment returned by {@link #mmap}; it becomes inaccessible. */
    void munmap(MemorySegment mapping) throws VfioException;

    /**
     * One CPU load of {@code size} bytes (1, 2, 4 or 8) at {@code offset} of a mapping returned by
     * {@link #mmap}, little-endian, zero-extended. On the kernel backend it is a single load
     * instruction of that width, which reaches the device as one access; on the simulator the
     * device model sees the same access (offset and width) and the load returns what the model
     * answers, as a trapped mapping would.
     *
     * <p>The offset must be a multiple of the size. An unaligned access to device memory is an
     * alignment fault on arm64, and on x86 the JVM makes it as one instruction only once compiled
     * (interpreted, it is several narrower loads), so no backend could promise what the device sees.
     *
     * @throws IllegalArgumentException if {@code mapping} is not a live mapping of this backend, the
     *                                  size is not 1, 2, 4 or 8, the offset is not a multiple of it,
     *                                  or the access leaves the mapping
     * @throws VfioException            where the kernel would raise SIGBUS ({@code EIO}: the
     *                                  simulator reports a mapping whose BAR no longer decodes, as
     *                                  {@code vfio_pci_mmap_fault} refuses it)
     */
    long load(MemorySegment mapping, long offset, int size) throws VfioException;

    /**
     * One CPU store of the low {@code size} bytes (1, 2, 4 or 8) of {@code value} at {@code offset}
     * of a mapping returned by {@link #mmap}: the counterpart of {@link #load}, with its rules.
     */
    void store(MemorySegment mapping, long offset, int size, long value) throws VfioException;

    /**
     * The process virtual address the kernel sees for {@code memory}, to put in {@code vaddr}
     * fields (VFIO_IOMMU_MAP_DMA). The kernel backend returns the segment's address; the simulated
     * backend also records the segment, as the kernel's page tables would know it, so that it can
     * pin and reach the memory later. A {@code vaddr} that was never obtained here resolves to no
     * memory in the simulator ({@code EFAULT}, as the kernel answers for an unmapped address).
     *
     * @throws IllegalArgumentException for a heap segment (it has no stable address)
     */
    long userAddress(java.lang.foreign.MemorySegment memory);

    /** {@code eventfd(2)} with an initial counter and {@link LinuxAbi} EFD_* flags. */
    Fd eventfd(int initialValue, int flags) throws VfioException;

    /**
     * {@code poll(2)} on the given descriptors; waits at most {@code timeoutMillis} ({@code -1}:
     * forever, {@code 0}: do not wait). Returns the {@code revents} of each request, in order.
     */
    short[] poll(List<PollFd> fds, int timeoutMillis) throws VfioException;

    /**
     * The root of the file system this backend's devices live in: {@code /} for the kernel, an
     * in-memory tree for the simulator. {@code root().resolve("sys/kernel/iommu_groups")} is where
     * discovery starts.
     */
    Path root();

    /** Reads an eventfd's 8-byte counter with {@code read(2)}: returns and clears it (or decrements it with EFD_SEMAPHORE). */
    long readEventCounter(Fd eventfd) throws VfioException;

    /** Adds {@code value} to an eventfd's counter with an 8-byte {@code write(2)}. */
    void writeEventCounter(Fd eventfd, long value) throws VfioException;

    /**
     * What the backend knows about why nothing signalled {@code eventfd}, in a sentence for a
     * timed-out wait: for the simulator, the interrupts routed (or routable) to it that were
     * dropped or held back and why (bus mastering off, INTx masked, a vector masked or not
     * enabled), or that it is bound to no interrupt. The kernel backend knows nothing: empty.
     *
     * @param eventfd an eventfd made by {@link #eventfd}
     * @return one or more sentences, or empty when the backend cannot say
     */
    default Optional<String> diagnose(Fd eventfd) {
        return Optional.empty();
    }

    /** Closes every descriptor and mapping this backend still holds. */
    @Override
    void close();
}
