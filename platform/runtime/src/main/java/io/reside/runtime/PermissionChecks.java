package io.reside.runtime;

import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.reside.etcd.Store;
import io.reside.model.manifest.ContractManifest;
import io.reside.permissions.GrantStatus;
import io.reside.permissions.HookRegistry;
import io.reside.permissions.PermissionHooks;
import io.reside.permissions.PermissionReconciler;
import io.reside.permissions.RcbView;
import io.reside.permissions.ReconcilerOptions;

/**
 * The replica's permissions: at start-up it loads the RCB named by {@code reside.control-block-id}, follows it, and
 * starts the reconciler with the {@link PermissionHook} beans; then it answers checks from the applied grants.
 * Injectable wherever code needs to check a permission by hand; contract methods annotated
 * {@link io.reside.model.annotation.Requires} are checked before they run, through Quarkus Security.
 */
@ApplicationScoped
public class PermissionChecks {

    private static final Logger LOG = Logger.getLogger(PermissionChecks.class);

    @Inject
    ResideConfig config;

    @Inject
    Store store;

    @Inject
    @Any
    Instance<PermissionHooks> hookBeans;

    private volatile RcbView view;
    private PermissionReconciler reconciler;

    void start(@Observes StartupEvent event) {
        Optional<String> id = config.controlBlockId();
        if (id.isEmpty()) {
            LOG.info("reside.control-block-id (RESIDE_CONTROL_BLOCK_ID) is not set: no RCB, every permission check "
                    + "fails");
            return;
        }
        view = RcbView.open(store, id.get(), config.controlBlockLoadTimeout());
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
        reconciler = new PermissionReconciler(store, view, hooks, ReconcilerOptions.DEFAULT).start();
        LOG.infof("RCB %s loaded; reconciling its grants", id.get());
    }

    void stop(@Observes ShutdownEvent event) {
        if (reconciler != null) {
            reconciler.close();
        }
        if (view != null) {
            view.close();
        }
    }

    /** The live RCB view, when this replica has an RCB. */
    public Optional<RcbView> view() {
        return Optional.ofNullable(view);
    }

    /** Whether {@code grantee} holds {@code permission} of the contract for {@code instanceId} (null: no instance). */
    public boolean isGranted(String grantee, String contractIdentity, String permission, String instanceId) {
        RcbView v = view;
        return v != null && v.check(grantee, contractIdentity, permission, instanceId);
    }

    public boolean isGranted(String grantee, Class<?> contract, String permission, String instanceId) {
        return isGranted(grantee, Contracts.of(contract).identity(), permission, instanceId);
    }

    /**
     * Requires that the caller holds a permission.
     *
     * @throws UnauthorizedException for an anonymous caller (401)
     * @throws ForbiddenException naming the missing permission (403)
     */
    public void require(SecurityIdentity caller, Class<?> contract, String permission, String instanceId) {
        if (caller.isAnonymous()) {
            throw new UnauthorizedException();
        }
        String identity = Contracts.of(contract).identity();
        if (!isGranted(caller.getPrincipal().getName(), identity, permission, instanceId)) {
            throw new ForbiddenException(PermissionChecksMessages.missing(identity, permission, instanceId));
        }
    }

    /** The caller's grants in this replica, and whether each is in force. */
    public List<GrantStatus> grantsOf(String grantee) {
        RcbView v = view;
        return v == null ? List.of() : v.grantsOf(grantee);
    }
}
