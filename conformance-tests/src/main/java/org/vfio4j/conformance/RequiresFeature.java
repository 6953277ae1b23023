package org.vfio4j.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * Marks a property that needs one or more {@link TargetFeature}s; on targets without one of them the
 * property is skipped, with the reason of the first that is missing.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@AddLifecycleHook(FeatureHook.class)
public @interface RequiresFeature {
    /** {@return the features the property needs, all of them} */
    TargetFeature[] value();
}
