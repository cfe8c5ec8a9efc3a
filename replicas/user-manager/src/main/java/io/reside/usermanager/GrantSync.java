package io.reside.usermanager;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.etcd.EtcdUnavailableException;
import io.reside.etcd.HeldLock;
import io.reside.etcd.KeyValue;
import io.reside.etcd.LockTimeoutException;
import io.reside.etcd.Store;
import io.reside.etcd.Subscription;
import io.reside.etcd.Versioned;
import io.reside.etcd.WatchEvent;
import io.reside.etcd.WatchListener;
import io.reside.etcd.WatchOptions;
import io.reside.model.error.ResideException;
import io.reside.permissions.GrantKeys;
import io.reside.runtime.ReplicaStarted;
import io.reside.runtime.client.Requirement;

/**
 * Keeps the implementing replicas' grants equal to what the User Manager recorded, through Alpha's
 * {@code syncGrants}: a user's own grants go to its account, the default sets to {@code users:all} (once, however
 * many users there are). Level-triggered: a document whose revision differs from the one last pushed
 * ({@code um/synced/...}) is pushed again, whatever woke the loop (a change, a restart, a failed call). Alpha's
 * {@code syncGrants} states the whole set each time, so pushing twice changes nothing and no hook runs twice. One
 * process of the User Manager syncs at a time (the etcd lock {@value #LOCK}).
 */
@ApplicationScoped
public class GrantSync {

    private static final Logger LOG = Logger.getLogger(GrantSync.class);
    static final String LOCK = "user-manager-grant-sync";
    static final String DEFAULTS = "defaults";

    @Inject
    Store store;

    @Inject
    @Requirement("alpha")
    AlphaApi alpha;

    private final Semaphore wake = new Semaphore(0);
    /** Documents changed since they were last looked at (grants keys, or {@link Records#DEFAULTS_KEY}). */
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    private volatile Thread thread;
    private volatile Subscription watch;

    void start(@Observes ReplicaStarted started) {
        watch = store.watch("um/", WatchOptions.forPrefix(), new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                for (WatchEvent e : events) {
                    String key = e.kv().key();
                    if (key.startsWith(Records.GRANTS_PREFIX) || key.equals(Records.DEFAULTS_KEY)) {
                        dirty.add(key);
                        nudge();
                    }
                }
            }

            @Override
            public void onReset(long revision, List<KeyValue> state) {
                nudge();
            }
        });
        Thread t = new Thread(this::run, "um-grant-sync");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        if (watch != null) {
            watch.close();
        }
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    void nudge() {
        wake.release();
    }

    private void run() {
        while (!stopping) {
            try {
                store.withLock(LOCK, lock -> {
                    LOG.infof("this User Manager syncs the grants (lock %s)", LOCK);
                    fullScan();
                    loop(lock);
                    return null;
                });
            } catch (LockTimeoutException e) {
                LOG.debugf("another User Manager syncs the grants; waiting for its lock");
            } catch (RuntimeException e) {
                if (stopping) {
                    return;
                }
                LOG.warnf("the grant sync stopped (%s); starting it again in 1 s", e.getMessage());
                sleep(1000);
            }
        }
    }

    /**
     * At start, on taking over, and when idle for a while: every grants document whose revision differs from its
     * marker is pushed (two range reads, whatever the number of users; {@link #push} checks again).
     */
    private void fullScan() {
        Map<String, Long> pushed = new HashMap<>();
        store.list(Records.SYNCED, Records.SYNCED_PREFIX).forEach(v -> pushed.put(v.key(), v.value().revision()));
        store.list(Records.GRANTS, Records.GRANTS_PREFIX).forEach(v -> {
            if (!Objects.equals(pushed.get(markerOf(v.key())), v.modRevision())) {
                dirty.add(v.key());
            }
        });
        dirty.add(Records.DEFAULTS_KEY);
    }

    /** Where the revision last pushed of a document is recorded. */
    private static String markerOf(String key) {
        return key.equals(Records.DEFAULTS_KEY) ? Records.syncedKey(DEFAULTS)
                : Records.syncedKey(key.substring(Records.GRANTS_PREFIX.length()));
    }

    private void loop(HeldLock lock) {
        long backoff = 200;
        while (!stopping && lock.isHeld()) {
            List<String> keys = new ArrayList<>(dirty);
            boolean failed = false;
            for (String key : keys) {
                if (stopping || !lock.isHeld()) {
                    return;
                }
                dirty.remove(key);
                try {
                    push(lock, key);
                } catch (ResideException | EtcdUnavailableException e) {
                    dirty.add(key); // pushed again after a pause
                    failed = true;
                    LOG.warnf("could not sync %s: %s; retrying in %d ms", key, e.getMessage(), backoff);
                }
            }
            try {
                if (failed) {
                    wake.tryAcquire(backoff, TimeUnit.MILLISECONDS);
                    backoff = Math.min(backoff * 2, 10_000);
                } else {
                    backoff = 200;
                    if (dirty.isEmpty()) {
                        wake.tryAcquire(30, TimeUnit.SECONDS); // and a look at everything now and then
                        if (dirty.isEmpty()) {
                            fullScan();
                        }
                    }
                }
                wake.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Pushes one document to Alpha if its revision was not pushed yet, then records that it was (fenced). */
    private void push(HeldLock lock, String key) {
        String marker = markerOf(key);
        long revision;
        String grantee;
        List<AlphaApi.PermissionSet> sets = new ArrayList<>();
        if (key.equals(Records.DEFAULTS_KEY)) {
            Optional<Versioned<Records.Defaults>> d = store.find(Records.DEFAULTS, key);
            revision = d.map(Versioned::modRevision).orElse(0L);
            grantee = GrantKeys.ALL_USERS;
            d.ifPresent(v -> v.value().sets().forEach(s -> sets.add(set("default:" + s.name(), s.grants()))));
        } else {
            Optional<Versioned<Records.OwnGrants>> g = store.find(Records.GRANTS, key);
            if (g.isEmpty()) {
                return;
            }
            revision = g.get().modRevision();
            grantee = g.get().value().accountId();
            sets.add(set(Users.OWN, g.get().value().grants()));
            if (!g.get().value().superAdmin().isEmpty()) {
                sets.add(set(Users.SUPER_ADMIN, g.get().value().superAdmin()));
            }
        }
        if (store.find(Records.SYNCED, marker).map(v -> v.value().revision() == revision).orElse(revision == 0)) {
            return;
        }
        AlphaApi.SyncResult result = alpha.syncGrants(new AlphaApi.SyncGrants(grantee, "manual", sets));
        lock.run(tx -> {
            tx.put(Records.SYNCED, marker, new Records.Synced(revision, Instant.now()));
            return null;
        });
        LOG.infof("synced the grants of %s (revision %d): %d granted, %d updated, %d revoked", grantee, revision,
                result.granted(), result.updated(), result.revoked());
    }

    private static AlphaApi.PermissionSet set(String name, List<UserManagerApi.GrantSpec> grants) {
        return new AlphaApi.PermissionSet(name, grants.stream().map(g -> new AlphaApi.GrantSpec(g.contract(),
                g.permission(), g.params(), List.of())).toList());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
