package io.reside.model.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The permission of this contract a caller must hold to call the method. The replica runtime enforces it through
 * Quarkus Security before the implementation runs: no identity → 401, permission not currently granted → 403.
 * <p>
 * For a permission with instance keys, {@link #instance()} says where the instance comes from: paths into the
 * method's parameters, one per instance key, e.g. {@code "request.realm"} (the {@code realm} of the parameter named
 * {@code request}) or {@code "name"} (a parameter). The build checks the permission exists and the paths resolve.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Requires {
    /** A permission name declared by this contract. */
    String value();

    String[] instance() default {};
}
