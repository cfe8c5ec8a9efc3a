package io.reside.runtime.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.reside.runtime.PermissionChecks;
import io.smallrye.mutiny.Uni;

/**
 * Gives every authenticated identity a permission checker that decides {@link ResidePermission}s from the replica's
 * applied grants (the principal name is the caller's account id). Checks read memory only, so they are cheap and may
 * run on any thread.
 */
@ApplicationScoped
public class GrantsAugmentor implements SecurityIdentityAugmentor {

    @Inject
    PermissionChecks checks;

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (identity.isAnonymous()) {
            return Uni.createFrom().item(identity);
        }
        String account = identity.getPrincipal().getName();
        return Uni.createFrom().item(QuarkusSecurityIdentity.builder(identity)
                .addPermissionChecker(p -> Uni.createFrom().item(p instanceof ResidePermission rp
                        && checks.isGranted(account, rp.contract(), rp.permission(), rp.instanceId())))
                .build());
    }
}
