package org.vfio4j.sim;

import org.vfio4j.Errno;
import org.vfio4j.VfioException;

/** The errno a call fails with, for tests that read as "this call gives that errno". */
final class Errnos {
    private Errnos() {}

    @FunctionalInterface
    interface Call {
        void run() throws VfioException;
    }

    /** The errno, or null when the call succeeded. */
    static Errno of(Call c) {
        try {
            c.run();
            return null;
        } catch (VfioException e) {
            return e.errno();
        }
    }
}
