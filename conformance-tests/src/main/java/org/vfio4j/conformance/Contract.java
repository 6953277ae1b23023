package org.vfio4j.conformance;

/** What every contract is run against: one target, described by the runner. */
public interface Contract {
    /** {@return the target this contract runs against} */
    ConformanceTarget target();
}
