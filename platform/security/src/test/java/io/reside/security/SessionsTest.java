package io.reside.security;

import static io.reside.security.AuthenticationFailure.Reason.SESSION_EXPIRED;
import static io.reside.security.AuthenticationFailure.Reason.SESSION_MAC_INVALID;
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

    private final Sessions.Server server = new Sessions.Server(SERVER, Duration.ofMinutes(10));

    private Sessions.ClientSession open() throws AuthenticationFailure {
        Sessions.Handshake handshake = new Sessions.Handshake();
        Sessions.HandshakeResponse response = server.accept(CLIENT.accountId(), handshake.request(), NOW);
        return handshake.complete(response, CLIENT.accountId(), SERVER.publicKey());
    }

    private String verify(String authorization, String path, byte[] body, Instant at) throws AuthenticationFailure {
        return server.verify(authorization.substring("Reside-Session ".length()), "POST", path, body, null, at).caller();
    }

    @Test
    void bothSidesAgreeOnAKeyNeverSent() throws Exception {
        Sessions.ClientSession session = open();
        assertThat(verify(session.authorization("POST", "/rpc/x", BODY, null), "/rpc/x", BODY, NOW))
                .isEqualTo(CLIENT.accountId());
        assertThat(session.expiresWithin(Duration.ofMinutes(1), NOW)).isFalse();
        assertThat(session.expiresWithin(Duration.ofMinutes(11), NOW)).isTrue();
    }

    @Test
    void eachProofIsAcceptedOnceAndBoundToItsRequest() throws Exception {
        Sessions.ClientSession session = open();
        String first = session.authorization("POST", "/rpc/x", BODY, null);
        String second = session.authorization("POST", "/rpc/x", BODY, null);
        verify(second, "/rpc/x", BODY, NOW); // out of order is fine
        verify(first, "/rpc/x", BODY, NOW);
        assertReason(() -> verify(first, "/rpc/x", BODY, NOW), SESSION_REPLAYED);
        String third = session.authorization("POST", "/rpc/x", BODY, null);
        assertReason(() -> verify(third, "/rpc/y", BODY, NOW), SESSION_MAC_INVALID);
        assertReason(() -> verify(third, "/rpc/x", Encoding.utf8("{\"n\":2}"), NOW),
                AuthenticationFailure.Reason.BODY_MISMATCH);
        // a body hash changed along with the body: the MAC no longer matches
        String forged = third.replaceFirst("\\.[^.]+\\.([^.]+)$", "." + Encoding.bodyHash(Encoding.utf8("{\"n\":2}"))
                + ".$1");
        assertReason(() -> verify(forged, "/rpc/x", Encoding.utf8("{\"n\":2}"), NOW), SESSION_MAC_INVALID);
        // the body may be checked later, against the hash the verified proof covers
        String fourth = session.authorization("POST", "/rpc/x", BODY, null);
        assertThat(server.verify(fourth.substring("Reside-Session ".length()), "POST", "/rpc/x", null, null, NOW)
                .bodyHash()).isEqualTo(Encoding.bodyHash(BODY));
        assertReason(() -> server.verify(third.substring("Reside-Session ".length()), "POST", "/rpc/x", BODY, "a.b.c",
                NOW), SESSION_MAC_INVALID);
        assertReason(() -> verify(third.replaceFirst("Reside-Session [^.]+", "Reside-Session nope"), "/rpc/x", BODY, NOW),
                SESSION_UNKNOWN);
        assertReason(() -> verify(third, "/rpc/x", BODY, NOW.plus(Duration.ofMinutes(11))), SESSION_EXPIRED);
    }

    @Test
    void anOfferNotSignedByTheServerIsRefused() throws Exception {
        Sessions.Handshake handshake = new Sessions.Handshake();
        Sessions.Server impostor = new Sessions.Server(AccountKey.generate(), Duration.ofMinutes(10));
        Sessions.HandshakeResponse response = impostor.accept(CLIENT.accountId(), handshake.request(), NOW);
        assertReason(() -> handshake.complete(response, CLIENT.accountId(), SERVER.publicKey()), SIGNATURE_INVALID);
    }

    /** As the RPC client does: a proof refused as replayed (delayed beyond the window) is signed again, once. */
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
                                verify(session.authorization("POST", "/rpc/x", BODY, null), "/rpc/x", BODY, NOW);
                            } catch (AuthenticationFailure e) {
                                if (e.reason() != SESSION_REPLAYED) {
                                    throw e;
                                }
                                resigned.incrementAndGet();
                                verify(session.authorization("POST", "/rpc/x", BODY, null), "/rpc/x", BODY, NOW);
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

    interface Check {
        void run() throws AuthenticationFailure;
    }

    private static void assertReason(Check check, AuthenticationFailure.Reason reason) {
        assertThatThrownBy(check::run).isInstanceOfSatisfying(AuthenticationFailure.class,
                e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
    }
}
