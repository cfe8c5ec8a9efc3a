package io.reside.model.manifest;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A contract: its methods and the permissions it defines.
 *
 * @param methods method name → its display info, HTTP method and required permission
 * @param permissions permission name → display info, instance keys and the JSON Schema of its params
 */
public record ContractManifest(
        int schemaVersion,
        String identity,
        Map<String, DisplayText> displayInfo,
        Map<String, Method> methods,
        Map<String, Permission> permissions) implements Manifest {

    /**
     * @param http {@code GET} or {@code POST}
     * @param requires the permission a caller needs, or null when any authenticated caller may call
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Method(Map<String, DisplayText> displayInfo, String http, String requires) {
    }

    /**
     * @param instanceKeys params whose values, joined with '.', form the instance id; empty: a single instance
     * @param params the JSON Schema (2020-12) of the params object
     */
    public record Permission(Map<String, DisplayText> displayInfo, List<String> instanceKeys, ObjectNode params) {
    }
}
