package io.reside.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** base64url (no padding), SHA-256 and base32, as the wire formats use them. */
public final class Encoding {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final int[] DECODE = new int[128];

    static {
        java.util.Arrays.fill(DECODE, -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < alphabet.length(); i++) {
            DECODE[alphabet.charAt(i)] = i;
        }
    }
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private Encoding() {
    }

    public static String base64url(byte[] bytes) {
        return B64.encodeToString(bytes);
    }

    /** @throws IllegalArgumentException when not base64url */
    public static byte[] fromBase64url(String text) {
        return B64D.decode(text);
    }

    /**
     * Decodes base64url in its one canonical form (RFC 4648 section 3.5: no padding, no other characters, unused
     * trailing bits zero), so that each value has exactly one encoding. On the path of every call: one table lookup
     * per character, no re-encoding.
     *
     * @param length the number of bytes expected, or -1 for any
     * @return the bytes, or null when {@code text} is not canonical base64url of that length
     */
    public static byte[] fromCanonicalBase64url(String text, int length) {
        if (text == null) {
            return null;
        }
        int n = text.length();
        int size = n * 6 / 8;
        if (n % 4 == 1 || (length >= 0 && (n != (length * 4 + 2) / 3))) {
            return null;
        }
        byte[] out = new byte[size];
        int buffer = 0;
        int bits = 0;
        int o = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            int v = c < 128 ? DECODE[c] : -1;
            if (v < 0) {
                return null;
            }
            buffer = (buffer << 6) | v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[o++] = (byte) (buffer >> bits);
            }
        }
        return (buffer & ((1 << bits) - 1)) == 0 ? out : null; // unused trailing bits must be zero
    }

    public static byte[] sha256(byte[] bytes) {
        MessageDigest md = SHA256.get();
        md.reset();
        return md.digest(bytes);
    }

    /** base64url of the SHA-256 of {@code bytes}: the {@code bdh} claim of a body. */
    public static String bodyHash(byte[] body) {
        return base64url(sha256(body == null ? new byte[0] : body));
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Lowercase RFC 4648 base32 without padding. */
    static String base32(byte[] bytes) {
        StringBuilder sb = new StringBuilder((bytes.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                sb.append(BASE32[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) {
            sb.append(BASE32[(buffer << (5 - bits)) & 31]);
        }
        return sb.toString();
    }
}
