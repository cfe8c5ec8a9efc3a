package io.reside.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.Manifests;
import io.reside.permissions.GrantSource;
import io.reside.permissions.GrantSpec;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbAdmin;
import io.reside.security.AccountKey;
import io.reside.security.AccountRegistry;
import io.reside.security.CertificateAuthority;
import io.reside.security.Encoding;
import io.reside.security.RequestProofs;
import io.reside.security.ResponseProofs;
import io.reside.security.Sessions;
import io.reside.testing.EtcdServer;
import io.reside.testing.ReplicaProcess;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;

/**
 * The cost of ReSide's RPC security on loopback. The provider replica (packaged, its own JVM, access log off) serves
 * {@code POST /rpc/echo.v1/echo} with the full stack (proof verified, replay protection, permission check through
 * Quarkus Security, the answer authenticated) and {@code POST /bench/echo}, the same work with no authentication.
 * The client (this JVM, Vert.x) takes both authentication paths, as the platform's clients do: the session path
 * (what replicas use: an HMAC per call, the answer's MAC checked) and the per-request JWS path (what the CLI uses: an
 * Ed25519 signature per call, the answer's signature checked). Latency is measured one call at a time, the three
 * kinds interleaved call by call; throughput (session against plain) with 16 calls in flight, in alternating phases.
 * <p>
 * With {@code --tls} the provider also serves HTTPS with a certificate of a CA made for the run, and the client
 * trusts that CA alone and checks the host name, as replicas do with the cluster CA: the session path over TLS is
 * measured against the unauthenticated endpoint over TLS (the cost of ReSide's authentication where TLS is on), and
 * against the session path over plain HTTP (the cost of TLS itself).
 */
final class RpcBenchmark {

    private static final byte[] BODY = "{\"text\":\"hello\"}".getBytes(StandardCharsets.UTF_8);
    private static final String SECURE = "/rpc/echo.v1/echo";
    private static final String PLAIN = "/bench/echo";

    private final Bench.Options options;

    RpcBenchmark(Bench.Options options) {
        this.options = options;
    }

