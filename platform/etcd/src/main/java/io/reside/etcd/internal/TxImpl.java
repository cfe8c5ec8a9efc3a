package io.reside.etcd.internal;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import com.google.protobuf.ByteString;

import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.reside.etcd.AlreadyExistsException;
import io.reside.etcd.CommitOutcomeUnknownException;
import io.reside.etcd.DocType;
import io.reside.etcd.EtcdUnavailableException;
import io.reside.etcd.HeldLock;
import io.reside.etcd.LimitExceededException;
import io.reside.etcd.LockLostException;
import io.reside.etcd.NotFoundException;
import io.reside.etcd.StoreConfig;
import io.reside.etcd.Tx;
import io.reside.etcd.Versioned;

/**
 * One attempt of a transaction: snapshot reads with recorded revisions, buffered writes, one guarded commit.
 * Confined to the thread running the transaction function.
 */
final class TxImpl implements Tx {

    private final Connection connection;
    private final Keyspace keys;
    private final StoreConfig config;
    private final HeldLockImpl lock;

    /** The revision every read of this attempt sees; fixed by the first read. */
    private long snapshot;
    /** Key → mod revision seen (0: absent, guarded by create revision 0). */
    private final Map<ByteString, Long> guards = new LinkedHashMap<>();
    /** Prefix ranges listed: nothing in them may change after the snapshot. */
    private final Map<ByteString, ByteString> rangeGuards = new LinkedHashMap<>();
    /** What this attempt read, by key (null value: absent). */
    private final Map<ByteString, KeyValue> cache = new HashMap<>();
    /** Buffered writes in order; a null value is a deletion. */
    private final Map<ByteString, ByteString> writes = new LinkedHashMap<>();
    private final List<Runnable> afterCommit = new ArrayList<>();
    private final View primary;
    private View clusterView;

    TxImpl(Connection connection, Keyspace keys, StoreConfig config, HeldLockImpl lock) {
        this.connection = connection;
        this.keys = keys;
        this.config = config;
        this.lock = lock;
        this.primary = new View(keys);
    }

    @Override
    public <T> Optional<T> find(DocType<T> type, String key) {
        return primary.find(type, key);
    }

    @Override
    public <T> Optional<Versioned<T>> findVersioned(DocType<T> type, String key) {
        return primary.findVersioned(type, key);
    }

    @Override
    public <T> T get(DocType<T> type, String key) {
        return primary.get(type, key);
    }

    @Override
    public boolean exists(String key) {
        return primary.exists(key);
    }

    @Override
    public <T> List<Versioned<T>> list(DocType<T> type, String prefix) {
        return primary.list(type, prefix);
    }

    @Override
    public <T> void put(DocType<T> type, String key, T value) {
        primary.put(type, key, value);
    }

    @Override
    public <T> void create(DocType<T> type, String key, T value) {
        primary.create(type, key, value);
    }

    @Override
    public void delete(String key) {
        primary.delete(key);
    }

    @Override
    public Tx cluster() {
        if (keys.scope().isEmpty()) {
            return this;
        }
        if (clusterView == null) {
            clusterView = new View(keys.cluster());
        }
        return clusterView;
    }

    @Override
    public void afterCommit(Runnable action) {
        afterCommit.add(requireNonNull(action, "action"));
    }

    @Override
    public Optional<HeldLock> lock() {
        return Optional.ofNullable(lock);
    }

    @Override
    public long snapshotRevision() {
        return snapshot;
    }

    List<Runnable> afterCommitActions() {
        return afterCommit;
    }

    boolean hasWrites() {
        return !writes.isEmpty();
    }

    private void write(ByteString k, String key, ByteString value) {
        if (!writes.containsKey(k) && writes.size() >= config.maxTxnOps()) {
            throw new LimitExceededException("transaction writes more than " + config.maxTxnOps()
                    + " keys (etcd --max-txn-ops) at key '" + key + "': split it into smaller transactions");
        }
        writes.put(k, value);
    }

    private KeyValue read(ByteString k, String key) {
        if (cache.containsKey(k)) {
            return cache.get(k);
        }
        RangeResponse response = range(RangeRequest.newBuilder().setKey(k), "read '" + key + "'");
        KeyValue kv = response.getKvsCount() == 0 ? null : response.getKvs(0);
        cache.put(k, kv);
        guard(k, kv == null ? 0 : kv.getModRevision());
        return kv;
    }

    private RangeResponse range(RangeRequest.Builder request, String what) {
        if (snapshot > 0) {
            // the revision is fixed, so any member that has applied it may answer: no need for a quorum read
            request.setRevision(snapshot).setSerializable(true);
        }
        RangeResponse response = connection.call(what, () -> connection.kv().range(request.build()));
        if (snapshot == 0) {
            snapshot = response.getHeader().getRevision();
        }
        return response;
    }

    private void guard(ByteString k, long modRevision) {
        if (guards.containsKey(k)) {
            return;
        }
        if (guards.size() + rangeGuards.size() + (lock == null ? 0 : 1) >= config.maxTxnOps()) {
            throw new LimitExceededException("transaction reads more than " + config.maxTxnOps()
                    + " keys (etcd --max-txn-ops limits the compares of one transaction) at key '"
                    + keys.describe(k) + "': split it, or read large prefixes with Store.list outside the transaction");
        }
        guards.put(k, modRevision);
    }

