package io.reside.security;

import java.util.Arrays;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An account's Ed25519 public key, decoded once for fast verification. The account id is {@code acc_} followed by
 * the lowercase base32 of the first 20 bytes of the key's SHA-256.
 */
public final class PublicKey {

    private final byte[] bytes;
    private final Ed25519.PublicPoint point;
    private final String accountId;

    private PublicKey(byte[] bytes, Ed25519.PublicPoint point) {
        this.bytes = bytes;
        this.point = point;
        this.accountId = "acc_" + Encoding.base32(Arrays.copyOf(Encoding.sha256(bytes), 20));
    }

    /** @throws IllegalArgumentException when the bytes are not a valid Ed25519 public key */
    public static PublicKey of(byte[] bytes) {
        if (bytes == null || bytes.length != Ed25519.PUBLIC_KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
        }
        Ed25519.PublicPoint point = Ed25519.validatePublicKeyFullExport(bytes, 0);
        if (point == null) {
            throw new IllegalArgumentException("not a valid Ed25519 public key");
        }
        return new PublicKey(bytes.clone(), point);
    }

    /** From its base64url form (as stored in the account registry). */
    public static PublicKey fromBase64url(String text) {
        try {
            return of(Encoding.fromBase64url(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an Ed25519 public key in base64url: " + e.getMessage());
        }
    }

    public String accountId() {
        return accountId;
    }

    byte[] bytes() {
        return bytes;
    }

    public String toBase64url() {
        return Encoding.base64url(bytes);
    }

    public boolean verify(byte[] signature, byte[] message) {
        return signature != null && signature.length == Ed25519.SIGNATURE_SIZE
                && Ed25519.verify(signature, 0, point, message, 0, message.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PublicKey k && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "PublicKey[" + accountId + "]";
    }
}
