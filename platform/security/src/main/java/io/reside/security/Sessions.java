package io.reside.security;

import static io.reside.security.AuthenticationFailure.Reason.PROOF_MALFORMED;
import static io.reside.security.AuthenticationFailure.Reason.SESSION_EXPIRED;
import static io.reside.security.AuthenticationFailure.Reason.SESSION_MAC_INVALID;
import static io.reside.security.AuthenticationFailure.Reason.SESSION_REPLAYED;
import static io.reside.security.AuthenticationFailure.Reason.SESSION_UNKNOWN;
import static io.reside.security.AuthenticationFailure.Reason.SIGNATURE_INVALID;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * Sessions: a cheaper proof for the calls after a first signed one. Signing and verifying Ed25519 on every request
 * costs about a hundred microseconds, as much as half a loopback round trip; an HMAC costs about one.
 * <p>
 * <b>Handshake.</b> The client sends {@code POST /reside/session} authenticated by a normal signed proof (which covers
 * the body) with an ephemeral X25519 public key. The server answers with its own ephemeral key, a session id and an
 * expiry, and signs all of it with its account key, so the client knows it agreed a key with the intended replica.
 * Both derive the session key with HKDF-SHA256 from the X25519 secret, bound to the session id and both accounts.
 * The key is never sent.
 * <p>
 * <b>Calls.</b> {@code Authorization: Reside-Session <id>.<seq>.<bdh>.<mac>}: {@code seq} is a per-session counter,
 * {@code bdh} the body hash, and {@code mac} an HMAC-SHA256 under the session key of the method, path and query, body
 * hash and delegation hash. The
 * server accepts each {@code seq} once (a sliding window of 4096 absorbs reordering between connections; a request
 * delayed beyond it is refused with {@code session-replayed}, and the client signs it again).
 */
public final class Sessions {

