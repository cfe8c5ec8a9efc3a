package io.reside.permissions;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.reside.etcd.DocumentFormatException;
import io.reside.etcd.KeyValue;
import io.reside.etcd.Store;
import io.reside.etcd.Subscription;
import io.reside.etcd.WatchEvent;
import io.reside.etcd.WatchListener;
import io.reside.etcd.WatchOptions;

/**
 * A replica's live view of its RCB, of the grants it must enforce and of the grants it applied, fed by three
 * watches (the RCB document, {@code grants/<replicaId>/}, {@code grants-current/<replicaId>/}): requirement and grant
 * changes are seen without a restart, one event per changed grant. Answers permission checks from memory.
 * <p>
 * <b>A check passes only for a grant that is both expected and applied</b>: expected by its grant document (revoking
 * it there makes checks fail at once, before its {@code onRevoked} hook runs) and recorded as applied by the
 * reconciler (a new grant passes only once its {@code onGranted} hook succeeded).
 * <p>
 * <b>Checks fail closed.</b> When the RCB is deleted, or replaced by one that does not validate, every check fails
 * ({@link #brokenReason()} says why) until a valid RCB is written again: the revocations the broken one may carry are
 * never ignored. The requirements of the last valid RCB stay in use for calls. How current the view is, is
 * {@link #staleness()}. Thread-safe.
 */
