package org.vfio4j.sim.device;

/**
 * A part of a BAR: either plain {@link Memory}, or {@link Trapped} registers whose pread/pwrite
 * and ioeventfd accesses call a handler. A BAR's ranges tile it without gaps or overlap. The BAR's
 * bytes ({@link DeviceContext#barMemory}) back both kinds.
 *
 * <p>mmap follows vfio-pci: a memory BAR of a page or more is mappable whatever its ranges, and a
 * mapping reaches the BAR's bytes directly. A Java mapping cannot be trapped, so accesses through
 * it would bypass register handlers. So a mapping that covers registers is handed out read-only:
 * reads see what the model stores in {@link DeviceContext#barMemory} (a model that wants mapped
 * readers to see its registers keeps their values there), and a write through it throws instead of
 * silently missing the device. vfio4j's {@code Region} accessor uses pread/pwrite for such ranges.
 */
public sealed interface BarRange permits BarRange.Memory, BarRange.Trapped {
    /** {@return where the range starts, from the start of the BAR} */
    long offset();

    /** {@return its length in bytes} */
    long size();

    /** {@return the first offset past the range} */
    default long end() {
        return offset() + size();
    }

    /** Device memory: reads and writes hit the bytes; mmappable. */
    record Memory(long offset, long size) implements BarRange {}

    /** Registers: every pread/pwrite access goes to {@code handler}. */
    record Trapped(long offset, long size, MmioHandler handler) implements BarRange {}
}
