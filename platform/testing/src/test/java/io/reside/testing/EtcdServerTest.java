package io.reside.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

import org.junit.jupiter.api.Test;

class EtcdServerTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @Test
    void restartKeepsPortsAndDataAndCloseDeletesThem() throws Exception {
        Path dataDir;
        try (EtcdServer etcd = EtcdServer.start()) {
            dataDir = etcd.dataDir();
            int port = etcd.clientPort();
            put(etcd, "k", "v1");

            etcd.stop();
            assertThat(etcd.isRunning()).isFalse();
            assertThatThrownBy(() -> range(etcd, "k")).isInstanceOf(IOException.class);

            etcd.restart();
            assertThat(etcd.clientPort()).isEqualTo(port);
            assertThat(range(etcd, "k")).contains(b64("v1"));

            etcd.kill();
            etcd.restart();
            assertThat(range(etcd, "k")).contains(b64("v1"));
        }
        assertThat(Files.exists(dataDir)).isFalse();
    }

    @Test
    void aMemberKeptInADirectoryFindsItsDataAgainInALaterMember(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        int client = freePort();
        int peer = freePort();
        try (EtcdServer first = EtcdServer.builder().directory(dir).ports(client, peer).start()) {
            assertThat(first.clientPort()).isEqualTo(client);
            put(first, "k", "kept");
        }
        assertThat(dir.resolve("data")).as("close keeps a member's own directory").isDirectory();
        try (EtcdServer second = EtcdServer.builder().directory(dir).ports(client, peer).start()) {
            assertThat(range(second, "k")).contains(b64("kept"));
            // a second member on the same ports cannot start, and says why
            assertThatThrownBy(() -> EtcdServer.builder().directory(dir.resolve("other")).ports(client, peer)
                    .startTimeout(Duration.ofSeconds(10)).start()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another process holds the port");
        }
        assertThatThrownBy(() -> EtcdServer.builder().ports(2379, 2379)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pausedMemberDoesNotAnswerUntilResumed() throws Exception {
        try (EtcdServer etcd = EtcdServer.start()) {
            etcd.pause();
            HttpRequest health = HttpRequest.newBuilder(URI.create(etcd.endpoint() + "/health"))
                    .timeout(Duration.ofMillis(500)).build();
            assertThatThrownBy(() -> http.send(health, HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(HttpTimeoutException.class);
            etcd.resume();
            assertThat(http.send(health, HttpResponse.BodyHandlers.ofString()).body()).contains("\"health\":\"true\"");
        }
    }

    @Test
    void missingBinarySaysHowToInstallIt() {
        assertThatThrownBy(() -> EtcdServer.builder().binary(Path.of("/nonexistent/etcd")).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("/nonexistent/etcd, which is not an executable file")
                .hasMessageContaining("sudo apt-get install -y etcd-server")
                .hasMessageContaining(EtcdServer.BINARY_ENV);
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void put(EtcdServer etcd, String key, String value) throws Exception {
        post(etcd, "/v3/kv/put", "{\"key\":\"" + b64(key) + "\",\"value\":\"" + b64(value) + "\"}");
    }

    private String range(EtcdServer etcd, String key) throws Exception {
        return post(etcd, "/v3/kv/range", "{\"key\":\"" + b64(key) + "\"}");
    }

    private String post(EtcdServer etcd, String path, String json) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(etcd.endpoint() + path))
                .timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
