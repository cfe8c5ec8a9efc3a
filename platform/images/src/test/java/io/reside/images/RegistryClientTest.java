package io.reside.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import io.reside.testing.RegistryServer;

/** Images built with Jib, pushed to a real registry on loopback, and read back with the client. */
class RegistryClientTest {

    static RegistryServer registry;
    static RegistryClient client;
    static ImageBuilder builder;
    static final String CONTRACT_MANIFEST = "{\"type\":\"contract\",\"identity\":\"x\"}";
    static final String REPLICA_MANIFEST = "{\"type\":\"replica\",\"identity\":\"y\"}";

    @BeforeAll
    static void start(@TempDir Path cache) {
        registry = RegistryServer.start();
        client = new RegistryClient(RegistryClient.Options.DEFAULT);
        builder = new ImageBuilder(RegistryClient.Options.DEFAULT, cache);
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void aContractImageHasZeroLayersAndItsManifestInTheLabel() {
        ImageReference target = ImageReference.parse(registry.address() + "/reside/contracts/greeter.v1:1");
        ImageBuilder.Built built = builder.buildContract(CONTRACT_MANIFEST, target);
        RegistryClient.ResolvedImage image = client.resolve(target);
        assertThat(image.digest()).isEqualTo(built.digest());
        assertThat(image.layers()).isEmpty();
        assertThat(client.manifestLabel(image)).isEqualTo(CONTRACT_MANIFEST);
        // pinned by digest, the same image
        assertThat(client.resolve(target.withDigest(built.digest())).digest()).isEqualTo(built.digest());
    }

    @Test
    void aReplicaImageCarriesTheApplicationAndUnpacksToIt(@TempDir Path dir) throws IOException {
        Path app = fakeQuarkusApp(dir.resolve("quarkus-app"));
        ImageReference target = ImageReference.parse(registry.address() + "/reside/replicas/greeter:1");
        builder.buildReplica(app, ImageBuilder.SCRATCH, target);
        RegistryClient.ResolvedImage image = client.resolve(target);
        assertThat(client.manifestLabel(image)).isEqualTo(REPLICA_MANIFEST);
        assertThat(image.layers()).hasSize(3);
        Path root = dir.resolve("root");
        for (RegistryClient.Descriptor layer : image.layers()) {
            Path blob = dir.resolve("blobs").resolve(layer.digest().substring(7));
            client.pull(target, layer, blob);
            ImageLayers.unpack(blob, root);
        }
        assertThat(root.resolve("app/quarkus-run.jar")).exists();
        assertThat(root.resolve("app/lib/main/dependency.jar")).hasContent("a library");
        assertThat(root.resolve("app/quarkus/generated-bytecode.jar")).exists();
        assertThat(root.resolve("app/app/greeter.jar")).exists();
    }

    @Test
    void whatIsMissingIsAClearError(@TempDir Path cache) {
        assertThatThrownBy(() -> client.resolve(ImageReference.parse(registry.address() + "/reside/replicas/nope:1")))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.kind()).isEqualTo(RegistryException.Kind.NOT_FOUND);
                    assertThat(e.getMessage()).isEqualTo("image " + registry.address() + "/reside/replicas/nope:1 is "
                            + "not in registry " + registry.address() + " (no tag '1'): push it first");
                });
        // an image without the label
        ImageReference plain = ImageReference.parse(registry.address() + "/other/plain:1");
        try {
            com.google.cloud.tools.jib.api.Jib.fromScratch().containerize(com.google.cloud.tools.jib.api.Containerizer
                    .to(com.google.cloud.tools.jib.api.RegistryImage.named(plain.toString()))
                    .setAllowInsecureRegistries(true).setBaseImageLayersCache(cache.resolve("b"))
                    .setApplicationLayersCache(cache.resolve("a")));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThatThrownBy(() -> client.manifestLabel(client.resolve(plain)))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.LABEL_MISSING))
                .hasMessageContaining("has no io.reside.manifest label");
        // a digest the registry does not hold
        assertThatThrownBy(() -> client.resolve(plain.withDigest("sha256:" + "0".repeat(64))))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.NOT_FOUND));
        // nothing listening
        assertThatThrownBy(() -> client.resolve(ImageReference.parse("127.0.0.1:1/a/b:c")))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.UNREACHABLE));
    }

    @Test
    void plainHttpOnlyForLoopbackOrListedRegistries() {
        assertThat(client.isPlainHttpAllowed("127.0.0.1:5000")).isTrue();
        assertThat(client.isPlainHttpAllowed("localhost:5000")).isTrue();
        assertThat(client.isPlainHttpAllowed("[::1]:5000")).isTrue();
        assertThat(client.isPlainHttpAllowed("registry.example.com")).isFalse();
        assertThat(client.isPlainHttpAllowed("10.0.0.1:5000")).isFalse();
        assertThat(new RegistryClient(RegistryClient.Options.DEFAULT.withInsecure(Set.of("registry.lan:5000")))
                .isPlainHttpAllowed("registry.lan:5000")).isTrue();
    }

    /** A registry behind the token flow of the Distribution spec: 401 with a Bearer challenge, then the token. */
    @Test
    void bearerTokensAreFetchedFromTheRealmTheRegistryNames() throws Exception {
        ImageReference real = ImageReference.parse(registry.address() + "/reside/contracts/token.v1:1");
        builder.buildContract(CONTRACT_MANIFEST, real);
        AtomicInteger tokenRequests = new AtomicInteger();
        HttpServer proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        HttpClient http = HttpClient.newHttpClient();
        proxy.createContext("/token", exchange -> {
            tokenRequests.incrementAndGet();
            assertThat(exchange.getRequestURI().getQuery()).contains("scope=repository:reside/contracts/token.v1:pull")
                    .contains("service=test-registry");
            reply(exchange, 200, "{\"token\":\"t0k3n\"}");
        });
        proxy.createContext("/v2/", exchange -> {
            if (!"Bearer t0k3n".equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:"
                        + proxy.getAddress().getPort() + "/token\",service=\"test-registry\"");
                reply(exchange, 401, "{}");
                return;
            }
            try {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(registry.url() + exchange.getRequestURI()
                        .toString()));
                String accept = exchange.getRequestHeaders().getFirst("Accept");
                if (accept != null) {
                    b.header("Accept", accept);
                }
                HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                r.headers().firstValue("Content-Type").ifPresent(t -> exchange.getResponseHeaders().set("Content-Type",
                        t));
                exchange.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(r.body());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        proxy.start();
        try {
            ImageReference viaProxy = ImageReference.parse("127.0.0.1:" + proxy.getAddress().getPort()
                    + "/reside/contracts/token.v1:1");
            RegistryClient.ResolvedImage image = client.resolve(viaProxy);
            assertThat(client.manifestLabel(image)).isEqualTo(CONTRACT_MANIFEST);
            assertThat(tokenRequests.get()).isEqualTo(1); // the token is reused
        } finally {
            proxy.stop(0);
        }
    }

    private static void reply(com.sun.net.httpserver.HttpExchange exchange, int status, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The fast-jar layout of a packaged Quarkus application, with the replica manifest in the application jar. */
    static Path fakeQuarkusApp(Path app) throws IOException {
        Files.createDirectories(app.resolve("lib/main"));
        Files.createDirectories(app.resolve("quarkus"));
        Files.createDirectories(app.resolve("app"));
        Files.writeString(app.resolve("lib/main/dependency.jar"), "a library");
        Files.writeString(app.resolve("quarkus/generated-bytecode.jar"), "generated");
        Files.writeString(app.resolve("quarkus-run.jar"), "launcher");
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(app.resolve("app/greeter.jar")))) {
            jar.putNextEntry(new JarEntry(ImageBuilder.REPLICA_MANIFEST));
            jar.write(REPLICA_MANIFEST.getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return app;
    }
}
