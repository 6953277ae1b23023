package org.vfio4j.conformance;

import org.vfio4j.Errno;
import org.vfio4j.VfioException;

/** Runs a call and reports its errno, so properties read as "this call gives that errno". */
public final class Calls {
    private Calls() {}

    /** A call that may throw {@link VfioException}. */
    @FunctionalInterface
    public interface Call {
        /** Makes the call. */
        void run() throws VfioException;
    }

    /** The errno the call failed with, or {@code null} when it succeeded. */
    public static Errno errno(Call call) {
        try {
            call.run();
            return null;
        } catch (VfioException e) {
            return e.errno();
        }
    }
}
