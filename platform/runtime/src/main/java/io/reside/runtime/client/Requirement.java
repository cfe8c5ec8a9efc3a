package io.reside.runtime.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import jakarta.inject.Qualifier;

/**
 * Injects a client of a requirement, by its key in the replica's {@code @Replica} declaration:
 *
 * <pre>
 * &#64;Inject
 * &#64;Requirement("users")
 * UserManagerApi users;
 * </pre>
 *
 * The proxy calls the implementor chosen in the RCB (switching when the RCB changes), signs every call, and applies
 * the requirement's resilience settings ({@code reside.requirements.<key>.*}).
 */
@Qualifier
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD, ElementType.TYPE })
public @interface Requirement {
    /** The requirement key. */
    String value();
}
