package io.reside.alpha.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.vertx.http.HttpServerStart;
import io.reside.alpha.config.AlphaConfig;
import io.reside.alpha.service.Records;
import io.reside.etcd.EtcdUnavailableException;
import io.reside.etcd.HeldLock;
import io.reside.etcd.KeyValue;
import io.reside.etcd.LockLostException;
import io.reside.etcd.LockTimeoutException;
import io.reside.etcd.Store;
import io.reside.etcd.Subscription;
import io.reside.etcd.Versioned;
import io.reside.etcd.WatchEvent;
import io.reside.etcd.WatchListener;
import io.reside.etcd.WatchOptions;
import io.reside.model.manifest.ReplicaManifest;
import io.reside.permissions.GrantKeys;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbAdmin;
import io.reside.runtime.ReplicaStarted;

/**
 * Makes the runtime match Alpha's records. <b>Must be idempotent</b>: level-triggered, each pass recomputes the whole
 * desired state from etcd (which versions must run), asks the runtime to make it so, and records what the runtime
 * observed (each version's {@code status}, each instance's endpoints, the endpoints in the RCBs of the replicas
 * wired to it) only where it changed. A pass runs on every change under {@code alpha/} and every
 * {@code alpha.reconcile-interval} (crashed processes, drift), by the one Alpha that holds the lock {@value #LOCK}.
 * A crash of Alpha between passes loses nothing: the next Alpha recomputes the same pass.
 * <p>
 * Update order: a scalable replica's new version starts beside the old one, which stops once the new one is running;
 * a replica that is not scalable has its old version stopped before the new one starts. A disabled replica runs
 * nothing. Key files of accounts that no instance has (left by an approval that crashed before its commit) are
 * deleted after a grace period.
 */
@ApplicationScoped
public class WorkloadReconciler {

    private static final Logger LOG = Logger.getLogger(WorkloadReconciler.class);

    @Inject
    Store store;

    @Inject
    AlphaConfig config;

    @Inject
    WorkloadRuntime runtime;

    @Inject
    EtcdUsers etcdUsers;

    /** The etcd lock whose holder is the one Alpha that acts on the runtime. */
    static final String LOCK = "alpha-workloads";
    private static final long MIN_PASS_GAP_MS = 100;

    /** Passes asked for since the last one (coalesced: one pass answers them all). */
    private final Semaphore wake = new Semaphore(0);
    private final AtomicLong passes = new AtomicLong();
    private volatile boolean stopping;
    private volatile boolean leading;
    private final AtomicBoolean runtimeClosed = new AtomicBoolean();
    private volatile Thread leader;
    private volatile Subscription watch;

    /** Where replicas reach this Alpha, once it listens. */
    private volatile Map<String, String> selfEndpoints = Map.of();

    void listening(@ObservesAsync HttpServerStart event) {
        selfEndpoints = config.advertisedEndpoints().isEmpty() ? runtime.selfEndpoints(event.options().getPort())
                : Map.copyOf(config.advertisedEndpoints());
        nudge();
    }

