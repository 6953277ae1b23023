package org.vfio4j.conformance.cli.bench;

/**
 * One line of the benchmark table: a vfio4j figure, the baseline measured beside it in the same
 * run, their ratio (in the direction the goal states), and the goal.
 *
 * @param measure  what is measured
 * @param vfio4j   vfio4j's figure, with its unit
 * @param baseline the baseline's figure, with its unit and what it is
 * @param ratio    the ratio the goal is about; NaN when the baseline could not be measured
 * @param goal     what the ratio must reach
 * @param note     how the ratio is formed, and anything a reader needs (may be empty)
 */
record Row(String measure, String vfio4j, String baseline, double ratio, Goal goal, String note) {
    /** "met", "missed", or "not measured" when the ratio is NaN. */
    String verdict() {
        return Double.isNaN(ratio) ? "not measured" : goal.met(ratio) ? "met" : "missed";
    }

    /** A row whose baseline could not run here, saying why. */
    static Row unmeasured(String measure, String vfio4j, Goal goal, String why) {
        return new Row(measure, vfio4j, "-", Double.NaN, goal, why);
    }
}
