package org.vfio4j.conformance;

import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/** Skips {@link RequiresFeature} properties on targets that lack the feature. */
public final class FeatureHook implements SkipExecutionHook {
    /** Made by jqwik through {@link RequiresFeature}. */
    public FeatureHook() {}

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        var required = context.findAnnotation(RequiresFeature.class);
        var container = context.optionalContainerClass();
        if (required.isEmpty() || container.isEmpty() || !Contract.class.isAssignableFrom(container.get())) {
            return SkipResult.doNotSkip();
        }
        ConformanceTarget target = ((Contract) context.newInstance(container.get())).target();
        for (TargetFeature feature : required.get().value()) {
            if (!feature.presentIn(target)) {
                return SkipResult.skip(feature.whyMissing());
            }
        }
        return SkipResult.doNotSkip();
    }
}
