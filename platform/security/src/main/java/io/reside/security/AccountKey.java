package io.reside.security;

import static java.util.Objects.requireNonNull;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An account's Ed25519 private key. It never leaves the object except through {@link #toPem()}, which writes the key
 * file; {@link #toString()} shows only the account id. Thread-safe.
 */
public final class AccountKey {

    /** DER prefix of a PKCS#8 Ed25519 private key (RFC 8410); the 32-byte seed follows. */
    private static final byte[] PKCS8_PREFIX = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
            0x04, 0x22, 0x04, 0x20 };
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] seed;
    private final PublicKey publicKey;

    private AccountKey(byte[] seed) {
        this.seed = seed;
        byte[] pk = new byte[Ed25519.PUBLIC_KEY_SIZE];
        Ed25519.generatePublicKey(seed, 0, pk, 0);
        this.publicKey = PublicKey.of(pk);
    }

    public static AccountKey generate() {
        byte[] seed = new byte[Ed25519.SECRET_KEY_SIZE];
        Ed25519.generatePrivateKey(RANDOM, seed);
        return new AccountKey(seed);
    }

    /**
     * Reads a PEM PKCS#8 Ed25519 private key ({@code -----BEGIN PRIVATE KEY-----}, as written by {@link #toPem()} or
     * {@code openssl genpkey -algorithm ed25519}). Line breaks may be written as {@code \n}.
     *
     * @throws IllegalArgumentException when it is not such a key; the message never contains the input
     */
    public static AccountKey fromPem(String pem) {
        requireNonNull(pem, "pem");
        String body = pem.replace("\\n", "\n").replace("-----BEGIN PRIVATE KEY-----", "")
                .replace("-----END PRIVATE KEY-----", "").replaceAll("\\s", "");
        byte[] der;
        try {
            der = Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "not a PEM private key (expected -----BEGIN PRIVATE KEY----- and base64)");
        }
        if (der.length != PKCS8_PREFIX.length + 32
                || !Arrays.equals(Arrays.copyOf(der, PKCS8_PREFIX.length), PKCS8_PREFIX)) {
            throw new IllegalArgumentException("not an Ed25519 private key in PKCS#8 form (generate one with "
                    + "'reside account create' or 'openssl genpkey -algorithm ed25519')");
        }
        return new AccountKey(Arrays.copyOfRange(der, PKCS8_PREFIX.length, der.length));
    }

    /** The key as PEM PKCS#8: the content of a key file or Secret. Handle as a secret. */
    public String toPem() {
        byte[] der = Arrays.copyOf(PKCS8_PREFIX, PKCS8_PREFIX.length + seed.length);
        System.arraycopy(seed, 0, der, PKCS8_PREFIX.length, seed.length);
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getEncoder().encodeToString(der)
                + "\n-----END PRIVATE KEY-----\n";
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    public String accountId() {
        return publicKey.accountId();
    }

    /** An Ed25519 signature of {@code message} (64 bytes). */
    public byte[] sign(byte[] message) {
        byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
        Ed25519.sign(seed, 0, publicKey.bytes(), 0, message, 0, message.length, signature, 0);
        return signature;
    }

    @Override
    public String toString() {
        return "AccountKey[" + accountId() + "]";
    }
}
