package org.vfio4j.sim;

import java.util.Objects;
import java.util.Optional;
import org.vfio4j.Errno;
import org.vfio4j.PciAddress;

/**
 * A way the simulated host misbehaves as real hosts do, armed with {@link
 * SimulatedKernel#inject(Fault...)} at run time or {@link SimulatedHost.Builder#faults(java.util.List)}
 * at every boot (a property can build the host from a generated plan). Values with a readable
 * {@link Object#toString()}, so that a shrunk counterexample reads as what happened: {@code [fail
 * PIN_PAGE #3 with ENOMEM]}.
 *
 * <p>Two shapes. A {@link Failure} makes the Nth matching {@link Call} fail with an errno, at a
 * point where the real kernel can fail and with its unwinding: nothing half done. An {@link Event}
 * (unplug request, surprise removal, AER error, EEH error) happens {@linkplain Trigger#NOW now} or just
 * before the Nth matching call, which then runs in the changed world. A {@link DmaFault} times
 * itself by the device's own DMAs. Each fault fires once; {@link SimulatedKernel#firedFaults()}
 * lists those that did. A fired fault is a trace entry {@code injected fault: ...} (tied to the
 * call it happened in), and an error it causes says {@code injected fault: ...} in its
 * explanation, so it is never mistaken for a rule of the kernel.
 *
 * <p>Two faults are a host's shape rather than events: a narrower IOMMU ({@link
 * SimulatedHost.Builder#iommuAddressWidth(int)}: MAP_DMA above the aperture is EINVAL from {@code
 * vfio_iommu_iova_dma_valid}, as on a 39-bit VT-d) and an exhausted {@code dma_entry_limit}
 * ({@link SimulatedHost.Builder#dmaEntryLimit(int)}: the MAP_DMA past it is ENOSPC, as when a
 * driver maps buffer by buffer on a host with the module parameter lowered). One ENOSPC at one
 * point is also {@code Fault.failing(Call.MAP_DMA, n, Errno.ENOSPC)}.
 */
public sealed interface Fault permits Fault.Failure, Fault.DmaFault, Fault.Event {

    /**
     * The Nth call of {@code call} fails with {@code errno}, counted from when the fault is armed.
     * Models a kernel that runs out of memory, loses a race or meets hardware that does not answer:
     * ENOMEM from a MAP_DMA or a page pin ({@code vfio_pin_pages_remote} when the memory cannot be
     * faulted in), EBUSY from a group open (another process holds it), ENODEV from GET_DEVICE_FD
     * (the device is being unbound), EIO from a region access (the device did not answer), EFAULT
     * from any call copying its argument. The driver sees that call fail with the errno; the
     * kernel is left as if the call had not been made (for {@link Call#PIN_PAGE}: no mapping and
     * no page charged, as {@code vfio_dma_do_map} unwinds).
     *
     * @param call  the kind of call
     * @param nth   which one, from 1
     * @param errno the error it returns
     * @return the fault
     */
    static Failure failing(Call call, int nth, Errno errno) {
        return new Failure(call, nth, errno);
    }

    /**
     * The Nth VFIO_DEVICE_RESET fails with ENOTTY: the function was reset but did not answer config
     * reads within the PCI core's wait ({@code pci_dev_wait} gives up with -ENOTTY, and {@code
     * __pci_reset_function_locked} passes it on through {@code pci_try_reset_function}). The
     * device's state is kept (config space is restored around the reset by {@code
     * pci_dev_restore}). EAGAIN, the other errno a reset returns (the device lock is held
     * elsewhere), is {@code failing(Call.RESET, nth, Errno.EAGAIN)}.
     *
     * @param nth which reset, from 1
     * @return the fault
     */
    static Failure failedReset(int nth) {
        return new Failure(Call.RESET, nth, Errno.ENOTTY);
    }

