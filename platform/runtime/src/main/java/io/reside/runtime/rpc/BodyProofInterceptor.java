package io.reside.runtime.rpc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

import jakarta.inject.Inject;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.model.error.ErrorCode;
import io.reside.model.error.Problem;
import io.reside.model.error.ResideException;
import io.reside.security.AuthenticationFailure;
import io.reside.security.Encoding;
import io.vertx.ext.web.RoutingContext;

/**
 * Checks the body of an authenticated call against the hash its proof covers, before anything deserialises it, and
 * refuses the body of an unauthenticated call to {@code /rpc} or {@code /reside} before it is parsed (a caller who
 * cannot authenticate gets 401, not a parser's opinion of its JSON).
 * <p>
 * Authentication ({@link ResideAuthenticationMechanism}) runs before the body has arrived, so it verifies the proof
 * against the method, target and delegation and leaves the claimed body hash in the routing context, for every
 * request, whatever its headers say about a body. Reading the body here, where Quarkus REST reads every entity
 * anyway, keeps the request on Quarkus REST's own body handling; buffering it ahead of authentication instead broke
 * packaged Quarkus REST applications (ADR 0004). A body that does not match is refused with 401 {@code body-mismatch}
 * and nothing reads it. Bodies read another way (a form, the raw request) are not checked here: contract methods
 * take their body as a JSON entity, which the manifest processor enforces at build time.
 */
@Provider
public class BodyProofInterceptor implements ReaderInterceptor {

    /** The routing-context key of an authenticated request's body (checked against its proof). */
    public static final String BODY = "reside.body";

    @Inject
    RoutingContext routing;

    @Inject
    SecurityIdentity identity;

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        String claimed = routing.get(ResideAuthenticationMechanism.BODY_HASH);
        if (claimed == null) {
            if (identity.isAnonymous() && isRpc(routing.normalizedPath())) {
                AuthenticationFailure failure = routing.get(ResideAuthenticationMechanism.FAILURE);
                String reason = failure == null ? AuthenticationFailure.Reason.PROOF_MISSING.code()
                        : failure.reason().code();
                throw new ResideException.UnauthenticatedException(Problem.of(ErrorCode.UNAUTHENTICATED,
                        failure == null ? "authentication required" : failure.getMessage()).withReason(reason));
            }
            return context.proceed();
        }
        byte[] body;
        try (InputStream in = context.getInputStream()) {
            body = in.readAllBytes();
        }
        if (!Encoding.bodyHash(body).equals(claimed)) {
            throw new ResideException.UnauthenticatedException(Problem.of(ErrorCode.UNAUTHENTICATED,
                    "the body does not match the proof (bdh)")
                    .withReason(AuthenticationFailure.Reason.BODY_MISMATCH.code()));
        }
        routing.put(BODY, body); // for the audit trail: the call's object
        context.setInputStream(new ByteArrayInputStream(body));
        return context.proceed();
    }

    static boolean isRpc(String path) {
        return path.startsWith("/rpc/") || path.startsWith("/reside/");
    }
}
