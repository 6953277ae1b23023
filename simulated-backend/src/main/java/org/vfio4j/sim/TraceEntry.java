package org.vfio4j.sim;

import java.util.Optional;
import org.vfio4j.Errno;

/**
 * One system call the simulated kernel served: what it was applied to, the decoded arguments, and
 * the result or errno with the rule that was broken. Immutable; {@link #toString()} is one
 * readable line.
 *
 * @param sequence    position in the trace, from 1
 * @param target      the file it was applied to ({@code "fd 4 (container 1)"}); empty for open, whose path is the argument
 * @param call        the system call or ioctl name ({@code "VFIO_IOMMU_MAP_DMA"}, {@code "open"})
 * @param arguments   the decoded arguments, {@code ""} if none
 * @param result      the return value on success (a new fd for open and GET_DEVICE_FD)
 * @param errno       the errno on failure
 * @param explanation why it failed, naming the kernel function the rule comes from
 */
public record TraceEntry(long sequence, String target, String call, String arguments, long result,
                         Optional<Errno> errno, Optional<String> explanation) {

    /** Whether the call failed. */
    public boolean failed() {
        return errno.isPresent();
    }

    @Override
    public String toString() {
        String head = "#" + sequence + " " + call + (arguments.isEmpty() ? "" : " " + arguments)
                + (target.isEmpty() || target.equals(arguments) ? "" : " on " + target);
        return errno.map(e -> head + " = -1 " + e.name() + explanation.map(x -> " (" + x + ")").orElse(""))
                .orElse(head + " = " + result);
    }
}
