package io.reside.security;

import static io.reside.security.AuthenticationFailure.Reason.ACCOUNT_UNKNOWN;
import static io.reside.security.AuthenticationFailure.Reason.AUDIENCE_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.BODY_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_NOT_BOUND;
import static io.reside.security.AuthenticationFailure.Reason.METHOD_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.PATH_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_EXPIRED;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_LIFETIME_TOO_LONG;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_MALFORMED;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_NOT_YET_VALID;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_REPLAYED;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_TOO_LARGE;
import static io.reside.security.AuthenticationFailure.Reason.REPLAY_CACHE_FULL;
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
    static final String HEADER = "{\"alg\":\"EdDSA\",\"typ\":\"reside-proof\"}";

    static String jws(AccountKey key, String audience, RequestProofs.Request request, Instant at) {
        return RequestProofs.sign(key, audience, request, at).substring("Reside ".length());
    }

    static RequestProofs.Verified verify(String jws, RequestProofs.Request request) throws AuthenticationFailure {
        return RequestProofs.verify(jws, CALLEE.accountId(), request, REGISTRY, NOW);
    }

    /** The payload of a valid proof for {@link #REQUEST} at {@link #NOW}, with {@code from} replaced by {@code to}. */
    static String payloadWith(String from, String to) {
        String payload = Crafted.payload(jws(CALLER, CALLEE.accountId(), REQUEST, NOW));
        assertThat(payload).contains(from);
        return payload.replace(from, to);
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
        // a header in another order, or with spaces, is still the one header allowed
        verify(Crafted.signed(CALLER, "{\"typ\": \"reside-proof\", \"alg\": \"EdDSA\"}", payloadWith("", "")), REQUEST);
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
        assertReason("x".repeat(AuthenticationFailure.MAX_HEADER_BYTES + 1), REQUEST, PROOF_TOO_LARGE);
    }

    @Test
    void aLifetimeOver60SecondsIsRefused() {
        long iat = NOW.getEpochSecond();
        assertReason(Crafted.signed(CALLER, HEADER, payloadWith("\"exp\":" + (iat + 60), "\"exp\":" + (iat + 61))),
                REQUEST, PROOF_LIFETIME_TOO_LONG);
        assertReason(Crafted.signed(CALLER, HEADER, payloadWith("\"exp\":" + (iat + 60), "\"exp\":" + (iat - 1))),
                REQUEST, PROOF_LIFETIME_TOO_LONG);
    }

    /** The proof of the issue: iat=-10, exp=Long.MAX_VALUE-5 passed and could be replayed forever. */
    @Test
    void timesOutOfRangeAreMalformedBeforeAnyArithmetic() {
        long iat = NOW.getEpochSecond();
        String overflow = payloadWith("\"iat\":" + iat, "\"iat\":-10")
                .replace("\"exp\":" + (iat + 60), "\"exp\":" + (Long.MAX_VALUE - 5));
        assertMalformed(Crafted.signed(CALLER, HEADER, overflow), "iat claim is not an integer");
        assertMalformed(
                Crafted.signed(CALLER, HEADER, payloadWith("\"exp\":" + (iat + 60), "\"exp\":" + Long.MAX_VALUE)),
                "exp claim is not an integer");
        assertMalformed(Crafted.signed(CALLER, HEADER, payloadWith("\"iat\":" + iat, "\"iat\":" + iat + ".5")),
                "iat claim is not an integer");
        assertMalformed(Crafted.signed(CALLER, HEADER, payloadWith("\"iat\":" + iat, "\"iat\":\"" + iat + "\"")),
                "iat claim is not an integer");
        assertMalformed(Crafted.signed(CALLER, HEADER, payloadWith("\"iat\":" + iat, "\"iat\":1e10")),
                "iat claim is not an integer");
        assertMalformed(Crafted.signed(CALLER, HEADER, payloadWith("\"iat\":" + iat, "\"iat\":99999999999999999999")),
                "iat claim is not an integer");
    }

    @Test
    void strictParsingRefusesWhatReSideNeverWrites() {
        String payload = payloadWith("", "");
        assertMalformed(Crafted.signed(CALLER, "{\"alg\":\"EdDSA\",\"typ\":\"reside-proof\",\"crit\":[\"exp\"]}",
                payload), "'crit'");
        assertMalformed(Crafted.signed(CALLER, "{\"alg\":\"EdDSA\",\"typ\":\"reside-proof\",\"kid\":\"k\"}", payload),
                "may only have 'alg' and 'typ', not 'kid'");
        assertMalformed(Crafted.signed(CALLER, "{\"alg\":\"none\",\"typ\":\"reside-proof\"}", payload),
                "must be signed with EdDSA");
        assertMalformed(Crafted.signed(CALLER, "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}", payload),
                "typ must be 'reside-proof'");
        assertMalformed(Crafted.signed(CALLER, "{\"alg\":\"EdDSA\"}", payload), "typ must be 'reside-proof'");
        assertMalformed(Crafted.signed(CALLER, "{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\",\"typ\":\"reside-proof\"}",
                payload), "without duplicate keys");
        assertMalformed(Crafted.signed(CALLER, HEADER, payload.replace("{\"iss\"", "{\"aud\":\"x\",\"iss\"")),
                "without duplicate keys");
        assertMalformed(Crafted.signed(CALLER, HEADER, payload + " {}"), "without duplicate keys");
        assertMalformed(Crafted.signedParts(CALLER, Crafted.padded(HEADER + " "), Crafted.part(payload)),
                "not canonical base64url");
        assertMalformed(Crafted.signedParts(CALLER, Crafted.part(HEADER), Crafted.part(payload) + "="),
                "not canonical base64url");
        assertMalformed(Crafted.signedParts(CALLER, Crafted.part(HEADER), Crafted.part(payload).replace('-', '+')
                .replace('_', '/') + "+"), "not canonical base64url");
        // base64url whose unused trailing bits are not zero decodes to the same bytes: a second encoding, refused
        String jws = jws(CALLER, CALLEE.accountId(), REQUEST, NOW);
        String signature = jws.substring(jws.lastIndexOf('.') + 1);
        char last = signature.charAt(signature.length() - 1);
        String twin = signature.substring(0, signature.length() - 1) + (char) (last + 1);
        assertThat(Encoding.fromBase64url(twin)).isEqualTo(Encoding.fromBase64url(signature));
        assertMalformed(jws.substring(0, jws.lastIndexOf('.') + 1) + twin, "signature is not canonical base64url");
    }

    @Test
    void claimsHaveTheirExactSize() {
        String jti = Encoding.base64url(new byte[16]);
        String payload = payloadWith("", "");
        String realJti = payload.replaceAll(".*\"jti\":\"([^\"]+)\".*", "$1");
        // the 10 KB jti that once exhausted a replica's memory: refused before anything is parsed
        assertReason(Crafted.signed(CALLER, HEADER, payload.replace(realJti, "A".repeat(10_000))), REQUEST,
                PROOF_TOO_LARGE);
        assertMalformed(Crafted.signed(CALLER, HEADER, payload.replace(realJti, "A".repeat(1000))), "jti claim");
        assertMalformed(Crafted.signed(CALLER, HEADER, payload.replace(realJti, realJti + "AA")), "jti claim");
        assertMalformed(Crafted.signed(CALLER, HEADER, payload.replace(realJti, jti.substring(1))), "jti claim");
        assertMalformed(Crafted.signed(CALLER, HEADER, payload.replace("\"htm\":\"POST\"", "\"htm\":7")), "htm claim");
        assertMalformed(Crafted.signed(CALLER, HEADER, payload.replace("\"iss\":\"" + CALLER.accountId() + "\"",
                "\"iss\":\"" + "a".repeat(37) + "\"")), "iss claim");
        assertMalformed(Crafted.signed(CALLER, HEADER, payload.replace("/rpc/greeter.v1/enter?x=1", "/" + "a"
                .repeat(RequestProofs.MAX_TARGET_LENGTH))), "htu claim");
    }

    @Test
    void theReplayCacheRefusesASecondUse() throws Exception {
        ReplayCache cache = new ReplayCache(new ReplayCache.Limits(10, 10));
        RequestProofs.Verified v = verify(jws(CALLER, CALLEE.accountId(), REQUEST, NOW), REQUEST);
        long now = NOW.getEpochSecond();
        cache.record(v.caller(), v.jti(), v.expiresAt(), now);
        assertThatThrownBy(() -> cache.record(v.caller(), v.jti(), v.expiresAt(), now))
                .isInstanceOfSatisfying(AuthenticationFailure.class,
                        e -> assertThat(e.reason()).isEqualTo(PROOF_REPLAYED));
        // once its expiry has passed the entry is forgotten (the proof itself is expired by then)
        cache.record(v.caller(), v.jti(), v.expiresAt(), v.expiresAt() + 1);
        assertThat(cache.size()).isZero();
        // an id must be exactly 16 bytes of canonical base64url
        assertThatThrownBy(() -> cache.record("a", "A".repeat(10_000), now + 10, now))
                .isInstanceOfSatisfying(AuthenticationFailure.class,
                        e -> assertThat(e.reason()).isEqualTo(PROOF_MALFORMED));
        assertThatThrownBy(() -> cache.record("a", jti(1), now + ReplayCache.HORIZON, now))
                .isInstanceOfSatisfying(AuthenticationFailure.class,
                        e -> assertThat(e.reason()).isEqualTo(PROOF_MALFORMED));
    }

    @Test
    void oneAccountFillingItsShareOfTheReplayCacheIsRefusedAlone() throws Exception {
        ReplayCache cache = new ReplayCache(new ReplayCache.Limits(1000, 100));
        long now = NOW.getEpochSecond();
        for (int i = 0; i < 100; i++) {
            cache.record("hostile", jti(i), now + 90, now);
        }
        assertThatThrownBy(() -> cache.record("hostile", jti(100), now + 90, now))
                .isInstanceOfSatisfying(AuthenticationFailure.class, e -> {
                    assertThat(e.reason()).isEqualTo(REPLAY_CACHE_FULL);
                    assertThat(e.getMessage()).contains("account hostile has 100 signed proofs in flight");
                });
        cache.record("friendly", jti(1_000_000), now + 90, now); // someone else is not affected
        assertThat(cache.sizeOf("hostile")).isEqualTo(100);
        // when the hostile proofs expire, the share is free again, in one sweep of whole buckets
        cache.record("hostile", jti(100), now + 200, now + 91);
        assertThat(cache.sizeOf("hostile")).isEqualTo(1);
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void aFullCacheRefusesNewProofsRatherThanForgetValidOnes() throws Exception {
        ReplayCache cache = new ReplayCache(new ReplayCache.Limits(50, 10));
        long now = NOW.getEpochSecond();
        for (int a = 0; a < 5; a++) {
            for (int i = 0; i < 10; i++) {
                cache.record("account-" + a, jti(a * 100 + i), now + 60, now);
            }
        }
        assertThatThrownBy(() -> cache.record("account-9", jti(999), now + 60, now))
                .isInstanceOfSatisfying(AuthenticationFailure.class,
                        e -> assertThat(e.reason()).isEqualTo(REPLAY_CACHE_FULL));
        // every id still valid is still refused as a replay
        assertThatThrownBy(() -> cache.record("account-0", jti(3), now + 60, now + 30))
                .isInstanceOfSatisfying(AuthenticationFailure.class,
                        e -> assertThat(e.reason()).isEqualTo(PROOF_REPLAYED));
    }

    static String jti(long n) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[15 - i] = (byte) (n >>> (8 * i));
        }
        return Encoding.base64url(b);
    }

    private static void assertMalformed(String jws, String message) {
        assertThatThrownBy(() -> verify(jws, REQUEST)).isInstanceOfSatisfying(AuthenticationFailure.class, e -> {
            assertThat(e.reason()).as(e.getMessage()).isEqualTo(PROOF_MALFORMED);
            assertThat(e.getMessage()).contains(message);
        });
    }

    private static void assertReason(String jws, RequestProofs.Request request, AuthenticationFailure.Reason reason) {
        assertThatThrownBy(() -> verify(jws, request)).isInstanceOfSatisfying(AuthenticationFailure.class, e -> {
            assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
            String signature = jws.substring(jws.lastIndexOf('.') + 1);
            if (signature.length() > 16) {
                assertThat(e.getMessage()).doesNotContain(signature);
            }
        });
    }
}
