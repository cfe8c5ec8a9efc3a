package io.reside.etcd.internal;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

import org.jboss.logging.Logger;

import com.google.protobuf.ByteString;

import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.lock.LockRequest;
import io.etcd.jetcd.api.lock.LockResponse;
import io.grpc.StatusRuntimeException;
import io.reside.etcd.CommitOutcomeUnknownException;
import io.reside.etcd.DocType;
import io.reside.etcd.HeldLock;
import io.reside.etcd.LockLostException;
import io.reside.etcd.LockTimeoutException;
import io.reside.etcd.NotFoundException;
import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.etcd.Subscription;
import io.reside.etcd.TransactionConflictException;
import io.reside.etcd.TxFunction;
import io.reside.etcd.TxOptions;
import io.reside.etcd.Versioned;
import io.reside.etcd.WatchListener;
import io.reside.etcd.WatchOptions;

/** The etcd implementation of {@link Store}. Build it with {@link Store#connect(StoreConfig)}. */
public final class EtcdStore implements Store {

    private static final Logger LOG = Logger.getLogger(EtcdStore.class);
    private static final int PAGE_SIZE = 500;
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final StoreConfig config;
    private final Keyspace keys;
    private final ScheduledExecutorService scheduler;
    private final Connection connection;
    private final Set<WatchSession> watches;
    private final LongAdder commits;
    private final LongAdder conflicts;
    private final LongAdder fenced;
    private final LongAccumulator mostAttempts;
    /** The store that owns the connection: this one, or the one a view was made from. */
    private final EtcdStore owner;
    private volatile boolean closed;

    public EtcdStore(StoreConfig config) {
        this.config = requireNonNull(config, "config");
        this.keys = new Keyspace(config.cluster());
        int instance = INSTANCES.incrementAndGet();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = Executors.defaultThreadFactory().newThread(r);
            t.setName("reside-etcd-" + instance);
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        this.scheduler = executor;
        this.connection = new Connection(config, scheduler);
        this.watches = ConcurrentHashMap.newKeySet();
        this.commits = new LongAdder();
        this.conflicts = new LongAdder();
        this.fenced = new LongAdder();
        this.mostAttempts = new LongAccumulator(Math::max, 0);
        this.owner = this;
    }

    /** A view of {@code base} under other keys, sharing its connection, watches and counters. */
    private EtcdStore(EtcdStore base, Keyspace keys) {
        this.config = base.config;
        this.keys = keys;
        this.scheduler = base.scheduler;
        this.connection = base.connection;
        this.watches = base.watches;
        this.commits = base.commits;
        this.conflicts = base.conflicts;
        this.fenced = base.fenced;
        this.mostAttempts = base.mostAttempts;
        this.owner = base.owner;
    }

    @Override
    public Store scoped(String prefix) {
        return new EtcdStore(this, keys.scoped(prefix));
    }

    @Override
    public Store cluster() {
        return keys.scope().isEmpty() ? this : new EtcdStore(this, keys.cluster());
    }

    @Override
    public String scope() {
        return keys.scope();
    }

    @Override
    public io.reside.etcd.EtcdAuth auth() {
        return new EtcdAuthImpl(connection, keys.cluster());
    }

    @Override
    public StoreConfig config() {
        return config;
    }

    @Override
    public <T> T run(TxFunction<T> fn) {
        return run(config.txDefaults(), fn);
    }

    @Override
    public <T> T run(TxOptions options, TxFunction<T> fn) {
        return execute(requireNonNull(options, "options"), requireNonNull(fn, "fn"), null);
    }

    @Override
    public <T> T locked(String lockName, TxFunction<T> fn) {
        return locked(lockName, config.txDefaults(), fn);
    }

    @Override
    public <T> T locked(String lockName, TxOptions options, TxFunction<T> fn) {
        requireNonNull(options, "options");
        requireNonNull(fn, "fn");
        return withLock(lockName, lock -> lock.run(options, fn));
    }

    @Override
    public <T> T withLock(String lockName, Function<HeldLock, T> work) {
        requireNonNull(work, "work");
        HeldLockImpl lock = acquire(lockName);
        try {
            return work.apply(lock);
        } finally {
            release(lock);
        }
    }

