package org.vfio4j.sim.iommu;

import java.util.ArrayDeque;
import java.util.List;
import org.vfio4j.sim.device.IommuFault;

/**
 * The DMA accesses the simulated IOMMU refused, newest last, bounded like the trace: a device
 * model that faults for hours keeps the latest {@link #CAPACITY} and counts the older ones it
 * dropped, so a long-lived kernel's memory stays flat. Guarded by the kernel lock.
 */
public final class FaultLog {
    /** How many refused accesses are kept. */
    public static final int CAPACITY = 10_000;

    private final ArrayDeque<IommuFault> kept = new ArrayDeque<>();
    private long dropped;

    /** Records one refused access, dropping the oldest when full. */
    public void add(IommuFault fault) {
        if (kept.size() == CAPACITY) {
            kept.removeFirst();
            dropped++;
        }
        kept.addLast(fault);
    }

    /** The kept faults, oldest first. */
    public List<IommuFault> snapshot() {
        return List.copyOf(kept);
    }

    /** How many faults are kept. */
    public int size() {
        return kept.size();
    }

    /** How many older faults were dropped to stay within {@link #CAPACITY}. */
    public long dropped() {
        return dropped;
    }
}