    public static final String SCHEME = "Reside-Session";
    public static final String HANDSHAKE_PATH = "/reside/session";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String LABEL = "reside-session-v1";
    private static final int WINDOW = 4096;
    private static final String HMAC_ALGORITHM = "HmacSHA256";
    private static final ThreadLocal<Mac> HMAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance(HMAC_ALGORITHM);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has " + HMAC_ALGORITHM, e);
        }
    });

    private Sessions() {
    }

    /** The handshake request body. */
    public record HandshakeRequest(String ephemeralKey) {
    }

    /** The handshake response body. */
    public record HandshakeResponse(String sessionId, String ephemeralKey, long expiresAt, String signature) {
    }

    // ------------------------------------------------------------------ client

    /** The client side of one handshake. */
    public static final class Handshake {
        private final byte[] privateKey = new byte[X25519.SCALAR_SIZE];
        private final byte[] publicKey = new byte[X25519.POINT_SIZE];

        public Handshake() {
            X25519.generatePrivateKey(RANDOM, privateKey);
            X25519.generatePublicKey(privateKey, 0, publicKey, 0);
        }

        public HandshakeRequest request() {
            return new HandshakeRequest(Encoding.base64url(publicKey));
        }

        /**
         * Checks the server's answer and derives the session.
         *
         * @param server the public key of the replica called (from the account registry)
         * @throws AuthenticationFailure when the answer is not signed by {@code server}
         */
        public ClientSession complete(HandshakeResponse response, String self, PublicKey server)
                throws AuthenticationFailure {
            byte[] serverEphemeral = decode(response.ephemeralKey());
            String signed = signedPart(response.sessionId(), Encoding.base64url(publicKey), response.ephemeralKey(), self,
                    server.accountId(), response.expiresAt());
            if (!server.verify(decode(response.signature()), Encoding.utf8(signed))) {
                throw new AuthenticationFailure(SIGNATURE_INVALID, "the session offer is not signed by "
                        + server.accountId());
            }
            byte[] key = derive(privateKey, serverEphemeral, response.sessionId(), self, server.accountId());
            return new ClientSession(response.sessionId(), key, Instant.ofEpochSecond(response.expiresAt()));
        }
    }

    /** A session as the client holds it. Thread-safe. */
    public static final class ClientSession {
        private final String id;
        private final byte[] key;
        private final Instant expiresAt;
        private final AtomicLong seq = new AtomicLong();

        ClientSession(String id, byte[] key, Instant expiresAt) {
            this.id = id;
            this.key = key;
            this.expiresAt = expiresAt;
        }

        public String id() {
            return id;
        }

        /** Whether it should be renewed: it expires within {@code margin}. */
        public boolean expiresWithin(Duration margin, Instant now) {
            return now.plus(margin).isAfter(expiresAt);
        }

        /** The {@code Authorization} header value of one request. */
        public String authorization(String method, String pathAndQuery, byte[] body, String delegation) {
            long n = seq.incrementAndGet();
            String bodyHash = Encoding.bodyHash(body);
            return SCHEME + " " + id + "." + n + "." + bodyHash + "." + Encoding.base64url(mac(key, id, n, method,
                    pathAndQuery, bodyHash, delegation));
        }
    }

    // ------------------------------------------------------------------ server

    /** The server side: open sessions, in memory. Thread-safe. */
    public static final class Server {
        private final AccountKey self;
        private final Duration lifetime;
        private final Map<String, ServerSession> sessions = new ConcurrentHashMap<>();

        public Server(AccountKey self, Duration lifetime) {
            this.self = self;
            this.lifetime = lifetime;
        }

        /** Accepts a handshake from {@code caller}, already authenticated by a signed proof. */
        public HandshakeResponse accept(String caller, HandshakeRequest request, Instant now)
                throws AuthenticationFailure {
            byte[] clientEphemeral = decode(request == null ? null : request.ephemeralKey());
            byte[] privateKey = new byte[X25519.SCALAR_SIZE];
            byte[] publicKey = new byte[X25519.POINT_SIZE];
            X25519.generatePrivateKey(RANDOM, privateKey);
            X25519.generatePublicKey(privateKey, 0, publicKey, 0);
            byte[] idBytes = new byte[16];
            RANDOM.nextBytes(idBytes);
            String id = Encoding.base64url(idBytes);
            long expiresAt = now.plus(lifetime).getEpochSecond();
            byte[] key = derive(privateKey, clientEphemeral, id, caller, self.accountId());
            sessions.put(id, new ServerSession(caller, key, expiresAt));
            evictExpired(now);
            String ephemeral = Encoding.base64url(publicKey);
            String signed = signedPart(id, request.ephemeralKey(), ephemeral, caller, self.accountId(), expiresAt);
            return new HandshakeResponse(id, ephemeral, expiresAt, Encoding.base64url(self.sign(Encoding.utf8(signed))));
        }

        /** A verified session proof: the session's account, and the body hash the proof covers. */
        public record Verified(String caller, String bodyHash) {
        }

        /**
         * Verifies a session proof (the {@code Authorization} value without {@code Reside-Session }).
         *
         * @param body the body, or null when it has not been read yet: then check it against the result's
         *        {@code bodyHash} before using it
         */
        public Verified verify(String proof, String method, String pathAndQuery, byte[] body, String delegation,
                Instant now) throws AuthenticationFailure {
            String[] parts = proof.split("\\.", -1);
            if (parts.length != 4) {
                throw new AuthenticationFailure(PROOF_MALFORMED, "a session proof is <session>.<seq>.<bdh>.<mac>");
            }
            String id = parts[0];
            String bodyHash = parts[2];
            long seq;
            byte[] mac;
            try {
                seq = Long.parseLong(parts[1]);
                mac = Encoding.fromBase64url(parts[3]);
            } catch (IllegalArgumentException e) {
                throw new AuthenticationFailure(PROOF_MALFORMED, "a session proof is <session>.<seq>.<bdh>.<mac>");
            }
            if (body != null && !Encoding.bodyHash(body).equals(bodyHash)) {
                throw new AuthenticationFailure(AuthenticationFailure.Reason.BODY_MISMATCH,
                        "the body does not match the session proof");
            }
            ServerSession session = sessions.get(id);
            if (session == null) {
                throw new AuthenticationFailure(SESSION_UNKNOWN, "unknown session (the replica may have restarted); "
                        + "open a new one");
            }
            if (session.expiresAt < now.getEpochSecond()) {
                sessions.remove(id);
                throw new AuthenticationFailure(SESSION_EXPIRED, "the session expired; open a new one");
            }
            byte[] expected = mac(session.key, id, seq, method, pathAndQuery, bodyHash, delegation);
            if (!MessageDigest.isEqual(expected, mac)) {
                throw new AuthenticationFailure(SESSION_MAC_INVALID, "the session proof does not match this request");
            }
            if (!session.accept(seq)) {
                throw new AuthenticationFailure(SESSION_REPLAYED, "this session proof (seq) was already used");
            }
            return new Verified(session.caller, bodyHash);
        }

        public int size() {
            return sessions.size();
        }

        private void evictExpired(Instant now) {
            long t = now.getEpochSecond();
            sessions.values().removeIf(s -> s.expiresAt < t);
        }
    }

    private static final class ServerSession {
        final String caller;
        final byte[] key;
        final long expiresAt;
        private long highest;
        private final long[] window = new long[WINDOW / 64];

        ServerSession(String caller, byte[] key, long expiresAt) {
            this.caller = caller;
            this.key = key;
            this.expiresAt = expiresAt;
        }

        /** Anti-replay with a sliding window: each seq once, up to {@value WINDOW} behind the highest seen. */
        synchronized boolean accept(long seq) {
            if (seq <= 0) {
                return false;
            }
            if (seq > highest) {
                long shift = seq - highest;
                if (shift >= WINDOW) {
                    java.util.Arrays.fill(window, 0);
                } else {
                    for (long s = highest + 1; s <= seq; s++) {
                        clear(s);
                    }
                }
                highest = seq;
                set(seq);
                return true;
            }
            if (highest - seq >= WINDOW || isSet(seq)) {
                return false;
            }
            set(seq);
            return true;
        }

        private void set(long seq) {
            int bit = (int) (seq % WINDOW);
            window[bit / 64] |= 1L << (bit % 64);
        }

        private void clear(long seq) {
            int bit = (int) (seq % WINDOW);
            window[bit / 64] &= ~(1L << (bit % 64));
        }

        private boolean isSet(long seq) {
            int bit = (int) (seq % WINDOW);
            return (window[bit / 64] & (1L << (bit % 64))) != 0;
        }
    }

    // ------------------------------------------------------------------ shared

    private static byte[] derive(byte[] privateKey, byte[] peerPublic, String id, String client, String server)
            throws AuthenticationFailure {
        byte[] secret = new byte[X25519.POINT_SIZE];
        if (!X25519.calculateAgreement(privateKey, 0, peerPublic, 0, secret, 0)) {
            throw new AuthenticationFailure(PROOF_MALFORMED, "the ephemeral key is not usable (low order point)");
        }
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(secret, Encoding.utf8(id), Encoding.utf8(LABEL + "|" + client + "|" + server)));
        byte[] key = new byte[32];
        hkdf.generateBytes(key, 0, key.length);
        return key;
    }

    private static byte[] mac(byte[] key, String id, long seq, String method, String pathAndQuery, String bodyHash,
            String delegation) {
        // the JDK's HMAC: its SHA-256 is a HotSpot intrinsic, several times faster than BouncyCastle's pure Java one
        Mac hmac = HMAC.get();
        try {
            hmac.init(new SecretKeySpec(key, HMAC_ALGORITHM));
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("a session key is 32 bytes", e);
        }
        return hmac.doFinal(Encoding.utf8(LABEL + "\n" + id + "\n" + seq + "\n" + method + "\n" + pathAndQuery + "\n"
                + bodyHash + "\n" + (delegation == null ? "" : Encoding.bodyHash(Encoding.utf8(delegation)))));
    }

    private static String signedPart(String id, String clientEphemeral, String serverEphemeral, String client,
            String server, long expiresAt) {
        return LABEL + "|" + id + "|" + clientEphemeral + "|" + serverEphemeral + "|" + client + "|" + server + "|"
                + expiresAt;
    }

    private static byte[] decode(String base64url) throws AuthenticationFailure {
        try {
            byte[] bytes = Encoding.fromBase64url(base64url);
            if (bytes.length != 32 && bytes.length != 64) {
                throw new IllegalArgumentException();
            }
            return bytes;
        } catch (RuntimeException e) {
            throw new AuthenticationFailure(PROOF_MALFORMED, "the session handshake carries a malformed key");
        }
    }
}
