package io.reside.runtime;

import jakarta.annotation.security.PermitAll;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.model.error.ResideException;
import io.reside.runtime.client.Requirement;
import io.reside.runtime.client.RequirementClients;
import io.reside.runtime.greeter.GreeterApi;

/** Tests only: who the platform says the caller is, calls through a requirement client, the default security. */
@Path("/test")
public class TestProbes {

    @Inject
    SecurityIdentity identity;

    @Inject
    @Requirement("self")
    GreeterApi self;

    @Inject
    RequirementClients clients;

    @GET
    @Path("whoami")
    // no security annotation: a caller with a valid proof (secure by default, RequireCaller)
    @Produces(MediaType.TEXT_PLAIN)
    public String whoami() {
        return identity.getPrincipal().getName() + " actor=" + identity.getAttribute("reside.actor") + " via="
                + identity.getAttribute("reside.via");
    }

    /** Not annotated: like every endpoint of a replica, it needs a valid proof. */
    @GET
    @Path("plain")
    @Produces(MediaType.TEXT_PLAIN)
    public String plain() {
        return "plain";
    }

    /** Explicitly public. */
    @GET
    @Path("public")
    @PermitAll
    @Produces(MediaType.TEXT_PLAIN)
    public String open() {
        return "public";
    }

    @GET
    @Path("call-self")
    @PermitAll // tests only: lets a test drive a call through the requirement client without signing it
    @Produces(MediaType.TEXT_PLAIN)
    public String callSelf(@QueryParam("delegation") String delegation) {
        try {
            return delegation == null ? self.greet()
                    : clients.requirement("self", GreeterApi.class).onBehalfOf(delegation).greet();
        } catch (ResideException e) {
            return e.getClass().getSimpleName() + " " + e.code().code() + " "
                    + (e instanceof ResideException.PermissionDeniedException p ? p.permission() : e.getMessage());
        }
    }
}
