package io.reside.permissions;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.jboss.logging.Logger;

import io.reside.etcd.EtcdUnavailableException;
import io.reside.etcd.HeldLock;
import io.reside.etcd.LockLostException;
import io.reside.etcd.LockTimeoutException;
import io.reside.etcd.Store;
import io.reside.etcd.Versioned;

/**
 * Applies a replica's grants: compares, for every grant, what the RCB expects with what the replica applied, calls
 * the contract's hooks for the difference and records the result, so checks can pass.
 * <p>
 * <b>Must be idempotent, and is level-triggered</b>: every pass recomputes the whole difference from the latest
 * state, whatever the change that woke it; a pass for a grant already applied does nothing. One pass at a time, on
 * one thread; changes during a pass cause another pass (the latest state wins). Across processes (two versions of a
 * replica during an update), passes run only in the process holding the lock {@code reconciler/<replicaId>}, and each
 * recorded result is fenced by it.
 * <p>
 * <b>Failures.</b> A hook that throws is recorded in {@code current.error} and retried with backoff
 * ({@link ReconcilerOptions}); other grants go on. etcd being unavailable pauses the reconciler until it is back.
 * <p>
 * <b>At least once.</b> Each hook's result is recorded in its own transaction right after the hook returns. A grant
 * whose result was recorded is never applied again, even after a restart. A process that dies between a hook's return
 * and the recording of its result calls that one hook again after the restart.
 */
