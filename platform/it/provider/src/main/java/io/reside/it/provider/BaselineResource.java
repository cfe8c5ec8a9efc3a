package io.reside.it.provider;

import jakarta.annotation.security.PermitAll;
import jakarta.validation.Valid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.reside.it.echo.EchoApi;

/**
 * The same echo (validated the same way) without authentication or permission check: the baseline of
 * {@code platform/bench/run rpc}. Not a contract method; a real replica has no such endpoint.
 */
@Path("/bench")
public class BaselineResource {

    @POST
    @Path("echo")
    @PermitAll // the benchmark's baseline: explicitly public, as no endpoint of a real replica should be
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public EchoApi.EchoReply echo(@Valid EchoApi.EchoRequest request) {
        return new EchoApi.EchoReply(request.text(), "anonymous", null);
    }
}