    void run() throws Exception {
        int seconds = options.getInt("seconds", 2);
        int rounds = options.getInt("rounds", 6);
        int inFlight = options.getInt("in-flight", 16);
        boolean tls = options.has("tls");
        System.out.printf("rpc benchmark%s: %d rounds of %d s per path, %d CPUs, Java %s%n%n", tls ? " over TLS" : "",
                rounds, seconds, Runtime.getRuntime().availableProcessors(), Runtime.version());
        crypto();

        AccountKey providerKey = AccountKey.generate();
        AccountKey client = AccountKey.generate();
        Path keys = Files.createTempDirectory("reside-bench-keys");
        Path keyFile = keys.resolve("provider.pem");
        Files.writeString(keyFile, providerKey.toPem());
        int port = freePort();
        int tlsPort = freePort();
        // --tls: the provider serves HTTPS too, with a certificate of a cluster CA made here (as Alpha's is)
        CertificateAuthority ca = CertificateAuthority.generate("bench CA", java.time.Duration.ofDays(1));
        CertificateAuthority.Issued cert = ca.issue("provider", List.of("localhost"), List.of("127.0.0.1"),
                java.time.Duration.ofDays(1));
        Path caFile = Files.writeString(keys.resolve("ca.crt"), ca.certificatePem());
        Path certFile = Files.writeString(keys.resolve("provider.crt"), cert.certificatePem());
        Path certKeyFile = Files.writeString(keys.resolve("provider.key"), cert.privateKeyPem());
        Vertx vertx = Vertx.vertx();
        try (EtcdServer etcd = EtcdServer.start();
                Store store = Store
                        .connect(StoreConfig.builder().endpoints(etcd.endpoint()).cluster("bench").build())) {
            ContractManifest echo = Manifests.parse(new String(RpcBenchmark.class.getClassLoader()
                    .getResourceAsStream(Manifests.contractResource("echo.v1")).readAllBytes(), StandardCharsets.UTF_8),
                    ContractManifest.class, "echo.v1");
            store.run(tx -> {
                AccountRegistry.register(tx, providerKey.publicKey(), AccountRegistry.Kind.REPLICA, "provider");
                AccountRegistry.register(tx, client.publicKey(), AccountRegistry.Kind.REPLICA, "bench");
                RcbAdmin.registerContract(tx, echo);
                RcbAdmin.createRcb(tx, new Rcb("r-provider", "provider", providerKey.accountId(), "sha256:bench",
                        List.of(echo.identity()), Map.of()));
                RcbAdmin.syncGrants(tx, client.accountId(), GrantSource.STATIC, List.of(new GrantSpec.PermissionSet(
                        "bench", List.of(GrantSpec.of(echo.identity(), "echo:call")))));
                return null;
            });
            Map<String, String> properties = new java.util.HashMap<>(Map.of("reside.rpc.access-log", "false",
                    "quarkus.log.level", "WARN", "reside.rpc.replay-cache-size", "2000000",
                    "reside.rpc.replay-cache-per-account", "2000000"));
            if (tls) {
                properties.putAll(Map.of("quarkus.http.ssl-port", Integer.toString(tlsPort),
                        "quarkus.http.ssl.certificate.files", certFile.toString(),
                        "quarkus.http.ssl.certificate.key-files", certKeyFile.toString()));
            }
            Map<String, String> env = Map.of("RESIDE_ETCD_ENDPOINTS", etcd.endpoint(), "RESIDE_CLUSTER", "bench",
                    "RESIDE_CONTROL_BLOCK_ID", "r-provider", "RESIDE_ACCOUNT_ID", providerKey.accountId(),
                    "RESIDE_ACCOUNT_KEY_FILE", keyFile.toString());
            // the JWS path signs thousands of proofs a second from one account, far beyond the share of the replay
            // cache a real caller gets: measured here is the cost of the cryptography, not the limit
            try (ReplicaProcess provider = ReplicaProcess.start("provider",
                    Path.of(System.getProperty("reside.bench.provider")), port, env, properties)) {
                provider.awaitReady(java.time.Duration.ofSeconds(60));
                Context io = vertx.getOrCreateContext(); // this thread has none: a new event-loop context
                HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
                        .setDefaultPort(port).setKeepAlive(true).setMaxPoolSize(inFlight));
                // the client of the platform's replicas over TLS: the cluster CA only, the host name checked
                HttpClient https = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
                        .setDefaultPort(tlsPort).setKeepAlive(true).setMaxPoolSize(inFlight).setSsl(true)
                        .setVerifyHost(true).setTrustOptions(new PemTrustOptions().addCertPath(caFile.toString())));
                Sessions.ClientSession session = handshake(http, client, providerKey);
                Caller secure = sessionCall(io, http, session);
                Caller secureTls = sessionCall(io, https, session);
                Caller plainTls = () -> send(io, https, PLAIN, null).thenApply(Answer::status);
                Caller jws = () -> {
                    String authorization = RequestProofs.sign(client, providerKey.accountId(),
                            new RequestProofs.Request("POST", SECURE, BODY, null), Instant.now());
                    return send(io, http, SECURE, authorization).thenApply(a -> ResponseProofs.verifySigned(a.proof(),
                            authorization.substring(RequestProofs.SCHEME.length() + 1), a.status(), a.body(),
                            providerKey.publicKey()).isPresent() ? a.status() : -a.status());
                };
                // --calibrate: both sides take the full-stack path, so every ratio should come out near 1.00
                Caller plainHttp = options.has("calibrate") ? secure
                        : () -> send(io, http, PLAIN, null).thenApply(Answer::status);
                // what is measured against what: without --tls, the signed stack against no authentication, and the
                // JWS path beside; with --tls, both over TLS, and the signed stack over plain HTTP beside (TLS's cost)
                Caller plain = tls ? (options.has("calibrate") ? secureTls : plainTls) : plainHttp;
                Caller third = tls ? secure : jws;
                Caller measured = tls ? secureTls : secure;
                // the grant must be applied before the first secure call succeeds
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (secure.call().get(5, TimeUnit.SECONDS) != 200) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the bench account's grant was never applied");
                    }
                    Thread.sleep(50);
                }
                // warm-up: every path, both patterns
                latency(List.of(plain, measured, third), 3, List.of(new Latencies(), new Latencies(),
                        new Latencies()));
                throughput(plain, 2, inFlight);
                throughput(measured, 2, inFlight);

                // latency: one call at a time, the paths interleaved call by call, so all see the same machine
                Latencies plainLatency = new Latencies();
                Latencies secureLatency = new Latencies();
                Latencies thirdLatency = new Latencies();
                latency(List.of(plain, measured, third), rounds * seconds,
                        List.of(plainLatency, secureLatency, thirdLatency));

                // throughput: short phases alternating between the paths; the ratio is the median of adjacent pairs
                List<Double> ratios = new ArrayList<>();
                double[] ops = new double[2];
                long[] providerCpuNanos = new long[2];
                long[] calls = new long[2];
                for (int r = 0; r < rounds; r++) {
                    double[] pair = new double[2];
                    for (int half = 0; half < 2; half++) {
                        int which = (r + half) % 2; // 0 plain, 1 secure; the order alternates
                        long cpu = cpuNanos(provider.pid());
                        Throughput t = throughput(which == 0 ? plain : measured, seconds, inFlight);
                        providerCpuNanos[which] += cpuNanos(provider.pid()) - cpu;
                        calls[which] += t.calls();
                        pair[which] = t.perSecond();
                        ops[which] += t.perSecond() / rounds;
                    }
                    ratios.add(pair[1] / pair[0]);
                }
                double throughputRatio = median(ratios);
                double p50Plain = plainLatency.percentileMicros(50);
                double p50Secure = secureLatency.percentileMicros(50);
                System.out.printf("%n%-34s %10s %10s %12s %18s%n", "endpoint", "p50 µs", "p99 µs", "calls/s",
                        "provider CPU µs/call");
                String over = tls ? " (TLS)" : "";
                System.out.printf("%-34s %10.0f %10.0f %12.0f %18.0f%n",
                        (options.has("calibrate") ? "signed (calibration)" : "no authentication") + over, p50Plain,
                        plainLatency.percentileMicros(99), ops[0], providerCpuNanos[0] / 1e3 / calls[0]);
                System.out.printf("%-34s %10.0f %10.0f %12.0f %18.0f%n", "session, permission-checked" + over,
                        p50Secure,
                        secureLatency.percentileMicros(99), ops[1], providerCpuNanos[1] / 1e3 / calls[1]);
                System.out.printf("%-34s %10.0f %10.0f %12s %18s%n", tls ? "session, permission-checked (HTTP)"
                        : "JWS, permission-checked",
                        thirdLatency.percentileMicros(50), thirdLatency.percentileMicros(99), "-", "-");
                System.out.printf("%n(latency: %d + %d + %d calls interleaved one at a time; throughput: %d pairs of %d"
                        + " s phases with %d calls in flight, per-pair ratios %s; every answer's MAC or signature"
                        + " checked by the client)%n", plainLatency.count(), secureLatency.count(),
                        thirdLatency.count(),
                        rounds, seconds, inFlight, ratios.stream().map(x -> String.format("%.2f", x)).toList());
                System.out.println();
                if (tls) {
                    // the third path is the signed stack over plain HTTP: TLS's own cost on the full stack
                    System.out.printf("RESULT rpc-tls latency-ratio=%.2f throughput-ratio=%.2f "
                            + "tls-vs-plain-latency-ratio=%.2f%n", p50Secure / p50Plain, throughputRatio,
                            p50Secure
                                    / thirdLatency.percentileMicros(50));
                } else {
                    System.out.printf("RESULT rpc latency-ratio=%.2f throughput-ratio=%.2f added-p50-us=%.0f "
                            + "jws-latency-ratio=%.2f%n", p50Secure / p50Plain, throughputRatio, p50Secure - p50Plain,
                            thirdLatency.percentileMicros(50) / p50Plain);
                }
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The session path (what replicas use): an HMAC per call, the answer's MAC checked. */
    private static Caller sessionCall(Context io, HttpClient client, Sessions.ClientSession session) {
        return () -> {
            Sessions.ClientSession.Proof proof = session.proof("POST", SECURE, BODY, null, Instant.now());
            return send(io, client, SECURE, proof.authorization()).thenApply(a -> session.verifyResponse(proof.seq(),
                    a.status(), a.body(), a.proof()) ? a.status() : -a.status());
        };
    }

    interface Caller {
        CompletableFuture<Integer> call();
    }

    /** An answer: its status, body and {@code Reside-Response}. */
    private record Answer(int status, byte[] body, String proof) {
    }

    /** Sends on {@code io}, the client's one event-loop context, as the platform's clients do (ADR 0004). */
    private static CompletableFuture<Answer> send(Context io, HttpClient http, String path, String authorization) {
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setURI(path)
                .putHeader("Content-Type", "application/json").putHeader("Accept", "application/json");
        if (authorization != null) {
            o.putHeader("Authorization", authorization);
        }
        CompletableFuture<Answer> status = new CompletableFuture<>();
        io.runOnContext(v -> http.request(o).compose(req -> req.send(Buffer.buffer(BODY)))
                .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b.getBytes(),
                        resp.getHeader(ResponseProofs.HEADER_NAME))))
                .onComplete(r -> {
                    if (r.succeeded()) {
                        status.complete(r.result());
                    } else {
                        status.completeExceptionally(r.cause());
                    }
                }));
        return status;
    }

    private static Sessions.ClientSession handshake(HttpClient http, AccountKey client, AccountKey provider)
            throws Exception {
        Sessions.Handshake handshake = new Sessions.Handshake();
        ObjectMapper json = new ObjectMapper();
        byte[] body = json.writeValueAsBytes(handshake.request());
        String authorization = RequestProofs.sign(client, provider.accountId(),
                new RequestProofs.Request("POST", Sessions.HANDSHAKE_PATH, body, null), Instant.now());
        Buffer answer = http.request(new RequestOptions().setMethod(HttpMethod.POST).setURI(Sessions.HANDSHAKE_PATH)
                .putHeader("Content-Type", "application/json").putHeader("Authorization", authorization))
                .compose(req -> req.send(Buffer.buffer(body))).compose(resp -> resp.body())
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return handshake.complete(json.readValue(answer.getBytes(), Sessions.HandshakeResponse.class),
                client.accountId(), provider.publicKey());
    }

    /** Sequential calls for {@code seconds}, one of each caller per round, the first of a round rotating. */
    private static void latency(List<Caller> callers, int seconds, List<Latencies> into) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int n = callers.size();
        for (long i = 0; System.nanoTime() < end; i++) {
            for (int k = 0; k < n; k++) {
                int which = (int) ((i + k) % n);
                time(callers.get(which), into.get(which));
            }
        }
    }

    private static void time(Caller caller, Latencies into) throws Exception {
        long start = System.nanoTime();
        int status = caller.call().get(10, TimeUnit.SECONDS);
        into.add(System.nanoTime() - start);
        if (status != 200) {
            throw new IllegalStateException(status < 0 ? "a benchmark call answered " + -status + " without a valid "
                    + "Reside-Response" : "a benchmark call answered " + status);
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** The CPU time a process has used so far (user and system, all threads). */
    private static long cpuNanos(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(java.time.Duration::toNanos)
                .orElseThrow(() -> new IllegalStateException("the CPU time of process " + pid + " is not readable"));
    }

    private record Throughput(long calls, double perSecond) {
    }

    /** Calls per second with {@code inFlight} calls outstanding at all times. */
    private static Throughput throughput(Caller caller, int seconds, int inFlight) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        CompletableFuture<Void> finished = new CompletableFuture<>();
        AtomicLong outstanding = new AtomicLong(inFlight);
        long start = System.nanoTime();
        for (int i = 0; i < inFlight; i++) {
            next(caller, running, done, failed, outstanding, finished);
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        running.set(false);
        finished.get(30, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " benchmark calls failed");
        }
        return new Throughput(done.get(), done.get() / elapsed);
    }

    private static void next(Caller caller, AtomicBoolean running, AtomicLong done, AtomicLong failed,
            AtomicLong outstanding, CompletableFuture<Void> finished) {
        if (!running.get()) {
            if (outstanding.decrementAndGet() == 0) {
                finished.complete(null);
            }
            return;
        }
        caller.call().whenComplete((status, error) -> {
            if (error != null || status != 200) {
                failed.incrementAndGet();
            } else {
                done.incrementAndGet();
            }
            next(caller, running, done, failed, outstanding, finished);
        });
    }

    /** Per-operation costs of the cryptography, measured in this JVM. */
    private static void crypto() throws Exception {
        AccountKey key = AccountKey.generate();
        byte[] message = new byte[200];
        byte[] signature = key.sign(message);
        KeyPair jdk = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Signature jdkSign = Signature.getInstance("Ed25519");
        Signature jdkVerify = Signature.getInstance("Ed25519");
        jdkSign.initSign(jdk.getPrivate());
        jdkSign.update(message);
        byte[] jdkSignature = jdkSign.sign();
        jdkVerify.initVerify(jdk.getPublic());
        Sessions.Server server = new Sessions.Server(key, java.time.Duration.ofMinutes(10));
        AccountKey caller = AccountKey.generate();
        Sessions.Handshake h = new Sessions.Handshake();
        Sessions.ClientSession session = h.complete(server.accept(caller.accountId(), h.request(), Instant.now()),
                caller.accountId(), key.publicKey());
        RequestProofs.Request request = new RequestProofs.Request("POST", SECURE, BODY, null);
        String jws = RequestProofs.sign(caller, key.accountId(), request, Instant.now()).substring(7);
        io.reside.security.PublicKeys keys = id -> java.util.Optional.of(caller.publicKey());

        System.out.printf("%-44s %10s%n", "operation", "µs/op");
        op("Ed25519 sign (BouncyCastle)", () -> key.sign(message));
        op("Ed25519 verify (BouncyCastle)", () -> key.publicKey().verify(signature, message));
        op("Ed25519 sign (JDK)", () -> {
            jdkSign.update(message);
            jdkSign.sign();
        });
        op("Ed25519 verify (JDK)", () -> {
            jdkVerify.update(message);
            jdkVerify.verify(jdkSignature);
        });
        op("request proof: sign (JWS)", () -> RequestProofs.sign(caller, key.accountId(), request, Instant.now()));
        op("request proof: verify (JWS)", () -> RequestProofs.verify(jws, key.accountId(), request, keys,
                Instant.now()));
        op("session proof: sign + verify (HMAC-SHA256)", () -> server.verify(session.authorization("POST", SECURE,
                BODY, null).substring(Sessions.SCHEME.length() + 1), "POST", SECURE, BODY, null, Instant.now()));
        Sessions.ClientSession.Proof answered = session.proof("POST", SECURE, BODY, null, Instant.now());
        ResponseProofs.Responder mac = server.verify(answered.credential(), "POST", SECURE, BODY, null, Instant.now())
                .responder();
        op("session answer: MAC + check (HMAC-SHA256)", () -> session.verifyResponse(answered.seq(), 200, BODY,
                mac.authenticate(200, BODY)));
        ResponseProofs.Responder signer = new ResponseProofs.Signer(key).bound(jws);
        op("JWS answer: sign + verify (Ed25519)", () -> ResponseProofs.verifySigned(signer.authenticate(200, BODY),
                jws, 200, BODY, key.publicKey()));
        op("body hash (SHA-256, 16 bytes)", () -> Encoding.bodyHash(BODY));
    }

    interface Op {
        void run() throws Exception;
    }

    private static void op(String name, Op op) throws Exception {
        for (int i = 0; i < 2000; i++) {
            op.run();
        }
        int n = 0;
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(700);
        while (System.nanoTime() < end) {
            op.run();
            n++;
        }
        System.out.printf("%-44s %10.1f%n", name, (System.nanoTime() - start) / 1e3 / n);
    }
}
