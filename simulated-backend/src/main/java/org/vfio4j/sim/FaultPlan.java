package org.vfio4j.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.core.FaultGate;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.Syscall;
import org.vfio4j.sim.pci.PciFunction;

/**
 * The faults armed in one kernel ({@link SimulatedKernel#inject}, {@link SimulatedHost#faults()}):
 * each counts the calls (or DMAs) that time it and fires once. Events change the world when they
 * fire; a failure becomes the {@link KernelError} of the call it hits. Every fired fault is a trace
 * event. Guarded by the kernel lock.
 */
final class FaultPlan implements FaultGate {
    /** One armed fault and how many matching calls it has seen. */
    private static final class Armed {
        final Fault fault;
        long seen;

        Armed(Fault fault) {
            this.fault = fault;
        }
    }

    /** Why an EEH error cannot be armed on a host without EEH. */
    static final String NO_EEH = "this host has no EEH (only a POWER host whose PHB has EEH on, such as SimulatedHost.powernv(),"
            + " freezes PEs)";

    private final SimulatedKernel kernel;
    private final List<Armed> armed = new ArrayList<>();
    private final List<Fault> fired = new ArrayList<>();

    FaultPlan(SimulatedKernel kernel) {
        this.kernel = kernel;
    }

    /** Arms {@code fault}; an event due now fires at once. */
    void arm(Fault fault) {
        PciAddress device = switch (fault) {
            case Fault.DmaFault d -> d.device();
            case Fault.Event e -> e.device();
            case Fault.Failure f -> null;
        };
        if (device != null && kernel.vfioFunction(device).isEmpty()) {
            throw new IllegalArgumentException("cannot arm " + fault + ": no function bound to vfio-pci at " + device + " in this kernel");
        }
        if (fault instanceof Fault.EehError && !kernel.eeh().enabled()) {
            throw new IllegalArgumentException("cannot arm " + fault + ": " + NO_EEH);
        }
        Armed a = new Armed(fault);
        armed.add(a);
        if (fault instanceof Fault.Event e && e.trigger().call().isEmpty()) {
            fire(a);
        }
    }

    List<Fault> fired() {
        return List.copyOf(fired);
    }

    List<Fault> pending() {
        return armed.stream().map(a -> a.fault).toList();
    }

    /**
     * Just before a call of kind {@code call} acts: counts it for every fault it times, fires the
     * events that reach their call, then fails the call if a failure reaches it (the first armed;
     * another one reaching the same call fails the next matching call).
     */
    @Override
    public void enter(Syscall call) throws KernelError {
        Optional<Injected> f = failure(call);
        if (f.isPresent()) {
            throw KernelError.of(f.get().errno(), "injected fault: " + f.get() + " (the " + call.description()
                    + " failed before the kernel changed anything)");
        }
    }

    /** Like {@link #enter}, handing the failure that fired (if any) to a caller that explains it its own way. */
    @Override
    public Optional<Injected> failure(Syscall call) {
        if (armed.isEmpty()) {
            return Optional.empty();
        }
        Armed failing = null;
        for (Armed a : List.copyOf(armed)) {
            switch (a.fault) {
                case Fault.Failure f when f.call().syscall() == call -> {
                    if (++a.seen >= f.nth() && failing == null) {
                        failing = a;
                    }
                }
                case Fault.Event e when e.trigger().call().map(Call::syscall).equals(Optional.of(call)) -> {
                    if (++a.seen >= e.trigger().nth()) {
                        fire(a);
                    }
                }
                default -> { }
            }
        }
        if (failing == null) {
            return Optional.empty();
        }
        fire(failing);
        Fault.Failure f = (Fault.Failure) failing.fault;
        return Optional.of(new Injected(f.errno(), f.toString()));
    }

    /** Whether a failure or event is armed for {@code call}: a caller that counts in bulk (page pins) can skip the count. */
    @Override
    public boolean watches(Syscall call) {
        for (Armed a : armed) {
            if (a.fault instanceof Fault.Failure f && f.call().syscall() == call
                    || a.fault instanceof Fault.Event e && e.trigger().call().map(Call::syscall).equals(Optional.of(call))) {
                return true;
            }
        }
        return false;
    }

    /** Before a DMA of {@code device}'s model: the injected IOMMU fault's explanation if one fires now, else null. */
    @Override
    public String dmaFault(PciAddress device) {
        for (Armed a : armed) {
            if (a.fault instanceof Fault.DmaFault d && d.device().equals(device) && ++a.seen >= d.nth()) {
                fire(a);
                return "injected fault: " + d;
            }
        }
        return null;
    }

    private void fire(Armed a) {
        armed.remove(a);
        fired.add(a.fault);
        switch (a.fault) {
            case Fault.Failure f -> kernel.event("", "injected fault", f.toString());
            case Fault.DmaFault d -> kernel.event("device " + d.device(), "injected fault", d.toString());
            case Fault.Event e -> {
                PciFunction f = kernel.vfioFunction(e.device()).orElseThrow();
                String effect = switch (e) {
                    case Fault.UnplugRequest u -> f.irqs.hasRequestTrigger() ? "REQ is signalled" : "no REQ eventfd is set: nothing is signalled";
                    case Fault.AerError r -> f.irqs.hasErrorTrigger() ? "ERR is signalled" : "no ERR eventfd is set: nothing is signalled";
                    case Fault.SurpriseRemoval s -> "the device is gone: config and BAR reads answer all ones where they reach the hardware,"
                            + " writes are dropped, no interrupt or DMA comes from it; " + (f.irqs.hasRequestTrigger()
                            ? "REQ is signalled (vfio_unregister_group_dev asks for it back)" : "no REQ eventfd is set");
                    case Fault.EehError x -> kernel.host().power().orElseThrow().eeh() == PowerPlatform.Eeh.FREEZES
                            ? "the PHB freezes the PE: BAR reads answer all ones, writes are dropped, DMA and MSIs stop; nothing is"
                            + " signalled (a passed-through PE is left to its owner)"
                            : "QEMU's PHB4 never freezes a PE: nothing changes";
                };
                kernel.event(f, "injected fault", e + ": " + effect);
                switch (e) {
                    case Fault.UnplugRequest u -> f.irqs.request();
                    case Fault.AerError r -> f.irqs.error();
                    case Fault.SurpriseRemoval s -> {
                        f.hw.removed = true;
                        f.irqs.request();
                    }
                    case Fault.EehError x -> kernel.eeh().errorDetected(e.device(), "injected fault: EEH error");
                }
            }
        }
    }
}
