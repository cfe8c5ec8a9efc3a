package io.reside.model.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A permission a contract defines. Grants of it are recorded for each implementing replica (one document per grant,
 * beside its RCB); the replica checks them (see {@link Requires}) and may react to them with hooks.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Repeatable(Permissions.class)
public @interface Permission {
    /** Convention {@code resource:action[:scope]}, e.g. {@code replica:read:all}. */
    String name();

    DisplayInfo displayInfo();

    /**
     * The params of a grant: a record of strings, numbers, booleans, enums or lists of them. Its JSON Schema goes
     * into the manifest. {@link NoParams} (the default) means none.
     */
    Class<? extends Record> params() default NoParams.class;

    /**
     * Params whose values, joined with '.', identify the instance a grant is for (e.g. {@code name} for
     * {@code realm:read}: a grant per realm). None means a single instance.
     */
    String[] instanceKeys() default {};
}
