package io.reside.security;

import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Authenticated responses (SPEC 5.4): every answer to an authenticated call carries {@value #HEADER_NAME}, so that a
 * client never acts on an answer someone on the path made up, a refusal that says "resend" least of all.
 * <ul>
 * <li>{@code session <mac>}: on a session, an HMAC-SHA256 under the session key (derived with the session id) over
 * the request's sequence number, the status and the body hash ({@link Sessions}).</li>
 * <li>{@code signed <incarnation>.<uptime>.<signature>}: otherwise (the per-request JWS path, or a session the server
 * does not know), an Ed25519 signature by the server's account key over the hash of the request's credential (its
 * JWS or session proof), the status, the body hash, and the server process's incarnation and uptime (in
 * milliseconds), which tell the client whether the process that answers could have run the call before
 * ({@link Sessions}, "session-unknown").</li>
 * </ul>
 * A server that cannot tell who asks (a proof that does not parse, an unknown account, a bad signature) answers
 * without the header; the client treats such an answer as unauthenticated.
 */
public final class ResponseProofs {

    public static final String HEADER_NAME = "Reside-Response";
    static final String LABEL = "reside-response-v1";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ResponseProofs() {
    }

    /** Authenticates one response: the value of {@value #HEADER_NAME} for a status and the bytes of the body. */
    @FunctionalInterface
    public interface Responder {
        String authenticate(int status, byte[] body);
    }

    /**
     * The server's signing side: its account key and its incarnation, a random id of this process with the moment it
     * was created. Create one per process, at start-up. Thread-safe.
     */
    public static final class Signer {
        private final AccountKey key;
        private final String incarnation;
        private final long startNanos = System.nanoTime();

        public Signer(AccountKey key) {
            this.key = key;
            byte[] id = new byte[9];
            RANDOM.nextBytes(id);
            this.incarnation = Encoding.base64url(id);
        }

        public AccountKey key() {
            return key;
        }

        /** This process's random id (12 base64url characters). */
        public String incarnation() {
            return incarnation;
        }

        /** How long this process has been answering, in milliseconds. */
        public long uptimeMillis() {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        }

        /** A responder signing with the account key, bound to the request's credential (its JWS or session proof). */
        public Responder bound(String credential) {
            String binding = Encoding.bodyHash(Encoding.utf8(credential));
            return (status, body) -> {
                long uptime = uptimeMillis();
                byte[] signature = key.sign(Encoding.utf8(signedPart(binding, status, Encoding.bodyHash(body),
                        incarnation, uptime)));
                return "signed " + incarnation + "." + uptime + "." + Encoding.base64url(signature);
            };
        }
    }

    /** A response signed by the server: which process answered, and how long it had been up. */
    public record Signed(String incarnation, long uptimeMillis) {
    }

    /**
     * Verifies a signed response.
     *
     * @param header the {@value #HEADER_NAME} value, or null
     * @param credential the request's credential as sent (the JWS, or the session proof), without the scheme
     * @param server the public key of the replica called
     * @return the signer's incarnation and uptime; empty when the header is missing, not a signature, or does not
     *         verify
     */
    public static Optional<Signed> verifySigned(String header, String credential, int status, byte[] body,
            PublicKey server) {
        if (header == null || !header.startsWith("signed ")) {
            return Optional.empty();
        }
        String[] parts = header.substring("signed ".length()).split("\\.", -1);
        if (parts.length != 3 || parts[1].isEmpty() || parts[1].length() > 15 || !parts[1].chars().allMatch(
                c -> c >= '0' && c <= '9')) {
            return Optional.empty();
        }
        byte[] signature = Encoding.fromCanonicalBase64url(parts[2], 64);
        long uptime = Long.parseLong(parts[1]);
        String signed = signedPart(Encoding.bodyHash(Encoding.utf8(credential)), status, Encoding.bodyHash(body),
                parts[0], uptime);
        return signature != null && server.verify(signature, Encoding.utf8(signed))
                ? Optional.of(new Signed(parts[0], uptime))
                : Optional.empty();
    }

    private static String signedPart(String binding, int status, String bodyHash, String incarnation, long uptime) {
        return LABEL + "|signed|" + binding + "|" + status + "|" + bodyHash + "|" + incarnation + "|" + uptime;
    }
}
