package org.vfio4j.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/** Marks a property that needs a {@link TargetFeature}; on targets without it the property is skipped, with the reason. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@AddLifecycleHook(FeatureHook.class)
public @interface RequiresFeature {
    /** {@return the feature the property needs} */
    TargetFeature value();
}
