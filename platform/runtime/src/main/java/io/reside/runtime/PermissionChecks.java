package io.reside.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.reside.etcd.Store;
import io.reside.model.error.ErrorCode;
import io.reside.model.error.Problem;
import io.reside.model.error.ResideException;
import io.reside.model.manifest.ContractManifest;
import io.reside.permissions.GrantKeys;
import io.reside.permissions.GrantStatus;
import io.reside.permissions.HookRegistry;
import io.reside.permissions.PermissionHooks;
import io.reside.permissions.PermissionReconciler;
import io.reside.permissions.RcbView;
import io.reside.permissions.ReconcilerOptions;
import io.reside.security.AccountRegistry;

/**
 * The replica's permissions: the reconciler (started by {@link ReplicaRuntime} with the {@link PermissionHook} beans)
 * applies the grants of the RCB, and checks are answered from the applied grants.
 * Injectable wherever code needs to check a permission by hand; contract methods annotated
 * {@link io.reside.model.annotation.Requires} are checked before they run, through Quarkus Security.
 */
@ApplicationScoped
public class PermissionChecks {

    @Inject
    Store store;

    @Inject
    @Any
    Instance<PermissionHooks> hookBeans;

    @Inject
    MeterRegistry metrics;

    @Inject
    ResideConfig config;

    private volatile RcbView view;
    private volatile AccountRegistry accounts;
    private PermissionReconciler reconciler;

