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
    private static Path config;
    private static Map<String, String> env;

    @BeforeAll
    static void stateDir() throws IOException {
        state = Files.createTempDirectory("reside-dev-it-");
        config = Files.createTempDirectory("reside-dev-it-config-").resolve("config.yaml");
        // every reside command of this test: this state directory, and a configuration of its own
        env = new java.util.HashMap<>(Map.of(DevDir.ENV, state.toString(), "RESIDE_CONFIG", config.toString()));
        env.put("RESIDE_ACCESS_CONTEXT", null); // the context's own (local), whatever this machine has
    }

    @AfterAll
    static void cleanUp() throws IOException {
        for (ProcessHandle p : CliProcess.processesNaming(state)) {
            p.destroyForcibly(); // only if a failed test left something; the test itself asserts there is nothing
        }
        for (Path dir : List.of(state, config.getParent())) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static CliProcess.Result reside(String... args) {
        CliProcess.Result r = CliProcess.run(CLI, HOME, env, Duration.ofSeconds(180), args);
        System.out.println("$ reside " + String.join(" ", args) + "\n" + r);
        return r;
    }

    @Test
    void aNewcomerStartsStopsAndResumesTheWholeCluster() throws Exception {
        String firstProfile;
        // ------------------------------------------------------------ the first start, on an empty directory
        try (CliProcess dev = CliProcess.start(CLI, HOME, env, "dev", "--state-dir", state.toString())) {
            dev.awaitOutput("Stop: Ctrl-C", Duration.ofMinutes(4));
            assertThat(dev.out()).contains("ReSide dev cluster started in", "user-manager v1", "telegram v1",
                    "user-manager-secretary v1", "alpha-secretary v1", "Chat: open http://127.0.0.1:");
            assertThat(dev.err()).contains("starting a dev cluster in " + state, "ok  claim super-admin");
            String chat = running().get("chat").asText();
            long operator = running().get("operatorChatUser").asLong();

            gettingStarted(chat, operator);
            firstProfile = profile(chat, operator);
            assertThat(firstProfile).contains("Your profile", "Telegram: <code>" + operator + "</code> @operator",
                    "ReSide user: <code>u-", "replica:read:all", "user:permission:manage:all", "greet:any");

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
                    "telegram", "user-manager-secretary", "alpha-secretary", "greeter", "greeter-bot");
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
            // etcd, the registry, Alpha, its 4 replicas and the 2 of getting started
            assertThat(CliProcess.processesNaming(state)).hasSizeGreaterThanOrEqualTo(9);
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
        try (CliProcess dev = CliProcess.start(CLI, HOME, env, "dev")) {
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

    /**
     * docs/getting-started.md against this cluster: the CLI knows it (context dev), the example greeter and its bot
     * are built, pushed to the dev registry and loaded, and the operator talks to the bot: refused until everyone
     * may be greeted, then greeted.
     */
    private static void gettingStarted(String chat, long operator) throws IOException {
        assertThat(Files.readString(config)).contains("currentContext: dev", "accessContext: local");
        CliProcess.Result built = reside("build", HOME.resolve("platform/examples/greeter").toString(), HOME.resolve(
                "platform/examples/greeter-bot").toString(), "--push", "--registry", "dev");
        assertThat(built.exitCode()).as(built.toString()).isZero();
        assertThat(built.out()).contains("localhost:5000/reside/replicas/greeter:latest",
                "localhost:5000/reside/replicas/greeter-bot:latest");
        for (String replica : List.of("greeter", "greeter-bot")) {
            CliProcess.Result loaded = reside("replica", "load", "localhost:5000/reside/replicas/" + replica
                    + ":latest", "--yes");
            assertThat(loaded.exitCode()).as(loaded.toString()).isZero();
            assertThat(loaded.out()).contains(replica + " version 1 running");
        }
        assertThat(say(chat, operator, "/greet Ann")).contains("You need <b>greet:any</b> on greeter.v1");
        CliProcess.Result granted = reside("permission", "grant", "--default", "everyone", "greeter.v1",
                "greet:any");
        assertThat(granted.exitCode()).as(granted.toString()).isZero();
        // the grant reaches the greeter's RCB in a moment: ask again until greeted
        String greeted = LocalCluster.awaitCondition("greeted", Duration.ofSeconds(30), () -> say(chat, operator,
                "/greet Ann"), a -> a.startsWith("Hello, Ann"));
        assertThat(greeted).startsWith("Hello, Ann (from acc_");
    }

    private static JsonNode running() throws IOException {
        return JSON.readTree(state.resolve("running.json").toFile());
    }

    /** The person writes /profile in the simulator (its control API) and gets the secretary's answer. */
    private static String profile(String chat, long person) {
        return say(chat, person, "/profile");
    }

    /** The person writes {@code text} in the simulator (its control API); the bot's answer. */
    private static String say(String chat, long person, String text) {
        int before = botMessages(chat, person).size();
        try {
            HttpResponse<String> sent = HTTP.send(HttpRequest.newBuilder(URI.create(chat + "control/chats/" + person
                    + "/messages")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers
                            .ofString(JSON.createObjectNode().put("from", person).put("text", text).toString()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(sent.statusCode()).as(sent.body()).isEqualTo(200);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        List<JsonNode> answers = LocalCluster.awaitCondition("the answer to " + text, Duration.ofSeconds(20),
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
