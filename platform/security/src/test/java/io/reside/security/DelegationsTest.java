package io.reside.security;

import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_ACTOR_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_AUDIENCE_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_EXPIRED;
import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_MALFORMED;
import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_UNTRUSTED_ISSUER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class DelegationsTest {

    static final AccountKey USER_MANAGER = AccountKey.generate();
    static final AccountKey IMPOSTOR = AccountKey.generate();
    static final AccountKey SECRETARY = AccountKey.generate();
    static final AccountKey CALLEE = AccountKey.generate();
    static final String USER = "acc_user";
    static final PublicKeys REGISTRY = id -> Optional.ofNullable(Map.of(USER_MANAGER.accountId(),
            USER_MANAGER.publicKey(), IMPOSTOR.accountId(), IMPOSTOR.publicKey(), SECRETARY.accountId(),
            SECRETARY.publicKey()).get(id));
    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    static Delegations.Delegation verify(String token, String signer, String audience) throws AuthenticationFailure {
        return Delegations.verify(token, Optional.of(USER_MANAGER.accountId()), signer, audience, REGISTRY, NOW);
    }

    @Test
    void aValidDelegationMakesTheUserTheCaller() throws Exception {
        String token = Delegations.issue(USER_MANAGER, USER, SECRETARY.accountId(), CALLEE.accountId(),
                Duration.ofMinutes(5), NOW);
        Delegations.Delegation d = verify(token, SECRETARY.accountId(), CALLEE.accountId());
        assertThat(d.subject()).isEqualTo(USER);
        assertThat(d.actor()).isEqualTo(SECRETARY.accountId());
        assertThat(d.expiresAt()).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
    }

    @Test
    void eachBrokenCheckHasItsOwnReason() {
        String audience = CALLEE.accountId();
        String valid = Delegations.issue(USER_MANAGER, USER, SECRETARY.accountId(), audience, Duration.ofMinutes(1),
                NOW);
        assertReason(() -> verify(Delegations.issue(IMPOSTOR, USER, SECRETARY.accountId(), audience,
                Duration.ofMinutes(1), NOW), SECRETARY.accountId(), audience), DELEGATION_UNTRUSTED_ISSUER);
        assertReason(() -> Delegations.verify(valid, Optional.empty(), SECRETARY.accountId(), audience, REGISTRY, NOW),
                DELEGATION_UNTRUSTED_ISSUER);
        // a stolen token, presented by someone else: act is not the signer
        assertReason(() -> verify(valid, IMPOSTOR.accountId(), audience), DELEGATION_ACTOR_MISMATCH);
        assertReason(() -> verify(valid, SECRETARY.accountId(), "acc_other"), DELEGATION_AUDIENCE_MISMATCH);
        assertReason(() -> Delegations.verify(Delegations.issue(USER_MANAGER, USER, SECRETARY.accountId(), audience,
                Duration.ofMinutes(1), NOW.minusSeconds(200)), Optional.of(USER_MANAGER.accountId()),
                SECRETARY.accountId(), audience, REGISTRY, NOW), DELEGATION_EXPIRED);
        String[] p = valid.split("\\.");
        String tampered = p[0] + "." + Encoding.base64url(Encoding.utf8(new String(Encoding.fromBase64url(p[1]),
                java.nio.charset.StandardCharsets.UTF_8).replace(USER, "acc_admin"))) + "." + p[2];
        assertReason(() -> verify(tampered, SECRETARY.accountId(), audience),
                AuthenticationFailure.Reason.DELEGATION_SIGNATURE_INVALID);
        assertReason(() -> verify("garbage", SECRETARY.accountId(), audience), DELEGATION_MALFORMED);
        assertThatThrownBy(() -> Delegations.issue(USER_MANAGER, USER, SECRETARY.accountId(), audience,
                Duration.ofMinutes(6), NOW)).hasMessage("a delegation lives at most PT5M, got PT6M");
    }

    /** The times of a delegation once ended in an uncaught DateTimeException (a 500): now they are bounded first. */
    @Test
    void strictParsingAndBoundedTimes() {
        String audience = CALLEE.accountId();
        String valid = Delegations.issue(USER_MANAGER, USER, SECRETARY.accountId(), audience, Duration.ofMinutes(1),
                NOW);
        String payload = Crafted.payload(valid);
        String header = "{\"alg\":\"EdDSA\",\"typ\":\"reside-delegation\"}";
        long exp = NOW.plusSeconds(60).getEpochSecond();
        for (String bad : List.of(
                payload.replace("\"exp\":" + exp, "\"exp\":" + Long.MAX_VALUE),
                payload.replace("\"exp\":" + exp, "\"exp\":-1"),
                payload.replace("\"exp\":" + exp, "\"exp\":" + exp + ".0"),
                payload.replace("\"sub\":\"" + USER + "\"", "\"sub\":\"\""),
                payload.replace("\"sub\":\"" + USER + "\"", "\"sub\":\"" + "u".repeat(37) + "\""),
                payload.replace("{\"iss\"", "{\"sub\":\"acc_admin\",\"iss\""))) {
            assertReason(() -> verify(Crafted.signed(USER_MANAGER, header, bad), SECRETARY.accountId(), audience),
                    DELEGATION_MALFORMED);
        }
        assertReason(() -> verify(Crafted.signed(USER_MANAGER, "{\"alg\":\"EdDSA\",\"typ\":\"reside-delegation\","
                + "\"crit\":[\"exp\"]}", payload), SECRETARY.accountId(), audience), DELEGATION_MALFORMED);
        assertReason(() -> verify(Crafted.signed(USER_MANAGER, "{\"alg\":\"EdDSA\",\"typ\":\"reside-proof\"}",
                payload), SECRETARY.accountId(), audience), DELEGATION_MALFORMED);
        // signed correctly, but exp - iat is beyond 5 minutes
        long iat = NOW.getEpochSecond();
        assertReason(() -> verify(Crafted.signed(USER_MANAGER, header, payload.replace("\"exp\":" + exp, "\"exp\":"
                + (iat + 301))), SECRETARY.accountId(), audience), DELEGATION_EXPIRED);
        assertReason(() -> verify("x".repeat(AuthenticationFailure.MAX_HEADER_BYTES + 1), SECRETARY.accountId(),
                audience), AuthenticationFailure.Reason.PROOF_TOO_LARGE);
    }

    interface Check {
        void run() throws AuthenticationFailure;
    }

    private static void assertReason(Check check, AuthenticationFailure.Reason reason) {
        assertThatThrownBy(check::run).isInstanceOfSatisfying(AuthenticationFailure.class,
                e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
    }
}
