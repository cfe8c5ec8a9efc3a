package io.reside.security;

import static io.reside.security.AuthenticationFailure.Reason.BODY_MISMATCH;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_EXPIRED;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_MALFORMED;
import static io.reside.security.AuthenticationFailure.Reason.PROOF_NOT_YET_VALID;
import static io.reside.security.AuthenticationFailure.Reason.SESSION_EXPIRED;
import static io.reside.security.AuthenticationFailure.Reason.SESSION_MAC_INVALID;
import static io.reside.security.AuthenticationFailure.Reason.SESSION_OUT_OF_WINDOW;
import static io.reside.security.AuthenticationFailure.Reason.SESSION_REPLAYED;
import static io.reside.security.AuthenticationFailure.Reason.SESSION_UNKNOWN;
import static io.reside.security.AuthenticationFailure.Reason.SIGNATURE_INVALID;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * Sessions: a cheaper proof for the calls after a first signed one. Signing and verifying Ed25519 on every request
 * costs about a hundred microseconds, as much as half a loopback round trip; an HMAC costs about one.
 * <p>
 * <b>Handshake.</b> The client sends {@code POST /reside/session} authenticated by a normal signed proof (which covers
 * the body) with an ephemeral X25519 public key. The server answers with its own ephemeral key, a session id, an
 * expiry and its incarnation (the process), and signs all of it with its account key, so the client knows it agreed a
 * key with the intended replica. Both derive the session key with HKDF-SHA256 from the X25519 secret, bound to the
 * session id and both accounts. The key is never sent.
 * <p>
 * <b>Calls.</b> {@code Authorization: Reside-Session <id>.<seq>.<ts>.<bdh>.<mac>}: {@code seq} is a per-session
 * counter, {@code ts} the time of signing (seconds; the proof is valid for 60 s, with 30 s of clock skew, as a JWS
 * proof), {@code bdh} the body hash, and {@code mac} an HMAC-SHA256 under the session key of all of these with the
 * method, path and query and the delegation hash. The server accepts each {@code seq} once (a sliding window of
 * {@value #WINDOW} absorbs reordering between connections). Every answer carries a MAC of its own
 * ({@link ResponseProofs}).
 * <p>
 * <b>Refusals say whether the call may have run.</b> {@code session-expired} (the server still knows the session, the
 * sequence number was never accepted, and an expired session accepts nothing) and {@code session-unknown} (this
 * process has no such session) mean it did not run here; {@code session-replayed} (the sequence number was accepted
 * before) and {@code session-out-of-window} (too old to tell) mean an earlier copy may have. Refusals of a known
 * session carry the session's MAC; {@code session-unknown} is signed with the account key, with the incarnation and
 * uptime of the process, so that a client can tell a restart that happened before its call from one during it.
 * <p>
 * <b>Bounded.</b> The server holds at most {@link Limits#perAccount()} sessions per account (a new one evicts that
 * account's oldest) and {@link Limits#global()} in all (beyond it new handshakes are refused, so that no account can
 * push out another's sessions); expired sessions are kept {@link #GRACE} longer, to answer {@code session-expired},
 * and are dropped in creation order, in constant time per session.
 */
public final class Sessions {

    public static final String SCHEME = "Reside-Session";
    public static final String HANDSHAKE_PATH = "/reside/session";
    /** How long an expired session is remembered, to answer its late proofs with {@code session-expired}. */
    public static final Duration GRACE = Duration.ofMinutes(2);
    static final int WINDOW = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String LABEL = "reside-session-v1";
    private static final long MAX_SEQ = 1L << 53;

    private Sessions() {
    }

    /** The handshake request body. */
    public record HandshakeRequest(String ephemeralKey) {
    }

    /**
     * The handshake response body.
     *
     * @param incarnation the server process that holds the session ({@link ResponseProofs.Signer#incarnation()})
     */
    public record HandshakeResponse(String sessionId, String ephemeralKey, long expiresAt, String incarnation,
            String signature) {
    }

    /**
     * How many sessions a server holds.
     *
     * @param perAccount per caller account: a new session beyond it evicts that account's oldest
     * @param global in all: beyond it new handshakes are refused until sessions expire
     */
    public record Limits(int perAccount, int global) {
        public static final Limits DEFAULT = new Limits(16, 10_000);

        public Limits {
            if (perAccount < 1 || global < perAccount) {
                throw new IllegalArgumentException("session limits need 1 <= perAccount <= global, got " + perAccount
                        + " and " + global);
            }
        }
    }

    /** A handshake refused because the server holds its maximum of sessions. */
    public static final class CapacityExceeded extends Exception {
        private static final long serialVersionUID = 1L;

        CapacityExceeded(String message) {
            super(message, null, false, false);
        }
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
            byte[] signature = Encoding.fromCanonicalBase64url(response.signature(), 64);
            String signed = signedPart(response.sessionId(), Encoding.base64url(publicKey), response.ephemeralKey(),
                    self,
                    server.accountId(), response.expiresAt(), response.incarnation());
            if (signature == null || response.sessionId() == null || !server.verify(signature, Encoding.utf8(signed))) {
                throw new AuthenticationFailure(SIGNATURE_INVALID, "the session offer is not signed by "
                        + server.accountId());
            }
            byte[] key = derive(privateKey, serverEphemeral, response.sessionId(), self, server.accountId());
            return new ClientSession(response.sessionId(), key, Instant.ofEpochSecond(response.expiresAt()),
                    response.incarnation());
        }
    }

    /** A session as the client holds it. Thread-safe. */
    public static final class ClientSession {
        private final String id;
        private final SessionKey key;
        private final Instant expiresAt;
        private final String incarnation;
        private final AtomicLong seq = new AtomicLong();

        ClientSession(String id, byte[] key, Instant expiresAt, String incarnation) {
            this.id = id;
            this.key = new SessionKey(key);
            this.expiresAt = expiresAt;
            this.incarnation = incarnation;
        }

        public String id() {
            return id;
        }

        /** The server process that holds this session. */
        public String incarnation() {
            return incarnation;
        }

        /** Whether it should be renewed: it expires within {@code margin}. */
        public boolean expiresWithin(Duration margin, Instant now) {
            return now.plus(margin).isAfter(expiresAt);
        }

        /**
         * One request's proof.
         *
         * @param authorization the {@code Authorization} header value
         * @param credential the proof without the scheme: what a signed answer is bound to
         */
        public record Proof(String authorization, String credential, long seq) {
        }

        /** The proof of one request, signed at {@code now}. */
        public Proof proof(String method, String pathAndQuery, byte[] body, String delegation, Instant now) {
            long n = seq.incrementAndGet();
            long ts = now.getEpochSecond();
            String bodyHash = Encoding.bodyHash(body);
            String credential = id + "." + n + "." + ts + "." + bodyHash + "." + Encoding.base64url(
                    requestMac(key, n, ts, method, pathAndQuery, bodyHash, delegation));
            return new Proof(SCHEME + " " + credential, credential, n);
        }

        /** The {@code Authorization} header value of one request, signed now. */
        public String authorization(String method, String pathAndQuery, byte[] body, String delegation) {
            return proof(method, pathAndQuery, body, delegation, Instant.now()).authorization();
        }

        /**
         * Whether an answer to the request with sequence number {@code seq} carries the server's MAC
         * ({@value ResponseProofs#HEADER_NAME}: {@code session <mac>}) over its status and body.
         */
        public boolean verifyResponse(long seq, int status, byte[] body, String header) {
            if (header == null || !header.startsWith("session ")) {
                return false;
            }
            byte[] mac = Encoding.fromCanonicalBase64url(header.substring("session ".length()), 32);
            return mac != null && MessageDigest.isEqual(mac, responseMac(key, seq, status, body));
        }
    }

    // ------------------------------------------------------------------ server

    /** The server side: open sessions, in memory. Thread-safe. */
    public static final class Server {
        private final ResponseProofs.Signer signer;
        private final Duration lifetime;
        private final Limits limits;
        private final Map<String, ServerSession> sessions = new ConcurrentHashMap<>();
        // guarded by this: the sessions by account, and all of them in creation (hence removal) order
        private final Map<String, ArrayDeque<ServerSession>> byAccount = new HashMap<>();
        private ServerSession oldest;
        private ServerSession newest;

        public Server(AccountKey self, Duration lifetime) {
            this(new ResponseProofs.Signer(self), lifetime, Limits.DEFAULT);
        }

        /** @param signer this process's signer, shared with the rest of its RPC server */
        public Server(ResponseProofs.Signer signer, Duration lifetime, Limits limits) {
            this.signer = signer;
            this.lifetime = lifetime;
            this.limits = limits;
        }

        /**
         * Accepts a handshake from {@code caller}, already authenticated by a signed proof. A session beyond
         * {@link Limits#perAccount()} evicts the caller's oldest.
         *
         * @throws AuthenticationFailure when the request carries no usable ephemeral key
         * @throws CapacityExceeded when the server holds {@link Limits#global()} sessions
         */
        public HandshakeResponse accept(String caller, HandshakeRequest request, Instant now)
                throws AuthenticationFailure, CapacityExceeded {
            byte[] clientEphemeral = decode(request == null ? null : request.ephemeralKey());
            byte[] privateKey = new byte[X25519.SCALAR_SIZE];
            byte[] publicKey = new byte[X25519.POINT_SIZE];
            X25519.generatePrivateKey(RANDOM, privateKey);
            X25519.generatePublicKey(privateKey, 0, publicKey, 0);
            byte[] idBytes = new byte[16];
            RANDOM.nextBytes(idBytes);
            String id = Encoding.base64url(idBytes);
            long expiresAt = now.plus(lifetime).getEpochSecond();
            byte[] key = derive(privateKey, clientEphemeral, id, caller, signer.key().accountId());
            add(new ServerSession(id, caller, key, expiresAt, expiresAt + GRACE.toSeconds()), now.getEpochSecond());
            String ephemeral = Encoding.base64url(publicKey);
            String signed = signedPart(id, request.ephemeralKey(), ephemeral, caller, signer.key().accountId(),
                    expiresAt, signer.incarnation());
            return new HandshakeResponse(id, ephemeral, expiresAt, signer.incarnation(),
                    Encoding.base64url(signer.key().sign(Encoding.utf8(signed))));
        }

        /**
         * A verified session proof: the session's account, the body hash the proof covers, and how to authenticate
         * the answer.
         */
        public record Verified(String caller, String bodyHash, ResponseProofs.Responder responder) {
        }

        /**
         * Verifies a session proof (the {@code Authorization} value without {@code Reside-Session }). A refusal
         * carries the responder that authenticates it, except for a proof that does not parse.
         *
         * @param body the body, or null when it has not been read yet: then check it against the result's
         *        {@code bodyHash} before using it
         */
        public Verified verify(String proof, String method, String pathAndQuery, byte[] body, String delegation,
                Instant now) throws AuthenticationFailure {
            String[] parts = proof.split("\\.", -1);
            if (parts.length != 5 || Encoding.fromCanonicalBase64url(parts[0], 16) == null
                    || Encoding.fromCanonicalBase64url(parts[3], 32) == null) {
                throw new AuthenticationFailure(PROOF_MALFORMED, "a session proof is <session>.<seq>.<ts>.<bdh>.<mac>");
            }
            String id = parts[0];
            String bodyHash = parts[3];
            long seq = digits(parts[1], MAX_SEQ);
            long ts = digits(parts[2], CompactJws.MAX_TIME);
            byte[] mac = Encoding.fromCanonicalBase64url(parts[4], 32);
            if (seq <= 0 || ts < 0 || mac == null) {
                throw new AuthenticationFailure(PROOF_MALFORMED, "a session proof is <session>.<seq>.<ts>.<bdh>.<mac>, "
                        + "seq a positive integer and ts an integer number of seconds");
            }
            ServerSession session = sessions.get(id);
            if (session == null) {
                throw new AuthenticationFailure(SESSION_UNKNOWN, "unknown session (the replica may have restarted); "
                        + "open a new one").withResponder(signer.bound(proof));
            }
            ResponseProofs.Responder responder = (status, answer) -> "session " + Encoding.base64url(responseMac(
                    session.key, seq, status, answer));
            if (!MessageDigest.isEqual(requestMac(session.key, seq, ts, method, pathAndQuery, bodyHash, delegation),
                    mac)) {
                throw new AuthenticationFailure(SESSION_MAC_INVALID, "the session proof does not match this request")
                        .withResponder(responder);
            }
            long t = now.getEpochSecond();
            if (session.expiresAt < t) {
                throw switch (session.state(seq)) {
                    case ACCEPTED -> replayed(responder);
                    case BEHIND -> outOfWindow(responder);
                    case NEW -> new AuthenticationFailure(SESSION_EXPIRED, "the session expired; open a new one (this "
                            + "call did not run)").withResponder(responder);
                };
            }
            if (ts > t + RequestProofs.SKEW_SECONDS) {
                throw new AuthenticationFailure(PROOF_NOT_YET_VALID, "the session proof was signed in the future (ts); "
                        + "check the caller's clock").withResponder(responder);
            }
            if (ts + RequestProofs.MAX_LIFETIME_SECONDS < t - RequestProofs.SKEW_SECONDS) {
                throw new AuthenticationFailure(PROOF_EXPIRED, "the session proof is older than "
                        + RequestProofs.MAX_LIFETIME_SECONDS + " s (ts); sign every request anew")
                        .withResponder(responder);
            }
            switch (session.accept(seq)) {
                case ACCEPTED -> throw replayed(responder);
                case BEHIND -> throw outOfWindow(responder);
                case NEW -> {
                    // accepted now
                }
            }
            if (body != null && !Encoding.bodyHash(body).equals(bodyHash)) {
                throw new AuthenticationFailure(BODY_MISMATCH, "the body does not match the session proof")
                        .withResponder(responder);
            }
            return new Verified(session.caller, bodyHash, responder);
        }

        /** Open sessions (expired ones within their grace included). */
        public int size() {
            return sessions.size();
        }

        /** Sessions held for {@code account}. */
        public synchronized int sizeOf(String account) {
            ArrayDeque<ServerSession> mine = byAccount.get(account);
            return mine == null ? 0 : mine.size();
        }

        private synchronized void add(ServerSession session, long now) throws CapacityExceeded {
            dropExpired(now);
            ArrayDeque<ServerSession> mine = byAccount.computeIfAbsent(session.caller, a -> new ArrayDeque<>());
            if (mine.size() >= limits.perAccount()) {
                remove(mine.peekFirst());
            } else if (sessions.size() >= limits.global()) {
                if (mine.isEmpty()) {
                    byAccount.remove(session.caller);
                }
                throw new CapacityExceeded("this replica holds its maximum of " + limits.global() + " sessions; retry "
                        + "later");
            }
            mine.addLast(session);
            sessions.put(session.id, session);
            session.older = newest;
            if (newest != null) {
                newest.newer = session;
            } else {
                oldest = session;
            }
            newest = session;
        }

        /** Drops sessions past their grace: they are in creation order, which is also the order of their removal. */
        private void dropExpired(long now) {
            while (oldest != null && oldest.removeAt < now) {
                remove(oldest);
            }
        }

        private void remove(ServerSession s) {
            sessions.remove(s.id);
            ArrayDeque<ServerSession> mine = byAccount.get(s.caller);
            if (mine != null) {
                mine.remove(s); // at most Limits.perAccount entries
                if (mine.isEmpty()) {
                    byAccount.remove(s.caller);
                }
            }
            if (s.older != null) {
                s.older.newer = s.newer;
            } else {
                oldest = s.newer;
            }
            if (s.newer != null) {
                s.newer.older = s.older;
            } else {
                newest = s.older;
            }
            s.older = null;
            s.newer = null;
        }

        private static AuthenticationFailure replayed(ResponseProofs.Responder responder) {
            return new AuthenticationFailure(SESSION_REPLAYED, "this session proof (seq) was already used: an earlier "
                    + "copy of this call may have run").withResponder(responder);
        }

        private static AuthenticationFailure outOfWindow(ResponseProofs.Responder responder) {
            return new AuthenticationFailure(SESSION_OUT_OF_WINDOW, "this session proof (seq) is more than " + WINDOW
                    + " calls old: whether it ran is not known any more").withResponder(responder);
        }
    }

    private enum SeqState {
        NEW,
        ACCEPTED,
        BEHIND
    }

    private static final class ServerSession {
        final String id;
        final String caller;
        final SessionKey key;
        final long expiresAt;
        final long removeAt;
        ServerSession older;
        ServerSession newer;
        private long highest;
        private final long[] window = new long[WINDOW / 64];

        ServerSession(String id, String caller, byte[] key, long expiresAt, long removeAt) {
            this.id = id;
            this.caller = caller;
            this.key = new SessionKey(key);
            this.expiresAt = expiresAt;
            this.removeAt = removeAt;
        }

        /** Anti-replay with a sliding window: each seq once, up to {@value WINDOW} behind the highest seen. */
        synchronized SeqState accept(long seq) {
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
                return SeqState.NEW;
            }
            SeqState state = state(seq);
            if (state == SeqState.NEW) {
                set(seq);
            }
            return state;
        }

        /** What is known of {@code seq} without accepting it. */
        synchronized SeqState state(long seq) {
            if (seq > highest) {
                return SeqState.NEW;
            }
            if (highest - seq >= WINDOW) {
                return SeqState.BEHIND;
            }
            return isSet(seq) ? SeqState.ACCEPTED : SeqState.NEW;
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

    /** A non-negative decimal integer of at most {@code max}, or -1. */
    private static long digits(String s, long max) {
        if (s.isEmpty() || s.length() > 16 || (s.length() > 1 && s.charAt(0) == '0')) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v <= max ? v : -1;
    }

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

    /**
     * The request's MAC, over a compact binary encoding (so that a typical call fits in two SHA-256 blocks): a domain
     * byte, {@code seq}, {@code ts}, the method and the path and query with their lengths, the body hash and the
     * delegation hash (zeros without one). The session id is not repeated: the key is the session's own.
     */
    private static byte[] requestMac(SessionKey key, long seq, long ts, String method, String pathAndQuery,
            String bodyHash, String delegation) {
        byte[] m = Encoding.utf8(method);
        byte[] p = Encoding.utf8(pathAndQuery);
        java.nio.ByteBuffer input = java.nio.ByteBuffer.allocate(1 + 8 + 8 + 1 + m.length + 4 + p.length + 32 + 32);
        input.put((byte) 'Q').putLong(seq).putLong(ts).put((byte) m.length).put(m).putInt(p.length).put(p);
        input.put(Encoding.fromCanonicalBase64url(bodyHash, 32));
        input.put(delegation == null ? new byte[32] : Encoding.sha256(Encoding.utf8(delegation)));
        return key.mac(input.array());
    }

    /** The answer's MAC: over the request's sequence number (in its session's key), the status and the body hash. */
    private static byte[] responseMac(SessionKey key, long seq, int status, byte[] body) {
        java.nio.ByteBuffer input = java.nio.ByteBuffer.allocate(1 + 8 + 4 + 32);
        input.put((byte) 'R').putLong(seq).putInt(status).put(Encoding.sha256(body));
        return key.mac(input.array());
    }

    /**
     * A session key as HMAC-SHA256 (RFC 2104) with the digests of its two pads computed once (RFC 2104, section 4),
     * so that a MAC costs the blocks of its message and one more, not two more. Each MAC starts from clones of
     * them: the JDK's SHA-256 is a HotSpot intrinsic under C2, and a clone costs less than a block under C1.
     */
    static final class SessionKey {
        private final MessageDigest inner;
        private final MessageDigest outer;

        SessionKey(byte[] key) {
            if (key.length > 64) {
                throw new IllegalArgumentException("an HMAC-SHA256 key of more than 64 bytes is hashed first");
            }
            byte[] ipad = new byte[64];
            byte[] opad = new byte[64];
            for (int i = 0; i < 64; i++) {
                byte k = i < key.length ? key[i] : 0;
                ipad[i] = (byte) (k ^ 0x36);
                opad[i] = (byte) (k ^ 0x5c);
            }
            inner = sha256();
            inner.update(ipad);
            outer = sha256();
            outer.update(opad);
        }

        byte[] mac(byte[] message) {
            MessageDigest i = copy(inner);
            i.update(message);
            MessageDigest o = copy(outer);
            o.update(i.digest());
            return o.digest();
        }

        private static MessageDigest copy(MessageDigest d) {
            try {
                return (MessageDigest) d.clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("the JDK's SHA-256 can be cloned", e);
            }
        }

        private static MessageDigest sha256() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java runtime has SHA-256", e);
            }
        }
    }

    private static String signedPart(String id, String clientEphemeral, String serverEphemeral, String client,
            String server, long expiresAt, String incarnation) {
        return LABEL + "|" + id + "|" + clientEphemeral + "|" + serverEphemeral + "|" + client + "|" + server + "|"
                + expiresAt + "|" + incarnation;
    }

    private static byte[] decode(String base64url) throws AuthenticationFailure {
        byte[] bytes = Encoding.fromCanonicalBase64url(base64url, 32);
        if (bytes == null) {
            throw new AuthenticationFailure(PROOF_MALFORMED, "the session handshake carries a malformed key");
        }
        return bytes;
    }
}
