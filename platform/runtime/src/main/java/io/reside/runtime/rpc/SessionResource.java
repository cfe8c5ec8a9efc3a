package io.reside.runtime.rpc;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.model.error.ResideException;
import io.reside.security.AuthenticationFailure;
import io.reside.security.Sessions;

/** The session handshake ({@link Sessions}): opened by a caller authenticated with a signed proof, for itself. */
@Path(Sessions.HANDSHAKE_PATH)
public class SessionResource {

    @Inject
    SecurityIdentity identity;

    @Inject
    RpcServer server;

    @POST
    // no security annotation: a caller with a valid proof (secure by default, RequireCaller)
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Sessions.HandshakeResponse open(Sessions.HandshakeRequest request) {
        if (!"proof".equals(identity.getAttribute(ResideAuthenticationMechanism.VIA))
                || identity.getAttribute(ResideAuthenticationMechanism.ACTOR) != null) {
            throw new ResideException.InvalidInputException("open a session with a signed proof of your own account "
                    + "(Authorization: Reside <jws>, no Reside-Delegation)");
        }
        try {
            return server.openSession(identity.getPrincipal().getName(), request);
        } catch (AuthenticationFailure e) {
            throw new ResideException.InvalidInputException(e.getMessage());
        } catch (Sessions.CapacityExceeded e) {
            throw new ResideException.UnavailableException(e.getMessage());
        }
    }
}
