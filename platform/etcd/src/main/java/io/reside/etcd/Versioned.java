package io.reside.etcd;

/**
 * A document as read from etcd, with its revisions.
 *
 * @param key the key relative to the cluster root
 * @param createRevision the etcd revision that created the key (0 for a document written in the current, uncommitted
 *        transaction)
 * @param modRevision the etcd revision of the last change (0 likewise)
 */
public record Versioned<T>(String key, T value, long createRevision, long modRevision) {
}