public final class RcbView implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RcbView.class);
    private static final Duration FOREVER = Duration.ofDays(365 * 100);

    private final String replicaId;
    private final Subscription rcbWatch;
    private final Subscription expectedWatch;
    private final Subscription currentWatch;
    /** In key order, so that the reconciler's passes go through the grants in a stable order. */
    private final Map<String, Rcb.GrantEntry> expected = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final Map<String, CurrentGrant> current = new ConcurrentHashMap<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> rcbListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> expectedListeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch rcbLoaded = new CountDownLatch(1);
    private final CountDownLatch currentLoaded = new CountDownLatch(1);
    private final CountDownLatch expectedLoaded = new CountDownLatch(1);
    private volatile Rcb rcb;
    private volatile String loadProblem;
    private volatile String broken;

    private RcbView(Store store, String replicaId) {
        this.replicaId = replicaId;
        this.rcbWatch = store.watch(Rcb.key(replicaId), WatchOptions.forKey().withInitialSnapshot(), new RcbListener());
        this.expectedWatch = store.watch(GrantKeys.expectedPrefix(replicaId),
                WatchOptions.forPrefix().withInitialSnapshot(), new ExpectedListener());
        this.currentWatch = store.watch(GrantKeys.currentPrefix(replicaId),
                WatchOptions.forPrefix().withInitialSnapshot(), new CurrentListener());
    }

    /**
     * Loads the RCB of {@code replicaId} and keeps following it.
     *
     * @throws IllegalStateException when there is no RCB with this id, it is invalid, or it is not loaded within
     *         {@code timeout}; the message says what to check
     */
    public static RcbView open(Store store, String replicaId, Duration timeout) {
        store = store.cluster(); // shared records: at the cluster root whatever view the caller has
        requireNonNull(replicaId, "replicaId");
        RcbView view = new RcbView(store, replicaId);
        try {
            boolean loaded = view.rcbLoaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    && view.expectedLoaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    && view.currentLoaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (view.loadProblem != null) {
                throw new IllegalStateException(view.loadProblem);
            }
            if (!loaded) {
                throw new IllegalStateException("the RCB " + Rcb.key(replicaId) + " was not loaded within " + timeout
                        + ": is etcd reachable?");
            }
            return view;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading the RCB", e);
        } catch (RuntimeException e) {
            view.close();
            throw e;
        }
    }

    public String replicaId() {
        return replicaId;
    }

    /** The latest valid RCB. */
    public Rcb rcb() {
        return rcb;
    }

    /** Why every check fails now (the RCB was deleted or is invalid); empty while the RCB is valid. */
    public java.util.Optional<String> brokenReason() {
        return java.util.Optional.ofNullable(broken);
    }

    /**
     * How long ago etcd last confirmed all three watches (the RCB, the expected and the applied grants) were current:
     * about the watch progress interval while etcd answers, growing during a partition.
     */
    public Duration staleness() {
        long confirmed = Math.min(rcbWatch.confirmedAtNanos(), Math.min(expectedWatch.confirmedAtNanos(),
                currentWatch.confirmedAtNanos()));
        return confirmed == 0 ? FOREVER : Duration.ofNanos(System.nanoTime() - confirmed);
    }

    /** The grants this replica must enforce, by grant key in key order (a live, unmodifiable view). */
    public Map<String, Rcb.GrantEntry> expected() {
        return java.util.Collections.unmodifiableMap(expected);
    }

    /** The applied state of every grant, by grant key. */
    public Map<String, CurrentGrant> current() {
        return Map.copyOf(current);
    }

    /** Runs {@code listener} (on a watch thread) after each change of the RCB, of the expected or applied grants. */
    public void onChange(Runnable listener) {
        listeners.add(requireNonNull(listener, "listener"));
    }

    /** Runs {@code listener} (on a watch thread) after each change of the RCB document itself (its requirements). */
    public void onRcbChange(Runnable listener) {
        rcbListeners.add(requireNonNull(listener, "listener"));
    }

    /**
     * Runs {@code listener} (on a watch thread) after each change of what must be enforced: the RCB document (a
     * broken or repaired RCB) or a grant document. Not after changes of the applied state.
     */
    public void onExpectedChange(Runnable listener) {
        expectedListeners.add(requireNonNull(listener, "listener"));
    }

    /**
     * Whether {@code grantee} currently holds {@code permission} of {@code contract} for {@code instanceId} (null for a
     * single-instance permission), by a grant to it alone.
     */
    public boolean check(String grantee, String contract, String permission, String instanceId) {
        if (broken != null) {
            return false;
        }
        String key = GrantKeys.grantKey(grantee, contract, permission, instanceId);
        Rcb.GrantEntry e = expected.get(key);
        CurrentGrant applied = current.get(key);
        return e != null && e.expected().granted() && applied != null && applied.granted();
    }

    /**
     * Whether any of {@code grantees} (an account and the groups it belongs to) holds the permission: a grant to the
     * account, to its realm or to every user.
     */
    public boolean check(Collection<String> grantees, String contract, String permission, String instanceId) {
        for (String grantee : grantees) {
            if (check(grantee, contract, permission, instanceId)) {
                return true;
            }
        }
        return false;
    }

    /** Every grant of {@code grantee} in this replica and whether it is in force: the "my grants" view. */
    public List<GrantStatus> grantsOf(String grantee) {
        return grantsOf(List.of(grantee));
    }

    /** The grants of each of {@code grantees} (an account and its groups), each with the grantee it was given to. */
    public List<GrantStatus> grantsOf(Collection<String> grantees) {
        List<GrantStatus> result = new ArrayList<>();
        for (String grantee : grantees) {
            List<Rcb.GrantEntry> mine = new ArrayList<>();
            String prefix = grantee + "/";
            expected.forEach((key, e) -> {
                if (key.startsWith(prefix)) {
                    mine.add(e);
                }
            });
            mine.sort(java.util.Comparator.comparing(Rcb.GrantEntry::key));
            for (Rcb.GrantEntry e : mine) {
                CurrentGrant c = current.get(e.key());
                boolean applied = c != null && c.granted();
                GrantStatus.State state;
                if (e.expected().granted()) {
                    state = applied && Objects.equals(c.params(), e.expected().params()) ? GrantStatus.State.CURRENT
                            : applied ? GrantStatus.State.UPDATING : GrantStatus.State.PENDING;
                } else {
                    state = applied ? GrantStatus.State.REVOKING : GrantStatus.State.REVOKED;
                }
                result.add(new GrantStatus(e.contract(), e.permission(), e.instanceId(), e.expected().params(), state,
                        c == null ? null : c.error(), grantee));
            }
        }
        return result;
    }

    @Override
    public void close() {
        rcbWatch.close();
        expectedWatch.close();
        currentWatch.close();
    }

    private enum Change {
        RCB,
        EXPECTED,
        APPLIED
    }

    private void changed(Change change) {
        List<Runnable> all = new ArrayList<>(listeners);
        if (change == Change.RCB) {
            all.addAll(rcbListeners);
        }
        if (change != Change.APPLIED) {
            all.addAll(expectedListeners);
        }
        for (Runnable l : all) {
            try {
                l.run();
            } catch (RuntimeException e) {
                LOG.errorf(e, "an RCB change listener failed");
            }
        }
    }

    private void acceptRcb(KeyValue kv, long revision) {
        if (kv == null) {
            fail(rcb != null ? "the RCB " + Rcb.key(replicaId) + " was deleted (revision " + revision + ")"
                    : "there is no RCB " + Rcb.key(replicaId) + ": check RESIDE_CONTROL_BLOCK_ID (the replica id Alpha "
                            + "created) and that RESIDE_CLUSTER names the right cluster");
            return;
        }
        try {
            Rcb next = kv.decode(Rcb.TYPE);
            var problem = RcbValidator.validate(next);
            if (problem.isPresent() || !next.id().equals(replicaId)) {
                fail("the RCB " + Rcb.key(replicaId) + " at revision " + revision + " is invalid: "
                        + problem.orElse("its id is " + next.id()));
                return;
            }
            rcb = next;
            if (broken != null) {
                LOG.infof("the RCB %s is valid again (revision %d): permission checks resume", Rcb.key(replicaId),
                        revision);
            }
            broken = null;
            rcbLoaded.countDown();
        } catch (DocumentFormatException e) {
            fail(e.getMessage());
        }
    }

    private void fail(String problem) {
        if (rcb == null) {
            loadProblem = problem;
            rcbLoaded.countDown();
        } else {
            // fail closed: the broken RCB may revoke grants the last valid one gave
            broken = problem;
            LOG.errorf("%s: every permission check of this replica fails until Alpha writes a valid RCB (calls to "
                    + "requirements keep the implementors of the last valid one)", problem);
        }
    }

    private final class RcbListener implements WatchListener {
        @Override
        public void onEvents(List<WatchEvent> events) {
            WatchEvent last = events.get(events.size() - 1);
            acceptRcb(last.type() == WatchEvent.Type.DELETE ? null : last.kv(), last.revision());
            changed(Change.RCB);
        }

        @Override
        public void onReset(long revision, List<KeyValue> state) {
            acceptRcb(state.isEmpty() ? null : state.get(0), revision);
            changed(Change.RCB);
        }
    }

    private final class ExpectedListener implements WatchListener {
        @Override
        public void onEvents(List<WatchEvent> events) {
            for (WatchEvent e : events) {
                apply(e.type() == WatchEvent.Type.DELETE ? null : e.kv(), e.kv().key());
            }
            changed(Change.EXPECTED);
        }

        @Override
        public void onReset(long revision, List<KeyValue> state) {
            expected.clear();
            state.forEach(kv -> apply(kv, kv.key()));
            expectedLoaded.countDown();
            changed(Change.EXPECTED);
        }

        /**
         * A grant document that does not parse, or is not at its own key, is left out (logged): it grants nothing,
         * and a revocation it carried is not missed, since its previous version is dropped too.
         */
        private void apply(KeyValue kv, String etcdKey) {
            String encoded = etcdKey.substring(GrantKeys.expectedPrefix(replicaId).length());
            String key = java.net.URLDecoder.decode(encoded, java.nio.charset.StandardCharsets.UTF_8);
            expected.remove(key);
            if (kv == null) {
                return;
            }
            try {
                Rcb.GrantEntry e = kv.decode(Rcb.GRANT);
                var problem = RcbValidator.validate(replicaId, etcdKey, e);
                if (problem.isPresent()) {
                    LOG.errorf("ignoring the grant document %s: %s; it grants nothing until Alpha rewrites it",
                            etcdKey, problem.get());
                    return;
                }
                expected.put(key, e);
            } catch (DocumentFormatException e) {
                LOG.errorf("ignoring an unreadable grant document %s: %s", etcdKey, e.getMessage());
            }
        }
    }

    private final class CurrentListener implements WatchListener {
        @Override
        public void onEvents(List<WatchEvent> events) {
            for (WatchEvent e : events) {
                apply(e.type() == WatchEvent.Type.DELETE ? null : e.kv(), e.kv().key());
            }
            changed(Change.APPLIED);
        }

        @Override
        public void onReset(long revision, List<KeyValue> state) {
            current.clear();
            state.forEach(kv -> apply(kv, kv.key()));
            currentLoaded.countDown();
            changed(Change.APPLIED);
        }

        private void apply(KeyValue kv, String etcdKey) {
            if (kv == null) {
                current.values().removeIf(c -> GrantKeys.currentKey(replicaId, c.key()).equals(etcdKey));
                return;
            }
            try {
                CurrentGrant c = kv.decode(CurrentGrant.TYPE);
                current.put(c.key(), c);
            } catch (DocumentFormatException e) {
                LOG.errorf("ignoring an unreadable applied grant: %s", e.getMessage());
            }
        }
    }
}
