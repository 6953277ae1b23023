package org.vfio4j.conformance;

import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/** Skips kernel-target contracts, with the reason, where no VFIO device is configured or usable. */
public final class RequiresKernelVfio implements SkipExecutionHook {
    /** Made by jqwik from the contracts' lifecycle annotation. */
    public RequiresKernelVfio() {}

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        return KernelTargets.reasonMissing().map(SkipResult::skip).orElse(SkipResult.doNotSkip());
    }
}
