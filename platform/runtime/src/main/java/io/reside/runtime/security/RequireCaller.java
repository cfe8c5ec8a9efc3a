package io.reside.runtime.security;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import jakarta.interceptor.InterceptorBinding;

/**
 * Added at build time by {@link ContractEnforcementExtension} to every JAX-RS resource method of a replica that
 * declares no security of its own: secure by default, it needs an authenticated caller. Not for use in code; mark an
 * endpoint that must be public with {@code @PermitAll}.
 */
@InterceptorBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.METHOD, ElementType.TYPE })
public @interface RequireCaller {
}
