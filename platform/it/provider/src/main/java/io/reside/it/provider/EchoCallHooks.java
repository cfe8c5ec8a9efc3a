package io.reside.it.provider;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.reside.it.echo.EchoApi;
import io.reside.permissions.Grant;
import io.reside.permissions.PermissionHooks;
import io.reside.runtime.PermissionHook;

/**
 * Logs every hook call of echo:call, one line each, so that tests can count them in the replica's log: a grant whose
 * result was recorded is never applied twice, whatever crashed in between.
 */
@ApplicationScoped
@PermissionHook(contract = EchoApi.class, permission = "echo:call")
public class EchoCallHooks implements PermissionHooks {

    private static final Logger LOG = Logger.getLogger(EchoCallHooks.class);

    @Override
    public void onGranted(Grant grant) {
        LOG.infof("HOOK granted echo:call to %s", grant.grantee());
    }

    @Override
    public void onUpdated(Grant now, Grant before) {
        LOG.infof("HOOK updated echo:call of %s", now.grantee());
    }

    @Override
    public void onRevoked(Grant grant) {
        LOG.infof("HOOK revoked echo:call of %s", grant.grantee());
    }
}
