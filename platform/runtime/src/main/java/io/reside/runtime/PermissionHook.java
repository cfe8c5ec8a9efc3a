package io.reside.runtime;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a CDI bean implementing {@link io.reside.permissions.PermissionHooks} as the hooks of one permission of a
 * contract this replica implements. The reconciler calls it when grants of that permission change.
 *
 * <pre>
 * &#64;ApplicationScoped
 * &#64;PermissionHook(contract = TelegramApi.class, permission = "handler:setup")
 * class HandlerSetupHooks implements PermissionHooks { ... }
 * </pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface PermissionHook {
    /** The contract interface. */
    Class<?> contract();

    String permission();
}
