package org.vfio4j.conformance;

import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.PropagationMode;

/**
 * What every contract is run against: one target, described by the runner. Every property of every
 * class implementing a contract runs inside {@link RunGuard}, which holds the run to what the target
 * names and allows and checks that it leaves the named devices as it found them (docs/safety.md).
 */
@AddLifecycleHook(value = RunGuard.class, propagateTo = PropagationMode.ALL_DESCENDANTS)
public interface Contract {
    /** {@return the target this contract runs against} */
    ConformanceTarget target();
}
