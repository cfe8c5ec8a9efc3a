package io.reside.etcd;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.etcd.internal.Json;

/**
 * A kind of document stored as JSON: its Java type (usually a record), its current {@code schemaVersion}, and the
 * migrations that upgrade documents written by older versions when they are read.
 * <p>
 * A document is the JSON object of the value with a {@code schemaVersion} field added. Unknown fields are ignored
 * (a newer replica may add optional fields without a new version); a document with a higher version than this type
 * knows is refused, so old code never silently drops what new code wrote. Instances are immutable and thread-safe.
 * <p>
 * For native images, register the Java type for reflection (e.g. {@code @RegisterForReflection}).
 *
 * <pre>{@code
 * static final DocType<Replica> REPLICA = DocType.builder("replica", Replica.class)
 *         .version(2)
 *         .migration(1, doc -> doc.put("enabled", true)) // v1 had no 'enabled'
 *         .build();
 * }</pre>
 */
public final class DocType<T> {

    public static final String VERSION_FIELD = "schemaVersion";

    private final String name;
    private final Class<T> javaType;
    private final int version;
    private final Map<Integer, UnaryOperator<ObjectNode>> migrations;

    private DocType(Builder<T> builder) {
        this.name = builder.name;
        this.javaType = builder.javaType;
        this.version = builder.version;
        this.migrations = Map.copyOf(builder.migrations);
    }

    /** A type at schema version 1, with no migrations. */
    public static <T> DocType<T> of(String name, Class<T> javaType) {
        return builder(name, javaType).build();
    }

    public static <T> Builder<T> builder(String name, Class<T> javaType) {
        return new Builder<>(name, javaType);
    }

    public String name() {
        return name;
    }

    /** The JSON mapper documents are written and read with (records, java.time, Optional). */
    public static com.fasterxml.jackson.databind.ObjectMapper mapper() {
        return Json.MAPPER;
    }

    public Class<T> javaType() {
        return javaType;
    }

    public int version() {
        return version;
    }

    /**
     * Serialises a value as a document of the current version.
     *
     * @throws IllegalArgumentException when the value does not serialise to a JSON object (names the key)
     */
    public byte[] encode(String key, T value) {
        requireNonNull(value, () -> "value for key '" + key + "' must not be null (use delete to remove a key)");
        JsonNode tree = Json.MAPPER.valueToTree(value);
        if (!(tree instanceof ObjectNode fields)) {
            throw new IllegalArgumentException("document type '" + name + "' must serialise to a JSON object, but the"
                    + " value for key '" + key + "' is a " + tree.getNodeType());
        }
        ObjectNode doc = Json.MAPPER.createObjectNode();
        doc.put(VERSION_FIELD, version);
        fields.remove(VERSION_FIELD);
        doc.setAll(fields);
        try {
            return Json.MAPPER.writeValueAsBytes(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise the value for key '" + key + "' as '" + name + "'", e);
        }
    }

    /**
     * Reads a stored document, upgrading it through the registered migrations.
     *
     * @throws DocumentFormatException when the bytes are not such a document (names the key)
     */
    public T decode(String key, byte[] bytes) {
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            // the original message leaves out the source excerpt: stored values stay out of errors
            throw new DocumentFormatException(
                    "document at key '" + key + "' is not valid JSON (expected a '" + name + "'): "
                            + e.getOriginalMessage(),
                    null);
        } catch (IOException e) {
            throw new DocumentFormatException("document at key '" + key + "' cannot be read: " + e.getMessage(), e);
        }
        if (!(tree instanceof ObjectNode doc)) {
            throw new DocumentFormatException("document at key '" + key + "' is not a JSON object (expected a '"
                    + name + "')", null);
        }
        JsonNode versionNode = doc.remove(VERSION_FIELD);
        if (versionNode == null || !versionNode.canConvertToInt() || versionNode.intValue() < 1) {
            throw new DocumentFormatException("document at key '" + key + "' has no valid " + VERSION_FIELD
                    + " (expected a '" + name + "')", null);
        }
        int stored = versionNode.intValue();
        if (stored > version) {
            throw new DocumentFormatException("document at key '" + key + "' has " + VERSION_FIELD + " " + stored
                    + ", newer than this code's '" + name + "' (version " + version
                    + "): it was written by a newer replica; upgrade this one", null);
        }
        for (int v = stored; v < version; v++) {
            UnaryOperator<ObjectNode> migration = migrations.get(v);
            if (migration == null) {
                throw new DocumentFormatException("document at key '" + key + "' has " + VERSION_FIELD + " " + stored
                        + " but '" + name + "' has no migration from version " + v + " to " + (v + 1), null);
            }
            try {
                doc = requireNonNull(migration.apply(doc), "migration result");
            } catch (RuntimeException e) {
                throw new DocumentFormatException("migration of '" + name + "' from version " + v + " failed for the"
                        + " document at key '" + key + "': " + e.getMessage(), e);
            }
        }
        try {
            return Json.MAPPER.treeToValue(doc, javaType);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String detail = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
            throw new DocumentFormatException("document at key '" + key + "' does not fit '" + name + "': " + detail,
                    null);
        }
    }

    @Override
    public String toString() {
        return "DocType[" + name + " v" + version + "]";
    }

    public static final class Builder<T> {
        private final String name;
        private final Class<T> javaType;
        private int version = 1;
        private final Map<Integer, UnaryOperator<ObjectNode>> migrations = new TreeMap<>();

        private Builder(String name, Class<T> javaType) {
            this.name = requireNonNull(name, "name");
            this.javaType = requireNonNull(javaType, "javaType");
        }

        /** The current schema version (default 1); documents are written with it. */
        public Builder<T> version(int version) {
            if (version < 1) {
                throw new IllegalArgumentException("version must be at least 1, got " + version);
            }
            this.version = version;
            return this;
        }

        /**
         * Upgrades a document from {@code fromVersion} to {@code fromVersion + 1}. The operator receives the
         * document without its {@code schemaVersion} field and returns the upgraded one (it may modify and return
         * its argument). It must be a pure function.
         */
        public Builder<T> migration(int fromVersion, UnaryOperator<ObjectNode> step) {
            requireNonNull(step, "step");
            if (fromVersion < 1) {
                throw new IllegalArgumentException("fromVersion must be at least 1, got " + fromVersion);
            }
            if (migrations.putIfAbsent(fromVersion, step) != null) {
                throw new IllegalArgumentException(
                        "'" + name + "' already has a migration from version " + fromVersion);
            }
            return this;
        }

        public DocType<T> build() {
            migrations.keySet().stream().filter(v -> v >= version).findFirst().ifPresent(v -> {
                throw new IllegalArgumentException("'" + name + "' has a migration from version " + v
                        + " but its current version is " + version);
            });
            return new DocType<>(this);
        }
    }
}
