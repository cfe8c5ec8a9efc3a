package io.reside.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;

/** The connections to implementors: a requirement that moves to another endpoint never cuts a call in flight. */
class TransportTest {

    Vertx vertx;
    HttpServer server;
    Transport transport;
    String baseUrl;
    final CountDownLatch received = new CountDownLatch(1);
    final CountDownLatch connectionClosed = new CountDownLatch(1);
    final AtomicInteger connections = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().connectionHandler(c -> {
            connections.incrementAndGet();
            c.closeHandler(v -> connectionClosed.countDown());
        }).requestHandler(request -> {
            received.countDown();
            long delay = request.path().equals("/slow") ? 500 : 0;
            vertx.setTimer(Math.max(1, delay), t -> request.response().end("done " + request.path()));
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        baseUrl = "http://127.0.0.1:" + server.actualPort();
        transport = new Transport(vertx, null);
    }

    @AfterEach
    void stop() throws Exception {
        transport.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private RequestOptions get(String path) {
        return new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(baseUrl + path).setTimeout(5000);
    }

    @Test
    void aRetiredEndpointFinishesItsCallsInFlightThenCloses() throws Exception {
        var slow = transport.send(baseUrl, Duration.ofSeconds(1), get("/slow"), null);
        assertThat(received.await(5, TimeUnit.SECONDS)).isTrue();

        transport.retainOnly(Set.of()); // the RCB moved the requirement elsewhere while /slow is being answered

        assertThat(transport.active()).isEmpty();
        Transport.Answer answer = slow.get(5, TimeUnit.SECONDS);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(new String(answer.body())).isEqualTo("done /slow");
        assertThat(connectionClosed.await(5, TimeUnit.SECONDS)).as("the retired client closes its connection")
                .isTrue();
    }

    @Test
    void aRequestAfterRetirementGetsAFreshClient() throws Exception {
        assertThat(transport.send(baseUrl, Duration.ofSeconds(1), get("/a"), null).get(5, TimeUnit.SECONDS)
                .status()).isEqualTo(200);
        transport.retainOnly(Set.of());
        assertThat(connectionClosed.await(5, TimeUnit.SECONDS)).as("an idle retired client closes at once").isTrue();

        Transport.Answer again = transport.send(baseUrl, Duration.ofSeconds(1), get("/b"), null).get(5,
                TimeUnit.SECONDS);
        assertThat(new String(again.body())).isEqualTo("done /b");
        assertThat(connections.get()).isEqualTo(2);
        assertThat(transport.active()).containsExactly(baseUrl);
    }

    @Test
    void usedEndpointsAreKept() throws Exception {
        transport.send(baseUrl, Duration.ofSeconds(1), get("/a"), null).get(5, TimeUnit.SECONDS);
        transport.retainOnly(Set.of(baseUrl));
        transport.send(baseUrl, Duration.ofSeconds(1), get("/b"), null).get(5, TimeUnit.SECONDS);
        assertThat(connections.get()).as("the pooled connection is reused").isEqualTo(1);
        assertThat(connectionClosed.getCount()).isEqualTo(1);
    }
}
