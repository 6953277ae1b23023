package org.vfio4j.conformance;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import org.vfio4j.KernelProfile;
import org.vfio4j.VfioBackend;
import org.vfio4j.VfioException;
import org.vfio4j.spi.VfioKernel;

/**
 * What a conformance run may touch and what it can expect: a backend, the viable group and the
 * device it may use, and the facts of that machine the contracts depend on. Contracts never ask
 * the backend under test what to expect; they ask this description and their own naive models.
 *
 * @param name            for reports
 * @param backend         boots a fresh seam for each try (a fresh simulated kernel, or libc)
 * @param profile         whose errno rules apply where kernels differ
 * @param group           a viable group bound to vfio-pci that the run may attach and use
 * @param device          a device of that group, by PCI name
 * @param nonViableGroup  a group with a device bound to another driver, if the machine has one
 * @param dmaEntryLimit   the type1 {@code dma_entry_limit}, if small enough to exhaust in a test
 * @param memlockPages    RLIMIT_MEMLOCK in pages when the process lacks CAP_IPC_LOCK and nothing
 *                        else is locked; empty when pinning is not charged or not known
 * @param moreDevices     further vfio-pci devices (each in its own viable group) the device
 *                        contracts also run on
 * @param resetsAllowed   whether contracts may reset devices (function and hot reset)
 * @param dmaAllowed      whether contracts may make devices DMA into the run's memory
 */
public record ConformanceTarget(String name, VfioBackend backend, KernelProfile profile, int group, String device,
                                OptionalInt nonViableGroup, OptionalInt dmaEntryLimit, OptionalInt memlockPages,
                                List<TargetDevice> moreDevices, boolean resetsAllowed, boolean dmaAllowed) {
    /** Checks that the required fields are present and keeps a copy of {@code moreDevices}. */
    public ConformanceTarget {
        Objects.requireNonNull(name);
        Objects.requireNonNull(backend);
        Objects.requireNonNull(profile);
        Objects.requireNonNull(device);
        moreDevices = List.copyOf(moreDevices);
    }

    /** A target with only its primary device, resets and device DMA allowed. */
    public ConformanceTarget(String name, VfioBackend backend, KernelProfile profile, int group, String device,
                             OptionalInt nonViableGroup, OptionalInt dmaEntryLimit, OptionalInt memlockPages) {
        this(name, backend, profile, group, device, nonViableGroup, dmaEntryLimit, memlockPages, List.of(), true, true);
    }

    /** This target with further devices and the given permissions. */
    public ConformanceTarget withDevices(List<TargetDevice> more, boolean resets, boolean dma) {
        return new ConformanceTarget(name, backend, profile, group, device, nonViableGroup, dmaEntryLimit, memlockPages, more, resets, dma);
    }

    /** Every device the device contracts run on: the primary one first. */
    public List<TargetDevice> devices() {
        List<TargetDevice> all = new java.util.ArrayList<>();
        all.add(new TargetDevice(group, device));
        all.addAll(moreDevices);
        return all;
    }

    /** A fresh seam. */
    public VfioKernel boot() throws VfioException {
        return backend.boot();
    }

}
