package io.reside.runtime.audit;

import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.model.audit.AuditApi;
import io.reside.model.error.ResideException;
import io.reside.runtime.PermissionChecks;
import io.reside.runtime.ResideConfig;

/**
 * {@code GET /reside/audit/entries}: the audit trail, to an account holding {@code reside.audit.read-permission}
 * ({@code <contract>:<permission>}, e.g. {@code alpha.v1:replica:read:all}). Answered with 404 on a replica that keeps
 * none.
 */
public class AuditResource implements AuditApi {

    @Inject
    AuditTrail trail;

    @Inject
    ResideConfig config;

    @Inject
    SecurityIdentity identity;

    @Inject
    PermissionChecks checks;

    // no security annotation: a caller with a valid proof (secure by default, RequireCaller); the permission below
    @Override
    public Page entries(Integer limit, String before) {
        if (!trail.enabled()) {
            throw new ResideException.NotFoundException("this replica keeps no audit trail (reside.audit.enabled)");
        }
        AuditTrail.ReadPermission permission = trail.readPermission().orElseThrow(
                () -> new ResideException.NotFoundException("this replica's audit trail has no reader "
                        + "(reside.audit.read-permission is not set)"));
        checks.require(identity.getPrincipal().getName(), permission.contract(), permission.permission(), null);
        int n = limit == null ? 50 : limit;
        if (n < 1 || n > config.audit().maxPage()) {
            throw new ResideException.InvalidInputException("limit must be 1 to " + config.audit().maxPage()
                    + ", not " + n);
        }
        if (before != null && !before.matches("[0-9]{19}-[0-9a-f]{6}")) {
            throw new ResideException.InvalidInputException("before must be an entry's id (as next gave it), not '"
                    + before + "'");
        }
        return trail.page(n, before);
    }
}
