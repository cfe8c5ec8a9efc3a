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
