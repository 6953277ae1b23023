package org.vfio4j.conformance.cli.bench;

import java.util.Arrays;

/**
 * Interleaved measurement: the sides of a comparison run in alternating rounds (A B C A B C ...),
 * so that load from other processes on a shared machine moves all of them alike, and each side's
 * figure is the median of its rounds. A few unmeasured rounds first warm up the JIT.
 */
final class Rounds {
    /** One round of one side: runs its work and returns the nanoseconds per operation. */
    @FunctionalInterface
    interface Round {
        double nanosPerOp() throws Exception;
    }

    /** Unmeasured rounds of each side before the measured ones: enough for the JIT to compile the paths. */
    static final int WARMUP = 5;
    /** Measured rounds of each side. */
    static final int MEASURED = 30;

    private Rounds() {}

    /** Runs {@code warmup} then {@code rounds} interleaved rounds of each side; returns each side's round figures. */
    static double[][] interleave(int warmup, int rounds, Round... sides) throws Exception {
        double[][] figures = new double[sides.length][rounds];
        for (int r = 0; r < warmup + rounds; r++) {
            for (int s = 0; s < sides.length; s++) {
                double v = sides[s].nanosPerOp();
                if (r >= warmup) {
                    figures[s][r - warmup] = v;
                }
            }
        }
        return figures;
    }

    /** The median of {@code values} (not modified). */
    static double median(double[] values) {
        return quantile(values, 0.5);
    }

    /** The {@code q} quantile (nearest rank) of {@code values} (not modified). */
    static double quantile(double[] values, double q) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[Math.min(v.length - 1, (int) Math.floor(q * v.length))];
    }

    /** The {@code q} quantile (nearest rank) of {@code values} (not modified). */
    static long quantile(long[] values, double q) {
        long[] v = values.clone();
        Arrays.sort(v);
        return v[Math.min(v.length - 1, (int) Math.floor(q * v.length))];
    }

    /** Nanoseconds per operation of {@code ops} operations that took {@code nanos}. */
    static double per(long nanos, long ops) {
        return (double) nanos / ops;
    }
}
