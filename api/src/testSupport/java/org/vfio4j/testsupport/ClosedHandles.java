package org.vfio4j.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;

/**
 * Assertions for use after close, shared by the backends' tests: the call fails with a {@link
 * VfioException}, and for a closed handle that is EBADF naming the operation and the handle.
 */
public final class ClosedHandles {
    /** What {@link org.vfio4j.spi.Fd} says of a closed handle. */
    public static final String CLOSED = "the handle was closed; its number may already belong to another file";

    private ClosedHandles() {}

    /** A call that may throw. */
    @FunctionalInterface
    public interface Call {
        /** Makes the call. */
        void run() throws Exception;
    }

    /** The VfioException {@code call} throws; an AssertionError if it succeeds or throws something else. */
    public static VfioException failure(Call call) {
        try {
            call.run();
        } catch (VfioException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("not a VfioException", e);
        }
        throw new AssertionError("the call succeeded");
    }

    /** Asserts EBADF of {@code operation} on the closed {@code handle}, with the message that says so. */
    public static void assertClosed(VfioException e, String operation, Fd handle) {
        assertThat(e.errno()).as(e.getMessage()).isEqualTo(Errno.EBADF);
        assertThat(e.getMessage()).isEqualTo(operation + " on " + handle + " failed: EBADF (Bad file descriptor): " + CLOSED);
    }

    /** Asserts EBADF on the closed {@code handle}, whatever the operation the message names. */
    public static void assertClosed(VfioException e, Fd handle) {
        assertClosed(e, e.operation(), handle);
    }
}
