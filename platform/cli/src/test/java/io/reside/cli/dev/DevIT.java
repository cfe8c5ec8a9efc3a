package io.reside.cli.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.harness.CliProcess;
import io.reside.harness.LocalCluster;

/**
 * {@code reside dev} as a newcomer runs it (issue 14): on an empty state directory it starts the whole cluster and
 * prints its summary; the operator's simulated person says /profile and the secretary answers; a second
 * {@code reside dev} on the same directory is refused; {@code dev status} and {@code dev logs} answer; Ctrl-C (SIGINT)
 * stops everything with no process left behind; run again, it resumes the same cluster (the same ReSide user with the
 * same permissions), and {@code dev status} of a stopped cluster says how to resume it.
 */
class DevIT {

    private static final Path HOME = Path.of(System.getProperty("reside.home", "../..")).toAbsolutePath()
            .normalize();
    private static final Path CLI = Path.of(System.getProperty("reside.cli.app", "target/quarkus-app"))
            .toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Path state;

    @BeforeAll
    static void stateDir() throws IOException {
        state = Files.createTempDirectory("reside-dev-it-");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        for (ProcessHandle p : CliProcess.processesNaming(state)) {
            p.destroyForcibly(); // only if a failed test left something; the test itself asserts there is nothing
        }
        try (Stream<Path> files = Files.walk(state)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static CliProcess.Result reside(String... args) {
        String[] all = Stream.concat(Stream.of(args[0], "--state-dir", state.toString()), Stream.of(args).skip(1))
                .toArray(String[]::new);
        return CliProcess.run(CLI, HOME, Map.of(), Duration.ofSeconds(60), all);
    }

    @Test
    void aNewcomerStartsStopsAndResumesTheWholeCluster() throws Exception {
        String firstProfile;
        // ------------------------------------------------------------ the first start, on an empty directory
        try (CliProcess dev = CliProcess.start(CLI, HOME, Map.of(), "dev", "--state-dir", state.toString())) {
            dev.awaitOutput("Stop: Ctrl-C", Duration.ofMinutes(4));
            assertThat(dev.out()).contains("ReSide dev cluster started in", "user-manager v1", "telegram v1",
                    "user-manager-secretary v1", "alpha-secretary v1", "Chat: open http://127.0.0.1:");
            assertThat(dev.err()).contains("starting a dev cluster in " + state, "ok  claim super-admin");
            String chat = running().get("chat").asText();
            long operator = running().get("operatorChatUser").asLong();

            firstProfile = profile(chat, operator);
            assertThat(firstProfile).contains("Your profile", "Telegram: <code>" + operator + "</code> @operator",
                    "ReSide user: <code>u-", "replica:read:all", "user:permission:manage:all");

            // a second reside dev on the same directory is refused, saying so, before anything else
            CliProcess.Result second = reside("dev");
            assertThat(second.exitCode()).as(second.toString()).isEqualTo(6);
            assertThat(second.err()).contains("a reside dev already runs from " + state, "pid " + dev.pid())
                    .doesNotContain("resuming", "starting");

            CliProcess.Result status = reside("dev", "status");
            assertThat(status.exitCode()).as(status.toString()).isZero();
            for (String replica : List.of("user-manager", "telegram", "user-manager-secretary", "alpha-secretary")) {
                assertThat(status.out()).containsPattern("(?m)^" + replica + " +1 +running +http://127\\.0\\.0\\.1:");
            }
            CliProcess.Result statusJson = reside("dev", "status", "-o", "json");
            assertThat(statusJson.exitCode()).as(statusJson.toString()).isZero();
            JsonNode doc = JSON.readTree(statusJson.out());
            assertThat(doc.get("replicas").findValuesAsText("name")).containsExactlyInAnyOrder("alpha", "user-manager",
                    "telegram", "user-manager-secretary", "alpha-secretary");
            assertThat(doc.get("replicas").findValuesAsText("status")).containsOnly("running");
            assertThat(doc.at("/running/alpha").asText()).startsWith("http://127.0.0.1:");

            CliProcess.Result logs = reside("dev", "logs", "user-manager", "-n", "3");
            assertThat(logs.exitCode()).as(logs.toString()).isZero();
            assertThat(logs.out().lines()).hasSize(3);
            CliProcess.Result noLogs = reside("dev", "logs", "nobody");
            assertThat(noLogs.exitCode()).as(noLogs.toString()).isEqualTo(4);
            assertThat(noLogs.err()).contains("no log of a replica named 'nobody'", "alpha-secretary",
                    "user-manager");

            // ------------------------------------------------------------ Ctrl-C
            List<Long> pids = List.of(running().get("etcdPid").asLong(), running().get("registryPid").asLong(),
                    running().get("alphaPid").asLong());
            assertThat(CliProcess.processesNaming(state)).hasSizeGreaterThanOrEqualTo(7); // etcd, registry, alpha, 4
            dev.interrupt();
            assertThat(dev.awaitExit(Duration.ofSeconds(120))).as(dev.err()).isZero();
            assertThat(dev.err()).contains("stopping: Alpha and its replicas", "stopped; the cluster is kept in "
                    + state);
            assertThat(CliProcess.processesNaming(state)).as("processes left behind").isEmpty();
            assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive))
                    .as("pid " + pid).isEmpty());
        }
        CliProcess.Result stopped = reside("dev", "status");
        assertThat(stopped.exitCode()).as(stopped.toString()).isEqualTo(5);
        assertThat(stopped.err()).contains("no reside dev runs from " + state, "./reside dev resumes it");