    /**
     * Commits the buffered writes in one etcd {@code Txn}, guarded on every read (and on the lock key when
     * locked).
     *
     * @return the keys found changed when the guard failed; empty when committed
     * @throws LockLostException when the lock fence failed
     * @throws CommitOutcomeUnknownException when the commit got no answer
     */
    Optional<List<String>> commit() {
        if (writes.isEmpty()) {
            return Optional.empty();
        }
        TxnRequest.Builder txn = TxnRequest.newBuilder();
        guards.forEach((k, mod) -> {
            Compare.Builder c = Compare.newBuilder().setKey(k).setResult(Compare.CompareResult.EQUAL);
            if (mod == 0) {
                c.setTarget(Compare.CompareTarget.CREATE).setCreateRevision(0);
            } else {
                c.setTarget(Compare.CompareTarget.MOD).setModRevision(mod);
            }
            txn.addCompare(c);
            txn.addFailure(keysOnly(RangeRequest.newBuilder().setKey(k)));
        });
        rangeGuards.forEach((start, end) -> {
            txn.addCompare(Compare.newBuilder().setKey(start).setRangeEnd(end).setTarget(Compare.CompareTarget.MOD)
                    .setResult(Compare.CompareResult.LESS).setModRevision(snapshot + 1));
            txn.addFailure(keysOnly(RangeRequest.newBuilder().setKey(start).setRangeEnd(end)
                    .setMinModRevision(snapshot + 1)));
        });
        if (lock != null) {
            txn.addCompare(Compare.newBuilder().setKey(lock.key()).setTarget(Compare.CompareTarget.CREATE)
                    .setResult(Compare.CompareResult.EQUAL).setCreateRevision(lock.fencingToken()));
            txn.addFailure(keysOnly(RangeRequest.newBuilder().setKey(lock.key())));
        }
        writes.forEach((k, v) -> txn.addSuccess(v == null
                ? RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(k)).build()
                : RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k).setValue(v)).build()));

        TxnRequest request = txn.build();
        if (request.getCompareCount() > config.maxTxnOps()) {
            throw new LimitExceededException("transaction guards " + request.getCompareCount()
                    + " keys; etcd allows at most " + config.maxTxnOps() + " compares per transaction (--max-txn-ops)");
        }
        int size = request.getSerializedSize();
        if (size > config.maxRequestBytes()) {
            throw new LimitExceededException("transaction commit is " + size + " bytes; etcd accepts at most "
                    + config.maxRequestBytes() + " bytes per request (--max-request-bytes): write less in one "
                    + "transaction (largest document: " + largestWrite() + ")");
        }
        TxnResponse response;
        try {
            response = connection.call("commit of " + writes.size() + " key(s)", () -> connection.kv().txn(request));
        } catch (EtcdUnavailableException e) {
            throw new CommitOutcomeUnknownException("the commit of a transaction writing " + describeWrites()
                    + " got no answer, so it may or may not have been applied: " + e.getMessage(), e);
        }
        if (response.getSucceeded()) {
            return Optional.empty();
        }
        return Optional.of(contendedKeys(response));
    }

    private List<String> contendedKeys(TxnResponse response) {
        Set<String> changed = new LinkedHashSet<>();
        int i = 0;
        for (Map.Entry<ByteString, Long> g : guards.entrySet()) {
            RangeResponse r = response.getResponses(i++).getResponseRange();
            long now = r.getKvsCount() == 0 ? 0 : r.getKvs(0).getModRevision();
            if (now != g.getValue()) {
                changed.add(keys.describe(g.getKey()));
            }
        }
        for (int n = 0; n < rangeGuards.size(); n++) {
            response.getResponses(i++).getResponseRange().getKvsList()
                    .forEach(kv -> changed.add(keys.describe(kv.getKey())));
        }
        if (lock != null) {
            RangeResponse r = response.getResponses(i).getResponseRange();
            if (r.getKvsCount() == 0 || r.getKvs(0).getCreateRevision() != lock.fencingToken()) {
                lock.fenced();
                throw new LockLostException("write refused by the fence of lock '" + lock.name()
                        + "': this process no longer holds it (its lease expired or was revoked, e.g. while the "
                        + "process was paused); nothing was written");
            }
        }
        return List.copyOf(changed);
    }

    private static RequestOp keysOnly(RangeRequest.Builder range) {
        return RequestOp.newBuilder().setRequestRange(range.setKeysOnly(true)).build();
    }

    private String largestWrite() {
        return writes.entrySet().stream().filter(e -> e.getValue() != null)
                .max(Comparator.comparingInt(e -> e.getValue().size()))
                .map(e -> "'" + keys.describe(e.getKey()) + "', " + e.getValue().size() + " bytes").orElse("none");
    }

    private String describeWrites() {
        List<String> names = writes.keySet().stream().limit(5).map(keys::describe).toList();
        return String.join(", ", names) + (writes.size() > 5 ? " and " + (writes.size() - 5) + " more" : "");
    }

    /**
     * This attempt seen through a keyspace: the store's own, or the whole cluster's ({@link #cluster()}). Every view
     * shares the attempt's snapshot, guards and writes, so one commit covers them all.
     */
    private final class View implements Tx {
        private final Keyspace ks;

        View(Keyspace ks) {
            this.ks = ks;
        }

        @Override
        public <T> Optional<T> find(DocType<T> type, String key) {
            return findVersioned(type, key).map(Versioned::value);
        }

        @Override
        public <T> Optional<Versioned<T>> findVersioned(DocType<T> type, String key) {
            requireNonNull(type, "type");
            ByteString k = ks.key(key);
            if (writes.containsKey(k)) {
                ByteString v = writes.get(k);
                return v == null ? Optional.empty()
                        : Optional.of(new Versioned<>(key, type.decode(key, v.toByteArray()), 0, 0));
            }
            KeyValue kv = read(k, key);
            return kv == null ? Optional.empty()
                    : Optional.of(new Versioned<>(key, type.decode(key, kv.getValue().toByteArray()),
                            kv.getCreateRevision(), kv.getModRevision()));
        }

        @Override
        public <T> T get(DocType<T> type, String key) {
            return find(type, key)
                    .orElseThrow(() -> new NotFoundException("no " + type.name() + " at key '" + key + "'"));
        }

        @Override
        public boolean exists(String key) {
            ByteString k = ks.key(key);
            if (writes.containsKey(k)) {
                return writes.get(k) != null;
            }
            return read(k, key) != null;
        }

        @Override
        public <T> List<Versioned<T>> list(DocType<T> type, String prefix) {
            requireNonNull(type, "type");
            ByteString start = ks.prefix(prefix);
            ByteString end = Keyspace.rangeEnd(start);
            RangeRequest.Builder request = RangeRequest.newBuilder().setKey(start).setRangeEnd(end)
                    .setLimit(config.maxTxnOps() + 1L);
            RangeResponse response = range(request, "list '" + prefix + "'");
            if (response.getMore() || response.getKvsCount() + guards.size() + rangeGuards.size() + 1 > config
                    .maxTxnOps()) {
                throw new LimitExceededException("listing '" + prefix
                        + "' inside a transaction found more keys than the "
                        + config.maxTxnOps() + " a transaction can guard (etcd --max-txn-ops): list it with Store.list "
                        + "outside the transaction, or narrow the prefix");
            }
            Map<ByteString, Versioned<T>> result = new TreeMap<>(ByteStringComparator.INSTANCE);
            for (KeyValue kv : response.getKvsList()) {
                if (!cache.containsKey(kv.getKey())) {
                    cache.put(kv.getKey(), kv);
                    guard(kv.getKey(), kv.getModRevision());
                }
                String key = ks.relative(kv.getKey());
                result.put(kv.getKey(), new Versioned<>(key, type.decode(key, kv.getValue().toByteArray()),
                        kv.getCreateRevision(), kv.getModRevision()));
            }
            rangeGuards.put(start, end);
            writes.forEach((k, v) -> {
                if (ByteStringComparator.INSTANCE.compare(k, start) >= 0
                        && ByteStringComparator.INSTANCE.compare(k, end) < 0) {
                    if (v == null) {
                        result.remove(k);
                    } else {
                        String key = ks.relative(k);
                        result.put(k, new Versioned<>(key, type.decode(key, v.toByteArray()), 0, 0));
                    }
                }
            });
            return List.copyOf(result.values());
        }

        @Override
        public <T> void put(DocType<T> type, String key, T value) {
            requireNonNull(type, "type");
            ByteString k = ks.key(key);
            byte[] bytes = type.encode(key, value);
            if (bytes.length + k.size() > config.maxRequestBytes()) {
                throw new LimitExceededException("document at key '" + key + "' is " + bytes.length
                        + " bytes; etcd accepts at most " + config.maxRequestBytes()
                        + " bytes per request (--max-request-bytes): store less in one document");
            }
            write(k, key, ByteString.copyFrom(bytes));
        }

        @Override
        public <T> void create(DocType<T> type, String key, T value) {
            if (exists(key)) {
                throw new AlreadyExistsException("key '" + key + "' already exists");
            }
            put(type, key, value);
        }

        @Override
        public void delete(String key) {
            write(ks.key(key), key, null);
        }

        @Override
        public void afterCommit(Runnable action) {
            TxImpl.this.afterCommit(action);
        }

        @Override
        public Optional<HeldLock> lock() {
            return TxImpl.this.lock();
        }

        @Override
        public long snapshotRevision() {
            return snapshot;
        }

        @Override
        public Tx cluster() {
            return TxImpl.this.cluster();
        }
    }

    /** Unsigned lexicographic order, as etcd orders keys. */
    enum ByteStringComparator implements Comparator<ByteString> {
        INSTANCE;

        @Override
        public int compare(ByteString a, ByteString b) {
            return ByteString.unsignedLexicographicalComparator().compare(a, b);
        }
    }
}
