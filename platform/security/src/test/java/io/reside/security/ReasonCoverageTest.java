package io.reside.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.reside.security.AuthenticationFailure.Reason;

/**
 * Every failure reason is produced by at least one scenario, and the scenario gets exactly that reason. A reason
 * added without a scenario here fails this test, so "every failure reason is covered" (ADR 0004) stays true.
 */
class ReasonCoverageTest {

    static final AccountKey CALLER = AccountKey.generate();
    static final AccountKey CALLEE = AccountKey.generate();
    static final AccountKey USER_MANAGER = AccountKey.generate();
    static final PublicKeys KEYS = id -> Optional.ofNullable(Map.of(CALLER.accountId(), CALLER.publicKey(),
            CALLEE.accountId(), CALLEE.publicKey(), USER_MANAGER.accountId(), USER_MANAGER.publicKey()).get(id));
    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    static final byte[] BODY = Encoding.utf8("{}");
    static final RequestProofs.Request REQUEST = new RequestProofs.Request("POST", "/rpc/a.v1/b", BODY, null);
    static final String HEADER = "{\"alg\":\"EdDSA\",\"typ\":\"reside-proof\"}";
    /** Produced by the runtime, not by this module; each has its test there. */
    static final Map<Reason, String> TESTED_IN_THE_RUNTIME = Map.of(
            Reason.PROOF_MISSING, "RpcAuthenticationTest.aSignedCallerGetsThroughAndEveryBrokenProofIs401WithItsReason",
            Reason.DELEGATION_SUBJECT_INVALID, "RpcAuthenticationTest.aDelegationMustNameAManagedUser");

    interface Scenario {
        void run() throws Exception;
    }

