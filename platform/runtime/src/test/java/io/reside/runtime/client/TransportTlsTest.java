package io.reside.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.reside.security.CertificateAuthority;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;

/**
 * RPC over TLS at the transport, with a cluster CA made by the test: an implementor whose certificate the CA issued
 * for the address called is reached; one with a certificate from another CA, or for another name, is refused before
 * anything is sent; and plain HTTP to a TLS port gets no answer.
 */
class TransportTlsTest {

    @TempDir
    Path dir;
    Vertx vertx;
    Transport transport;
    CertificateAuthority clusterCa;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        clusterCa = CertificateAuthority.generate("test cluster CA", Duration.ofDays(1));
        Path ca = dir.resolve("ca.crt");
        Files.writeString(ca, clusterCa.certificatePem());
        transport = new Transport(vertx, Transport.trustFrom(ca));
    }

    @AfterEach
    void stop() throws Exception {
        transport.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** An HTTPS server on loopback with this certificate; its port. */
    private int serve(CertificateAuthority.Issued cert) throws Exception {
        String name = "s" + System.nanoTime();
        Path crt = Files.writeString(dir.resolve(name + ".crt"), cert.certificatePem());
        Path key = Files.writeString(dir.resolve(name + ".key"), cert.privateKeyPem());
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setKeyCertOptions(
                new PemKeyCertOptions().setCertPath(crt.toString()).setKeyPath(key.toString())))
                .requestHandler(r -> r.response().end("secret " + r.path()))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return server.actualPort();
    }

    private Transport.Answer call(String baseUrl) throws Exception {
        return transport.send(baseUrl, Duration.ofSeconds(2), new RequestOptions().setMethod(HttpMethod.GET)
                .setAbsoluteURI(baseUrl + "/rpc/x").setTimeout(5000), null).get(10, TimeUnit.SECONDS);
    }

    @Test
    void anImplementorWithACertificateOfTheClusterCaIsReached() throws Exception {
        int port = serve(clusterCa.issue("provider", List.of("localhost"), List.of("127.0.0.1"), Duration.ofHours(
                1)));
        Transport.Answer a = call("https://127.0.0.1:" + port);
        assertThat(a.status()).isEqualTo(200);
        assertThat(new String(a.body())).isEqualTo("secret /rpc/x");
    }

    @Test
    void aCertificateOfAnotherCaIsRefusedBeforeTheRequestIsSent() throws Exception {
        CertificateAuthority rogue = CertificateAuthority.generate("rogue", Duration.ofDays(1));
        int port = serve(rogue.issue("provider", List.of("localhost"), List.of("127.0.0.1"), Duration.ofHours(1)));
        assertThatThrownBy(() -> call("https://127.0.0.1:" + port)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(Transport.NotSent.class);
    }

    @Test
    void aCertificateForAnotherNameIsRefused() throws Exception {
        int port = serve(clusterCa.issue("other", List.of("other.reside.svc"), List.of(), Duration.ofHours(1)));
        assertThatThrownBy(() -> call("https://127.0.0.1:" + port)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(Transport.NotSent.class);
    }

    @Test
    void plainHttpToATlsPortGetsNoAnswer() throws Exception {
        int port = serve(clusterCa.issue("provider", List.of("localhost"), List.of("127.0.0.1"), Duration.ofHours(
                1)));
        assertThatThrownBy(() -> call("http://127.0.0.1:" + port)).isInstanceOf(ExecutionException.class);
    }

    @Test
    void aMissingCaFileIsSaidAtStart() {
        assertThatThrownBy(() -> Transport.trustFrom(dir.resolve("nope.crt")))
                .hasMessageContaining("reside.rpc.tls.ca-file");
    }

}
