package io.reside.model.annotation;

/** The params of a permission that has none. */
public record NoParams() {
}
