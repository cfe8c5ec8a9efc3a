package io.reside.model.manifest;

/** A title and description in one language. */
public record DisplayText(String title, String description) {
}
