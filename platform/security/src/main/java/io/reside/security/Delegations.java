package io.reside.security;

import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_ACTOR_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_AUDIENCE_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_EXPIRED;
import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_MALFORMED;
import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_SIGNATURE_INVALID;
import static io.reside.security.AuthenticationFailure.Reason.DELEGATION_UNTRUSTED_ISSUER;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Delegation tokens (impersonation with proof of possession, SPEC 5.4): a JWS signed by the cluster's User Manager
 * saying that {@code act} (a secretary) may act as {@code sub} (a user) towards {@code aud} (one replica) until
 * {@code exp} (at most 5 minutes). It is sent in {@code Reside-Delegation} next to the actor's own signed proof, so a
 * stolen token is useless without the actor's key.
 */
public final class Delegations {

    public static final String HEADER_NAME = "Reside-Delegation";
    public static final Duration MAX_LIFETIME = Duration.ofMinutes(5);

    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String TYP = "reside-delegation";
    private static final String HEADER = Encoding.base64url(
            Encoding.utf8("{\"alg\":\"EdDSA\",\"typ\":\"" + TYP + "\"}"));
    private static final SecureRandom RANDOM = new SecureRandom();

    private Delegations() {
    }

    /** A verified delegation: calls are made by {@code subject}, through {@code actor}. */
    public record Delegation(String subject, String actor, String issuer, String audience, Instant expiresAt) {
    }

    /**
     * Issues a token (the User Manager's {@code impersonate}).
     *
     * @throws IllegalArgumentException when the lifetime is not positive or exceeds {@link #MAX_LIFETIME}
     */
    public static String issue(AccountKey issuer, String subject, String actor, String audience, Duration lifetime,
            Instant now) {
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("a delegation lives at most " + MAX_LIFETIME + ", got " + lifetime);
        }
        byte[] jti = new byte[16];
        RANDOM.nextBytes(jti);
        ObjectNode claims = JSON.createObjectNode().put("iss", issuer.accountId()).put("sub", subject).put("act", actor)
                .put("aud", audience).put("iat", now.getEpochSecond())
                .put("exp", now.plus(lifetime).getEpochSecond()).put("jti", Encoding.base64url(jti));
        String signingInput = HEADER + "." + Encoding.base64url(claims.toString().getBytes(StandardCharsets.UTF_8));
        return signingInput + "." + Encoding.base64url(issuer.sign(Encoding.utf8(signingInput)));
    }

    /**
     * Verifies a token received with a request.
     *
     * @param trustedIssuer the account of the cluster's User Manager; empty when none is designated
     * @param requestSigner the account that signed the request carrying the token
     * @param audience this replica's account
     * @throws AuthenticationFailure naming the failed check
     */
    public static Delegation verify(String token, Optional<String> trustedIssuer, String requestSigner,
            String audience, PublicKeys keys, Instant now) throws AuthenticationFailure {
        if (token.length() > AuthenticationFailure.MAX_HEADER_BYTES) {
            throw new AuthenticationFailure(AuthenticationFailure.Reason.PROOF_TOO_LARGE, "Reside-Delegation is longer "
                    + "than " + AuthenticationFailure.MAX_HEADER_BYTES + " bytes");
        }
        CompactJws.Parsed jws = CompactJws.parse(token, HEADER, TYP, DELEGATION_MALFORMED, "delegation");
        String iss = jws.text("iss", RequestProofs.ACCOUNT_ID_LENGTH);
        String sub = jws.text("sub", RequestProofs.ACCOUNT_ID_LENGTH);
        String act = jws.text("act", RequestProofs.ACCOUNT_ID_LENGTH);
        String aud = jws.text("aud", RequestProofs.ACCOUNT_ID_LENGTH);
        long iat = jws.time("iat");
        long exp = jws.time("exp");
        if (trustedIssuer.isEmpty() || !trustedIssuer.get().equals(iss)) {
            throw new AuthenticationFailure(DELEGATION_UNTRUSTED_ISSUER, "the delegation is not signed by this "
                    + "cluster's User Manager" + (trustedIssuer.isEmpty() ? " (none is designated)" : ""));
        }
        PublicKey key = keys.publicKey(iss).orElseThrow(() -> new AuthenticationFailure(DELEGATION_UNTRUSTED_ISSUER,
                "the User Manager's account " + iss + " is not registered"));
        if (!key.verify(jws.signature(), Encoding.utf8(jws.signingInput()))) {
            throw new AuthenticationFailure(DELEGATION_SIGNATURE_INVALID, "the delegation's signature does not verify");
        }
        if (!requestSigner.equals(act)) {
            throw new AuthenticationFailure(DELEGATION_ACTOR_MISMATCH, "the delegation was issued to another actor "
                    + "(act) than the signer of this request");
        }
        if (!audience.equals(aud)) {
            throw new AuthenticationFailure(DELEGATION_AUDIENCE_MISMATCH,
                    "the delegation is for another replica (aud)");
        }
        long t = now.getEpochSecond(); // iat, exp and t are within [0, MAX_TIME]: no arithmetic below can overflow
        if (exp < iat || exp - iat > MAX_LIFETIME.toSeconds() || exp < t - RequestProofs.SKEW_SECONDS
                || iat > t + RequestProofs.SKEW_SECONDS) {
            throw new AuthenticationFailure(DELEGATION_EXPIRED, "the delegation is expired, not valid yet or lives "
                    + "longer than " + MAX_LIFETIME.toMinutes() + " minutes; ask the User Manager for a new one");
        }
        return new Delegation(sub, requestSigner, iss, audience, Instant.ofEpochSecond(exp));
    }
}
