package io.reside.etcd;

import java.util.List;
import java.util.Optional;

import io.reside.etcd.internal.EtcdStore;

/**
 * The platform's access to etcd: typed documents, serializable transactions, fenced locks and resumable watches,
 * all under {@code /reside/<cluster>/}, or under a prefix of it for a {@linkplain #scoped scoped} store.
 * <p>
 * <b>Blocking.</b> Every method except {@link #watch} blocks the calling thread on network calls, each bounded by
 * {@link StoreConfig#callTimeout()}. Calling one from a Vert.x event-loop thread throws
 * {@link IllegalStateException}: use a worker thread ({@code @Blocking}, or a Quarkus REST method with a non-reactive
 * signature, which runs on a worker by default).
 * <p>
 * <b>Failures.</b> etcd not answering → {@link EtcdUnavailableException}; conflicts that never resolve →
 * {@link TransactionConflictException}; a limit of etcd → {@link LimitExceededException} before anything is sent;
 * an unreadable document → {@link DocumentFormatException}. The store reconnects by itself after etcd comes back.
 * <p>
 * Thread-safe; one instance per process is enough. {@link #close()} releases the connection.
 */
public interface Store extends AutoCloseable {

    /**
     * Where a replica's own keys live, relative to the cluster root: {@code data/<replicaId>/}, the prefix its
     * runtime scopes its store to and its etcd role allows (docs/adr/0008).
     */
    static String dataPrefix(String replicaId) {
        if (replicaId == null || replicaId.isEmpty() || replicaId.contains("/")) {
            throw new IllegalArgumentException("replica id '" + replicaId + "' must be non-empty, without '/'");
        }
        return "data/" + replicaId + "/";
    }

    /** Connects (lazily: the first call opens the connection). */
    static Store connect(StoreConfig config) {
        return new EtcdStore(config);
    }

    StoreConfig config();

    /**
     * A view of this store whose keys, locks and watches are relative to {@code prefix} (relative to this store's
     * root, ending with {@code /}): what a replica's code gets, rooted at its own data prefix
     * {@code data/<replicaId>/}, so that etcd can confine each replica to its own keys (docs/adr/0008). The view
     * shares this store's connection: closing either closes both.
     */
    Store scoped(String prefix);

    /** The view of the whole cluster ({@code /reside/<cluster>/}): this store itself unless it is scoped. */
    Store cluster();

    /**
     * Where this store's keys start, relative to the cluster root: {@code ""} for the cluster itself,
     * {@code data/<replicaId>/} for a replica's scoped store.
     */
    String scope();

    /**
     * Runs {@code fn} as an optimistic, serializable transaction with the default {@link TxOptions}.
     *
     * @see #run(TxOptions, TxFunction)
     */
    <T> T run(TxFunction<T> fn);

    /**
     * Runs {@code fn} as an optimistic, serializable transaction: its reads see one snapshot, its writes are
     * committed atomically in one etcd {@code Txn} guarded on every read's revision, and if a read key changed
     * meanwhile the function runs again (with a randomised, growing pause), up to {@code options.maxAttempts()}.
     * A function that only reads commits nothing.
     *
     * @return what {@code fn} returned in the attempt that committed
     * @throws TransactionConflictException after {@code maxAttempts} conflicting attempts
     * @throws CommitOutcomeUnknownException when the commit was sent and no answer came (not for idempotent
     *         transactions, which are re-run)
     * @throws EtcdUnavailableException when etcd does not answer a read within the call deadline
     */
    <T> T run(TxOptions options, TxFunction<T> fn);

    /**
     * Runs {@code fn} as a transaction while holding the cluster-wide lock {@code lockName}, for work with side
     * effects outside etcd (talking to Kubernetes, say). The lock is bound to a lease of
     * {@link StoreConfig#lockTtl()} kept alive while held, so a crashed holder's lock frees itself after the TTL.
     * The commit is fenced: etcd applies it only if this holder's lock key still exists, so a holder paused past
     * its lease cannot write. The lock is released when {@code fn} returns or throws.
     *
     * @throws LockTimeoutException when the lock is not acquired within {@link StoreConfig#lockWaitTimeout()}
     * @throws LockLostException when the lock was lost before the commit (nothing written)
     */
    <T> T locked(String lockName, TxFunction<T> fn);

    /** {@link #locked(String, TxFunction)} with explicit transaction options. */
    <T> T locked(String lockName, TxOptions options, TxFunction<T> fn);

    /**
     * Holds the cluster-wide lock {@code lockName} while {@code work} runs, for work that commits several times
     * (each commit through {@link HeldLock#run} is fenced like {@link #locked}) or holds the lock for long (a
     * leader). The lock is released when {@code work} returns or throws; {@link HeldLock#isHeld()} tells whether it
     * is still held meanwhile.
     *
     * @throws LockTimeoutException when the lock is not acquired within {@link StoreConfig#lockWaitTimeout()}
     */
    <T> T withLock(String lockName, java.util.function.Function<HeldLock, T> work);

    /** Reads one document outside a transaction (a linearizable read). */
    <T> Optional<Versioned<T>> find(DocType<T> type, String key);

    /** @throws NotFoundException when there is no document at {@code key} */
    <T> Versioned<T> get(DocType<T> type, String key);

    /** Every document under {@code prefix}, in key order, read at one revision (pages of 500 keys). */
    <T> List<Versioned<T>> list(DocType<T> type, String prefix);

    /**
     * Watches a key or a prefix. Changes are delivered in order, each exactly once: after a lost connection or an
     * etcd restart the watch re-subscribes from the last delivered revision; a stream that goes silent is detected
     * (etcd is asked for progress every {@link StoreConfig#watchProgressInterval()}) and re-subscribed; if the
     * revision to resume from was compacted, the listener receives the full current state through
     * {@link WatchListener#onReset} instead of missing changes. Does not block.
     */
    Subscription watch(String keyOrPrefix, WatchOptions options, WatchListener listener);

    /**
     * Checks that etcd answers, within the call deadline.
     *
     * @return the current etcd revision
     * @throws EtcdUnavailableException when it does not
     */
    long ping();

    /**
     * etcd's users and roles, administered over this store's connection: only for a store whose user is etcd's
     * {@code root} (Alpha), since etcd refuses every other user.
     */
    EtcdAuth auth();

    /** Counters of this store's transactions since it was created. */
    TxStats stats();

    /** Stops watches and lock keep-alives and closes the connection. Idempotent. */
    @Override
    void close();

    /**
     * @param commits transactions committed (read-only ones included)
     * @param conflicts attempts that lost to a concurrent writer and were re-run or gave up
     * @param fencedCommits commits refused because the lock was lost
     * @param mostAttempts the most attempts a committed transaction needed
     */
    record TxStats(long commits, long conflicts, long fencedCommits, long mostAttempts) {
    }
}
