package io.reside.etcd;

import java.util.List;
import java.util.Optional;

/**
 * One attempt of a transaction (see {@link Store#run(TxFunction)}).
 * <p>
 * Reads see one consistent snapshot of etcd, fixed by the first read, plus this transaction's own writes. Each read
 * is recorded with the revision it saw; writes are buffered and invisible to everyone until the commit, which is a
 * single etcd {@code Txn} applied only if nothing read has changed since. A {@code Tx} belongs to the thread running
 * the function and must not escape it.
 * <p>
 * Keys are relative to the root of the store that runs the transaction (the cluster's {@code /reside/<cluster>/}, or
 * a replica's data prefix, see {@link Store#scoped}): non-empty, no leading {@code /}, no control characters, at
 * most 1024 bytes. A bad key throws {@link IllegalArgumentException} naming it.
 */
public interface Tx {

    /** The document at {@code key}, or empty. */
    <T> Optional<T> find(DocType<T> type, String key);

    /** The document at {@code key} with its revisions, or empty. */
    <T> Optional<Versioned<T>> findVersioned(DocType<T> type, String key);

    /** @throws NotFoundException when there is no document at {@code key} */
    <T> T get(DocType<T> type, String key);

    boolean exists(String key);

    /**
     * Every document whose key starts with {@code prefix}, in key order. The commit also fails if a key is added,
     * changed or removed under the prefix meanwhile. A listing guards one compare per key found, so it counts
     * against {@link StoreConfig#maxTxnOps()}: list large prefixes with {@link Store#list} outside a transaction.
     */
    <T> List<Versioned<T>> list(DocType<T> type, String prefix);

    /**
     * Buffers a write of {@code value} at {@code key}.
     *
     * @throws LimitExceededException when the document alone exceeds {@link StoreConfig#maxRequestBytes()}, or the
     *         transaction would write more than {@link StoreConfig#maxTxnOps()} keys
     */
    <T> void put(DocType<T> type, String key, T value);

    /**
     * Buffers the creation of {@code key}; the commit fails (and the function re-runs) if someone else creates it
     * first.
     *
     * @throws AlreadyExistsException when the key exists
     */
    <T> void create(DocType<T> type, String key, T value);

    /** Buffers the deletion of {@code key} (nothing happens at commit if it does not exist). */
    void delete(String key);

    /**
     * Runs {@code action} after a successful commit, in registration order, on the committing thread. A failing
     * action is logged; it does not undo the commit or stop the others. Actions of attempts that did not commit
     * are dropped.
     */
    void afterCommit(Runnable action);

    /** The lock this transaction runs under, when started by {@link Store#locked}. */
    Optional<HeldLock> lock();

    /** The etcd revision of this attempt's snapshot; 0 before the first read. */
    long snapshotRevision();

    /**
     * This same attempt with keys relative to the cluster root, for the platform's shared records (accounts,
     * contracts, grants) read or written atomically with a replica's own data: one snapshot, one commit. The
     * transaction itself when the store is not {@linkplain Store#scoped scoped}.
     */
    Tx cluster();
}
