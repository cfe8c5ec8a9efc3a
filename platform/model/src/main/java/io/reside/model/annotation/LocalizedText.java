package io.reside.model.annotation;

import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A {@link Text} in a language beyond the required {@code en} and {@code ru}. */
@Retention(RetentionPolicy.RUNTIME)
@Target({})
public @interface LocalizedText {
    /** A language tag such as {@code de} or {@code pt-BR}. */
    String locale();

    String title();

    String description();
}
