package org.vfio4j.sim.device;

import java.lang.foreign.MemorySegment;

/**
 * Memory of the simulated process whose bytes are not in this JVM: every access is a request to
 * whoever holds them. It models a userspace driver that proxies a device for another process and
 * reaches that process's memory by messages, as a vfio-user server reaches guest RAM that its
 * client shared without a file descriptor (DMA_READ and DMA_WRITE, QEMU's {@code
 * docs/interop/vfio-user.rst}).
 *
 * <p>{@code SimulatedKernel.mapRemote} gives such memory a user address; VFIO_IOMMU_MAP_DMA of that
 * address maps it for devices like any other memory (type1 only), and a device's DMA through the
 * mapping becomes {@link #read} and {@link #write} calls. They run on the thread doing the DMA,
 * under the kernel lock, and may take time (a message round trip); an access the holder cannot
 * complete is an {@link Unreachable}, which the device sees as an IOMMU fault with its sentence.
 * Such memory is never pinned or charged to RLIMIT_MEMLOCK: there are no pages here to pin.
 */
public interface RemoteMemory {
    /**
     * Copies {@code dst.byteSize()} bytes from {@code offset} of this memory into {@code dst}.
     *
     * @throws Unreachable when the holder does not deliver them; {@code dst} may then be partly written
     */
    void read(long offset, MemorySegment dst) throws Unreachable;

    /**
     * Copies {@code src} to {@code offset} of this memory.
     *
     * @throws Unreachable when the holder does not take them; a part may have been written
     */
    void write(long offset, MemorySegment src) throws Unreachable;

    /**
     * How the trace names a transfer ({@code write}: into this memory), completing "read of 0x40
     * bytes at IOVA 0x1000 (...)", e.g. {@code "out of the vfio-user client's memory by DMA_READ"}.
     */
    String describe(boolean write);

    /** An access to remote memory that did not complete: the sentence says why (and the errno the holder gave, if any). */
    final class Unreachable extends Exception {
        private static final long serialVersionUID = 1L;

        /** An access that failed for {@code why}, a sentence the IOMMU fault repeats. */
        public Unreachable(String why) {
            super(why, null, false, false);
        }
    }
}
