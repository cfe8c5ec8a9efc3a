package io.reside.runtime.rpc;

import java.time.Instant;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.reside.runtime.AccountIdentity;
import io.reside.runtime.ReplicaRuntime;
import io.reside.runtime.ResideConfig;
import io.reside.security.AccountRegistry;
import io.reside.security.AuthenticationFailure;
import io.reside.security.Delegations;
import io.reside.security.ReplayCache;
import io.reside.security.RequestProofs;
import io.reside.security.Sessions;

/**
 * Verifies the proofs of incoming calls: the signed proof ({@code Authorization: Reside <jws>}) or a session proof
 * ({@code Reside-Session}), then the delegation, if any. Everything it needs is in memory (the account registry is
 * followed live), so it never waits on etcd.
 */
@ApplicationScoped
public class RpcServer {

    @Inject
    ReplicaRuntime runtime;

    @Inject
    ResideConfig config;

    private volatile Sessions.Server sessions;
    private volatile ReplayCache replay;

    /**
     * Who made a call: {@code subject} (madeBy), through {@code actor} when delegated.
     *
     * @param bodyHash the body hash the proof covers: a body not given to {@link #authenticate} must be checked
     *        against it before it is used ({@link BodyProofInterceptor})
     */
    public record Caller(String subject, String actor, String signer, String via, String bodyHash) {
    }

    /**
     * @param authorization the {@code Authorization} header
     * @param pathAndQuery the request target as received (path and query, undecoded)
     * @param body the body, or null when it is not read yet (the caller then checks it against
     *        {@link Caller#bodyHash()})
     */
    public Caller authenticate(String authorization, String method, String pathAndQuery, byte[] body,
            String delegation) throws AuthenticationFailure {
        AccountIdentity self = runtime.identity().orElseThrow(() -> new AuthenticationFailure(
                AuthenticationFailure.Reason.AUDIENCE_MISMATCH, "this process has no account, so no call is for it"));
        AccountRegistry registry = runtime.registry().orElseThrow();
        Instant now = Instant.now();
        String signer;
        String via;
        String bodyHash;
        if (authorization.startsWith(Sessions.SCHEME + " ")) {
            Sessions.Server.Verified v = sessions(self).verify(authorization.substring(Sessions.SCHEME.length() + 1),
                    method, pathAndQuery, body, delegation, now);
            if (registry.publicKey(v.caller()).isEmpty()) { // removed from the registry since the handshake
                throw new AuthenticationFailure(AuthenticationFailure.Reason.ACCOUNT_UNKNOWN,
                        "the session's account is no longer registered");
            }
            signer = v.caller();
            bodyHash = v.bodyHash();
            via = "session";
        } else if (authorization.startsWith(RequestProofs.SCHEME + " ")) {
            RequestProofs.Verified v = RequestProofs.verify(authorization.substring(RequestProofs.SCHEME.length() + 1),
                    self.accountId(), new RequestProofs.Request(method, pathAndQuery, body, delegation), registry, now);
            replay().record(v.jti(), v.expiresAt(), now.getEpochSecond());
            signer = v.caller();
            bodyHash = v.bodyHash();
            via = "proof";
        } else {
            throw new AuthenticationFailure(AuthenticationFailure.Reason.PROOF_MISSING,
                    "the Authorization header is not a ReSide proof (Reside <jws> or Reside-Session ...)");
        }
        if (delegation == null) {
            return new Caller(signer, null, signer, via, bodyHash);
        }
        Delegations.Delegation d = Delegations.verify(delegation, registry.userManager(), signer, self.accountId(),
                registry, now);
        return new Caller(d.subject(), signer, signer, via, bodyHash);
    }

    /** Opens a session for {@code caller}, who proved itself with a signed proof. */
    public Sessions.HandshakeResponse openSession(String caller, Sessions.HandshakeRequest request)
            throws AuthenticationFailure {
        return sessions(runtime.identity().orElseThrow()).accept(caller, request, Instant.now());
    }

    private Sessions.Server sessions(AccountIdentity self) {
        Sessions.Server s = sessions;
        if (s == null) {
            synchronized (this) {
                if (sessions == null) {
                    sessions = new Sessions.Server(self.key(), config.rpc().sessionLifetime());
                }
                s = sessions;
            }
        }
        return s;
    }

    private ReplayCache replay() {
        ReplayCache r = replay;
        if (r == null) {
            synchronized (this) {
                if (replay == null) {
                    replay = new ReplayCache(config.rpc().replayCacheSize());
                }
                r = replay;
            }
        }
        return r;
    }

    /** For tests and metrics: open sessions. */
    public int openSessions() {
        Sessions.Server s = sessions;
        return s == null ? 0 : s.size();
    }

    Optional<Sessions.Server> sessionsIfOpen() {
        return Optional.ofNullable(sessions);
    }
}
