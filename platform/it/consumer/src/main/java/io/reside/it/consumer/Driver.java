package io.reside.it.consumer;

import jakarta.annotation.security.PermitAll;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import io.reside.it.echo.EchoApi;
import io.reside.model.error.ResideException;
import io.reside.runtime.client.Requirement;
import io.reside.runtime.client.RequirementClients;

/**
 * Lets the integration tests make the consumer call its requirement, and see the outcome as the consumer sees it.
 * Explicitly public: a test replica only.
 */
@Path("/drive")
@PermitAll
@Produces(MediaType.APPLICATION_JSON)
public class Driver {

    @Inject
    @Requirement("echo")
    EchoApi echo;

    @Inject
    RequirementClients clients;

    /** What the consumer saw. */
    public record Outcome(boolean ok, String text, String madeBy, String actor, String code, String reason,
            String message, double millis) {
    }

    @GET
    @Path("echo")
    public Outcome echo(@QueryParam("text") String text, @QueryParam("delegation") String delegation) {
        long start = System.nanoTime();
        try {
            EchoApi api = delegation == null ? echo : clients.requirement("echo", EchoApi.class).onBehalfOf(delegation);
            EchoApi.EchoReply reply = api.echo(new EchoApi.EchoRequest(text));
            return new Outcome(true, reply.text(), reply.madeBy(), reply.actor(), null, null, null, ms(start));
        } catch (ResideException e) {
            return failure(e, start);
        }
    }

    @GET
    @Path("slow")
    public Outcome slow(@QueryParam("millis") long millis) {
        long start = System.nanoTime();
        try {
            EchoApi.EchoReply reply = echo.slow(new EchoApi.SlowRequest(millis));
            return new Outcome(true, reply.text(), reply.madeBy(), reply.actor(), null, null, null, ms(start));
        } catch (ResideException e) {
            return failure(e, start);
        }
    }

    private static Outcome failure(ResideException e, long start) {
        String reason = e instanceof ResideException.UnauthenticatedException u ? u.reason() : null;
        return new Outcome(false, null, null, null, e.code().code(), reason, e.getMessage(), ms(start));
    }

    private static double ms(long start) {
        return (System.nanoTime() - start) / 1e6;
    }
}
