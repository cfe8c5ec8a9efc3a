package io.reside.model.annotation;

import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A title and a description in one language. Texts of permissions may contain {@code {param}} placeholders, filled
 * with the grant's params when shown.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({})
public @interface Text {
    String title();

    String description();
}
