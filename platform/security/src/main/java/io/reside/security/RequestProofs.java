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
import static io.reside.security.AuthenticationFailure.Reason.SIGNATURE_INVALID;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The per-request proof of SPEC 5.4: a compact JWS (EdDSA) signed by the caller, with claims {@code iss} (caller
 * account), {@code aud} (callee account), {@code iat}, {@code exp} (at most 60 s later), {@code jti} (128 random bits),
 * {@code htm} (HTTP method), {@code htu} (path and query), {@code bdh} (base64url SHA-256 of the body) and, when the
 * call carries a delegation, {@code dlh} (base64url SHA-256 of the {@code Reside-Delegation} value), so that a
 * delegation cannot be swapped on the way.
 * <p>
 * Written here rather than with a JOSE library: the format is fixed and small, and a library would route Ed25519
 * through the JDK's provider, twenty times slower than BouncyCastle's (measured by {@code platform/bench/run rpc}).
 */
public final class RequestProofs {

    public static final String SCHEME = "Reside";
    public static final long MAX_LIFETIME_SECONDS = 60;
    public static final long SKEW_SECONDS = 30;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HEADER = Encoding.base64url(Encoding.utf8("{\"alg\":\"EdDSA\",\"typ\":\"reside-proof\"}"));
    private static final SecureRandom RANDOM = new SecureRandom();

    private RequestProofs() {
    }

    /**
     * A request, as the caller signs it or the callee received it.
     *
     * @param body the body; null on the callee before it has read the body (see {@link Verified#bodyHash()})
     */
    public record Request(String method, String pathAndQuery, byte[] body, String delegation) {
    }

    /**
     * A verified proof.
     *
     * @param bodyHash the body hash the proof covers ({@code bdh}); when the body was not given to
     *        {@link #verify}, the callee must check the body against it before using it
     */
    public record Verified(String caller, String jti, long expiresAt, String bodyHash) {
    }

