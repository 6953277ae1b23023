package org.vfio4j.conformance.cli.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * How a benchmark's sides are measured: in alternating rounds (A B C A B C ...), so that load from
 * other processes on a shared machine moves all of them alike, each side's figure the median of its
 * rounds, after unmeasured rounds that let the JIT settle.
 *
 * @param warmup         the fewest unmeasured rounds of each side
 * @param measured       the measured rounds of each side
 * @param quietNanos     how long the JIT must have compiled nothing before measuring starts
 * @param maxWarmupNanos the longest the warm-up waits for that
 */
record Rounds(int warmup, int measured, long quietNanos, long maxWarmupNanos) {
    /** One round of one side: runs its work and returns the nanoseconds per operation. */
    @FunctionalInterface
    interface Round {
        double nanosPerOp() throws Exception;
    }

    /**
     * What {@code vfio4j bench} runs: at least 5 unmeasured rounds of each side, until the JIT has
     * compiled nothing for a second (at most 15 s), then 30 measured rounds.
     */
    static final Rounds FULL = new Rounds(5, 30, 1_000_000_000L, 15_000_000_000L);

    /**
     * Runs at least {@link #warmup} unmeasured rounds of each side, and more until the JIT has
     * compiled nothing for {@link #quietNanos} (at most {@link #maxWarmupNanos} in all: on two cores
     * a compiler thread still at work takes one of them, which would halve a two-thread figure and
     * slow the side that happens to run beside it), then {@link #measured} interleaved rounds;
     * returns each side's round figures.
     */
    double[][] interleave(Round... sides) throws Exception {
        return interleave(measured, sides);
    }

    /** {@link #interleave(Round...)} with {@code rounds} measured rounds. */
    double[][] interleave(int rounds, Round... sides) throws Exception {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean watchJit = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        long compiled = watchJit ? jit.getTotalCompilationTime() : 0;
        long quietSince = start;
        for (int r = 0; ; r++) {
            for (Round side : sides) {
                side.nanosPerOp();
            }
            long t = System.nanoTime();
            long now = watchJit ? jit.getTotalCompilationTime() : compiled;
            if (now != compiled) {
                compiled = now;
                quietSince = t;
            }
            if (r + 1 >= warmup && (t - quietSince >= quietNanos || t - start >= maxWarmupNanos)) {
                break;
            }
        }
        double[][] figures = new double[sides.length][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int s = 0; s < sides.length; s++) {
                figures[s][r] = sides[s].nanosPerOp();
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