        // ------------------------------------------------------------ resumed: the same cluster
        try (CliProcess dev = CliProcess.start(CLI, HOME, Map.of(), "dev", "--state-dir", state.toString())) {
            dev.awaitOutput("Stop: Ctrl-C", Duration.ofMinutes(3));
            assertThat(dev.err()).contains("resuming the dev cluster in " + state, "(unchanged)")
                    .doesNotContain("claim super-admin", "given the operator's");
            assertThat(dev.out()).contains("ReSide dev cluster resumed in");
            String again = profile(running().get("chat").asText(), running().get("operatorChatUser").asLong());
            assertThat(again).as("the same person, ReSide user and permissions").isEqualTo(firstProfile);
            dev.interrupt();
            assertThat(dev.awaitExit(Duration.ofSeconds(120))).as(dev.err()).isZero();
            assertThat(CliProcess.processesNaming(state)).as("processes left behind").isEmpty();
        }
    }

    private static JsonNode running() throws IOException {
        return JSON.readTree(state.resolve("running.json").toFile());
    }

    /** The person writes /profile in the simulator (its control API) and gets the secretary's answer. */
    private static String profile(String chat, long person) throws Exception {
        int before = botMessages(chat, person).size();
        HttpResponse<String> sent = HTTP.send(HttpRequest.newBuilder(URI.create(chat + "control/chats/" + person
                + "/messages")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"from\":" + person + ",\"text\":\"/profile\"}"))
                .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(sent.statusCode()).as(sent.body()).isEqualTo(200);
        List<JsonNode> answers = LocalCluster.awaitCondition("the answer to /profile", Duration.ofSeconds(20),
                () -> botMessages(chat, person), m -> m.size() > before);
        return answers.get(answers.size() - 1).at("/message/text").asText();
    }

    private static List<JsonNode> botMessages(String chat, long person) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(chat + "control/chats/" + person
                    + "/messages")).build(), HttpResponse.BodyHandlers.ofString());
            List<JsonNode> out = new java.util.ArrayList<>();
            JSON.readTree(r.body()).get("messages").forEach(m -> {
                if (m.get("from_bot").asBoolean()) {
                    out.add(m);
                }
            });
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