    /**
     * Signs a request. {@code delegation} is the {@code Reside-Delegation} header value, or null.
     *
     * @return the value of the {@code Authorization} header: {@code Reside <jws>}
     */
    public static String sign(AccountKey key, String audience, Request request, Instant now) {
        ObjectNode claims = JSON.createObjectNode();
        long iat = now.getEpochSecond();
        byte[] jti = new byte[16];
        RANDOM.nextBytes(jti);
        claims.put("iss", key.accountId()).put("aud", audience).put("iat", iat).put("exp", iat + MAX_LIFETIME_SECONDS)
                .put("jti", Encoding.base64url(jti)).put("htm", request.method()).put("htu", request.pathAndQuery())
                .put("bdh", Encoding.bodyHash(request.body()));
        if (request.delegation() != null) {
            claims.put("dlh", Encoding.bodyHash(Encoding.utf8(request.delegation())));
        }
        String signingInput = HEADER + "."
                + Encoding.base64url(claims.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return SCHEME + " " + signingInput + "." + Encoding.base64url(key.sign(Encoding.utf8(signingInput)));
    }

    /**
     * Verifies a proof against the request the callee received. Does not consult the replay cache: call
     * {@link ReplayCache#record} with the result's {@code jti} once every other check passed.
     *
     * @param jws the JWS (the {@code Authorization} value without {@code Reside })
     * @param audience the callee's own account id
     * @throws AuthenticationFailure naming the failed check
     */
    public static Verified verify(String jws, String audience, Request request, PublicKeys keys, Instant now)
            throws AuthenticationFailure {
        String[] parts = jws.split("\\.", -1);
        if (parts.length != 3) {
            throw new AuthenticationFailure(PROOF_MALFORMED, "the proof is not a compact JWS (header.payload.signature)");
        }
        if (!parts[0].equals(HEADER)) {
            JsonNode header = parse(parts[0], "header");
            if (!"EdDSA".equals(header.path("alg").asText())) {
                throw new AuthenticationFailure(PROOF_MALFORMED, "the proof must be signed with EdDSA (Ed25519)");
            }
        }
        JsonNode claims = parse(parts[1], "payload");
        String iss = text(claims, "iss");
        PublicKey key = keys.publicKey(iss).orElseThrow(() -> new AuthenticationFailure(ACCOUNT_UNKNOWN,
                "account " + iss + " is not registered"));
        byte[] signature;
        try {
            signature = Encoding.fromBase64url(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new AuthenticationFailure(PROOF_MALFORMED, "the proof's signature is not base64url");
        }
        if (!key.verify(signature, Encoding.utf8(parts[0] + "." + parts[1]))) {
            throw new AuthenticationFailure(SIGNATURE_INVALID, "the proof's signature does not verify with the "
                    + "registered key of " + iss);
        }
        long iat = number(claims, "iat");
        long exp = number(claims, "exp");
        long t = now.getEpochSecond();
        if (exp - iat > MAX_LIFETIME_SECONDS || exp < iat) {
            throw new AuthenticationFailure(PROOF_LIFETIME_TOO_LONG, "a proof may live at most "
                    + MAX_LIFETIME_SECONDS + " s (exp - iat)");
        }
        if (iat > t + SKEW_SECONDS) {
            throw new AuthenticationFailure(PROOF_NOT_YET_VALID, "the proof was issued in the future (iat); "
                    + "check the caller's clock");
        }
        if (exp < t - SKEW_SECONDS) {
            throw new AuthenticationFailure(PROOF_EXPIRED, "the proof expired (exp); sign every request anew");
        }
        if (!audience.equals(text(claims, "aud"))) {
            throw new AuthenticationFailure(AUDIENCE_MISMATCH, "the proof is for another replica (aud)");
        }
        if (!request.method().equals(text(claims, "htm"))) {
            throw new AuthenticationFailure(METHOD_MISMATCH, "the proof is for another HTTP method (htm)");
        }
        if (!request.pathAndQuery().equals(text(claims, "htu"))) {
            throw new AuthenticationFailure(PATH_MISMATCH, "the proof is for another path (htu)");
        }
        String bdh = text(claims, "bdh");
        if (request.body() != null && !Encoding.bodyHash(request.body()).equals(bdh)) {
            throw new AuthenticationFailure(BODY_MISMATCH, "the body does not match the proof (bdh)");
        }
        String dlh = claims.path("dlh").asText(null);
        String expected = request.delegation() == null ? null : Encoding.bodyHash(Encoding.utf8(request.delegation()));
        if (!Objects.equals(dlh, expected)) {
            throw new AuthenticationFailure(DELEGATION_NOT_BOUND, "the Reside-Delegation header does not match the "
                    + "proof (dlh)");
        }
        return new Verified(iss, text(claims, "jti"), exp + SKEW_SECONDS, bdh);
    }

    private static JsonNode parse(String part, String what) throws AuthenticationFailure {
        try {
            JsonNode node = JSON.readTree(Encoding.fromBase64url(part));
            if (node == null || !node.isObject()) {
                throw new AuthenticationFailure(PROOF_MALFORMED, "the proof's " + what + " is not a JSON object");
            }
            return node;
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new AuthenticationFailure(PROOF_MALFORMED, "the proof's " + what + " is not base64url JSON");
        }
    }

    private static String text(JsonNode claims, String name) throws AuthenticationFailure {
        JsonNode n = claims.get(name);
        if (n == null || !n.isTextual()) {
            throw new AuthenticationFailure(PROOF_MALFORMED, "the proof has no " + name + " claim");
        }
        return n.asText();
    }

    private static long number(JsonNode claims, String name) throws AuthenticationFailure {
        JsonNode n = claims.get(name);
        if (n == null || !n.canConvertToLong()) {
            throw new AuthenticationFailure(PROOF_MALFORMED, "the proof has no numeric " + name + " claim");
        }
        return n.asLong();
    }
}
