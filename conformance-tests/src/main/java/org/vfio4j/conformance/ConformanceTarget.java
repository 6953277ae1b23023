package org.vfio4j.conformance;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.vfio4j.KernelProfile;
import org.vfio4j.VfioBackend;
import org.vfio4j.VfioException;
import org.vfio4j.kernel.SystemBackend;
import org.vfio4j.spi.VfioKernel;

/**
 * What a conformance run may touch and what it can expect: a backend, the viable group and the
 * device it may use, and the facts of that machine the contracts depend on. Contracts never ask
 * the backend under test what to expect; they ask this description and their own naive models.
 * Every seam it boots is confined to what it names and allows (docs/safety.md).
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
 * @param allowed         the destructive operations the run may do (resets, device DMA, EEH injection)
 */
public record ConformanceTarget(String name, VfioBackend backend, KernelProfile profile, int group, String device,
                                OptionalInt nonViableGroup, OptionalInt dmaEntryLimit, OptionalInt memlockPages,
                                List<TargetDevice> moreDevices, Set<DestructiveOperation> allowed) {
    /** Checks that the required fields are present and keeps copies of {@code moreDevices} and {@code allowed}. */
    public ConformanceTarget {
        Objects.requireNonNull(name);
        Objects.requireNonNull(backend);
        Objects.requireNonNull(profile);
        Objects.requireNonNull(device);
        moreDevices = List.copyOf(moreDevices);
        allowed = Set.copyOf(allowed);
    }

    /** A simulated target with only its primary device and every destructive operation allowed: nothing real can be hurt. */
    public ConformanceTarget(String name, VfioBackend backend, KernelProfile profile, int group, String device,
                             OptionalInt nonViableGroup, OptionalInt dmaEntryLimit, OptionalInt memlockPages) {
        this(name, backend, profile, group, device, nonViableGroup, dmaEntryLimit, memlockPages, List.of(),
                EnumSet.allOf(DestructiveOperation.class));
    }

    /** This target with further devices. */
    public ConformanceTarget withDevices(List<TargetDevice> more) {
        return new ConformanceTarget(name, backend, profile, group, device, nonViableGroup, dmaEntryLimit, memlockPages, more, allowed);
    }

    /** This target allowing exactly {@code operations}. */
    public ConformanceTarget allowing(Set<DestructiveOperation> operations) {
        return new ConformanceTarget(name, backend, profile, group, device, nonViableGroup, dmaEntryLimit, memlockPages, moreDevices,
                operations);
    }

    /** Whether the run may do {@code operation}. */
    public boolean allows(DestructiveOperation operation) {
        return allowed.contains(operation);
    }

    /** Every device the device contracts run on: the primary one first. */
    public List<TargetDevice> devices() {
        List<TargetDevice> all = new ArrayList<>();
        all.add(new TargetDevice(group, device));
        all.addAll(moreDevices);
        return all;
    }

    /**
     * How the host sees the devices from outside VFIO, where the run can ask: the backend itself
     * when it offers a view, sysfs and {@code /proc/interrupts} for this machine's kernel, none for
     * a simulated host (each seam boots fresh hardware, so nothing outlives a session).
     */
    public Optional<HostView> hostView() {
        if (backend instanceof HostView v) {
            return Optional.of(v);
        }
        return backend instanceof SystemBackend ? Optional.of(SysfsHostView.system()) : Optional.empty();
    }

    /** A fresh seam, confined to the groups and devices this target names and to the operations it allows. */
    public VfioKernel boot() throws VfioException {
        return new ConfinedSeam(this, backend.boot(), RunGuard.watching());
    }
}