    <T> T execute(TxOptions options, TxFunction<T> fn, HeldLockImpl lock) {
        requireOpen();
        Connection.requireNotEventLoop();
        Map<String, Integer> contended = new LinkedHashMap<>();
        for (int attempt = 1;; attempt++) {
            TxImpl tx = new TxImpl(connection, keys, config, lock);
            List<String> changed;
            T result;
            try {
                result = fn.apply(tx);
                changed = tx.commit().orElse(null);
            } catch (Connection.CompactedException e) {
                // the snapshot revision was compacted while we read: start again on a fresh snapshot
                changed = List.of("(snapshot compacted)");
                result = null;
            } catch (CommitOutcomeUnknownException e) {
                if (!options.idempotent() || attempt >= options.maxAttempts()) {
                    throw e;
                }
                LOG.debugf("re-running an idempotent transaction whose commit outcome is unknown: %s", e.getMessage());
                pause(options, attempt);
                continue;
            } catch (LockLostException e) {
                fenced.increment();
                throw e;
            }
            if (changed == null) {
                commits.increment();
                mostAttempts.accumulate(attempt);
                runAfterCommit(tx);
                return result;
            }
            conflicts.increment();
            changed.forEach(k -> contended.merge(k, 1, Integer::sum));
            if (attempt >= options.maxAttempts()) {
                throw new TransactionConflictException(attempt, contended);
            }
            pause(options, attempt);
        }
    }

