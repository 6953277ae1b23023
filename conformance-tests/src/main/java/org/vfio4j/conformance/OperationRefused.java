package org.vfio4j.conformance;

import java.util.Optional;

/**
 * A call a conformance target's seam would not pass to the kernel: a {@link DestructiveOperation}
 * the target does not allow, or a device, group or file the target does not name. Not a {@code
 * VfioException}: no kernel refused it, and a contract expecting an errno must not take it for one.
 * {@link RunGuard} reports a property that met a missing permission as skipped with this message
 * (as {@link RequiresFeature} would have), and one that reached for something unnamed as failed.
 */
public final class OperationRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient DestructiveOperation missing;

    /** A refusal of {@code what} (the call and what it was applied to): {@code missing} was not allowed (null: {@code why} says what was not named). */
    OperationRefused(String what, DestructiveOperation missing, String why) {
        super("refused " + what + ": " + (missing == null ? why : missing.whyRefused()));
        this.missing = missing;
    }

    /** {@return the permission the call needed, or empty when it reached for a device, group or file the target does not name} */
    public Optional<DestructiveOperation> missing() {
        return Optional.ofNullable(missing);
    }
}
