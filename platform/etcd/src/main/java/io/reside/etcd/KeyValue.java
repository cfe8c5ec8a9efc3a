package io.reside.etcd;

import java.nio.charset.StandardCharsets;

/**
 * A raw key-value pair as etcd holds it (in watch events and snapshots).
 *
 * @param key the key relative to the cluster root
 * @param value the stored bytes (empty for a deletion)
 */
public record KeyValue(String key, byte[] value, long createRevision, long modRevision) {

    /** Reads the value as a document of {@code type}, applying its migrations. */
    public <T> T decode(DocType<T> type) {
        return type.decode(key, value);
    }

    @Override
    public String toString() {
        return "KeyValue[" + key + "@" + modRevision + "=" + new String(value, StandardCharsets.UTF_8) + "]";
    }
}