public final class PermissionReconciler implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PermissionReconciler.class);

    private final Store store;
    private final RcbView view;
    private final HookRegistry hooks;
    private final ReconcilerOptions options;
    private final Object signal = new Object();
    private final LongAdder passes = new LongAdder();
    private final LongAdder hookCalls = new LongAdder();
    private final LongAdder hookFailures = new LongAdder();
    private final Thread thread;
    private boolean dirty = true;
    /** When the oldest change not yet reconciled was seen (System.nanoTime), or 0: guarded by {@link #signal}. */
    private long changedAt;
    private final LongAdder lagCount = new LongAdder();
    private final LongAdder lagNanos = new LongAdder();
    private volatile long lastLagNanos;
    private volatile boolean running = true;

    // state of the reconciler thread only
    private final Map<String, Retry> retries = new HashMap<>();
    private Map<String, CurrentGrant> applied = Map.of();

    private record Retry(int failures, long dueNanos) {
    }

    /**
     * Counters for metrics.
     *
     * @param lagCount changes of the expected grants reconciled (each pass that followed one)
     * @param lagNanos their lag summed: from the change seen to the pass over it done
     * @param lastLagNanos the last one's
     */
    public record Stats(long passes, long hookCalls, long hookFailures, long lagCount, long lagNanos,
            long lastLagNanos) {
    }

    public PermissionReconciler(Store store, RcbView view, HookRegistry hooks, ReconcilerOptions options) {
        this.store = requireNonNull(store, "store").cluster(); // RCBs and grants live at the cluster root
        this.view = requireNonNull(view, "view");
        this.hooks = requireNonNull(hooks, "hooks");
        this.options = requireNonNull(options, "options");
        this.thread = new Thread(this::loop, "reside-reconciler " + view.replicaId());
        this.thread.setDaemon(true);
    }

    /** Starts reconciling in the background; changes of the RCB wake it. */
    public PermissionReconciler start() {
        view.onExpectedChange(this::wake); // our own applied-state writes need no pass
        thread.start();
        return this;
    }

    /** Whether its thread runs (until {@link #close()}). */
    public boolean isRunning() {
        return thread.isAlive();
    }

    public Stats stats() {
        return new Stats(passes.sum(), hookCalls.sum(), hookFailures.sum(), lagCount.sum(), lagNanos.sum(),
                lastLagNanos);
    }

    /** Stops after the current hook; the lock is released. Idempotent. */
    @Override
    public void close() {
        running = false;
        wake();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void wake() {
        synchronized (signal) {
            dirty = true;
            if (changedAt == 0) {
                changedAt = System.nanoTime();
            }
            signal.notifyAll();
        }
    }

    private void loop() {
        int failures = 0;
        while (running) {
            try {
                store.withLock("reconciler/" + view.replicaId(), lock -> {
                    lead(lock);
                    return null;
                });
                failures = 0;
            } catch (LockTimeoutException e) {
                LOG.debugf("another process reconciles %s; waiting for its lock", view.replicaId());
            } catch (LockLostException | EtcdUnavailableException e) {
                failures++;
                LOG.warnf("reconciler of %s paused: %s", view.replicaId(), e.getMessage());
                sleep(Math.min(5_000, 200L << Math.min(failures, 5)));
            } catch (RuntimeException e) {
                failures++;
                LOG.errorf(e, "reconciler of %s failed; restarting it", view.replicaId());
                sleep(Math.min(5_000, 200L << Math.min(failures, 5)));
            }
        }
    }

    private void lead(HeldLock lock) {
        // we are the only writer of the applied state now: read it once, then keep it up to date ourselves
        Map<String, CurrentGrant> loaded = new HashMap<>();
        for (Versioned<CurrentGrant> v : store.list(CurrentGrant.TYPE, GrantKeys.currentPrefix(view.replicaId()))) {
            loaded.put(v.value().key(), v.value());
        }
        applied = loaded;
        wake();
        while (running && lock.isHeld()) {
            long since;
            synchronized (signal) {
                if (!dirty) {
                    long waitMs = Math.max(1, Math.min(options.resyncInterval().toMillis(), nextRetryInMillis()));
                    try {
                        signal.wait(waitMs);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        running = false;
                        return;
                    }
                }
                dirty = false;
                since = changedAt;
                changedAt = 0;
            }
            if (running) {
                pass(lock);
                if (since != 0) {
                    long lag = System.nanoTime() - since;
                    lastLagNanos = lag;
                    lagNanos.add(lag);
                    lagCount.increment();
                }
            }
        }
    }

    /** One pass over every grant: the difference between expected and applied, whatever woke us. */
    private void pass(HeldLock lock) {
        passes.increment();
        Map<String, Rcb.GrantEntry> expected = view.expected();
        Set<String> keys = new java.util.TreeSet<>(expected.keySet()); // in key order: passes are repeatable
        keys.addAll(applied.keySet());
        long now = System.nanoTime();
        for (String key : keys) {
            if (!running || !lock.isHeld()) {
                return;
            }
            Retry retry = retries.get(key);
            if (retry != null && retry.dueNanos() - now > 0) {
                continue;
            }
            reconcile(lock, key, expected.get(key), applied.get(key));
        }
        retries.keySet().retainAll(keys);
    }

    private void reconcile(HeldLock lock, String key, Rcb.GrantEntry expected, CurrentGrant current) {
        boolean want = expected != null && expected.expected().granted();
        boolean have = current != null && current.granted();
        if (!want && !have) {
            if (expected == null && current != null) {
                record(lock, key, null); // a failed grant that is gone: forget it
            }
            retries.remove(key);
            return;
        }
        if (want && have && Objects.equals(current.params(), expected.expected().params())) {
            retries.remove(key);
            return;
        }
        Rcb.GrantEntry subject = expected != null ? expected
                : new Rcb.GrantEntry(current.grantee(), current.contract(), current.permission(),
                        current.instanceId(), Map.of(), null);
        PermissionHooks h = hooks.find(subject.contract(), subject.permission());
        hookCalls.increment();
        try {
            if (want && !have) {
                h.onGranted(grant(subject, expected.expected().params()));
            } else if (want) {
                h.onUpdated(grant(subject, expected.expected().params()), grant(subject, current.params()));
            } else {
                h.onRevoked(grant(subject, current.params()));
            }
        } catch (RuntimeException e) {
            hookFailures.increment();
            Retry r = retries.get(key);
            int failures = r == null ? 1 : r.failures() + 1;
            retries.put(key, new Retry(failures, System.nanoTime() + options.delayAfter(failures).toNanos()));
            String action = want && !have ? "onGranted" : want ? "onUpdated" : "onRevoked";
            LOG.warnf("%s of %s failed (attempt %d, retrying in %s): %s", action, key, failures,
                    options.delayAfter(failures), e.toString());
            record(lock, key, new CurrentGrant(key, subject.grantee(), subject.contract(), subject.permission(),
                    subject.instanceId(), have, current == null ? null : current.params(),
                    current == null ? null : current.appliedAt(), action + " failed: " + e, Instant.now()));
            return;
        }
        retries.remove(key);
        if (!want && expected == null) {
            record(lock, key, null);
        } else {
            record(lock, key, new CurrentGrant(key, subject.grantee(), subject.contract(), subject.permission(),
                    subject.instanceId(), want, want ? expected.expected().params() : current.params(), Instant.now(),
                    null, null));
        }
    }

    /** Records the applied state of one grant (null: remove it), fenced by the lock. */
    private void record(HeldLock lock, String key, CurrentGrant state) {
        String etcdKey = GrantKeys.currentKey(view.replicaId(), key);
        lock.run(tx -> {
            if (state == null) {
                tx.delete(etcdKey);
            } else {
                tx.put(CurrentGrant.TYPE, etcdKey, state);
            }
            return null;
        });
        Map<String, CurrentGrant> next = new HashMap<>(applied);
        if (state == null) {
            next.remove(key);
        } else {
            next.put(key, state);
        }
        applied = next;
    }

    private long nextRetryInMillis() {
        long now = System.nanoTime();
        return retries.values().stream().mapToLong(r -> TimeUnit.NANOSECONDS.toMillis(r.dueNanos() - now) + 1)
                .min().orElse(Long.MAX_VALUE);
    }

    private static Grant grant(Rcb.GrantEntry e, com.fasterxml.jackson.databind.node.ObjectNode params) {
        return new Grant(e.grantee(), e.contract(), e.permission(), e.instanceId(), params);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
