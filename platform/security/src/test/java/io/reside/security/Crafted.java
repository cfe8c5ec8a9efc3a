package io.reside.security;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Hand-made compact JWS, for tests of what a hostile or careless signer could send. */
final class Crafted {

    private Crafted() {
    }

    static String part(String json) {
        return Encoding.base64url(json.getBytes(StandardCharsets.UTF_8));
    }

    /** A JWS with exactly these header and payload parts (already encoded), validly signed by {@code key}. */
    static String signedParts(AccountKey key, String header, String payload) {
        String input = header + "." + payload;
        return input + "." + Encoding.base64url(key.sign(Encoding.utf8(input)));
    }

    /** A JWS with this header and payload JSON, validly signed by {@code key}. */
    static String signed(AccountKey key, String headerJson, String payloadJson) {
        return signedParts(key, part(headerJson), part(payloadJson));
    }

    /** The same bytes in base64url with padding, which the canonical form forbids. */
    static String padded(String json) {
        return Base64.getUrlEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    /** The payload of a valid proof, for edits. */
    static String payload(String jws) {
        return new String(Encoding.fromBase64url(jws.split("\\.")[1]), StandardCharsets.UTF_8);
    }
}
