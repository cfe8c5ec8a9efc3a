package io.reside.etcd;

/**
 * One change seen by a watch.
 *
 * @param kv the key and its new value; for a {@link Type#DELETE} the value is empty and {@code modRevision} is the
 *        revision of the deletion
 */
public record WatchEvent(Type type, KeyValue kv) {

    public enum Type {
        PUT,
        DELETE
    }

    public long revision() {
        return kv.modRevision();
    }
}
