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
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class SessionsTest {

    static final AccountKey CLIENT = AccountKey.generate();
    static final AccountKey SERVER = AccountKey.generate();
    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    static final byte[] BODY = Encoding.utf8("{\"n\":1}");

    private final ResponseProofs.Signer signer = new ResponseProofs.Signer(SERVER);
    private final Sessions.Server server = new Sessions.Server(signer, Duration.ofMinutes(10), Sessions.Limits.DEFAULT);

    private Sessions.ClientSession open() throws Exception {
        return open(server, CLIENT, NOW);
    }

    private static Sessions.ClientSession open(Sessions.Server server, AccountKey client, Instant at) throws Exception {
        Sessions.Handshake handshake = new Sessions.Handshake();
        Sessions.HandshakeResponse response = server.accept(client.accountId(), handshake.request(), at);
        return handshake.complete(response, client.accountId(), SERVER.publicKey());
    }

    private Sessions.Server.Verified verify(Sessions.ClientSession.Proof proof, String path, byte[] body, Instant at)
            throws AuthenticationFailure {
        return server.verify(proof.credential(), "POST", path, body, null, at);
    }

    private static Sessions.ClientSession.Proof proof(Sessions.ClientSession session, String path, Instant at) {
        return session.proof("POST", path, BODY, null, at);
    }

    @Test
    void bothSidesAgreeOnAKeyNeverSent() throws Exception {
        Sessions.ClientSession session = open();
        assertThat(verify(proof(session, "/rpc/x", NOW), "/rpc/x", BODY, NOW).caller()).isEqualTo(CLIENT.accountId());
        assertThat(session.expiresWithin(Duration.ofMinutes(1), NOW)).isFalse();
        assertThat(session.expiresWithin(Duration.ofMinutes(11), NOW)).isTrue();
        assertThat(session.incarnation()).isEqualTo(signer.incarnation());
    }

    @Test
    void eachProofIsAcceptedOnceAndBoundToItsRequest() throws Exception {
        Sessions.ClientSession session = open();
        Sessions.ClientSession.Proof first = proof(session, "/rpc/x", NOW);
        Sessions.ClientSession.Proof second = proof(session, "/rpc/x", NOW);
        verify(second, "/rpc/x", BODY, NOW); // out of order is fine
        verify(first, "/rpc/x", BODY, NOW);
        assertReason(() -> verify(first, "/rpc/x", BODY, NOW), SESSION_REPLAYED);
        Sessions.ClientSession.Proof third = proof(session, "/rpc/x", NOW);
        assertReason(() -> verify(third, "/rpc/y", BODY, NOW), SESSION_MAC_INVALID);
        assertReason(() -> server.verify(third.credential(), "GET", "/rpc/x", BODY, null, NOW), SESSION_MAC_INVALID);
        assertReason(() -> verify(third, "/rpc/x", Encoding.utf8("{\"n\":2}"), NOW), BODY_MISMATCH);
        // a body hash changed along with the body: the MAC no longer matches
        String forged = third.credential().replaceFirst("\\.[^.]+\\.([^.]+)$",
                "." + Encoding.bodyHash(Encoding.utf8("{\"n\":2}")) + ".$1");
        assertReason(() -> server.verify(forged, "POST", "/rpc/x", Encoding.utf8("{\"n\":2}"), null, NOW),
                SESSION_MAC_INVALID);
        // the body may be checked later, against the hash the verified proof covers
        Sessions.ClientSession.Proof fourth = proof(session, "/rpc/x", NOW);
        assertThat(verify(fourth, "/rpc/x", null, NOW).bodyHash()).isEqualTo(Encoding.bodyHash(BODY));
        assertReason(() -> server.verify(third.credential(), "POST", "/rpc/x", BODY, "a.b.c", NOW),
                SESSION_MAC_INVALID);
        assertReason(() -> server.verify(third.credential().replaceFirst("^[^.]+", Encoding.base64url(new byte[16])),
                "POST", "/rpc/x", BODY, null, NOW), SESSION_UNKNOWN);
        // the time of signing is covered by the MAC
        String otherTime = fourth.credential().replaceFirst("^([^.]+\\.[^.]+)\\.[0-9]+",
                "$1." + (NOW.getEpochSecond() + 1));
        assertReason(() -> server.verify(otherTime, "POST", "/rpc/x", BODY, null, NOW), SESSION_MAC_INVALID);
    }

    @Test
    void aSessionProofIsFreshFor60SecondsLikeASignedOne() throws Exception {
        Sessions.ClientSession session = open();
        // a request withheld by someone on the path is refused once older than 60 s plus 30 s of skew
        Sessions.ClientSession.Proof withheld = proof(session, "/rpc/x", NOW);
        assertReason(() -> verify(withheld, "/rpc/x", BODY, NOW.plusSeconds(91)), PROOF_EXPIRED);
        verify(proof(session, "/rpc/x", NOW.minusSeconds(85)), "/rpc/x", BODY, NOW);
        assertReason(() -> verify(proof(session, "/rpc/x", NOW.plusSeconds(31)), "/rpc/x", BODY, NOW),
                PROOF_NOT_YET_VALID);
    }

    @Test
    void anExpiredSessionTellsWhetherTheCallRan() throws Exception {
        Sessions.ClientSession session = open();
        Sessions.ClientSession.Proof ran = proof(session, "/rpc/x", NOW);
        verify(ran, "/rpc/x", BODY, NOW);
        Instant later = NOW.plus(Duration.ofMinutes(10)).plusSeconds(5);
        // never accepted, and an expired session accepts nothing: safe to send again on a new session
        assertReason(() -> verify(proof(session, "/rpc/x", later), "/rpc/x", BODY, later), SESSION_EXPIRED);
        // accepted before it expired: it may have run, so the answer says so
        assertReason(() -> verify(ran, "/rpc/x", BODY, NOW.plusSeconds(20)), SESSION_REPLAYED);
        assertReason(() -> server.verify(ran.credential(), "POST", "/rpc/x", BODY, null, later), SESSION_REPLAYED);
    }

    @Test
    void aSequenceNumberBehindTheWindowIsOutOfWindowNotReplayed() throws Exception {
        Sessions.ClientSession session = open();
        Sessions.ClientSession.Proof old = proof(session, "/rpc/x", NOW);
        for (int i = 0; i < Sessions.WINDOW; i++) {
            proof(session, "/rpc/x", NOW); // seqs used by other connections, say
        }
        verify(proof(session, "/rpc/x", NOW), "/rpc/x", BODY, NOW);
        assertReason(() -> verify(old, "/rpc/x", BODY, NOW), SESSION_OUT_OF_WINDOW);
    }

    @Test
    void answersAndRefusalsAreAuthenticated() throws Exception {
        Sessions.ClientSession session = open();
        Sessions.ClientSession.Proof p = proof(session, "/rpc/x", NOW);
        ResponseProofs.Responder responder = verify(p, "/rpc/x", BODY, NOW).responder();
        byte[] answer = Encoding.utf8("{\"ok\":true}");
        String header = responder.authenticate(200, answer);
        assertThat(session.verifyResponse(p.seq(), 200, answer, header)).isTrue();
        assertThat(session.verifyResponse(p.seq(), 201, answer, header)).isFalse();
        assertThat(session.verifyResponse(p.seq(), 200, Encoding.utf8("{\"ok\":false}"), header)).isFalse();
        assertThat(session.verifyResponse(p.seq() + 1, 200, answer, header)).isFalse();
        assertThat(session.verifyResponse(p.seq(), 200, answer, null)).isFalse();
        assertThat(session.verifyResponse(p.seq(), 200, answer, "session AAAA")).isFalse();
        // another session's MAC does not verify
        Sessions.ClientSession other = open();
        assertThat(other.verifyResponse(p.seq(), 200, answer, header)).isFalse();

        // a refusal of a known session carries its MAC
        AuthenticationFailure replayed = failure(() -> verify(p, "/rpc/x", BODY, NOW));
        byte[] problem = Encoding.utf8("{\"reason\":\"session-replayed\"}");
        assertThat(session.verifyResponse(p.seq(), 401, problem, replayed.responder().orElseThrow()
                .authenticate(401, problem))).isTrue();
        // an unknown session is refused with a signature of the account key, naming this process
        String unknown = p.credential().replaceFirst("^[^.]+", Encoding.base64url(new byte[16]));
        AuthenticationFailure refusal = failure(() -> server.verify(unknown, "POST", "/rpc/x", BODY, null, NOW));
        String signed = refusal.responder().orElseThrow().authenticate(401, problem);
        ResponseProofs.Signed verified = ResponseProofs.verifySigned(signed, unknown, 401, problem, SERVER.publicKey())
                .orElseThrow();
        assertThat(verified.incarnation()).isEqualTo(signer.incarnation());
        assertThat(ResponseProofs.verifySigned(signed, p.credential(), 401, problem, SERVER.publicKey())).isEmpty();
        assertThat(ResponseProofs.verifySigned(signed, unknown, 200, problem, SERVER.publicKey())).isEmpty();
        assertThat(ResponseProofs.verifySigned(signed, unknown, 401, problem, CLIENT.publicKey())).isEmpty();
        assertThat(ResponseProofs.verifySigned(signed.replaceFirst("\\.[0-9]+\\.", ".999999999."), unknown, 401,
                problem, SERVER.publicKey())).isEmpty();
        // a proof that does not parse cannot be answered with authentication: the server does not know who asks
        assertThat(failure(() -> server.verify("nonsense", "POST", "/rpc/x", BODY, null, NOW)).responder()).isEmpty();
    }

    @Test
    void malformedProofsAreRefusedBeforeAnyLookup() throws Exception {
        Sessions.ClientSession session = open();
        String good = proof(session, "/rpc/x", NOW).credential();
        String[] p = good.split("\\.");
        for (String bad : List.of(
                p[0] + "." + p[1] + "." + p[2] + "." + p[3], // no MAC
                p[0] + ".0" + p[1] + "." + p[2] + "." + p[3] + "." + p[4], // leading zero
                p[0] + ".-1." + p[2] + "." + p[3] + "." + p[4],
                p[0] + ".0." + p[2] + "." + p[3] + "." + p[4],
                p[0] + "." + p[1] + ".1e9." + p[3] + "." + p[4],
                p[0] + "=." + p[1] + "." + p[2] + "." + p[3] + "." + p[4],
                p[0] + "." + p[1] + "." + p[2] + "." + p[3] + "." + p[4] + "A")) {
            assertReason(() -> server.verify(bad, "POST", "/rpc/x", BODY, null, NOW), PROOF_MALFORMED);
        }
    }

    @Test
    void anOfferNotSignedByTheServerIsRefused() throws Exception {
        Sessions.Handshake handshake = new Sessions.Handshake();
        Sessions.Server impostor = new Sessions.Server(AccountKey.generate(), Duration.ofMinutes(10));
        Sessions.HandshakeResponse response = impostor.accept(CLIENT.accountId(), handshake.request(), NOW);
        assertReason(() -> handshake.complete(response, CLIENT.accountId(), SERVER.publicKey()), SIGNATURE_INVALID);
        // nor one whose incarnation was changed on the way
        Sessions.Handshake second = new Sessions.Handshake();
        Sessions.HandshakeResponse genuine = server.accept(CLIENT.accountId(), second.request(), NOW);
        Sessions.HandshakeResponse relabelled = new Sessions.HandshakeResponse(genuine.sessionId(),
                genuine.ephemeralKey(), genuine.expiresAt(), "another", genuine.signature());
        assertReason(() -> second.complete(relabelled, CLIENT.accountId(), SERVER.publicKey()), SIGNATURE_INVALID);
    }

    @Test
    void eachAccountHoldsABoundedNumberOfSessionsAndCannotPushOutOthers() throws Exception {
        Sessions.Server small = new Sessions.Server(signer, Duration.ofMinutes(10), new Sessions.Limits(3, 5));
        AccountKey friendly = AccountKey.generate();
        AccountKey hostile = AccountKey.generate();
        Sessions.ClientSession mine = open(small, friendly, NOW);
        List<Sessions.ClientSession> flood = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            flood.add(open(small, hostile, NOW));
        }
        // the hostile account holds its 3 newest sessions; its older ones are gone
        assertThat(small.sizeOf(hostile.accountId())).isEqualTo(3);
        assertReason(() -> small.verify(flood.get(0).proof("POST", "/x", BODY, null, NOW).credential(), "POST", "/x",
                BODY, null, NOW), SESSION_UNKNOWN);
        small.verify(flood.get(49).proof("POST", "/x", BODY, null, NOW).credential(), "POST", "/x", BODY, null, NOW);
        // the friendly session is untouched
        assertThat(small.verify(mine.proof("POST", "/x", BODY, null, NOW).credential(), "POST", "/x", BODY, null, NOW)
                .caller()).isEqualTo(friendly.accountId());
        // a full server refuses new handshakes instead of evicting anyone
        open(small, AccountKey.generate(), NOW);
        assertThat(small.size()).isEqualTo(5);
        assertThatThrownBy(() -> open(small, AccountKey.generate(), NOW))
                .isInstanceOf(Sessions.CapacityExceeded.class).hasMessageContaining("maximum of 5 sessions");
        // once expired past their grace, sessions are dropped, oldest first
        Instant afterGrace = NOW.plus(Duration.ofMinutes(10)).plus(Sessions.GRACE).plusSeconds(2);
        open(small, friendly, afterGrace);
        assertThat(small.size()).isEqualTo(1);
    }

    /**
     * Calls on one session from many threads: every proof is accepted once, whatever the order. A thread paused
     * between signing and delivering while the others get more than {@value Sessions#WINDOW} proofs ahead falls out
     * of the window, as a request delayed that long on the network would; it signs again, as a read would.
     */
    @Test
    void concurrentCallersOnOneSessionAreAllAccepted() throws Exception {
        Sessions.ClientSession session = open();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<String> refused = Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger resigned = new java.util.concurrent.atomic.AtomicInteger();
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                all.add(pool.submit(() -> {
                    for (int i = 0; i < 2000; i++) {
                        try {
                            try {
                                verify(proof(session, "/rpc/x", NOW), "/rpc/x", BODY, NOW);
                            } catch (AuthenticationFailure e) {
                                if (e.reason() != SESSION_OUT_OF_WINDOW) {
                                    throw e;
                                }
                                resigned.incrementAndGet();
                                verify(proof(session, "/rpc/x", NOW), "/rpc/x", BODY, NOW);
                            }
                        } catch (AuthenticationFailure e) {
                            refused.add(e.reason().code());
                        }
                    }
                }));
            }
            for (Future<?> f : all) {
                f.get(1, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(refused).isEmpty();
        System.out.printf("sessions: 16000 concurrent proofs, %d signed again after falling behind the window%n",
                resigned.get());
    }

    /** The MAC with precomputed pads is HMAC-SHA256 itself. */
    @Test
    void theSessionKeyIsHmacSha256() throws Exception {
        java.util.Random random = new java.util.Random(7);
        for (int n = 0; n < 200; n++) {
            byte[] key = new byte[32];
            byte[] message = new byte[random.nextInt(300)];
            random.nextBytes(key);
            random.nextBytes(message);
            javax.crypto.Mac reference = javax.crypto.Mac.getInstance("HmacSHA256");
            reference.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
            assertThat(new Sessions.SessionKey(key).mac(message)).isEqualTo(reference.doFinal(message));
        }
    }

    interface Check {
        void run() throws Exception;
    }

    private static AuthenticationFailure failure(Check check) {
        try {
            check.run();
        } catch (AuthenticationFailure e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("no failure");
    }

    private static void assertReason(Check check, AuthenticationFailure.Reason reason) {
        assertThatThrownBy(check::run).isInstanceOfSatisfying(AuthenticationFailure.class,
                e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
    }
}
