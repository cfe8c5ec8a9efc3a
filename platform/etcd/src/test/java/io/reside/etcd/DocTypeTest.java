package io.reside.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class DocTypeTest {

    record ReplicaV3(String name, boolean enabled, List<String> tags, Instant createdAt) {
    }

    /** v1: {"title": ...}; v2 renamed title to name; v3 added enabled and tags. */
    static final DocType<ReplicaV3> REPLICA = DocType.builder("replica", ReplicaV3.class)
            .version(3)
            .migration(1, doc -> {
                doc.set("name", doc.remove("title"));
                return doc;
            })
            .migration(2, doc -> doc.put("enabled", true).set("tags", doc.arrayNode().add("migrated")))
            .build();

    @Test
    void writesTheCurrentVersionFirst() {
        byte[] bytes = REPLICA.encode("r/1",
                new ReplicaV3("alpha", false, List.of(), Instant.parse("2026-01-02T03:04:05Z")));
        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo(
                "{\"schemaVersion\":3,\"name\":\"alpha\",\"enabled\":false,\"tags\":[],\"createdAt\":\"2026-01-02T03:04:05Z\"}");
        assertThat(REPLICA.decode("r/1", bytes))
                .isEqualTo(new ReplicaV3("alpha", false, List.of(), Instant.parse("2026-01-02T03:04:05Z")));
    }

    @Test
    void migratesOldDocumentsOnRead() {
        assertThat(REPLICA.decode("r/1", json("{\"schemaVersion\":1,\"title\":\"old\"}")))
                .isEqualTo(new ReplicaV3("old", true, List.of("migrated"), null));
        assertThat(REPLICA.decode("r/2", json("{\"schemaVersion\":2,\"name\":\"mid\"}")))
                .isEqualTo(new ReplicaV3("mid", true, List.of("migrated"), null));
    }

    @Test
    void ignoresUnknownFields() {
        assertThat(
                REPLICA.decode("r/1", json("{\"schemaVersion\":3,\"name\":\"a\",\"enabled\":true,\"later\":1}")).name())
                .isEqualTo("a");
    }

    @Test
    void badDocumentsNameTheKey() {
        assertThatThrownBy(() -> REPLICA.decode("r/bad", json("{not json")))
                .isInstanceOf(DocumentFormatException.class)
                .hasMessageStartingWith("document at key 'r/bad' is not valid JSON (expected a 'replica')");
        assertThatThrownBy(() -> REPLICA.decode("r/array", json("[1]")))
                .isInstanceOf(DocumentFormatException.class)
                .hasMessage("document at key 'r/array' is not a JSON object (expected a 'replica')");
        assertThatThrownBy(() -> REPLICA.decode("r/none", json("{\"name\":\"a\"}")))
                .isInstanceOf(DocumentFormatException.class)
                .hasMessage("document at key 'r/none' has no valid schemaVersion (expected a 'replica')");
        assertThatThrownBy(() -> REPLICA.decode("r/new", json("{\"schemaVersion\":4}")))
                .isInstanceOf(DocumentFormatException.class)
                .hasMessageContaining(
                        "document at key 'r/new' has schemaVersion 4, newer than this code's 'replica' (version 3)");
        assertThatThrownBy(() -> REPLICA.decode("r/type", json("{\"schemaVersion\":3,\"enabled\":\"maybe\"}")))
                .isInstanceOf(DocumentFormatException.class)
                .hasMessageStartingWith("document at key 'r/type' does not fit 'replica'");
    }

    @Test
    void missingMigrationIsReported() {
        DocType<ReplicaV3> gap = DocType.builder("gap", ReplicaV3.class).version(3).migration(2, d -> d).build();
        assertThatThrownBy(() -> gap.decode("g/1", json("{\"schemaVersion\":1}")))
                .isInstanceOf(DocumentFormatException.class)
                .hasMessage("document at key 'g/1' has schemaVersion 1 but 'gap' has no migration from version 1 to 2");
    }

    @Test
    void invalidDefinitionsAreRefused() {
        assertThatThrownBy(() -> DocType.builder("x", ReplicaV3.class).version(2).migration(2, d -> d).build())
                .hasMessage("'x' has a migration from version 2 but its current version is 2");
        assertThatThrownBy(() -> DocType.builder("x", ReplicaV3.class).migration(1, d -> d).migration(1, d -> d))
                .hasMessage("'x' already has a migration from version 1");
        assertThatThrownBy(() -> DocType.of("s", String.class).encode("k", "text"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("document type 's' must serialise to a JSON object, but the value for key 'k' is a STRING");
        assertThatThrownBy(() -> REPLICA.encode("k", null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("value for key 'k' must not be null (use delete to remove a key)");
    }

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
