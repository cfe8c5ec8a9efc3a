package io.reside.runtime.security;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import jakarta.enterprise.util.Nonbinding;
import jakarta.interceptor.InterceptorBinding;

/**
 * Added at build time by {@link ContractEnforcementExtension} to every method implementing a contract method; not for
 * use in code. Carries what {@link io.reside.model.annotation.Requires} declares on the contract interface.
 */
@InterceptorBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.METHOD, ElementType.TYPE })
public @interface EnforcePermission {

    /** The contract key, {@code <name>.v<N>}. */
    @Nonbinding
    String contract() default "";

    /** The permission; empty: any authenticated caller. */
    @Nonbinding
    String permission() default "";

    /** Paths to the instance, e.g. {@code request.realm}. */
    @Nonbinding
    String[] instance() default {};

    /** The index of the method parameter each instance path starts from. */
    @Nonbinding
    int[] instanceParameters() default {};
}
