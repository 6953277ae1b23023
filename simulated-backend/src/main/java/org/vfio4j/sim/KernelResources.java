package org.vfio4j.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a process still holds in a {@link SimulatedKernel} at one moment ({@link
 * SimulatedKernel#resources()}), for a leak check after a test: open descriptors, live DMA
 * mappings (type1 mappings, sPAPR TCEs), pages charged to RLIMIT_MEMLOCK, interrupts armed with an eventfd, ioeventfds and
 * mappings of device memory. A driver that closed everything it opened leaves it {@link #isEmpty()
 * empty}. An immutable snapshot: the kernel goes on changing, this does not.
 *
 * <p>Lines name files as the trace does ({@code fd 3 (container 1)}, {@code fd 5 (device
 * 0000:01:00.0)}, {@code fd 6 (eventfd)}), so a line here can be looked up in {@link
 * SimulatedKernel#traceText()}.
 *
 * @param openFiles       one line per open descriptor, lowest number first: {@code fd 4 (group 7)}
 * @param dmaMappings     every live type1 mapping of every container, by container id then IOVA; on a
 *                        POWER host each run of consecutive sPAPR TCEs with one permission instead
 * @param lockedPages     pages charged to the process by pinning ({@code locked_vm})
 * @param armedInterrupts one line per interrupt index or vector with an eventfd set through
 *                        VFIO_DEVICE_SET_IRQS, and per INTx unmask eventfd: {@code 0000:01:00.0
 *                        MSI vector 0 -> fd 6 (eventfd)}
 * @param ioeventfds      one line per VFIO_DEVICE_IOEVENTFD registration: device, BAR, offset, size,
 *                        data and eventfd
 * @param memoryMappings  one line per live mmap of a device region or dma-buf, in mmap order: the
 *                        fd it was mapped through, the region, offset and length; then one per range of
 *                        remote memory ({@code SimulatedKernel.mapRemote}) by address
 */
public record KernelResources(List<String> openFiles, List<DmaRange> dmaMappings, long lockedPages, List<String> armedInterrupts,
                              List<String> ioeventfds, List<String> memoryMappings) {

    /**
     * One live type1 DMA mapping ({@code struct vfio_dma}), or a run of sPAPR TCEs over consecutive
     * IOMMU pages and process memory (which the device may always read).
     *
     * @param container the container holding it, as the trace names it ({@code container 1})
     * @param iova      its first IOVA
     * @param size      its length in bytes
     * @param readable  whether the device may read it (VFIO_DMA_MAP_FLAG_READ)
     * @param writable  whether the device may write it (VFIO_DMA_MAP_FLAG_WRITE)
     */
    public record DmaRange(String container, long iova, long size, boolean readable, boolean writable) {
        /** Validates the container name. */
        public DmaRange {
            Objects.requireNonNull(container, "container");
        }

        /** One readable line: {@code container 1: IOVA [0x100000, +0x2000) READ|WRITE}. */
        @Override
        public String toString() {
            return String.format("%s: IOVA [0x%x, +0x%x) %s", container, iova, size,
                    readable && writable ? "READ|WRITE" : readable ? "READ" : writable ? "WRITE" : "none");
        }
    }

    /** Copies the lists: the snapshot stays as taken. */
    public KernelResources {
        openFiles = List.copyOf(openFiles);
        dmaMappings = List.copyOf(dmaMappings);
        armedInterrupts = List.copyOf(armedInterrupts);
        ioeventfds = List.copyOf(ioeventfds);
        memoryMappings = List.copyOf(memoryMappings);
        if (lockedPages < 0) {
            throw new IllegalArgumentException("lockedPages must be >= 0: " + lockedPages);
        }
    }

    /** Whether the process holds nothing: no descriptor, mapping, charged page, armed interrupt or ioeventfd. */
    public boolean isEmpty() {
        return openFiles.isEmpty() && dmaMappings.isEmpty() && lockedPages == 0 && armedInterrupts.isEmpty() && ioeventfds.isEmpty()
                && memoryMappings.isEmpty();
    }

    /**
     * A readable listing of what is held, one category a block (only the non-empty ones), for a
     * leak check's failure message; {@code "nothing held"} when {@link #isEmpty()}.
     */
    public String describe() {
        if (isEmpty()) {
            return "nothing held";
        }
        List<String> blocks = new ArrayList<>();
        block(blocks, "open files", openFiles);
        block(blocks, "DMA mappings", dmaMappings.stream().map(DmaRange::toString).toList());
        if (lockedPages != 0) {
            blocks.add("locked pages: " + lockedPages + " (" + lockedPages * SimulatedHost.PAGE_SIZE + " bytes charged to RLIMIT_MEMLOCK)");
        }
        block(blocks, "armed interrupts", armedInterrupts);
        block(blocks, "ioeventfds", ioeventfds);
        block(blocks, "memory mappings", memoryMappings);
        return String.join("\n", blocks);
    }

    private static void block(List<String> blocks, String title, List<String> lines) {
        if (!lines.isEmpty()) {
            blocks.add(title + " (" + lines.size() + "):\n  " + String.join("\n  ", lines));
        }
    }
}
