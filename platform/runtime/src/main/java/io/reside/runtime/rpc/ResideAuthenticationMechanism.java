package io.reside.runtime.rpc;

import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.security.identity.request.BaseAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.reside.security.AuthenticationFailure;
import io.reside.security.Delegations;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * Authenticates ReSide RPC calls (SPEC 5.4). The principal of the resulting identity is {@code madeBy}: the caller's
 * account, or the user when the call carries a valid delegation (the signer is then the actor, in the attribute
 * {@value #ACTOR}). A call whose proof fails any check is treated as anonymous, and the failed check is remembered:
 * methods that need a caller then answer 401 with that reason ({@link ProblemMappers}), and a body sent by such a
 * caller to {@code /rpc} or {@code /reside} is refused before it is parsed ({@link BodyProofInterceptor}). The
 * answer is authenticated as the proof allows ({@link ResponseProofInterceptor}).
 */
@ApplicationScoped
public class ResideAuthenticationMechanism implements HttpAuthenticationMechanism {

    public static final String ACTOR = "reside.actor";
    public static final String VIA = "reside.via";
    static final String FAILURE = "reside.auth.failure";
    static final String BODY_HASH = "reside.auth.body-hash";
    static final String RESPONDER = "reside.auth.responder";

    @Inject
    RpcServer server;

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext ctx, IdentityProviderManager identities) {
        String authorization = ctx.request().getHeader("Authorization");
        if (authorization == null) {
            ctx.put(FAILURE, new AuthenticationFailure(AuthenticationFailure.Reason.PROOF_MISSING,
                    "no proof: sign the request (Authorization: Reside <jws>)"));
            return Uni.createFrom().optional(Optional.empty());
        }
        String delegation = ctx.request().getHeader(Delegations.HEADER_NAME);
        if (authorization.length() > AuthenticationFailure.MAX_HEADER_BYTES
                || (delegation != null && delegation.length() > AuthenticationFailure.MAX_HEADER_BYTES)) {
            ctx.put(FAILURE, new AuthenticationFailure(AuthenticationFailure.Reason.PROOF_TOO_LARGE,
                    "the Authorization or Reside-Delegation header is longer than "
                            + AuthenticationFailure.MAX_HEADER_BYTES + " bytes"));
            return Uni.createFrom().optional(Optional.empty());
        }
        try {
            // Authentication runs when the headers have arrived, before the body: everything but the body is checked
            // here, and BodyProofInterceptor checks the body against the hash the proof covers wherever it is read,
            // whether or not the request announced one (Content-Length, Transfer-Encoding).
            RpcServer.Caller caller = server.authenticate(authorization, ctx.request().method().name(),
                    ctx.request().uri(), delegation);
            ctx.put(BODY_HASH, caller.bodyHash());
            ctx.put(RESPONDER, caller.responder());
            return identities.authenticate(HttpSecurityUtils.setRoutingContextAttribute(new Request(caller), ctx));
        } catch (AuthenticationFailure failure) {
            ctx.put(FAILURE, failure);
            failure.responder().ifPresent(r -> ctx.put(RESPONDER, r));
            return Uni.createFrom().optional(Optional.empty());
        }
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate", "Reside"));
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(Request.class);
    }

    /** An authenticated caller on its way to becoming a {@link SecurityIdentity}. */
    public static final class Request extends BaseAuthenticationRequest {
        final RpcServer.Caller caller;

        Request(RpcServer.Caller caller) {
            this.caller = caller;
        }
    }

    /** Builds the identity (through the identity provider manager, so that augmentors add the grants checker). */
    @ApplicationScoped
    public static class Provider implements IdentityProvider<Request> {
        @Override
        public Class<Request> getRequestType() {
            return Request.class;
        }

        @Override
        public Uni<SecurityIdentity> authenticate(Request request, AuthenticationRequestContext context) {
            QuarkusSecurityIdentity.Builder b = QuarkusSecurityIdentity.builder()
                    .setPrincipal(new QuarkusPrincipal(request.caller.subject()))
                    .addAttribute(VIA, request.caller.via());
            if (request.caller.actor() != null) {
                b.addAttribute(ACTOR, request.caller.actor());
            }
            return Uni.createFrom().item(b.build());
        }
    }
}
