package io.reside.security;

import static io.reside.security.AuthenticationFailure.Reason.ACCOUNT_UNKNOWN;
import static io.reside.security.AuthenticationFailure.Reason.AUDIENCE_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.BODY_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_NOT_BOUND;
import static io.reside.security.AuthenticationFailure.Reason.METHOD_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.PATH_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_EXPIRED;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_MALFORMED;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_NOT_YET_VALID;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_REPLAYED;
import static io.reside.security.AuthenticationFailure.Reason.SIGNATURE_INVALID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class RequestProofsTest {

    static final AccountKey CALLER = AccountKey.generate();
    static final AccountKey CALLEE = AccountKey.generate();
    static final AccountKey STRANGER = AccountKey.generate();
    static final PublicKeys REGISTRY = id -> Optional.ofNullable(Map.of(CALLER.accountId(), CALLER.publicKey(),
            CALLEE.accountId(), CALLEE.publicKey()).get(id));
    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    static final RequestProofs.Request REQUEST = new RequestProofs.Request("POST", "/rpc/greeter.v1/enter?x=1",
            Encoding.utf8("{\"room\":\"lobby\"}"), null);

    static String jws(AccountKey key, String audience, RequestProofs.Request request, Instant at) {
        return RequestProofs.sign(key, audience, request, at).substring("Reside ".length());
    }

    static RequestProofs.Verified verify(String jws, RequestProofs.Request request) throws AuthenticationFailure {
        return RequestProofs.verify(jws, CALLEE.accountId(), request, REGISTRY, NOW);
    }

    @Test
    void aValidProofNamesTheCaller() throws Exception {
        RequestProofs.Verified v = verify(jws(CALLER, CALLEE.accountId(), REQUEST, NOW), REQUEST);
        assertThat(v.caller()).isEqualTo(CALLER.accountId());
        assertThat(v.jti()).hasSize(22);
        assertThat(v.bodyHash()).isEqualTo(Encoding.bodyHash(REQUEST.body()));
        // the callee may verify before reading the body, then check the body against bodyHash
        assertThat(verify(jws(CALLER, CALLEE.accountId(), REQUEST, NOW), new RequestProofs.Request(REQUEST.method(),
                REQUEST.pathAndQuery(), null, null)).bodyHash()).isEqualTo(Encoding.bodyHash(REQUEST.body()));
        // clocks may differ by 30 s
        verify(jws(CALLER, CALLEE.accountId(), REQUEST, NOW.plusSeconds(25)), REQUEST);
        verify(jws(CALLER, CALLEE.accountId(), REQUEST, NOW.minusSeconds(85)), REQUEST);
    }

    @Test
    void eachBrokenCheckHasItsOwnReason() {
        String audience = CALLEE.accountId();
        // forged: signed by another key, claiming to be the caller
        String forged = jws(STRANGER, audience, REQUEST, NOW);
        String[] f = forged.split("\\.");
        String[] genuine = jws(CALLER, audience, REQUEST, NOW).split("\\.");
        assertReason(genuine[0] + "." + genuine[1] + "." + f[2], REQUEST, SIGNATURE_INVALID);
        assertReason(forged, REQUEST, ACCOUNT_UNKNOWN);
        assertReason(jws(CALLER, audience, REQUEST, NOW.minusSeconds(120)), REQUEST, PROOF_EXPIRED);
        assertReason(jws(CALLER, audience, REQUEST, NOW.plusSeconds(60)), REQUEST, PROOF_NOT_YET_VALID);
        assertReason(jws(CALLER, CALLER.accountId(), REQUEST, NOW), REQUEST, AUDIENCE_MISMATCH);
        String valid = jws(CALLER, audience, REQUEST, NOW);
        assertReason(valid, new RequestProofs.Request("GET", REQUEST.pathAndQuery(), REQUEST.body(), null),
                METHOD_MISMATCH);
        assertReason(valid, new RequestProofs.Request("POST", "/rpc/greeter.v1/enter?x=2", REQUEST.body(), null),
                PATH_MISMATCH);
        assertReason(valid, new RequestProofs.Request("POST", REQUEST.pathAndQuery(),
                Encoding.utf8("{\"room\":\"attic\"}"), null), BODY_MISMATCH);
        assertReason(valid, new RequestProofs.Request("POST", REQUEST.pathAndQuery(), REQUEST.body(), "a.b.c"),
                DELEGATION_NOT_BOUND);
        assertReason("not-a-jws", REQUEST, PROOF_MALFORMED);
        assertReason("a.b.c", REQUEST, PROOF_MALFORMED);
    }

    @Test
    void theReplayCacheRefusesASecondUse() throws Exception {
        ReplayCache cache = new ReplayCache(10);
        RequestProofs.Verified v = verify(jws(CALLER, CALLEE.accountId(), REQUEST, NOW), REQUEST);
        cache.record(v.jti(), v.expiresAt(), NOW.getEpochSecond());
        assertThatThrownBy(() -> cache.record(v.jti(), v.expiresAt(), NOW.getEpochSecond()))
                .isInstanceOfSatisfying(AuthenticationFailure.class, e -> assertThat(e.reason()).isEqualTo(PROOF_REPLAYED));
        // after its expiry the entry is forgotten (the proof itself is expired by then)
        cache.record("other", NOW.getEpochSecond() - 1, NOW.getEpochSecond());
        for (int i = 0; i < 2000; i++) {
            cache.record("x" + i, NOW.getEpochSecond() - 1, NOW.getEpochSecond() + 10);
        }
        assertThat(cache.size()).isLessThanOrEqualTo(10);
    }

    private static void assertReason(String jws, RequestProofs.Request request, AuthenticationFailure.Reason reason) {
        assertThatThrownBy(() -> verify(jws, request)).isInstanceOfSatisfying(AuthenticationFailure.class, e -> {
            assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
            assertThat(e.getMessage()).doesNotContain(jws.substring(jws.lastIndexOf('.') + 1));
        });
    }
}
