package org.vfio4j.sim.core;

import java.util.Optional;
import org.vfio4j.Errno;
import org.vfio4j.PciAddress;

/**
 * What the parts of the simulated kernel ask the armed fault plan, at the points where the real
 * kernel can fail too (copying an argument in, allocating, pinning a page). The plan itself lives
 * above the core, with the public {@code Fault} values.
 */
public interface FaultGate {
    /** A failure injected into the next call of this kind: its errno and how the trace names the fault. */
    record Injected(Errno errno, String fault) {
        @Override
        public String toString() {
            return fault;
        }
    }

    /** Counts a call of this kind and throws the injected failure if one is due. */
    void enter(Syscall call) throws KernelError;

    /** Counts a call of this kind; the injected failure if one is due. */
    Optional<Injected> failure(Syscall call);

    /** Whether any armed fault counts calls of this kind (so a caller may skip counting one by one). */
    boolean watches(Syscall call);

    /** Why the next DMA of {@code device} faults because a fault was armed for it, or null. */
    String dmaFault(PciAddress device);
}