    /**
     * The Nth VFIO_DEVICE_PCI_HOT_RESET fails with ENOTTY: the bridge did not come back from the
     * secondary bus reset in time ({@code pci_dev_wait} after {@code pci_reset_bus}); no function's
     * state changes.
     *
     * @param nth which hot reset, from 1
     * @return the fault
     */
    static Failure failedHotReset(int nth) {
        return new Failure(Call.HOT_RESET, nth, Errno.ENOTTY);
    }

    /**
     * The next DMA of the device at {@code device} is refused by the IOMMU even if mapped, as when
     * a mapping was torn down under the device or the IOMMU reports a fault: the model gets a
     * {@code DmaFaultException}, {@link SimulatedKernel#iommuFaults()} lists it, and the driver sees
     * what the device makes of it (an error status, no completion).
     *
     * @param device the function
     * @return the fault
     */
    static DmaFault dmaFault(PciAddress device) {
        return new DmaFault(device, 1);
    }

    /**
     * Like {@link #dmaFault(PciAddress)}, for the device's Nth DMA (each {@code dmaRead} or {@code
     * dmaWrite} of its model counts one) from when the fault is armed.
     *
     * @param device the function
     * @param nth    which DMA, from 1
     * @return the fault
     */
    static DmaFault dmaFault(PciAddress device, int nth) {
        return new DmaFault(device, nth);
    }

    /**
     * The host asks for the device back, as an unbind or a hot-unplug button press does: vfio-pci
     * signals the REQ eventfd ({@code vfio_pci_core_request}); without one nothing is signalled and
     * the kernel would wait for the device to be closed. The driver sees its REQ eventfd fire and
     * should close the device. Happens {@linkplain Trigger#NOW now}; {@link Event#before(Call, int)}
     * moves it.
     *
     * @param device the function
     * @return the fault
     */
    static UnplugRequest unplugRequest(PciAddress device) {
        return new UnplugRequest(device, Trigger.NOW);
    }

    /**
     * The device is pulled out (surprise hot removal, a link that went down for good). On Linux
     * 6.1 vfio-pci's remove then waits for the user, signalling REQ ({@code
     * vfio_unregister_group_dev}, {@code vfio_pci_core_request}), while the open device fd keeps
     * working against absent hardware. The driver sees, until it closes the device:
     * <ul>
     * <li>config reads answer all ones where vfio-pci reads the hardware, while the bytes it
     * virtualizes (IDs, BARs, the command register's decode bits, capability headers) keep their
     * values ({@code vfio_pci_config.c}); config writes reach nothing;</li>
     * <li>BAR reads (pread and through mappings) answer all ones and writes are dropped, as x86
     * completes a read that nothing claims ({@code vfio_pci_core_do_io_rw} has no check); memory
     * decode still looks on, so no EIO;</li>
     * <li>VFIO_DEVICE_RESET fails with ENOTTY: the function never answers after the FLR ({@code
     * pci_dev_wait}); a hot reset still succeeds, as only the bridge is waited for;</li>
     * <li>another VFIO_GROUP_GET_DEVICE_FD still works while a device fd is open (its reference
     * keeps the device on the group's list: {@code vfio_device_try_get}); once the last one is
     * closed the unregistering finishes and GET_DEVICE_FD fails with ENODEV ({@code
     * vfio_device_get_from_name} finds no such name); the group itself can still be opened (a
     * choice: Linux removes the group node only once every device of it is released);</li>
     * <li>the device raises no interrupt and makes no DMA.</li>
     * </ul>
     * Where Linux reads the absent hardware for itself (IRQ counts in GET_IRQ_INFO), the simulator
     * answers from the registers as they were. Happens {@linkplain Trigger#NOW now}; {@link
     * Event#before(Call, int)} moves it.
     *
     * @param device the function
     * @return the fault
     */
    static SurpriseRemoval surpriseRemoval(PciAddress device) {
        return new SurpriseRemoval(device, Trigger.NOW);
    }

    /**
     * AER reports an error on the device: vfio-pci signals the ERR eventfd ({@code
     * vfio_pci_aer_err_detected}; only PCI Express functions have one), and nothing is signalled
     * without one. The driver sees its ERR eventfd fire; the device keeps working. Happens
     * {@linkplain Trigger#NOW now}; {@link Event#before(Call, int)} moves it.
     *
     * @param device the function
     * @return the fault
     */
    static AerError aerError(PciAddress device) {
        return new AerError(device, Trigger.NOW);
    }

