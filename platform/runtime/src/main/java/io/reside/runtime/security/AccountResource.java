package io.reside.runtime.security;

import jakarta.annotation.security.PermitAll;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.reside.model.error.ResideException;
import io.reside.runtime.ReplicaRuntime;

/**
 * Every replica says which account it is and its public key, to anyone: what a client outside the cluster (the
 * {@code reside} CLI) needs to check the replica's signed answers. The answer itself is not authenticated, and need
 * not be: the account id is a hash of the public key, so a client that knows the id it expects (from its
 * configuration, or from Alpha's signed answer) checks the key against it and refuses any other.
 */
@Path("/reside/account")
public class AccountResource {

    /** An account id and its Ed25519 public key (base64url). */
    public record PublicAccount(String accountId, String publicKey) {
    }

    @Inject
    ReplicaRuntime runtime;

    @GET
    @PermitAll // public knowledge; see the class comment for why it needs no proof
    @Produces(MediaType.APPLICATION_JSON)
    public PublicAccount account() {
        return runtime.identity().map(i -> new PublicAccount(i.accountId(), i.key().publicKey().toBase64url()))
                .orElseThrow(() -> new ResideException.UnavailableException("this replica is still starting"));
    }
}
