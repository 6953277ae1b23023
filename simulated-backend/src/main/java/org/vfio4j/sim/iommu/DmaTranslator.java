package org.vfio4j.sim.iommu;

import java.lang.foreign.MemorySegment;
import org.vfio4j.sim.device.RemoteMemory;

/**
 * An IOMMU driver's tables as the IOMMU hardware reads them for a device's DMA: what one access at
 * an IOVA translates to, with the driver's own words for a refusal. Type1's mappings and the sPAPR
 * TCE windows both answer it; {@link DeviceDma} walks an access through it piece by piece.
 */
interface DmaTranslator {

    /**
     * Where an access at {@code iova} lands (memory here, or memory reached by messages), or why the
     * tables refuse it ({@code write}: the device writes memory).
     */
    Translation translate(long iova, boolean write);

    /** {@code true} when a refusal of this driver is an error its host bridge detects (EEH on POWER). */
    default boolean refusalsAreBridgeErrors() {
        return false;
    }

    /** What the tables say about one access. */
    sealed interface Translation permits Refused, Target, Remote {}

    /**
     * The tables refuse the access.
     *
     * @param reason which rule, in the words the trace and {@code IommuFault} use
     */
    record Refused(String reason) implements Translation {}

    /**
     * The access lands at {@code offset} of {@code memory} and may run {@code length} bytes in one
     * piece; {@code memory} is null when the memory behind the entry is gone.
     *
     * @param memory     the pinned memory of the entry, or null
     * @param offset     where the access starts in it
     * @param length     how many bytes from there the same entry covers
     * @param entry      what the entry is, e.g. {@code "mapping"} or {@code "TCE of IOVA"}
     * @param entryStart the entry's first IOVA
     * @param entrySize  the entry's size in bytes
     */
    record Target(MemorySegment memory, long offset, long length, String entry, long entryStart, long entrySize)
            implements Translation {
        /** How messages name the entry, e.g. {@code "the mapping [0x10000, +0x1000)"}: made only for a message. */
        String what() {
            return String.format("the %s [0x%x, +0x%x)", entry, entryStart, entrySize);
        }
    }

    /**
     * The access lands at {@code offset} of memory reached by messages ({@link RemoteMemory}) and may
     * run {@code length} bytes in one piece.
     *
     * @param memory the remote memory behind the entry
     * @param offset where the access starts in it
     * @param length how many bytes from there the same entry covers
     */
    record Remote(RemoteMemory memory, long offset, long length) implements Translation {}
}