    /**
     * The PHB above the device detects an error of it (a poisoned or malformed transaction, a
     * completion timeout, a DMA its TCE table refuses) and, as POWER's EEH hardware does, freezes
     * the device's PE: every function of its IOMMU group. Only on a POWER host with EEH ({@link
     * SimulatedHost#powernv()}); arming it anywhere else is refused with {@link
     * IllegalArgumentException} (or {@link IllegalStateException} from {@link
     * SimulatedHost.Builder#build()}). The driver sees, until it recovers the PE:
     * <ul>
     * <li>BAR reads (pread and loads through mappings) answer all ones and writes are dropped: the
     * PHB completes a frozen PE's MMIO loads with all ones and drops its stores;</li>
     * <li>config space still answers: PHB3 and PHB4 let config cycles through to a frozen PE
     * ({@code pnv_eeh_init}, {@code pnv_pci_read_config});</li>
     * <li>the device's DMA and MSIs stop (an MSI is a DMA write);</li>
     * <li>no eventfd fires: Linux leaves a PE a user has open to its owner ({@code
     * eeh_dev_check_failure} skips a passed-through PE), so the driver learns of it from the
     * all-ones reads and VFIO_EEH_PE_OP GET_STATE, which answers STOPPED (2).</li>
     * </ul>
     * The recovery is the VFIO_EEH_PE_OP sequence (UNFREEZE_IO to collect state, RESET_HOT,
     * RESET_DEACTIVATE, CONFIGURE) or ENABLE, or closing and reopening the device ({@code
     * eeh_dev_open} thaws a frozen PE). On QEMU's PHB4 ({@link PowerPlatform.Eeh#QEMU_NEVER_FREEZES})
     * nothing changes but a trace entry: that PHB never freezes. Happens {@linkplain Trigger#NOW
     * now}; {@link Event#before(Call, int)} moves it.
     *
     * @param device the function
     * @return the fault
     */
    static EehError eehError(PciAddress device) {
        return new EehError(device, Trigger.NOW);
    }

    /**
     * When an {@link Event} happens: at once ({@link #NOW}: at {@code inject}, or at boot for a
     * host's faults), or just before the Nth matching call.
     *
     * @param call the call that times it; empty for now
     * @param nth  which call, from 1; 0 for now
     */
    record Trigger(Optional<Call> call, int nth) {
        /** At once. */
        public static final Trigger NOW = new Trigger(Optional.empty(), 0);

        /** Validates: a call with nth >= 1, or neither. */
        public Trigger {
            Objects.requireNonNull(call, "call");
            if (call.isPresent() != nth >= 1 || nth < 0) {
                throw new IllegalArgumentException("a trigger is NOW (no call, nth 0) or a call with nth >= 1: " + call + " #" + nth);
            }
        }

        /**
         * Just before the Nth {@code call}, counted from when the fault is armed.
         *
         * @param call the call
         * @param nth  which one, from 1
         * @return the trigger
         */
        public static Trigger before(Call call, int nth) {
            return new Trigger(Optional.of(Objects.requireNonNull(call, "call")), nth);
        }

        /** {@code now} or {@code before MAP_DMA #2}. */
        @Override
        public String toString() {
            return call.map(c -> "before " + c + " #" + nth).orElse("now");
        }
    }

    /**
     * The Nth {@code call} fails with {@code errno}; see {@link Fault#failing(Call, int, Errno)}.
     *
     * @param call  the kind of call
     * @param nth   which one, from 1
     * @param errno the error
     */
    record Failure(Call call, int nth, Errno errno) implements Fault {
        /** Validates the arguments. */
        public Failure {
            Objects.requireNonNull(call, "call");
            Objects.requireNonNull(errno, "errno");
            requirePositive(nth);
        }

