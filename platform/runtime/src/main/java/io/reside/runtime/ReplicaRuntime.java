package io.reside.runtime;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.HttpServerStart;
import io.quarkus.vertx.http.HttpsServerStart;
import io.reside.etcd.EtcdUnavailableException;
import io.reside.etcd.Store;
import io.reside.permissions.RcbView;
import io.reside.runtime.client.RequirementClients;
import io.reside.runtime.rpc.RpcServer;
import io.reside.security.AccountRegistry;

/**
 * The start-up of a replica (SPEC 5.7), each step failing fast with a message that names what to fix:
 * <ol>
 * <li>configuration (checked by SmallRye Config before this runs: a missing or invalid property stops start-up with
 * its name);</li>
 * <li>the account: key from {@code RESIDE_ACCOUNT_KEY[_FILE]}, matching the public key registered for
 * {@code RESIDE_ACCOUNT_ID};</li>
 * <li>the RCB ({@code RESIDE_CONTROL_BLOCK_ID});</li>
 * <li>the requirement clients;</li>
 * <li>the permission reconciler;</li>
 * <li>serving RPC (Quarkus opens the HTTP port; readiness turns up);</li>
 * <li>the replica's own initialisation ({@link ReplicaStarted}).</li>
 * </ol>
 * Without {@code RESIDE_CONTROL_BLOCK_ID} only step 1 runs: a process using the platform but not a replica (a tool, a
 * test). On shutdown (SIGTERM) Quarkus stops accepting requests and drains those in flight
 * ({@code quarkus.shutdown.timeout}); then background loops stop and leases are released.
 */
@ApplicationScoped
public class ReplicaRuntime {

    private static final Logger LOG = Logger.getLogger(ReplicaRuntime.class);

    @Inject
    ResideConfig config;

    @Inject
    Store store;

    @Inject
    PermissionChecks permissions;

    @Inject
    RequirementClients requirements;

    @Inject
    Event<ReplicaStarted> started;

    @Inject
    RpcServer rpc;

    private volatile AccountRegistry registry;
    private volatile AccountIdentity identity;
    private volatile RcbView view;
    private volatile boolean serving;
    private final java.util.concurrent.atomic.AtomicBoolean servingOnce = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean etcdReachable = true;
    private ScheduledExecutorService pinger;

    void start(@Observes @Priority(10) StartupEvent event) {
        config.endpoint().internal().ifPresent(uri -> checkEndpoint("RESIDE_ENDPOINT_INTERNAL", uri));
        config.endpoint().external().ifPresent(uri -> checkEndpoint("RESIDE_ENDPOINT_EXTERNAL", uri));
        registry = step("2: load the account registry",
                () -> AccountRegistry.open(store.cluster(), config.controlBlockLoadTimeout()));
        startPinger();
        if (config.controlBlockId().isEmpty()) {
            LOG.info("RESIDE_CONTROL_BLOCK_ID is not set: running without an RCB (no RPC identity, every permission "
                    + "check fails)");
            return;
        }
        identity = step("2: load the account key", () -> AccountIdentity.load(config, registry));
        rpc.start(identity);
        String replicaId = config.controlBlockId().get();
        view = step("3: load the RCB",
                () -> RcbView.open(store.cluster(), replicaId, config.controlBlockLoadTimeout()));
        if (!view.rcb().accountId().equals(identity.accountId())) {
            throw new IllegalStateException("ReSide start-up failed at step 3 (load the RCB): the RCB " + replicaId
                    + " belongs to account " + view.rcb().accountId() + ", not to RESIDE_ACCOUNT_ID="
                    + identity.accountId() + ": check RESIDE_CONTROL_BLOCK_ID");
        }
        step("4: build the requirement clients", () -> {
            requirements.start(view, identity, registry);
            return null;
        });
        step("5: start the permission reconciler", () -> {
            permissions.start(view, registry);
            return null;
        });
        LOG.infof("replica %s (account %s) started; serving RPC next", replicaId, identity.accountId());
    }

    /** Quarkus fires this asynchronously once the HTTP port accepts connections. */
    void serving(@ObservesAsync HttpServerStart event) {
        serving(event.options());
    }

    /** The same for the HTTPS port (RPC over TLS: the only port when plain HTTP is disabled). */
    void servingTls(@ObservesAsync HttpsServerStart event) {
        serving(event.options());
    }

    private void serving(io.vertx.core.http.HttpServerOptions options) {
        if (!servingOnce.compareAndSet(false, true)) {
            return; // both ports open: one start-up
        }
        if (identity != null) {
            Optional<String> unserved = ServedContracts.firstUnserved(options, config.rpc().tls().caFile());
            if (unserved.isPresent()) {
                LOG.error("ReSide start-up failed at step 6 (serving RPC): " + unserved.get());
                io.quarkus.runtime.Quarkus.asyncExit(1);
                return;
            }
        }
        serving = true;
        if (identity != null) {
            started.fire(new ReplicaStarted(identity.accountId(), view.replicaId())); // step 7
        }
    }

    void stop(@Observes ShutdownEvent event) {
        serving = false;
        if (pinger != null) {
            pinger.shutdownNow();
        }
        permissions.stop();
        requirements.stop();
        if (view != null) {
            view.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    /** Step 1, beyond what SmallRye Config checks: an endpoint is an absolute http(s) URL with a host. */
    static void checkEndpoint(String property, java.net.URI uri) {
        String scheme = uri.getScheme();
        if (!("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null) {
            throw new IllegalStateException("ReSide start-up failed at step 1 (configuration): " + property + "='" + uri
                    + "' is not an absolute http(s) URL such as http://greeter.reside.svc:8080");
        }
    }

    /** This replica's account, when it runs with an RCB. */
    public Optional<AccountIdentity> identity() {
        return Optional.ofNullable(identity);
    }

    public Optional<AccountRegistry> registry() {
        return Optional.ofNullable(registry);
    }

    public Optional<RcbView> view() {
        return Optional.ofNullable(view);
    }

    /** Serving, and etcd answers (checked every second). */
    public boolean isReady() {
        return serving && etcdReachable;
    }

    public boolean isEtcdReachable() {
        return etcdReachable;
    }

    /** The background work keeps running (the reconciler's thread is alive, when there is one). */
    public boolean isLive() {
        return permissions.reconciler().map(r -> r.isRunning()).orElse(true);
    }

    private void startPinger() {
        pinger = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "reside-etcd-ping");
            t.setDaemon(true);
            return t;
        });
        pinger.scheduleWithFixedDelay(() -> {
            try {
                store.ping();
                if (!etcdReachable) {
                    LOG.info("etcd answers again: ready");
                }
                etcdReachable = true;
            } catch (EtcdUnavailableException e) {
                if (etcdReachable) {
                    LOG.warnf("etcd does not answer: not ready (%s)", e.getMessage());
                }
                etcdReachable = false;
            } catch (RuntimeException e) {
                LOG.debugf("etcd ping failed: %s", e.toString());
            }
        }, 0, Duration.ofSeconds(1).toMillis(), TimeUnit.MILLISECONDS);
    }

    private static <T> T step(String step, Supplier<T> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            throw new IllegalStateException("ReSide start-up failed at step " + step + ": " + e.getMessage(), e);
        }
    }
}
