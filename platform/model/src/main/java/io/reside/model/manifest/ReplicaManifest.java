package io.reside.model.manifest;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A replica: how it runs, what it implements and what it requires. */
public record ReplicaManifest(
        int schemaVersion,
        String identity,
        Info info,
        Map<String, DisplayText> displayInfo,
        Map<String, Implementation> implementations,
        Map<String, Requirement> requirements) implements Manifest {

    /**
     * @param replicaClass {@code long-running} (Deployment) or {@code oneshot} (Job)
     */
    public record Info(String name, @JsonProperty("class") String replicaClass, boolean exclusive, boolean scalable) {
    }

    public record Implementation(String identity) {
    }

    public record Requirement(String identity, boolean optional, boolean multiple, List<StaticPermission> permissions) {
    }

    /**
     * A permission the replica asks for when it is loaded.
     *
     * @param params values may contain {@code {replica.name}}, replaced at load time
     * @param instanceId the params' instance keys joined with '.', or null for a single-instance permission
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record StaticPermission(String name, ObjectNode params, String instanceId) {
    }
}