        /** {@code fail MAP_DMA #3 with ENOMEM}. */
        @Override
        public String toString() {
            return "fail " + call + " #" + nth + " with " + errno.name();
        }
    }

    /**
     * The device's Nth DMA is an IOMMU fault; see {@link Fault#dmaFault(PciAddress, int)}.
     *
     * @param device the function
     * @param nth    which DMA, from 1
     */
    record DmaFault(PciAddress device, int nth) implements Fault {
        /** Validates the arguments. */
        public DmaFault {
            Objects.requireNonNull(device, "device");
            requirePositive(nth);
        }

        /** {@code IOMMU fault on DMA #1 of 0000:03:00.0}. */
        @Override
        public String toString() {
            return "IOMMU fault on DMA #" + nth + " of " + device;
        }
    }

    /** Something that happens to a device at a {@link Trigger}: an unplug request, a surprise removal, an AER or EEH error. */
    sealed interface Event extends Fault permits UnplugRequest, SurpriseRemoval, AerError, EehError {
        /**
         * The function it happens to.
         *
         * @return its address
         */
        PciAddress device();

        /**
         * When it happens.
         *
         * @return the trigger
         */
        Trigger trigger();

        /**
         * The same event, just before the Nth {@code call} instead.
         *
         * @param call the call that times it
         * @param nth  which one, from 1
         * @return the moved event
         */
        Event before(Call call, int nth);
    }

    /**
     * The host asks for the device back; see {@link Fault#unplugRequest(PciAddress)}.
     *
     * @param device  the function
     * @param trigger when
     */
    record UnplugRequest(PciAddress device, Trigger trigger) implements Event {
        /** Validates the arguments. */
        public UnplugRequest {
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(trigger, "trigger");
        }

        @Override
        public UnplugRequest before(Call call, int nth) {
            return new UnplugRequest(device, Trigger.before(call, nth));
        }

        /** {@code unplug request (REQ) for 0000:03:00.0 before MAP_DMA #2}. */
        @Override
        public String toString() {
            return "unplug request (REQ) for " + device + " " + trigger;
        }
    }

    /**
     * The device is gone; see {@link Fault#surpriseRemoval(PciAddress)}.
     *
     * @param device  the function
     * @param trigger when
     */
    record SurpriseRemoval(PciAddress device, Trigger trigger) implements Event {
        /** Validates the arguments. */
        public SurpriseRemoval {
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(trigger, "trigger");
        }

        @Override
        public SurpriseRemoval before(Call call, int nth) {
            return new SurpriseRemoval(device, Trigger.before(call, nth));
        }

        /** {@code surprise removal of 0000:03:00.0 now}. */
        @Override
        public String toString() {
            return "surprise removal of " + device + " " + trigger;
        }
    }

    /**
     * AER reports an error; see {@link Fault#aerError(PciAddress)}.
     *
     * @param device  the function
     * @param trigger when
     */
    record AerError(PciAddress device, Trigger trigger) implements Event {
        /** Validates the arguments. */
        public AerError {
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(trigger, "trigger");
        }

        @Override
        public AerError before(Call call, int nth) {
            return new AerError(device, Trigger.before(call, nth));
        }

        /** {@code AER error on 0000:03:00.0 before REGION_READ #1}. */
        @Override
        public String toString() {
            return "AER error on " + device + " " + trigger;
        }
    }

    /**
     * The PHB detects an error of the device and freezes its PE; see {@link Fault#eehError(PciAddress)}.
     *
     * @param device  the function
     * @param trigger when
     */
    record EehError(PciAddress device, Trigger trigger) implements Event {
        /** Validates the arguments. */
        public EehError {
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(trigger, "trigger");
        }

        @Override
        public EehError before(Call call, int nth) {
            return new EehError(device, Trigger.before(call, nth));
        }

        /** {@code EEH error on 0000:01:00.0 now}. */
        @Override
        public String toString() {
            return "EEH error on " + device + " " + trigger;
        }
    }

    private static void requirePositive(int nth) {
        if (nth < 1) {
            throw new IllegalArgumentException("faults count calls from 1: " + nth);
        }
    }
}
