package io.reside.security;

import java.io.IOException;
import java.util.Iterator;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Strict parsing of the compact JWS (RFC 7515) that ReSide uses for request proofs and delegations. Only what ReSide
 * writes is accepted: three canonical base64url parts (no padding, unused bits zero), a header of exactly {@code alg}
 * {@code EdDSA} and the expected {@code typ} ({@code crit} and every other parameter refused, as RFC 7515 section
 * 4.1.11 requires of a party that understands no extension), JSON objects without duplicate keys or trailing data,
 * an Ed25519 signature of 64 bytes, and times that are integers in a sane range. Anything else is refused before any
 * signature is checked or any arithmetic is done.
 */
final class CompactJws {

    /** Times are seconds since the epoch in [0, this]: year 3000, far from any overflow of {@code long} arithmetic. */
    static final long MAX_TIME = 32_503_680_000L;

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    /** A parsed JWS whose signature is still to be checked. */
    record Parsed(String signingInput, ObjectNode payload, byte[] signature, AuthenticationFailure.Reason malformed,
            String what) {

        /** A string claim, present, of at most {@code maxLength} characters. */
        String text(String name, int maxLength) throws AuthenticationFailure {
            JsonNode n = payload.get(name);
            if (n == null || !n.isTextual() || n.textValue().isEmpty() || n.textValue().length() > maxLength) {
                throw fail("the " + what + "'s " + name + " claim is missing, not a string or longer than "
                        + maxLength + " characters");
            }
            return n.textValue();
        }

        /** An optional string claim, of at most {@code maxLength} characters; null when absent. */
        String optionalText(String name, int maxLength) throws AuthenticationFailure {
            return payload.has(name) ? text(name, maxLength) : null;
        }

        /** A time claim: an integer number of seconds in [0, {@link #MAX_TIME}]. */
        long time(String name) throws AuthenticationFailure {
            JsonNode n = payload.get(name);
            if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0
                    || n.longValue() > MAX_TIME) {
                throw fail("the " + what + "'s " + name + " claim is not an integer number of seconds between 0 and "
                        + MAX_TIME);
            }
            return n.longValue();
        }

        /** A claim that must be canonical base64url of exactly {@code bytes} bytes. */
        String base64(String name, int bytes) throws AuthenticationFailure {
            String value = text(name, (bytes * 4 + 2) / 3);
            if (Encoding.fromCanonicalBase64url(value, bytes) == null) {
                throw fail("the " + what + "'s " + name + " claim is not canonical base64url of " + bytes + " bytes");
            }
            return value;
        }

        AuthenticationFailure fail(String message) {
            return new AuthenticationFailure(malformed, message);
        }
    }

    private CompactJws() {
    }

    /**
     * @param canonicalHeader the base64url header ReSide writes: when the header is exactly this, it is not parsed
     * @param typ the expected {@code typ}
     * @param malformed the reason of every refusal
     * @param what what is parsed, for messages ("proof", "delegation")
     */
    static Parsed parse(String jws, String canonicalHeader, String typ, AuthenticationFailure.Reason malformed,
            String what) throws AuthenticationFailure {
        int first = jws.indexOf('.');
        int second = first < 0 ? -1 : jws.indexOf('.', first + 1);
        if (first < 0 || second < 0 || jws.indexOf('.', second + 1) >= 0) {
            throw new AuthenticationFailure(malformed,
                    "the " + what + " is not a compact JWS (header.payload.signature)");
        }
        String header = jws.substring(0, first);
        String payload = jws.substring(first + 1, second);
        String signature = jws.substring(second + 1);
        if (!header.equals(canonicalHeader)) {
            checkHeader(object(header, malformed, what, "header"), typ, malformed, what);
        }
        ObjectNode claims = object(payload, malformed, what, "payload");
        byte[] sig = Encoding.fromCanonicalBase64url(signature, 64);
        if (sig == null) {
            throw new AuthenticationFailure(malformed, "the " + what + "'s signature is not canonical base64url of an "
                    + "Ed25519 signature (64 bytes)");
        }
        return new Parsed(jws.substring(0, second), claims, sig, malformed, what);
    }

    private static void checkHeader(ObjectNode header, String typ, AuthenticationFailure.Reason malformed, String what)
            throws AuthenticationFailure {
        if (header.has("crit")) {
            throw new AuthenticationFailure(malformed, "the " + what + "'s header has 'crit': no JWS extension is "
                    + "understood here (RFC 7515, section 4.1.11)");
        }
        for (Iterator<String> names = header.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!name.equals("alg") && !name.equals("typ")) {
                throw new AuthenticationFailure(malformed, "the " + what + "'s header may only have 'alg' and 'typ', "
                        + "not '" + abbreviate(name) + "'");
            }
        }
        if (!"EdDSA".equals(header.path("alg").textValue())) {
            throw new AuthenticationFailure(malformed, "the " + what + " must be signed with EdDSA (alg)");
        }
        if (!typ.equals(header.path("typ").textValue())) {
            throw new AuthenticationFailure(malformed, "the " + what + "'s typ must be '" + typ + "'");
        }
    }

    private static ObjectNode object(String part, AuthenticationFailure.Reason malformed, String what, String which)
            throws AuthenticationFailure {
        byte[] bytes = Encoding.fromCanonicalBase64url(part, -1);
        if (bytes == null) {
            throw new AuthenticationFailure(malformed, "the " + what + "'s " + which + " is not canonical base64url "
                    + "(no padding, no other characters)");
        }
        JsonNode node;
        try {
            node = STRICT.readTree(bytes);
        } catch (IOException e) {
            throw new AuthenticationFailure(malformed, "the " + what + "'s " + which + " is not one JSON object "
                    + "without duplicate keys");
        }
        if (node == null || !node.isObject()) {
            throw new AuthenticationFailure(malformed, "the " + what + "'s " + which + " is not a JSON object");
        }
        return (ObjectNode) node;
    }

    /** A name from the input, shortened for a message. */
    private static String abbreviate(String s) {
        return s.length() <= 32 ? s : s.substring(0, 32) + "...";
    }
}
