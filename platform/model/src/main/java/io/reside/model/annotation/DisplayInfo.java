package io.reside.model.annotation;

import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** What people read about a contract, method, permission or replica: {@code en} and {@code ru} are required. */
@Retention(RetentionPolicy.RUNTIME)
@Target({})
public @interface DisplayInfo {
    Text en();

    Text ru();

    LocalizedText[] others() default {};
}
