package io.reside.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.LocalCluster;
import io.reside.security.CertificateAuthority;

/**
 * RPC over TLS with the local runtime ({@code alpha.tls.enabled}): Alpha makes the cluster CA, issues each replica a
 * certificate for 127.0.0.1, starts it HTTPS-only and tells it to trust that CA alone. The consumer's call to the
 * provider then goes over verified TLS; plain HTTP gets no answer; a client that does not trust the cluster CA is
 * refused in the handshake.
 */
class TlsIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static LocalCluster cluster;
    static AlphaApi.Replica provider;
    static AlphaApi.Replica consumer;
    static HttpClient trusting;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")), Map.of("ALPHA_TLS_ENABLED",
                "true"));
        provider = cluster.load(cluster.push(Path.of(System.getProperty("reside.it.provider")), "1"));
        consumer = cluster.load(cluster.push(Path.of(System.getProperty("reside.it.consumer")), "1"));
        trusting = HttpClient.newBuilder().sslContext(trust(caPem())).connectTimeout(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static String caPem() throws IOException {
        return Files.readString(cluster.alphaState().resolve("tls/ca.crt"));
    }

    static SSLContext trust(String caPem) {
        return CertificateAuthority.trusting(caPem);
    }

    static JsonNode drive(String text) throws Exception {
        HttpResponse<String> r = trusting.send(HttpRequest.newBuilder(URI.create(consumer.endpoints().get("local")
                + "/drive/echo?text=" + text)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers
                        .ofString());
        return JSON.readTree(r.body());
    }

    @Test
    void replicasServeHttpsOnlyAndCallEachOtherOverVerifiedTls() throws Exception {
        assertThat(provider.endpoints().get("local")).startsWith("https://127.0.0.1:");
        assertThat(consumer.endpoints().get("local")).startsWith("https://127.0.0.1:");

        // the consumer calls the provider (its RCB says https://...) and checks the certificate against the CA
        await().atMost(Duration.ofSeconds(20)).until(() -> drive("hello").path("ok").asBoolean());
        JsonNode ok = drive("over-tls");
        assertThat(ok.path("text").asText()).isEqualTo("over-tls");
        assertThat(ok.path("madeBy").asText()).isEqualTo(consumer.accountId());

        // the provider's certificate: issued by the cluster CA for 127.0.0.1
        URI url = URI.create(provider.endpoints().get("local"));
        try (SSLSocket socket = (SSLSocket) trust(caPem()).getSocketFactory().createSocket(url.getHost(), url
                .getPort())) {
            socket.startHandshake();
            X509Certificate cert = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            assertThat(cert.getSubjectAlternativeNames()).extracting(n -> n.get(1).toString()).contains("127.0.0.1");
            cert.verify(((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new ByteArrayInputStream(caPem().getBytes(StandardCharsets.US_ASCII)))).getPublicKey());
        }
    }

    @Test
    void plainHttpGetsNoAnswer() {
        URI url = URI.create(provider.endpoints().get("local"));
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (String path : List.of("/q/health/ready", "/rpc/echo.v1/echo")) {
            assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + url.getPort()
                    + path)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()))
                    .as("plain HTTP to " + path).isInstanceOf(IOException.class);
        }
    }

    @Test
    void aClientThatDoesNotTrustTheClusterCaIsRefused() {
        HttpClient jdkTrust = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        assertThatThrownBy(() -> jdkTrust.send(HttpRequest.newBuilder(URI.create(provider.endpoints().get("local")
                + "/q/health/ready")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(SSLHandshakeException.class);
    }
}
