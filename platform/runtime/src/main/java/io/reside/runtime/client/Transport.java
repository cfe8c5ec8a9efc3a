package io.reside.runtime.client;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.reside.security.ResponseProofs;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;

/**
 * HTTP/1.1 connections to the implementors, one pooled Vert.x {@link HttpClient} per base URL.
 * <p>
 * Each client lives in its own verticle, and every request is started on that verticle's event-loop context. Calls
 * come from worker threads with no Vert.x context, or with the duplicated context of another request on another event
 * loop; a Vert.x 4.5 client driven that way now and then never sends a request it was given (reproduced with a bare
 * Vert.x server and client, ADR 0004). Keeping all of one client's I/O on one context is the pattern the Vert.x
 * maintainers recommend, and it removed the stall.
 */
final class Transport {

    /**
     * What came back: status, content type, the whole body, and the server's authentication of it.
     *
     * @param responseProof the {@code Reside-Response} header, or null
     */
    record Answer(int status, String contentType, byte[] body, String responseProof) {
    }

    /** A request that failed before any of it was written: no connection could be had. Safe to send again. */
    static final class NotSent extends Exception {
        private static final long serialVersionUID = 1L;

        NotSent(Throwable cause) {
            super(cause.getMessage() != null ? cause.getMessage() : cause.toString(), cause, false, false);
        }
    }

    private final Vertx vertx;
    private final TrustOptions trust;
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();

    /**
     * @param trust what {@code https} endpoints' certificates must chain to (the cluster CA); null: the JDK's CAs.
     *        Host names are verified either way.
     */
    Transport(Vertx vertx, TrustOptions trust) {
        this.vertx = vertx;
        this.trust = trust;
    }

    /** The cluster CA of {@code reside.rpc.tls.ca-file}. */
    static TrustOptions trustFrom(java.nio.file.Path caFile) {
        if (!java.nio.file.Files.isReadable(caFile)) {
            throw new IllegalStateException("reside.rpc.tls.ca-file (" + caFile + ") cannot be read");
        }
        return new PemTrustOptions().addCertPath(caFile.toString());
    }

    /**
     * Sends one request to {@code baseUrl}. The future fails with {@link NotSent} when no connection could be had,
     * and with the cause itself when the request failed after it may have been written (a reset connection, the
     * request's timeout): then the server may have received it.
     */
    CompletableFuture<Answer> send(String baseUrl, Duration connectTimeout, RequestOptions request, byte[] body) {
        Endpoint endpoint;
        while (true) {
            endpoint = endpoints.computeIfAbsent(baseUrl, url -> Endpoint.deploy(vertx, connectTimeout, url
                    .startsWith("https:") ? trust : null, url.startsWith("https:")));
            if (endpoint.acquire()) {
                break;
            }
            endpoints.remove(baseUrl, endpoint); // retired just now: a fresh client for the same URL
        }
        Endpoint used = endpoint;
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        used.onContext(() -> used.client.request(request)
                .recover(e -> Future.failedFuture(new NotSent(e)))
                .compose(r -> body == null ? r.send() : r.send(Buffer.buffer(body)))
                .compose(response -> response.body().map(b -> new Answer(response.statusCode(),
                        response.getHeader("Content-Type"), b.getBytes(),
                        response.getHeader(ResponseProofs.HEADER_NAME))))
                .onComplete(result -> {
                    used.release();
                    if (result.succeeded()) {
                        answer.complete(result.result());
                    } else {
                        answer.completeExceptionally(result.cause());
                    }
                }));
        return answer;
    }

    /**
     * Retires the clients of base URLs no longer in {@code used} (the RCB moved a requirement to another endpoint):
     * no new request goes to them, and each is closed once the requests in flight on it have their answers. Closing
     * at once would cut those requests, whose outcome would then be unknown.
     */
    void retainOnly(Set<String> used) {
        endpoints.entrySet().removeIf(e -> {
            if (!used.contains(e.getKey())) {
                e.getValue().retire();
                return true;
            }
            return false;
        });
    }

    /** Base URLs with a client that takes new requests. */
    Set<String> active() {
        return Set.copyOf(endpoints.keySet());
    }

    void close() {
        endpoints.values().forEach(Endpoint::close);
        endpoints.clear();
    }

    /** A client and the event-loop context it runs on (the verticle's). */
    private static final class Endpoint extends AbstractVerticle {
        private final HttpClientOptions options;
        private volatile HttpClient client;
        private volatile String deployment;
        private final AtomicInteger inFlight = new AtomicInteger();
        private volatile boolean retired;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Endpoint(HttpClientOptions options) {
            this.options = options;
        }

        static Endpoint deploy(Vertx vertx, Duration connectTimeout, TrustOptions trust, boolean tls) {
            // tracing: RequirementClients makes the client span and sends its context; Vert.x's own would be a
            // second span, parented on this verticle's context rather than the caller's
            HttpClientOptions options = new HttpClientOptions().setConnectTimeout((int) connectTimeout.toMillis())
                    .setKeepAlive(true).setMaxPoolSize(32).setTracingPolicy(io.vertx.core.tracing.TracingPolicy.IGNORE);
            if (tls) {
                // the server's certificate must chain to the trusted CAs and name the host called
                options.setSsl(true).setVerifyHost(true).setTrustAll(false);
                if (trust != null) {
                    options.setTrustOptions(trust);
                }
            }
            Endpoint endpoint = new Endpoint(options);
            try {
                endpoint.deployment = vertx.deployVerticle(endpoint).toCompletionStage().toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("cannot start an HTTP client", e);
            }
            return endpoint;
        }

        /** The client, created on the verticle's context, is closed when the verticle is undeployed. */
        @Override
        public void start() {
            client = vertx.createHttpClient(options);
        }

        void onContext(Runnable task) {
            context.runOnContext(v -> task.run());
        }

        /**
         * Counts a request in, unless the endpoint was retired. (Counted first, checked second; {@link #retire} sets
         * first, counts second: one of the two sees the other, so no request starts on a closed client.)
         */
        boolean acquire() {
            inFlight.incrementAndGet();
            if (retired) {
                release();
                return false;
            }
            return true;
        }

        void release() {
            if (inFlight.decrementAndGet() == 0 && retired) {
                close();
            }
        }

        /** No new requests; closed when the last one in flight ends (at once when none is). */
        void retire() {
            retired = true;
            if (inFlight.get() == 0) {
                close();
            }
        }

        void close() {
            if (closed.compareAndSet(false, true)) {
                Future<Void> undeployed = vertx.undeploy(deployment);
                undeployed.onFailure(e -> client.close());
            }
        }
    }
}
