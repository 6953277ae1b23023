package org.vfio4j;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * A VFIO system call failed: the one checked exception of vfio4j, thrown by both backends.
 *
 * <p>It carries the errno the call returned (the raw number is kept even when {@link Errno} has no
 * name for it), the operation ({@code "VFIO_IOMMU_MAP_DMA"}, {@code "open"}, {@code "pread"}), the
 * target it was applied to ({@code "/dev/vfio/7"}, {@code "container fd 5"}, {@code
 * "0000:01:00.0"}) and, where the backend knows it, an explanation: the rule that was broken. The
 * simulated backend explains every errno it returns; the kernel backend explains only what it
 * checks itself. Tests should assert on {@link #errno()}, never on message text.
 *
 * <p>{@link Errno#EPROTO} is vfio4j's own: a reply of the backend that breaks the VFIO ABI (a
 * capability chain that loops, a count its bytes do not hold, an argsz above 1 MiB, a negative
 * descriptor), found before decoding it; the explanation names the field, the value and the rule.
 *
 * <p>The message reads {@code "<operation> on <target> failed: <ERRNO> (<strerror>): <explanation>"}.
 */
public class VfioException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The errno value as the backend reported it. */
    private final int errnoNumber;
    /** The system call or ioctl name. */
    private final String operation;
    /** What the call was applied to, or {@code null}. */
    private final String target;
    /** The rule that was broken, or {@code null}. */
    private final String explanation;

    /**
     * A failure of {@code operation} with a raw errno value.
     *
     * @param errnoNumber the Linux errno value (positive)
     * @param operation   the system call or ioctl name
     * @param target      what it was applied to, or {@code null}
     * @param explanation the rule that was broken, or {@code null} when unknown
     */
    public VfioException(int errnoNumber, String operation, String target, String explanation) {
        super(format(errnoNumber, operation, target, explanation));
        this.errnoNumber = errnoNumber;
        this.operation = Objects.requireNonNull(operation, "operation");
        this.target = target;
        this.explanation = explanation;
    }

    /** Same as {@link #VfioException(int, String, String, String)} with a known errno constant. */
    public VfioException(Errno errno, String operation, String target, String explanation) {
        this(errno.number(), operation, target, explanation);
    }

    /** The errno as a constant ({@link Errno#UNKNOWN} when the number has no name). */
    public Errno errno() {
        return Errno.of(errnoNumber);
    }

    /** The raw errno value as the backend reported it. */
    public int errnoNumber() {
        return errnoNumber;
    }

    /** The system call or ioctl that failed, e.g. {@code "VFIO_GROUP_SET_CONTAINER"}. */
    public String operation() {
        return operation;
    }

    /** What the call was applied to, e.g. {@code "/dev/vfio/7"}. */
    public Optional<String> target() {
        return Optional.ofNullable(target);
    }

    /** The rule that was broken, in one sentence, when the backend can say it. */
    public Optional<String> explanation() {
        return Optional.ofNullable(explanation);
    }

    private static String format(int errnoNumber, String operation, String target, String explanation) {
        Errno errno = Errno.of(errnoNumber);
        StringBuilder sb = new StringBuilder(operation);
        if (target != null) {
            sb.append(" on ").append(target);
        }
        sb.append(" failed: ");
        if (errno == Errno.UNKNOWN) {
            sb.append("errno ").append(errnoNumber).append(" (Unknown error)");
        } else {
            sb.append(errno.name()).append(" (").append(errno.description()).append(')');
        }
        if (explanation != null) {
            sb.append(": ").append(explanation);
        }
        return sb.toString();
    }
}
