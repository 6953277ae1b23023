package org.vfio4j.conformance;

import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;

import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.fixtures.assertj.VfioCallAssert;

/**
 * What the contracts add to {@link org.vfio4j.fixtures.assertj.VfioAssertions#assertThatVfioCall}:
 * an expectation that is an errno on some targets and success on others, and calls whose outcome a
 * contract branches on before asserting it. Either way a failed assertion shows what the call did
 * instead, with the backend's message: the operation, the errno and the rule it says was broken.
 */
public final class Calls {
    private Calls() {}

    /**
     * A call that returns a value and may be refused.
     *
     * @param <T> what it returns
     */
    @FunctionalInterface
    public interface Call<T> {
        /**
         * Makes the call.
         *
         * @return what it returned
         * @throws VfioException when the backend refused it
         */
        T call() throws VfioException;
    }

    /** A call that returns nothing and may be refused. */
    @FunctionalInterface
    public interface Action {
        /**
         * Makes the call.
         *
         * @throws VfioException when the backend refused it
         */
        void run() throws VfioException;
    }

    /**
     * What a call did, kept so that a contract can decide what to check next and then assert on it.
     *
     * @param <T>     what the call returns
     * @param value   what it returned, or null when it was refused
     * @param refusal the exception it threw, or null when it succeeded
     */
    public record Attempt<T>(T value, VfioException refusal) {
        /** {@return whether the call succeeded} */
        public boolean succeeded() {
            return refusal == null;
        }

        /** {@return the errno the call was refused with, or null when it succeeded} */
        public Errno errno() {
            return refusal == null ? null : refusal.errno();
        }

        /**
         * The call once more as far as an assertion can tell: returns the value or throws the refusal.
         *
         * @return the value the call returned
         * @throws VfioException the refusal, when the call was refused
         */
        public T replay() throws VfioException {
            if (refusal != null) {
                throw refusal;
            }
            return value;
        }

        /** {@code "returned <value>"} or the refusal's message, which names the call, the errno and the rule. */
        @Override
        public String toString() {
            return refusal == null ? "returned " + value : refusal.getMessage();
        }
    }

    /**
     * Makes {@code call} and keeps what it did; exceptions other than {@link VfioException} pass.
     *
     * @param <T>  what the call returns
     * @param call the call
     * @return its value or its refusal
     */
    public static <T> Attempt<T> attempt(Call<T> call) {
        try {
            return new Attempt<>(call.call(), null);
        } catch (VfioException e) {
            return new Attempt<>(null, e);
        }
    }

    /**
     * Makes {@code call} and keeps what it did; exceptions other than {@link VfioException} pass.
     *
     * @param call the call
     * @return its refusal, if any
     */
    public static Attempt<Void> attempt(Action call) {
        try {
            call.run();
            return new Attempt<>(null, null);
        } catch (VfioException e) {
            return new Attempt<>(null, e);
        }
    }

    /**
     * Assertions on a call made before.
     *
     * @param <T>     what the call returned
     * @param attempt what the call did
     * @return assertions on it, as {@code assertThatVfioCall} makes them
     */
    public static <T> VfioCallAssert<T> assertThat(Attempt<T> attempt) {
        return assertThatVfioCall(attempt::replay);
    }

    /**
     * Checks that the call failed with {@code errno}, or that it succeeded when {@code errno} is
     * null: for expectations that differ by target, state or the values drawn.
     *
     * @param call  assertions on the call, e.g. {@code assertThatVfioCall(() -> d.reset()).as("no reset method")}
     * @param errno the errno it must fail with, or null when it must succeed
     */
    public static void failsWithOrSucceeds(VfioCallAssert<?> call, Errno errno) {
        if (errno == null) {
            call.succeeds();
        } else {
            call.failsWith(errno);
        }
    }
}
