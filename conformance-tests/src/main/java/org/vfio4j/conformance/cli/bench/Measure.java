package org.vfio4j.conformance.cli.bench;

import java.nio.file.Path;
import java.util.List;

/** One benchmark of {@code vfio4j bench}: measures vfio4j beside its baseline and gives table rows. */
interface Measure {
    /** A short name, for {@code --only}. */
    String name();

    /** Runs the benchmark; its rows, each with a ratio to a baseline of the same run. */
    List<Row> run(Context context) throws Exception;

    /**
     * What every benchmark may use.
     *
     * @param c     the C baselines, or null when they could not be built ({@link #whyNoC} says why)
     * @param whyNoC why there are no C baselines; empty when there are
     * @param work  a folder for files the benchmarks need
     * @param rounds how many rounds to run and how long to warm up
     */
    record Context(NativeBaselines c, String whyNoC, Path work, Rounds rounds) {}
}
