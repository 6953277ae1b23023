package org.vfio4j.sim;

import java.util.Optional;
import org.vfio4j.Errno;

/**
 * One line of the simulated kernel's trace: a system call it served (what it was applied to, the
 * decoded arguments, the result or errno with the rule that was broken), or an event (something
 * the device or the kernel did: an interrupt delivered or suppressed, a device DMA or DMA fault).
 * Immutable; {@link #toString()} is one readable line.
 *
 * <p>A call takes its place in the trace when it starts, so the events it causes come after it;
 * such an event names the call in {@link #cause()}.
 *
 * @param sequence    position in the trace, from 1; numbers keep counting when older entries are dropped
 * @param target      the file it was applied to ({@code "fd 4 (container 1)"}), or the function an
 *                    event happened on; empty for open, whose path is the argument
 * @param call        the system call or ioctl name ({@code "VFIO_IOMMU_MAP_DMA"}, {@code "open"}), or
 *                    what happened ({@code "MSI vector 0"}, {@code "INTx"}, {@code "DMA"})
 * @param arguments   the decoded arguments, or what became of an event; {@code ""} if none
 * @param result      the return value on success (a new fd for open and GET_DEVICE_FD); 0 for events
 * @param errno       the errno on failure
 * @param explanation why it failed, naming the kernel function the rule comes from
 * @param event       whether this is an event rather than a call
 * @param cause       for an event, the sequence of the call during which it happened; 0 when none
 *                    (the device acted on its own) and for calls
 */
public record TraceEntry(long sequence, String target, String call, String arguments, long result,
                         Optional<Errno> errno, Optional<String> explanation, boolean event, long cause) {

    /**
     * A system call's entry (not an event, no cause).
     *
     * @param sequence    position in the trace, from 1
     * @param target      the file it was applied to
     * @param call        the system call or ioctl name
     * @param arguments   the decoded arguments
     * @param result      the return value on success
     * @param errno       the errno on failure
     * @param explanation why it failed
     */
    public TraceEntry(long sequence, String target, String call, String arguments, long result,
                      Optional<Errno> errno, Optional<String> explanation) {
        this(sequence, target, call, arguments, result, errno, explanation, false, 0);
    }

    /** Whether the call failed. */
    public boolean failed() {
        return errno.isPresent();
    }

    @Override
    public String toString() {
        if (event) {
            return "#" + sequence + "   " + call + (target.isEmpty() ? "" : " of " + target)
                    + (arguments.isEmpty() ? "" : ": " + arguments) + (cause > 0 ? " [in #" + cause + "]" : "");
        }
        String head = "#" + sequence + " " + call + (arguments.isEmpty() ? "" : " " + arguments)
                + (target.isEmpty() || target.equals(arguments) ? "" : " on " + target);
        return errno.map(e -> head + " = -1 " + e.name() + explanation.map(x -> " (" + x + ")").orElse(""))
                .orElse(head + " = " + result);
    }
}