    private static void runAfterCommit(TxImpl tx) {
        for (Runnable action : tx.afterCommitActions()) {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.errorf(e, "an afterCommit action failed (the transaction is committed)");
            }
        }
    }

    /** Full jitter: a random pause up to a bound that doubles with each attempt. */
    private static void pause(TxOptions options, int attempt) {
        long initial = options.initialBackoff().toNanos();
        if (initial == 0) {
            return;
        }
        long bound = Math.min(options.maxBackoff().toNanos(), initial << Math.min(attempt - 1, 30));
        long nanos = ThreadLocalRandom.current().nextLong(bound + 1);
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("transaction interrupted while backing off");
        }
    }

    private HeldLockImpl acquire(String lockName) {
        requireOpen();
        ByteString name = keys.lock(lockName);
        long ttl = Math.max(2, (config.lockTtl().toMillis() + 999) / 1000);
        long grantedAt = System.nanoTime();
        LeaseGrantResponse grant = connection.call("grant a lease for lock '" + lockName + "'",
                () -> connection.lease().leaseGrant(LeaseGrantRequest.newBuilder().setTTL(ttl).build()));
        HeldLockImpl lock = new HeldLockImpl(lockName, grant.getID(), grant.getTTL(), grantedAt, connection, this);
        lock.startKeepAlive(scheduler);
        try {
            LockResponse response = null;
            connection.authenticate();
            for (int attempt = 1; response == null; attempt++) {
                try {
                    response = connection.lock(config.lockWaitTimeout().toNanos())
                            .lock(LockRequest.newBuilder().setName(name).setLease(grant.getID()).build());
                } catch (StatusRuntimeException e) {
                    if (Connection.isOldAuthRevision(e) && attempt < Connection.MAX_AUTH_REVISION_RETRIES) {
                        Connection.pauseForAuthChanges(attempt); // etcd did nothing: users or roles changed meanwhile
                        continue;
                    }
                    throw lockFailure(lockName, ttl, e);
                }
            }
            ByteString key = response.getKey();
            RangeResponse owner = connection.call("read lock '" + lockName + "'",
                    () -> connection.kv().range(RangeRequest.newBuilder().setKey(key).build()));
            if (owner.getKvsCount() == 0) {
                throw new LockLostException("lock '" + lockName + "' was lost right after it was acquired (its lease"
                        + " expired)");
            }
            lock.acquired(key, owner.getKvs(0).getCreateRevision());
            return lock;
        } catch (RuntimeException e) {
            release(lock);
            throw e;
        }
    }

    private RuntimeException lockFailure(String lockName, long ttl, StatusRuntimeException e) {
        if (Connection.isDeadline(e)) {
            return new LockTimeoutException("lock '" + lockName + "' was not acquired within "
                    + config.lockWaitTimeout().toMillis() + " ms: another process holds it (a crashed "
                    + "holder's lock frees itself " + ttl + " s after its last keep-alive)", e);
        }
        return connection.translate("acquire lock '" + lockName + "'", e);
    }

    /** Revoking the lease deletes the lock key with it; best effort, since the lease expires anyway. */
    private void release(HeldLockImpl lock) {
        lock.stopKeepAlive();
        try {
            connection.call("release lock '" + lock.name() + "'", () -> connection.lease()
                    .leaseRevoke(LeaseRevokeRequest.newBuilder().setID(lock.leaseId()).build()));
        } catch (RuntimeException e) {
            LOG.debugf("could not release lock '%s' (it frees itself when its lease expires): %s", lock.name(),
                    e.getMessage());
        }
    }

    @Override
    public <T> Optional<Versioned<T>> find(DocType<T> type, String key) {
        requireNonNull(type, "type");
        requireOpen();
        ByteString k = keys.key(key);
        RangeResponse response = connection.call("read '" + key + "'",
                () -> connection.kv().range(RangeRequest.newBuilder().setKey(k).build()));
        if (response.getKvsCount() == 0) {
            return Optional.empty();
        }
        KeyValue kv = response.getKvs(0);
        return Optional.of(new Versioned<>(key, type.decode(key, kv.getValue().toByteArray()), kv.getCreateRevision(),
                kv.getModRevision()));
    }

    @Override
    public <T> Versioned<T> get(DocType<T> type, String key) {
        return find(type, key).orElseThrow(() -> new NotFoundException("no " + type.name() + " at key '" + key + "'"));
    }

    @Override
    public <T> List<Versioned<T>> list(DocType<T> type, String prefix) {
        requireNonNull(type, "type");
        requireOpen();
        ByteString start = keys.prefix(prefix);
        Snapshot snapshot = snapshot(start, Keyspace.rangeEnd(start));
        List<Versioned<T>> result = new ArrayList<>(snapshot.kvs().size());
        for (io.reside.etcd.KeyValue kv : snapshot.kvs()) {
            result.add(new Versioned<>(kv.key(), type.decode(kv.key(), kv.value()), kv.createRevision(),
                    kv.modRevision()));
        }
        return result;
    }

    /** Every key in [start, end) (one key when end is empty) at one revision, read in pages. */
    Snapshot snapshot(ByteString start, ByteString end) {
        List<io.reside.etcd.KeyValue> result = new ArrayList<>();
        long revision = 0;
        ByteString from = start;
        while (true) {
            RangeRequest.Builder request = RangeRequest.newBuilder().setKey(from);
            if (!end.isEmpty()) {
                request.setRangeEnd(end).setLimit(PAGE_SIZE);
            }
            if (revision > 0) {
                request.setRevision(revision);
            }
            RangeResponse response = connection.call("list '" + keys.relative(start) + "'",
                    () -> connection.kv().range(request.build()));
            if (revision == 0) {
                revision = response.getHeader().getRevision();
            }
            for (KeyValue kv : response.getKvsList()) {
                result.add(new io.reside.etcd.KeyValue(keys.relative(kv.getKey()), kv.getValue().toByteArray(),
                        kv.getCreateRevision(), kv.getModRevision()));
            }
            if (!response.getMore() || response.getKvsCount() == 0) {
                return new Snapshot(revision, List.copyOf(result));
            }
            from = response.getKvs(response.getKvsCount() - 1).getKey().concat(ByteString.copyFrom(new byte[] { 0 }));
        }
    }

    @Override
    public Subscription watch(String keyOrPrefix, WatchOptions options, WatchListener listener) {
        requireNonNull(options, "options");
        requireNonNull(listener, "listener");
        requireOpen();
        WatchSession session = new WatchSession(this, connection, keys, config, scheduler, keyOrPrefix, options,
                listener);
        watches.add(session);
        return session;
    }

    void forget(WatchSession session) {
        watches.remove(session);
    }

    @Override
    public long ping() {
        requireOpen();
        ByteString k = keys.key("health");
        return connection.call("ping", () -> connection.kv()
                .range(RangeRequest.newBuilder().setKey(k).setCountOnly(true).build())).getHeader().getRevision();
    }

    @Override
    public TxStats stats() {
        return new TxStats(commits.sum(), conflicts.sum(), fenced.sum(), mostAttempts.get());
    }

    @Override
    public void close() {
        if (owner != this) {
            owner.close();
            return;
        }
        if (closed) {
            return;
        }
        closed = true;
        List.copyOf(watches).forEach(WatchSession::close);
        scheduler.shutdownNow();
        connection.close();
    }

    private void requireOpen() {
        if (owner.closed) {
            throw new IllegalStateException("this store is closed");
        }
    }

    @Override
    public String toString() {
        return "Store[" + keys.root() + " at " + connection.endpoints() + "]";
    }

    record Snapshot(long revision, List<io.reside.etcd.KeyValue> kvs) {
    }
}