    /** Starts once Alpha serves (the last step of its start-up). */
    void start(@Observes ReplicaStarted started) {
        watch = store.watch("alpha/", WatchOptions.forPrefix(), new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                nudge();
            }

            @Override
            public void onReset(long revision, List<KeyValue> state) {
                nudge();
            }
        });
        runtime.onChange(this::nudge);
        Thread t = new Thread(this::lead, "alpha-workloads");
        t.setDaemon(true);
        leader = t;
        t.start();
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        if (watch != null) {
            watch.close();
        }
        Thread t = leader;
        if (t != null) {
            wake.release();
            if (!leading) {
                t.interrupt(); // out of its wait for the lock
            }
            try {
                t.join(config.local().stopTimeout().toMillis() + 5000); // the leader closes the runtime, then lets go
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeRuntime();
    }

    /**
     * The local runtime stops its children, the Kubernetes one stops watching. The leader does it before it releases
     * the lock, so the next Alpha never adopts a process that is still stopping.
     */
    private void closeRuntime() {
        if (runtimeClosed.compareAndSet(false, true)) {
            runtime.close();
        }
    }

    /** Asks for a pass now. */
    public void nudge() {
        wake.release();
    }

    /** Passes done so far. */
    public long passes() {
        return passes.get();
    }

    /**
     * One Alpha at a time acts on the runtime: the holder of the etcd lock {@value #LOCK} (bound to a lease, so a
     * crashed holder's lock frees itself after {@code reside.etcd.lock-ttl}). Another Alpha (two run side by side
     * while Alpha's own Deployment rolls) waits for it, serving its methods meanwhile; every commit of a pass is
     * fenced by the lock.
     */
    private void lead() {
        LOG.infof("taking the lock %s to run the workloads (an Alpha that holds it runs them until it stops)", LOCK);
        boolean toldWaiting = false;
        while (!stopping) {
            try {
                store.withLock(LOCK, lock -> {
                    LOG.infof("this Alpha runs the workloads (lock %s, fencing token %d)", LOCK, lock.fencingToken());
                    leading = true;
                    try {
                        loop(lock);
                        if (stopping) {
                            closeRuntime();
                        }
                    } finally {
                        leading = false;
                    }
                    return null;
                });
                toldWaiting = false;
            } catch (LockTimeoutException e) {
                if (!toldWaiting) {
                    LOG.infof("another Alpha runs the workloads (it holds the lock %s): waiting for it", LOCK);
                    toldWaiting = true;
                }
            } catch (RuntimeException e) {
                if (stopping) {
                    return;
                }
                LOG.warnf("the workload loop stopped (%s); starting it again in 1 s", e.getMessage());
                sleep(1000);
            }
        }
    }

    /** Passes while the lock is held: on every nudge, and every {@code alpha.reconcile-interval} anyway. */
    private void loop(HeldLock lock) {
        long interval = config.reconcileInterval().toMillis();
        while (!stopping && lock.isHeld()) {
            try {
                wake.tryAcquire(interval, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (stopping) {
                return;
            }
            wake.drainPermits();
            tick(lock);
            // nudges that come during a pass, or just after it (a pass's own writes come back as watch events),
            // make one more pass, not one each: at most 10 passes a second, so starting replicas keep the CPU
            sleep(MIN_PASS_GAP_MS);
        }
        if (!stopping) {
            LOG.warnf("lost the lock %s (etcd unreachable for longer than its lease?): this Alpha stops acting on "
                    + "the workloads until it holds it again", LOCK);
        }
    }

    private void tick(HeldLock lock) {
        try {
            pass(lock);
            passes.incrementAndGet();
        } catch (EtcdUnavailableException | WorkloadRuntime.RuntimeUnavailableException e) {
            LOG.debugf("workload pass skipped: %s", e.getMessage());
            retrySoon();
        } catch (LockLostException e) {
            LOG.debugf("workload pass not recorded: %s", e.getMessage()); // the loop notices the lock is gone
        } catch (RuntimeException e) {
            LOG.errorf(e, "a workload pass failed; the next one retries");
            retrySoon();
        }
    }

    private void retrySoon() {
        sleep(200);
        wake.release();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One pass: desired state from etcd, the runtime made to match, observations recorded (fenced by the lock). */
    void pass(HeldLock lock) {
        List<Records.ReplicaRecord> all = store.list(Records.REPLICA, Records.REPLICAS).stream()
                .map(Versioned::value).toList();
        List<Records.ReplicaRecord> replicas = all.stream().filter(r -> !r.id().equals(Records.ALPHA_ID)).toList();
        Map<String, List<Records.VersionRecord>> versions = new HashMap<>();
        for (Records.ReplicaRecord r : replicas) {
            versions.put(r.id(), store.list(Records.VERSION, Records.versionsOf(r.id())).stream()
                    .map(Versioned::value).toList());
        }
        Set<String> known = runtime.known();
        Map<String, Boolean> contractsWithMethods = new HashMap<>();
        List<WorkloadRuntime.Desired> desired = new ArrayList<>();
        for (Records.ReplicaRecord r : replicas) {
            desired.addAll(desiredOf(r, versions.get(r.id()), known, serves(r, contractsWithMethods)));
        }
        // each version's etcd user exists before the version starts, and goes once it stopped
        Set<String> running = new HashSet<>(known);
        desired.forEach(d -> running.add(d.key()));
        etcdUsers.reconcile(replicas, EtcdUsers.versionsOf(running));
        List<WorkloadRuntime.Desired> withCredentials = desired.stream().map(d -> d.withEtcd(etcdUsers.credentials(d
                .replica().id(), d.version().id()).orElse(null))).toList();
        Map<String, WorkloadRuntime.Observed> observed = runtime.reconcile(withCredentials);
        for (Records.ReplicaRecord r : replicas) {
            record(lock, r, versions.get(r.id()), observed);
        }
        removeOrphanKeys(replicas);
        purgeUnloaded(lock, runtime.known());
        all.stream().filter(r -> r.id().equals(Records.ALPHA_ID)).findFirst().ifPresent(alpha -> {
            publishSelf(lock, alpha);
            updateSelf(lock, alpha);
        });
    }

    /**
     * Alpha's own versions (SPEC 6.1: Alpha updates itself through a load request): once one was loaded, the runtime
     * makes Alpha's workload run the current one, and each version's status says what it sees.
     */
    private void updateSelf(HeldLock lock, Records.ReplicaRecord alpha) {
        List<Records.VersionRecord> versions = store.list(Records.VERSION, Records.versionsOf(alpha.id())).stream()
                .map(Versioned::value).toList();
        Records.VersionRecord current = versions.stream().filter(v -> v.id() == alpha.currentVersionId()).findFirst()
                .orElse(null);
        if (current == null || versions.stream().allMatch(v -> v.digest() == null)) {
            return; // the Alpha that bootstrapped the cluster, never updated: nothing to do
        }
        Map<String, WorkloadRuntime.Observed> observed = runtime.reconcileSelf(current, versions);
        List<Records.VersionRecord> changed = new ArrayList<>();
        for (Records.VersionRecord v : versions) {
            WorkloadRuntime.Observed o = observed.get(WorkloadRuntime.Desired.key(v.replicaId(), v.id()));
            if (o != null && (!o.status().equals(v.status()) || !Objects.equals(o.message(), v.statusMessage()))) {
                changed.add(v.withStatus(o.status(), o.message()));
            }
        }
        if (changed.isEmpty()) {
            return;
        }
        lock.run(tx -> {
            for (Records.VersionRecord v : changed) {
                if (tx.find(Records.VERSION, Records.versionKey(v.replicaId(), v.id())).isPresent()) {
                    tx.put(Records.VERSION, Records.versionKey(v.replicaId(), v.id()), v);
                }
            }
            return null;
        });
        changed.forEach(v -> LOG.infof("Alpha version %d: %s%s", v.id(), v.status(), v.statusMessage() == null ? ""
                : " (" + v.statusMessage() + ")"));
    }

    /** Alpha's own endpoints, in its instance record and where replicas requiring alpha.v1 call it. */
    private void publishSelf(HeldLock lock, Records.ReplicaRecord alpha) {
        Map<String, String> endpoints = selfEndpoints;
        if (endpoints.isEmpty() || endpoints.equals(alpha.endpoints())) {
            return; // not listening yet, or published already
        }
        lock.run(tx -> {
            tx.find(Records.REPLICA, Records.replicaKey(Records.ALPHA_ID)).ifPresent(now -> tx.put(Records.REPLICA,
                    Records.replicaKey(Records.ALPHA_ID), now.withEndpoints(endpoints)));
            publish(tx, Records.ALPHA_ID, endpoints);
            return null;
        });
        LOG.infof("replicas reach Alpha at %s", endpoints);
    }

    /** Deletes the grant documents of unloaded instances whose workload is gone (see {@link Records.Purge}). */
    private void purgeUnloaded(HeldLock lock, Set<String> known) {
        for (Versioned<Records.Purge> p : store.list(Records.PURGE, Records.PURGES)) {
            String id = p.value().replicaId();
            if (known.stream().anyMatch(k -> k.startsWith(id + "/"))) {
                continue; // still stopping: it may record the revocation of a grant yet
            }
            int deleted = RcbAdmin.purgeGrants(store, id, 100);
            lock.run(tx -> {
                tx.delete(p.key());
                return null;
            });
            LOG.infof("%s (unloaded): deleted its %d grant and data documents", p.value().name(), deleted);
        }
    }

    /** Whether a replica implements at least one contract method (a contract not recorded counts as having one). */
    private boolean serves(Records.ReplicaRecord r, Map<String, Boolean> contractsWithMethods) {
        for (ReplicaManifest.Implementation i : r.manifest().implementations().values()) {
            if (contractsWithMethods.computeIfAbsent(i.identity(), identity -> store.find(RcbAdmin.CONTRACT,
                    GrantKeys.contractKey(identity)).map(c -> !c.value().manifest().methods().isEmpty())
                    .orElse(true))) {
                return true;
            }
        }
        return false;
    }

    /** The versions of an instance that must run now. */
    static List<WorkloadRuntime.Desired> desiredOf(Records.ReplicaRecord r, List<Records.VersionRecord> versions,
            Set<String> known, boolean serves) {
        if (!r.enabled()) {
            return List.of();
        }
        Records.VersionRecord current = versions.stream().filter(v -> v.id() == r.currentVersionId()).findFirst()
                .orElse(null);
        if (current == null) {
            return List.of();
        }
        List<Records.VersionRecord> others = versions.stream().filter(v -> v.id() != current.id()).toList();
        List<WorkloadRuntime.Desired> result = new ArrayList<>();
        if (r.manifest().info().scalable()) {
            result.add(new WorkloadRuntime.Desired(r, current, serves));
            if (!"running".equals(current.status())) { // the old keeps serving until the new one does
                for (Records.VersionRecord old : others) {
                    if (known.contains(r.id() + "/" + old.id())) {
                        result.add(new WorkloadRuntime.Desired(r, old, serves));
                    }
                }
            }
        } else {
            boolean oldStillThere = others.stream().anyMatch(v -> known.contains(r.id() + "/" + v.id()));
            if (!oldStillThere) {
                result.add(new WorkloadRuntime.Desired(r, current, serves));
            }
        }
        return result;
    }

    /** Records what the runtime saw of an instance's versions, and its endpoints where replicas call it. */
    private void record(HeldLock lock, Records.ReplicaRecord r, List<Records.VersionRecord> versions,
            Map<String, WorkloadRuntime.Observed> observed) {
        Map<String, String> endpoints = Map.of();
        List<Records.VersionRecord> changed = new ArrayList<>();
        for (Records.VersionRecord v : versions) {
            WorkloadRuntime.Observed o = observed.get(r.id() + "/" + v.id());
            boolean current = v.id() == r.currentVersionId();
            String status;
            String message;
            if (o != null) {
                status = !current && o.status().equals("running") ? "running-outdated" : o.status();
                message = o.message();
                if (o.status().equals("running") && (current || endpoints.isEmpty())) {
                    endpoints = o.endpoints();
                }
            } else if (current && r.enabled()) {
                status = "starting";
                message = "waiting for the previous version to stop";
            } else {
                status = "stopped";
                message = current ? "disabled" : null;
            }
            if (!status.equals(v.status()) || !Objects.equals(message, v.statusMessage())) {
                changed.add(v.withStatus(status, message));
            }
        }
        boolean endpointsChanged = !endpoints.equals(r.endpoints());
        if (changed.isEmpty() && !endpointsChanged) {
            return;
        }
        Map<String, String> published = endpoints;
        if (endpointsChanged) {
            LOG.debugf("%s: endpoints %s (were %s)", r.name(), published, r.endpoints());
        }
        lock.run(tx -> {
            for (Records.VersionRecord v : changed) {
                if (tx.find(Records.VERSION, Records.versionKey(r.id(), v.id())).isPresent()) {
                    tx.put(Records.VERSION, Records.versionKey(r.id(), v.id()), v);
                }
            }
            if (endpointsChanged) {
                tx.find(Records.REPLICA, Records.replicaKey(r.id())).ifPresent(now -> tx.put(Records.REPLICA,
                        Records.replicaKey(r.id()), now.withEndpoints(published)));
                publish(tx, r.id(), published);
            }
            return null;
        });
        for (Records.VersionRecord v : changed) {
            LOG.infof("%s version %d: %s%s", r.name(), v.id(), v.status(), v.statusMessage() == null ? ""
                    : " (" + v.statusMessage() + ")");
        }
    }

    /** Puts an instance's endpoints into the RCB of every replica wired to it: they call the new address live. */
    static void publish(io.reside.etcd.Tx tx, String replicaId, Map<String, String> endpoints) {
        for (Versioned<Records.ReplicaRecord> other : tx.list(Records.REPLICA, Records.REPLICAS)) {
            String id = other.value().id();
            tx.find(Rcb.TYPE, Rcb.key(id)).ifPresent(rcb -> {
                Map<String, List<Rcb.Implementor>> requirements = new LinkedHashMap<>();
                boolean touched = false;
                for (Map.Entry<String, List<Rcb.Implementor>> e : rcb.requirements().entrySet()) {
                    List<Rcb.Implementor> list = new ArrayList<>();
                    for (Rcb.Implementor i : e.getValue()) {
                        if (i.replicaId().equals(replicaId) && !i.endpoints().equals(endpoints)) {
                            list.add(new Rcb.Implementor(i.replicaId(), i.name(), i.accountId(), endpoints));
                            touched = true;
                        } else {
                            list.add(i);
                        }
                    }
                    requirements.put(e.getKey(), list);
                }
                if (touched) {
                    tx.put(Rcb.TYPE, Rcb.key(id), rcb.withRequirements(requirements));
                }
            });
        }
    }

    private void removeOrphanKeys(List<Records.ReplicaRecord> replicas) {
        Set<String> accounts = new HashSet<>();
        replicas.forEach(r -> accounts.add(r.accountId()));
        runtime.storedKeys().forEach((account, ageMs) -> {
            if (!accounts.contains(account) && ageMs > config.orphanKeyGrace().toMillis()) {
                LOG.infof("deleting the key of account %s: no instance has it (an approval that did not commit, or an "
                        + "unloaded replica)", account);
                runtime.deleteKey(account);
            }
        });
    }
}
