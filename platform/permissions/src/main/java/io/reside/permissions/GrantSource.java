package io.reside.permissions;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Where a grant comes from. Several sources may grant the same permission; it stays granted while one does. */
public enum GrantSource {
    /** Requested in the requiring replica's manifest, granted when its load request was approved. */
    STATIC,
    /** Requested at runtime by a replica and approved by an admin. */
    DYNAMIC,
    /** Given by an admin to a user (through the User Manager). */
    MANUAL;

    @JsonValue
    public String json() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    @JsonCreator
    public static GrantSource fromJson(String value) {
        return valueOf(value.toUpperCase(java.util.Locale.ROOT));
    }
}
