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

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The per-request proof of SPEC 5.4: a compact JWS (EdDSA) signed by the caller, with claims {@code iss} (caller
 * account), {@code aud} (callee account), {@code iat}, {@code exp} (at most 60 s later), {@code jti} (128 random bits),
 * {@code htm} (HTTP method), {@code htu} (path and query), {@code bdh} (base64url SHA-256 of the body) and, when the
 * call carries a delegation, {@code dlh} (base64url SHA-256 of the {@code Reside-Delegation} value), so that a
 * delegation cannot be swapped on the way. Parsing is strict ({@link CompactJws}): one canonical encoding, no
 * {@code crit}, no duplicate keys, integer times in a sane range, claims of bounded size.
 * <p>
 * Written here rather than with a JOSE library: the format is fixed and small, and a library would route Ed25519
 * through the JDK's provider, twenty times slower than BouncyCastle's (measured by {@code platform/bench/run rpc}).
 */
public final class RequestProofs {

    public static final String SCHEME = "Reside";
    public static final String TYP = "reside-proof";
    public static final long MAX_LIFETIME_SECONDS = 60;
    public static final long SKEW_SECONDS = 30;
    /** The longest {@code htu} (path and query) a proof may carry. */
    public static final int MAX_TARGET_LENGTH = 4096;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HEADER = Encoding
            .base64url(Encoding.utf8("{\"alg\":\"EdDSA\",\"typ\":\"" + TYP + "\"}"));
    private static final SecureRandom RANDOM = new SecureRandom();
    /** {@code acc_} and 32 base32 characters. */
    static final int ACCOUNT_ID_LENGTH = 36;

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
     * @param jti the proof's id: canonical base64url of 16 bytes
     * @param expiresAt until when (epoch seconds) the id must be remembered against replay: {@code exp} + skew
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
        String signingInput = HEADER + "." + Encoding.base64url(Encoding.utf8(claims.toString()));
        return SCHEME + " " + signingInput + "." + Encoding.base64url(key.sign(Encoding.utf8(signingInput)));
    }

    /**
     * Verifies a proof against the request the callee received. Does not consult the replay cache: call
     * {@link ReplayCache#record} with the result once every other check passed.
     *
     * @param jws the JWS (the {@code Authorization} value without {@code Reside })
     * @param audience the callee's own account id
     * @throws AuthenticationFailure naming the failed check
     */
    public static Verified verify(String jws, String audience, Request request, PublicKeys keys, Instant now)
            throws AuthenticationFailure {
        if (jws.length() > AuthenticationFailure.MAX_HEADER_BYTES) {
            throw new AuthenticationFailure(AuthenticationFailure.Reason.PROOF_TOO_LARGE, "the proof is longer than "
                    + AuthenticationFailure.MAX_HEADER_BYTES + " bytes");
        }
        CompactJws.Parsed jwsParts = CompactJws.parse(jws, HEADER, TYP, PROOF_MALFORMED, "proof");
        String iss = jwsParts.text("iss", ACCOUNT_ID_LENGTH);
        String aud = jwsParts.text("aud", ACCOUNT_ID_LENGTH);
        long iat = jwsParts.time("iat");
        long exp = jwsParts.time("exp");
        String jti = jwsParts.base64("jti", 16);
        String htm = jwsParts.text("htm", 16);
        String htu = jwsParts.text("htu", MAX_TARGET_LENGTH);
        String bdh = jwsParts.base64("bdh", 32);
        String dlh = jwsParts.payload().has("dlh") ? jwsParts.base64("dlh", 32) : null;
        PublicKey key = keys.publicKey(iss).orElseThrow(() -> new AuthenticationFailure(ACCOUNT_UNKNOWN,
                "account " + iss + " is not registered"));
        if (!key.verify(jwsParts.signature(), Encoding.utf8(jwsParts.signingInput()))) {
            throw new AuthenticationFailure(SIGNATURE_INVALID, "the proof's signature does not verify with the "
                    + "registered key of " + iss);
        }
        // from here on the caller is known: the caller of verify may authenticate its refusal
        long t = now.getEpochSecond(); // iat, exp and t are within [0, MAX_TIME]: no arithmetic below can overflow
        if (exp < iat || exp - iat > MAX_LIFETIME_SECONDS) {
            throw new AuthenticationFailure(PROOF_LIFETIME_TOO_LONG, "a proof may live at most "
                    + MAX_LIFETIME_SECONDS + " s (0 <= exp - iat <= " + MAX_LIFETIME_SECONDS + ")");
        }
        if (iat > t + SKEW_SECONDS) {
            throw new AuthenticationFailure(PROOF_NOT_YET_VALID, "the proof was issued in the future (iat); "
                    + "check the caller's clock");
        }
        if (exp < t - SKEW_SECONDS) {
            throw new AuthenticationFailure(PROOF_EXPIRED, "the proof expired (exp); sign every request anew");
        }
        if (!audience.equals(aud)) {
            throw new AuthenticationFailure(AUDIENCE_MISMATCH, "the proof is for another replica (aud)");
        }
        if (!request.method().equals(htm)) {
            throw new AuthenticationFailure(METHOD_MISMATCH, "the proof is for another HTTP method (htm)");
        }
        if (!request.pathAndQuery().equals(htu)) {
            throw new AuthenticationFailure(PATH_MISMATCH, "the proof is for another path (htu)");
        }
        if (request.body() != null && !Encoding.bodyHash(request.body()).equals(bdh)) {
            throw new AuthenticationFailure(BODY_MISMATCH, "the body does not match the proof (bdh)");
        }
        String expected = request.delegation() == null ? null : Encoding.bodyHash(Encoding.utf8(request.delegation()));
        if (!Objects.equals(dlh, expected)) {
            throw new AuthenticationFailure(DELEGATION_NOT_BOUND, "the Reside-Delegation header does not match the "
                    + "proof (dlh)");
        }
        return new Verified(iss, jti, exp + SKEW_SECONDS, bdh);
    }
}