    /** Step 5 of start-up: the reconciler, with the {@link PermissionHook} beans. */
    void start(RcbView rcbView, AccountRegistry registry) {
        this.view = rcbView;
        this.accounts = registry;
        HookRegistry hooks = new HookRegistry();
        for (Instance.Handle<PermissionHooks> handle : hookBeans.handles()) {
            PermissionHook at = handle.getBean().getBeanClass().getAnnotation(PermissionHook.class);
            if (at == null) {
                throw new IllegalStateException(handle.getBean().getBeanClass().getName() + " implements "
                        + "PermissionHooks but has no @PermissionHook(contract, permission)");
            }
            ContractManifest contract = Contracts.of(at.contract());
            if (!contract.permissions().containsKey(at.permission())) {
                throw new IllegalStateException("@PermissionHook on " + handle.getBean().getBeanClass().getName()
                        + ": contract " + contract.identity() + " defines no permission '" + at.permission() + "'");
            }
            hooks.register(contract.identity(), at.permission(), handle.get());
        }
        PermissionReconciler r = new PermissionReconciler(store.cluster(), rcbView, hooks, ReconcilerOptions.DEFAULT);
        FunctionCounter.builder("reside.reconciler.passes", r, x -> x.stats().passes())
                .description("Reconciler passes over the grants of the RCB").register(metrics);
        FunctionCounter.builder("reside.reconciler.hook.calls", r, x -> x.stats().hookCalls())
                .description("Permission hook calls (onGranted, onUpdated, onRevoked)").register(metrics);
        FunctionCounter.builder("reside.reconciler.hook.failures", r, x -> x.stats().hookFailures())
                .description("Permission hook calls that failed (retried with backoff)").register(metrics);
        io.micrometer.core.instrument.FunctionTimer.builder("reside.reconciler.lag", r, x -> x.stats().lagCount(),
                x -> x.stats().lagNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
                .description("From a change of the expected grants seen to the pass over it done").register(metrics);
        io.micrometer.core.instrument.Gauge.builder("reside.reconciler.lag.last", r, x -> x.stats().lastLagNanos()
                / 1e9).baseUnit("seconds").description("The last change's reconciler lag").register(metrics);
        reconciler = r.start();
    }

    /** Stops the reconciler (releasing its lock). */
    void stop() {
        if (reconciler != null) {
            reconciler.close();
        }
    }

    /** The reconciler, once started. */
    public Optional<PermissionReconciler> reconciler() {
        return Optional.ofNullable(reconciler);
    }

    /** The live RCB view, when this replica has an RCB. */
    public Optional<RcbView> view() {
        return Optional.ofNullable(view);
    }

    /**
     * Whom a check for {@code account} considers: the account itself and, for a user or managed user, the groups it
     * belongs to by the account registry: its realm ({@code realm:<name>}) and every user ({@code users:all}).
     */
    public List<String> granteesOf(String account) {
        AccountRegistry registry = accounts;
        Optional<AccountRegistry.Account> a = registry == null || GrantKeys.isGroup(account) ? Optional.empty()
                : registry.find(account);
        if (a.isEmpty() || !a.get().isUser()) {
            return List.of(account);
        }
        return a.get().realm() == null ? List.of(account, GrantKeys.ALL_USERS)
                : List.of(account, GrantKeys.realmGroup(a.get().realm()), GrantKeys.ALL_USERS);
    }

    /**
     * Whether {@code grantee} holds {@code permission} of the contract for {@code instanceId} (null: no instance),
     * by a grant to it or to a group it belongs to ({@link #granteesOf}). False when the RCB is deleted or invalid
     * (checks fail closed).
     *
     * @throws ResideException.UnavailableException when this replica has not heard from etcd for longer than
     *         {@code reside.permissions.max-staleness}: its view of the grants may miss revocations
     */
    public boolean isGranted(String grantee, String contractIdentity, String permission, String instanceId) {
        RcbView v = view;
        if (v == null) {
            return false;
        }
        Duration staleness = v.staleness();
        if (staleness.compareTo(config.permissions().maxStaleness()) > 0) {
            throw new ResideException.UnavailableException("this replica has not heard from etcd for "
                    + staleness.toSeconds() + " s (reside.permissions.max-staleness=" + config.permissions()
                            .maxStaleness().toSeconds()
                    + "s), so it cannot tell whether a grant was revoked: "
                    + "permission checks fail until it reconnects; retry later");
        }
        return v.check(granteesOf(grantee), contractIdentity, permission, instanceId);
    }

    public boolean isGranted(String grantee, Class<?> contract, String permission, String instanceId) {
        return isGranted(grantee, Contracts.of(contract).identity(), permission, instanceId);
    }

    /**
     * Requires that the caller holds a permission.
     *
     * @throws UnauthorizedException for an anonymous caller (401)
     * @throws ResideException.PermissionDeniedException naming the missing permission (403)
     */
    public void require(SecurityIdentity caller, Class<?> contract, String permission, String instanceId) {
        if (caller.isAnonymous()) {
            throw new UnauthorizedException();
        }
        require(caller.getPrincipal().getName(), Contracts.of(contract).identity(), permission, instanceId);
    }

    /**
     * Requires that {@code grantee} (an authenticated caller's account) holds a permission.
     *
     * @throws ResideException.PermissionDeniedException naming the missing permission (403)
     */
    public void require(String grantee, String contractIdentity, String permission, String instanceId) {
        if (!isGranted(grantee, contractIdentity, permission, instanceId)) {
            RcbView v = view;
            String broken = v == null ? null : v.brokenReason().orElse(null);
            if (broken != null) {
                String name = permission + (instanceId == null ? "" : "{" + instanceId + "}") + " of "
                        + contractIdentity;
                throw new ResideException.PermissionDeniedException(Problem.of(ErrorCode.PERMISSION_DENIED,
                        "permission denied: " + broken + ", so this replica refuses every permission until Alpha "
                                + "writes a valid RCB")
                        .withPermission(name));
            }
            throw denied(contractIdentity, permission, instanceId);
        }
    }

    /** The 403 of a missing permission; the problem's {@code permission} names it. */
    public static ResideException.PermissionDeniedException denied(String contract, String permission,
            String instanceId) {
        String name = permission + (instanceId == null ? "" : "{" + instanceId + "}") + " of " + contract;
        return new ResideException.PermissionDeniedException(Problem.of(ErrorCode.PERMISSION_DENIED,
                "permission denied: you need " + name).withPermission(name));
    }

    /** The caller's grants in this replica (its own and its groups'), and whether each is in force. */
    public List<GrantStatus> grantsOf(String grantee) {
        RcbView v = view;
        return v == null ? List.of() : v.grantsOf(granteesOf(grantee));
    }
}