    @Test
    void everyReasonHasAScenarioThatProducesIt() throws Exception {
        Map<Reason, Scenario> scenarios = new EnumMap<>(Reason.class);
        String audience = CALLEE.accountId();
        String proof = jws(CALLER, REQUEST, NOW);
        scenarios.put(Reason.PROOF_TOO_LARGE, () -> verify("a".repeat(9000), REQUEST));
        scenarios.put(Reason.PROOF_MALFORMED, () -> verify("a.b", REQUEST));
        scenarios.put(Reason.ACCOUNT_UNKNOWN, () -> verify(jws(AccountKey.generate(), REQUEST, NOW), REQUEST));
        scenarios.put(Reason.SIGNATURE_INVALID, () -> verify(proof.substring(0, proof.lastIndexOf('.') + 1)
                + Encoding.base64url(new byte[64]), REQUEST));
        scenarios.put(Reason.AUDIENCE_MISMATCH,
                () -> RequestProofs.verify(proof, CALLER.accountId(), REQUEST, KEYS, NOW));
        scenarios.put(Reason.PROOF_EXPIRED, () -> verify(jws(CALLER, REQUEST, NOW.minusSeconds(91)), REQUEST));
        scenarios.put(Reason.PROOF_NOT_YET_VALID, () -> verify(jws(CALLER, REQUEST, NOW.plusSeconds(31)), REQUEST));
        scenarios.put(Reason.PROOF_LIFETIME_TOO_LONG, () -> verify(Crafted.signed(CALLER, HEADER, Crafted.payload(proof)
                .replace("\"exp\":" + (NOW.getEpochSecond() + 60), "\"exp\":" + (NOW.getEpochSecond() + 61))),
                REQUEST));
        scenarios.put(Reason.METHOD_MISMATCH, () -> verify(proof, new RequestProofs.Request("GET", "/rpc/a.v1/b", BODY,
                null)));
        scenarios.put(Reason.PATH_MISMATCH, () -> verify(proof, new RequestProofs.Request("POST", "/rpc/a.v1/c", BODY,
                null)));
        scenarios.put(Reason.BODY_MISMATCH, () -> verify(proof, new RequestProofs.Request("POST", "/rpc/a.v1/b",
                Encoding.utf8("[]"), null)));
        scenarios.put(Reason.DELEGATION_NOT_BOUND, () -> verify(proof, new RequestProofs.Request("POST", "/rpc/a.v1/b",
                BODY, "x.y.z")));
        scenarios.put(Reason.PROOF_REPLAYED, () -> {
            ReplayCache cache = new ReplayCache(ReplayCache.Limits.DEFAULT);
            RequestProofs.Verified v = verify(proof, REQUEST);
            cache.record(v.caller(), v.jti(), v.expiresAt(), NOW.getEpochSecond());
            cache.record(v.caller(), v.jti(), v.expiresAt(), NOW.getEpochSecond());
        });
        scenarios.put(Reason.REPLAY_CACHE_FULL, () -> {
            ReplayCache cache = new ReplayCache(new ReplayCache.Limits(1, 1));
            for (int i = 0; i < 2; i++) {
                RequestProofs.Verified v = verify(jws(CALLER, REQUEST, NOW), REQUEST);
                cache.record(v.caller(), v.jti(), v.expiresAt(), NOW.getEpochSecond());
            }
        });
        Sessions.Server server = new Sessions.Server(CALLEE, Duration.ofMinutes(10));
        Sessions.Handshake handshake = new Sessions.Handshake();
        Sessions.ClientSession session = handshake.complete(server.accept(CALLER.accountId(), handshake.request(), NOW),
                CALLER.accountId(), CALLEE.publicKey());
        scenarios.put(Reason.SESSION_UNKNOWN, () -> server.verify(session.proof("POST", "/x", BODY, null, NOW)
                .credential().replaceFirst("^[^.]+", Encoding.base64url(new byte[16])), "POST", "/x", BODY, null, NOW));
        scenarios.put(Reason.SESSION_EXPIRED, () -> server.verify(session.proof("POST", "/x", BODY, null, NOW)
                .credential(), "POST", "/x", BODY, null, NOW.plus(Duration.ofMinutes(11))));
        scenarios.put(Reason.SESSION_MAC_INVALID, () -> server.verify(session.proof("POST", "/x", BODY, null, NOW)
                .credential(), "POST", "/y", BODY, null, NOW));
        scenarios.put(Reason.SESSION_REPLAYED, () -> {
            String p = session.proof("POST", "/x", BODY, null, NOW).credential();
            server.verify(p, "POST", "/x", BODY, null, NOW);
            server.verify(p, "POST", "/x", BODY, null, NOW);
        });
        scenarios.put(Reason.SESSION_OUT_OF_WINDOW, () -> {
            String old = session.proof("POST", "/x", BODY, null, NOW).credential();
            Sessions.ClientSession.Proof latest = null;
            for (int i = 0; i <= Sessions.WINDOW; i++) {
                latest = session.proof("POST", "/x", BODY, null, NOW);
            }
            server.verify(latest.credential(), "POST", "/x", BODY, null, NOW);
            server.verify(old, "POST", "/x", BODY, null, NOW);
        });
        String delegation = Delegations.issue(USER_MANAGER, "acc_user", CALLER.accountId(), audience,
                Duration.ofMinutes(1), NOW);
        scenarios.put(Reason.DELEGATION_MALFORMED, () -> delegate("x", CALLER.accountId(), audience));
        scenarios.put(Reason.DELEGATION_UNTRUSTED_ISSUER, () -> delegate(Delegations.issue(CALLER, "acc_user",
                CALLER.accountId(), audience, Duration.ofMinutes(1), NOW), CALLER.accountId(), audience));
        scenarios.put(Reason.DELEGATION_SIGNATURE_INVALID, () -> delegate(delegation.substring(0,
                delegation.lastIndexOf('.') + 1) + Encoding.base64url(new byte[64]), CALLER.accountId(), audience));
        scenarios.put(Reason.DELEGATION_ACTOR_MISMATCH, () -> delegate(delegation, CALLEE.accountId(), audience));
        scenarios.put(Reason.DELEGATION_AUDIENCE_MISMATCH, () -> delegate(delegation, CALLER.accountId(),
                CALLER.accountId()));
        scenarios.put(Reason.DELEGATION_EXPIRED, () -> Delegations.verify(delegation,
                Optional.of(USER_MANAGER.accountId()), CALLER.accountId(), audience, KEYS, NOW.plusSeconds(200)));

        for (Map.Entry<Reason, Scenario> e : scenarios.entrySet()) {
            assertThatThrownBy(() -> e.getValue().run()).as(e.getKey().code())
                    .isInstanceOfSatisfying(AuthenticationFailure.class, f -> assertThat(f.reason())
                            .as(f.getMessage()).isEqualTo(e.getKey()));
        }
        EnumSet<Reason> covered = EnumSet.copyOf(scenarios.keySet());
        covered.addAll(TESTED_IN_THE_RUNTIME.keySet());
        assertThat(covered).as("reasons without a scenario").containsExactlyInAnyOrder(Reason.values());
    }

    static String jws(AccountKey key, RequestProofs.Request request, Instant at) {
        return RequestProofs.sign(key, CALLEE.accountId(), request, at).substring("Reside ".length());
    }

    static RequestProofs.Verified verify(String jws, RequestProofs.Request request) throws AuthenticationFailure {
        return RequestProofs.verify(jws, CALLEE.accountId(), request, KEYS, NOW);
    }

    static void delegate(String token, String signer, String audience) throws AuthenticationFailure {
        Delegations.verify(token, Optional.of(USER_MANAGER.accountId()), signer, audience, KEYS, NOW);
    }
}
