package io.reside.model.manifest;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * The JSON description of a contract or a replica, generated at build time, shipped in the jar
 * ({@link Manifests#REPLICA_RESOURCE}, {@link Manifests#CONTRACT_RESOURCE_DIR}) and in the image label
 * {@link Manifests#LABEL}. Its JSON Schema is {@code docs/manifest.schema.json}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ContractManifest.class, name = "contract"),
        @JsonSubTypes.Type(value = ReplicaManifest.class, name = "replica")
})
public sealed interface Manifest permits ContractManifest, ReplicaManifest {

    int CURRENT_SCHEMA_VERSION = 1;

    int schemaVersion();

    String identity();

    /** Locale → text; {@code en} and {@code ru} are always present. */
    Map<String, DisplayText> displayInfo();
}
