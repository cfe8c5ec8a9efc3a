package io.reside.runtime.rpc;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.reside.runtime.AccountIdentity;
import io.reside.runtime.ReplicaRuntime;
import io.reside.runtime.ResideConfig;
import io.reside.security.AccountRegistry;
import io.reside.security.AuthenticationFailure;
import io.reside.security.AuthenticationFailure.Reason;
import io.reside.security.Delegations;
import io.reside.security.ReplayCache;
import io.reside.security.RequestProofs;
import io.reside.security.ResponseProofs;
import io.reside.security.Sessions;

/**
 * Verifies the proofs of incoming calls: the signed proof ({@code Authorization: Reside <jws>}) or a session proof
 * ({@code Reside-Session}), then the delegation, if any, and says how to authenticate the answer
 * ({@link ResponseProofs}). Everything it needs is in memory (the account registry is followed live), so it never
 * waits on etcd. Its state (sessions, the replay cache) is bounded per caller account and in all.
 */
@ApplicationScoped
public class RpcServer {

    /** Failures of a JWS proof found before its signature verified: the server does not know who asks. */
    private static final Set<Reason> BEFORE_SIGNATURE = EnumSet.of(Reason.PROOF_TOO_LARGE, Reason.PROOF_MALFORMED,
            Reason.ACCOUNT_UNKNOWN, Reason.SIGNATURE_INVALID);

    @Inject
    ReplicaRuntime runtime;

    @Inject
    ResideConfig config;

    private volatile State state;

    /** What this process answers with, created once its account key is loaded (start-up step 2). */
    private record State(AccountIdentity self, ResponseProofs.Signer signer, Sessions.Server sessions,
            ReplayCache replay) {
    }

    /**
     * Who made a call: {@code subject} (madeBy), through {@code actor} when delegated.
     *
     * @param bodyHash the body hash the proof covers: the body must be checked against it before it is used
     *        ({@link BodyProofInterceptor})
     * @param responder how to authenticate the answer
     */
    public record Caller(String subject, String actor, String signer, String via, String bodyHash,
            ResponseProofs.Responder responder) {
    }

    /** Start-up, once the account key is loaded: the incarnation of this process starts here. */
    public void start(AccountIdentity self) {
        ResideConfig.Rpc rpc = config.rpc();
        ResponseProofs.Signer signer = new ResponseProofs.Signer(self.key());
        state = new State(self, signer, new Sessions.Server(signer, rpc.sessionLifetime(),
                new Sessions.Limits(rpc.sessionsPerAccount(), rpc.maxSessions())),
                new ReplayCache(new ReplayCache.Limits(rpc.replayCacheSize(), rpc.replayCachePerAccount())));
    }

    /**
     * Authenticates a call before its body is read. A refusal carries the responder that authenticates it when the
     * server can tell who asks.
     *
     * @param authorization the {@code Authorization} header
     * @param pathAndQuery the request target as received (path and query, undecoded)
     */
    public Caller authenticate(String authorization, String method, String pathAndQuery, String delegation)
            throws AuthenticationFailure {
        State s = state;
        if (s == null) {
            throw new AuthenticationFailure(Reason.AUDIENCE_MISMATCH, "this process has no account, so no call is "
                    + "for it");
        }
        AccountRegistry registry = runtime.registry().orElseThrow();
        Instant now = Instant.now();
        String signer;
        String via;
        String bodyHash;
        ResponseProofs.Responder responder;
        if (authorization.startsWith(Sessions.SCHEME + " ")) {
            Sessions.Server.Verified v = s.sessions().verify(authorization.substring(Sessions.SCHEME.length() + 1),
                    method, pathAndQuery, null, delegation, now);
            responder = v.responder();
            if (registry.publicKey(v.caller()).isEmpty()) { // removed from the registry since the handshake
                throw new AuthenticationFailure(Reason.ACCOUNT_UNKNOWN, "the session's account is no longer registered")
                        .withResponder(responder);
            }
            signer = v.caller();
            bodyHash = v.bodyHash();
            via = "session";
        } else if (authorization.startsWith(RequestProofs.SCHEME + " ")) {
            String jws = authorization.substring(RequestProofs.SCHEME.length() + 1);
            RequestProofs.Verified v;
            try {
                v = RequestProofs.verify(jws, s.self().accountId(), new RequestProofs.Request(method, pathAndQuery,
                        null, delegation), registry, now);
            } catch (AuthenticationFailure f) {
                throw BEFORE_SIGNATURE.contains(f.reason()) ? f : f.withResponder(s.signer().bound(jws));
            }
            responder = s.signer().bound(jws);
            try {
                s.replay().record(v.caller(), v.jti(), v.expiresAt(), now.getEpochSecond());
            } catch (AuthenticationFailure f) {
                throw f.withResponder(responder);
            }
            signer = v.caller();
            bodyHash = v.bodyHash();
            via = "proof";
        } else {
            throw new AuthenticationFailure(Reason.PROOF_MISSING,
                    "the Authorization header is not a ReSide proof (Reside <jws> or Reside-Session ...)");
        }
        if (delegation == null) {
            return new Caller(signer, null, signer, via, bodyHash, responder);
        }
        try {
            Delegations.Delegation d = Delegations.verify(delegation, registry.userManager(), signer,
                    s.self().accountId(), registry, now);
            if (registry.find(d.subject()).map(a -> a.kind() != AccountRegistry.Kind.MANAGED_USER).orElse(true)) {
                throw new AuthenticationFailure(Reason.DELEGATION_SUBJECT_INVALID, "the delegation's user (sub) is "
                        + "not a managed user of this cluster: only managed users can be acted for");
            }
            return new Caller(d.subject(), signer, signer, via, bodyHash, responder);
        } catch (AuthenticationFailure f) {
            throw f.withResponder(responder);
        }
    }

    /**
     * Opens a session for {@code caller}, who proved itself with a signed proof.
     *
     * @throws Sessions.CapacityExceeded when this replica holds its maximum of sessions
     */
    public Sessions.HandshakeResponse openSession(String caller, Sessions.HandshakeRequest request)
            throws AuthenticationFailure, Sessions.CapacityExceeded {
        return state().sessions().accept(caller, request, Instant.now());
    }

    /** For tests and metrics: open sessions. */
    public int openSessions() {
        State s = state;
        return s == null ? 0 : s.sessions().size();
    }

    /** For tests and metrics: the replay cache's entries for {@code account}. */
    public int replayEntriesOf(String account) {
        State s = state;
        return s == null ? 0 : s.replay().sizeOf(account);
    }

    private State state() {
        State s = state;
        if (s == null) {
            throw new IllegalStateException("this process has no account (no RESIDE_CONTROL_BLOCK_ID)");
        }
        return s;
    }
}
