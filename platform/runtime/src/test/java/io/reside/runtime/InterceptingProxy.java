package io.reside.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A man in the middle on loopback: forwards every request to the real replica and, when told to, lets one command
 * through and then lies to the caller about it, the way an attacker on the network could.
 */
final class InterceptingProxy implements AutoCloseable {

    /** What to do with the next {@code POST /rpc/...}, after forwarding it and reading the real answer. */
    enum Lie {
        /** A 401 {@code session-replayed} problem, which once made the client sign the call again and resend it. */
        FORGED_REPLAYED,
        /** A 401 {@code session-unknown} problem, which says "safe to resend" but is not signed by the callee. */
        FORGED_UNKNOWN,
        /** The real answer with its status changed to 200 and a made-up body. */
        FORGED_SUCCESS,
        /** No answer at all: the connection is closed. */
        RESET
    }

    private static final List<String> FORWARDED_HEADERS = List.of("Authorization", "Reside-Delegation",
            "Content-Type", "Accept");
    private static final List<String> RETURNED_HEADERS = List.of("Content-Type", "Reside-Response", "WWW-Authenticate");

    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(8);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final String target;
    private final AtomicReference<Lie> next = new AtomicReference<>();
    private final AtomicInteger forwardedCommands = new AtomicInteger();

    private InterceptingProxy(String target) throws IOException {
        this.target = target;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    static InterceptingProxy start(String target) throws IOException {
        return new InterceptingProxy(target);
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Lies about the next command that goes through. */
    void lieNext(Lie lie) {
        next.set(lie);
    }

    /** Commands ({@code POST /rpc/...}) forwarded to the replica so far. */
    int forwardedCommands() {
        return forwardedCommands.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String method = exchange.getRequestMethod();
            HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(target + exchange.getRequestURI()))
                    .timeout(Duration.ofSeconds(10))
                    .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            for (String name : FORWARDED_HEADERS) {
                String value = exchange.getRequestHeaders().getFirst(name);
                if (value != null) {
                    forward.header(name, value);
                }
            }
            HttpResponse<byte[]> real;
            try {
                real = http.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            boolean command = method.equals("POST") && exchange.getRequestURI().getPath().startsWith("/rpc/");
            if (command) {
                forwardedCommands.incrementAndGet();
            }
            Lie lie = command ? next.getAndSet(null) : null;
            if (lie == Lie.RESET) {
                return; // closing the exchange without an answer closes the connection
            }
            int status = real.statusCode();
            byte[] answer = real.body();
            String contentType = real.headers().firstValue("Content-Type").orElse(null);
            if (lie == Lie.FORGED_REPLAYED || lie == Lie.FORGED_UNKNOWN) {
                String reason = lie == Lie.FORGED_REPLAYED ? "session-replayed" : "session-unknown";
                status = 401;
                contentType = "application/problem+json";
                answer = ("{\"type\":\"https://reside.io/problems/unauthenticated\",\"title\":\"Unauthenticated\","
                        + "\"status\":401,\"detail\":\"forged\",\"code\":\"unauthenticated\",\"reason\":\"" + reason
                        + "\"}").getBytes(StandardCharsets.UTF_8);
            } else if (lie == Lie.FORGED_SUCCESS) {
                status = 200;
                answer = "{\"text\":\"forged\",\"madeBy\":\"nobody\"}".getBytes(StandardCharsets.UTF_8);
            }
            for (String name : RETURNED_HEADERS) {
                real.headers().firstValue(name).ifPresent(v -> exchange.getResponseHeaders().set(name, v));
            }
            if (contentType != null) {
                exchange.getResponseHeaders().set("Content-Type", contentType);
            }
            exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
