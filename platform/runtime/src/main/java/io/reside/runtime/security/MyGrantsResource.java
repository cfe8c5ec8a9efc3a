package io.reside.runtime.security;

import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.permissions.GrantStatus;
import io.reside.runtime.PermissionChecks;

/**
 * Every replica answers "which of my grants are in force here?" for its caller, so a secretary can tell a person
 * what they lack before trying.
 */
@Path("/reside/grants")
public class MyGrantsResource {

    @Inject
    SecurityIdentity identity;

    @Inject
    PermissionChecks checks;

    @GET
    @Path("mine")
    // no security annotation: a caller with a valid proof (secure by default, RequireCaller)
    @Produces(MediaType.APPLICATION_JSON)
    public List<GrantStatus> mine() {
        return checks.grantsOf(identity.getPrincipal().getName());
    }
}
