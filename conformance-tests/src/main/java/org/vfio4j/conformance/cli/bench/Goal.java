package org.vfio4j.conformance.cli.bench;

import java.util.Locale;

/**
 * What a benchmark's ratio must reach: at most or at least a bound. Every goal of {@code vfio4j
 * bench} is a ratio to a baseline measured in the same run, never an absolute time, because
 * absolute times on a shared machine move by 2x from run to run.
 */
sealed interface Goal {
    /** Whether {@code ratio} meets the goal. */
    boolean met(double ratio);

    /** The ratio must not exceed {@code bound}. */
    record AtMost(double bound) implements Goal {
        @Override
        public boolean met(double ratio) {
            return ratio <= bound;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "<= %.2fx", bound);
        }
    }

    /** The ratio must reach {@code bound}. */
    record AtLeast(double bound) implements Goal {
        @Override
        public boolean met(double ratio) {
            return ratio >= bound;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, ">= %.2fx", bound);
        }
    }
}
