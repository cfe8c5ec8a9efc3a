package io.reside.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.harness.CliProcess;
import io.reside.harness.LocalCluster;
import io.reside.security.AccountKey;

/**
 * Every {@code reside} cluster command, run as its own process against a cluster harness (real etcd, registry, Alpha
 * and User Manager; the provider test replica loaded and unloaded by the CLI itself), in table and JSON (or YAML)
 * form, with its exit codes, and its error paths: no permission, an account the cluster does not know, an unknown
 * replica, permission or param, an unreachable cluster, a key file others may read, a confirmation without a
 * terminal. The interactive confirmation of {@code replica load} runs once in a pseudo-terminal (tmux).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliIT {

    private static final Path HOME = Path.of(System.getProperty("reside.home", "../..")).toAbsolutePath()
            .normalize();
    private static final Path CLI = Path.of(System.getProperty("reside.cli.app", "target/quarkus-app"))
            .toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static LocalCluster cluster;
    private static Path dir;
    private static Path config;
    private static Path operatorKey;
    private static String providerImage;
    private static String aliceId;

    @BeforeAll
    static void start() throws IOException {
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")));
        AlphaApi.Replica um = cluster.load(cluster.push(Path.of(System.getProperty("reside.user-manager.app")),
                "1"));
        UserManagerApi users = cluster.client(UserManagerApi.class, um, cluster.operator());
        UserManagerApi.User me = users.register();
        // the super-admin's permissions on the User Manager reach the RCB through Alpha's syncGrants
        LocalCluster.awaitCondition("the operator's permissions", Duration.ofSeconds(30),
                users::getDefaultPermissions, sets -> sets != null);
        // a person to give permissions to: a managed user, which the operator may create once given the right
        users.grantPermission(new UserManagerApi.GrantPermission(me.id(), um.currentVersion().implementations().get(
                0), "user:create:realm",
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                        .put("realm", "telegram")));
        aliceId = LocalCluster.awaitCondition("alice created", Duration.ofSeconds(30), () -> users.createUser(
                new UserManagerApi.CreateUser("telegram", "alice")).id(), id -> true);
        providerImage = cluster.push(Path.of(System.getProperty("reside.it.provider")), "1");
        dir = Files.createTempDirectory("reside-cli-it-");
        operatorKey = dir.resolve("operator.pem");
        writeKey(operatorKey, cluster.operator());
        config = dir.resolve("config").resolve("config.yaml");
        Files.createDirectories(config.getParent());
        Files.writeString(config, """
                currentContext: test
                contexts:
                - {name: test, cluster: test, account: operator}
                - {name: down, cluster: down, account: operator}
                clusters:
                - {name: test, endpoint: '%s', alphaAccountId: %s, accessContext: local}
                - {name: down, endpoint: 'http://127.0.0.1:%d', alphaAccountId: %s}
                accounts:
                - {name: operator, accountId: %s, keyFile: '%s'}
                """.formatted(cluster.alphaProcess().baseUrl(), cluster.alphaAccountId(), closedPort(), cluster
                .alphaAccountId(), cluster.operator().accountId(), operatorKey));
    }

    @AfterAll
    static void stop() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static CliProcess.Result reside(String... args) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("RESIDE_CONFIG", config.toString()));
        env.put("RESIDE_ACCESS_CONTEXT", null); // the context's own, whatever this machine has
        CliProcess.Result r = CliProcess.run(CLI, HOME, env, Duration.ofSeconds(120), args);
        System.out.println("$ reside " + String.join(" ", args) + "\n" + r);
        return r;
    }

    private static JsonNode json(CliProcess.Result r) throws IOException {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return JSON.readTree(r.out());
    }

    // ------------------------------------------------------------------ replicas

    @Test
    @Order(1)
    void listsTheReplicasAsATableAndAsJson() throws IOException {
        CliProcess.Result table = reside("replica", "list");
        assertThat(table.exitCode()).as(table.toString()).isZero();
        assertThat(table.out()).containsPattern("(?m)^NAME +VERSION +STATUS +ENDPOINT +IMAGE")
                .containsPattern("(?m)^user-manager +1 +running +http://127\\.0\\.0\\.1:\\d+ +localhost:5000/");
        JsonNode list = json(reside("replica", "list", "-o", "json"));
        assertThat(list.findValuesAsText("name")).contains("alpha", "user-manager");
        assertThat(list.findValuesAsText("accountId")).contains(cluster.alphaAccountId());
    }

    @Test
    @Order(2)
    void loadsAReplicaWithoutAskingWhenToldYes() throws IOException {
        CliProcess.Result loaded = reside("replica", "load", providerImage, "--name", "provider", "--yes");
        assertThat(loaded.exitCode()).as(loaded.toString()).isZero();
        assertThat(loaded.out()).contains("Load request ", "replica      provider (a new instance)", "implements   "
                + "echo.v1", "provider version 1 running at http://127.0.0.1:");
        assertThat(loaded.err()).contains("ok  load request", "ok  provider v1");

        JsonNode shown = json(reside("replica", "show", "provider", "-o", "json"));
        assertThat(shown.at("/replica/name").asText()).isEqualTo("provider");
        assertThat(shown.at("/replica/currentVersion/status").asText()).isEqualTo("running");
        assertThat(shown.get("versions")).hasSize(1);
        CliProcess.Result table = reside("replica", "show", "provider");
        assertThat(table.out()).contains("name:       provider", "version:    1 (running)").containsPattern(
                "(?m)^VERSION +STATUS +IMAGE");
    }

    @Test
    @Order(3)
    void disablesEnablesAndRollsBack() throws IOException {
        JsonNode disabled = json(reside("replica", "disable", "provider", "-o", "json"));
        assertThat(disabled.get("enabled").asBoolean()).isFalse();
        LocalCluster.awaitCondition("provider shown disabled", Duration.ofSeconds(30), () -> reside("replica", "list")
                .out(), out -> out.matches("(?s).*\nprovider +1 +disabled .*"));
        CliProcess.Result enabled = reside("replica", "enable", "provider");
        assertThat(enabled.out()).contains("provider enabled: Alpha starts its version 1");

        CliProcess.Result updated = reside("replica", "load", providerImage, "--update", "provider", "--yes");
        assertThat(updated.exitCode()).as(updated.toString()).isZero();
        assertThat(updated.out()).contains("replica      provider (update of ", "provider version 2 running");
        CliProcess.Result rolled = reside("replica", "rollback", "provider", "1");
        assertThat(rolled.exitCode()).as(rolled.toString()).isZero();
        assertThat(rolled.out()).contains("provider version 3 (the image of version 1) running");
        CliProcess.Result current = reside("replica", "rollback", "provider", "3");
        assertThat(current.exitCode()).isEqualTo(1);
        assertThat(current.err()).contains("not-allowed-in-state: version 3 is the current version of provider");
    }

    @Test
    @Order(4)
    void refusesWhatCannotBeDone() {
        CliProcess.Result unknown = reside("replica", "show", "nobody");
        assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(4);
        assertThat(unknown.err()).startsWith("reside: not-found: ").contains("nobody").doesNotContain("Exception",
                "\tat ");

        CliProcess.Result noTerminal = reside("replica", "unload", "provider");
        assertThat(noTerminal.exitCode()).as(noTerminal.toString()).isEqualTo(2);
        assertThat(noTerminal.err()).contains("asks for confirmation", "add --yes");

        CliProcess.Result badImage = reside("replica", "load", "localhost:5000/reside/replicas/none:1", "--yes");
        assertThat(badImage.exitCode()).as(badImage.toString()).isEqualTo(1);
        assertThat(badImage.err()).contains("is invalid: ");

        CliProcess.Result badFormat = reside("replica", "list", "-o", "xml");
        assertThat(badFormat.exitCode()).isEqualTo(2);
        assertThat(badFormat.err()).contains("-o is table, json or yaml, not 'xml'");

        CliProcess.Result usage = reside("replica", "rollback", "provider");
        assertThat(usage.exitCode()).isEqualTo(2);
        assertThat(usage.err()).contains("Missing required parameter");
    }

    // ------------------------------------------------------------------ permissions

    @Test
    @Order(5)
    void grantsListsAndRevokesAUsersPermission() throws IOException {
        CliProcess.Result granted = reside("permission", "grant", "--user", aliceId, "user-manager.v1", "realm:read",
                "-p", "name=telegram");
        assertThat(granted.exitCode()).as(granted.toString()).isZero();
        assertThat(granted.out()).contains("granted to " + aliceId + " (alice): realm:read {\"name\":\"telegram\"} "
                + "of user-manager.v1");
        assertThat(reside("permission", "grant", "--user", aliceId, "user-manager.v1", "realm:read", "-p",
                "name=telegram").out()).contains("already granted");

        JsonNode grants = json(reside("permission", "list", "--user", aliceId, "-o", "json"));
        assertThat(grants).anySatisfy(g -> {
            assertThat(g.get("permission").asText()).isEqualTo("realm:read");
            assertThat(g.at("/params/name").asText()).isEqualTo("telegram");
            assertThat(g.get("via").asText()).isEqualTo("own");
        });
        CliProcess.Result table = reside("permission", "list", "--user", aliceId);
        assertThat(table.out()).containsPattern("(?m)^user-manager\\.v1 +realm:read +\\{\"name\":\"telegram\"\\} "
                + "+own");

        CliProcess.Result revoked = reside("permission", "revoke", "--user", aliceId, "user-manager.v1",
                "realm:read", "-p", "name=telegram");
        assertThat(revoked.exitCode()).as(revoked.toString()).isZero();
        CliProcess.Result again = reside("permission", "revoke", "--user", aliceId, "user-manager.v1", "realm:read",
                "-p", "name=telegram");
        assertThat(again.exitCode()).isEqualTo(4);
        assertThat(again.err()).contains("was not given realm:read");
    }

    @Test
    @Order(6)
    void changesTheDefaultSetsAndListsEverything() throws IOException {
        assertThat(reside("permission", "grant", "--default", "everyone", "alpha.v1", "replica:read:all")
                .exitCode()).isZero();
        JsonNode sets = json(reside("permission", "list", "--default", "-o", "json"));
        assertThat(sets.findValuesAsText("name")).contains("everyone");
        assertThat(sets.findValuesAsText("permission")).contains("replica:read:all");
        assertThat(reside("permission", "revoke", "--default", "everyone", "alpha.v1", "replica:read:all")
                .exitCode()).isZero();
        assertThat(reside("permission", "list", "--default").out()).contains("No default permission sets");

        CliProcess.Result mine = reside("permission", "list");
        assertThat(mine.out()).containsPattern("(?m)^alpha\\.v1 +replica:manage:all +- +super-admin");
        JsonNode available = YAML.readTree(reside("permission", "list", "--available", "-o", "yaml").out());
        assertThat(available.findValuesAsText("permission")).contains("rcb:manage:all", "user:impersonate:realm");
    }

    @Test
    @Order(7)
    void explainsBadPermissionsAndParams() {
        CliProcess.Result noParam = reside("permission", "grant", "--user", aliceId, "user-manager.v1", "realm:read",
                "-p", "nam=telegram");
        assertThat(noParam.exitCode()).isEqualTo(2);
        assertThat(noParam.err()).contains("realm:read has no param 'nam' (it takes: name)");
        CliProcess.Result noPermission = reside("permission", "grant", "--user", aliceId, "user-manager.v1",
                "realm:fly");
        assertThat(noPermission.exitCode()).isEqualTo(4);
        assertThat(noPermission.err()).contains("user-manager.v1 has no permission 'realm:fly'");
        CliProcess.Result noContract = reside("permission", "grant", "--user", aliceId, "nothing.v1", "x");
        assertThat(noContract.exitCode()).isEqualTo(4);
        assertThat(noContract.err()).contains("the cluster knows no contract 'nothing.v1'", "alpha.v1");
        CliProcess.Result both = reside("permission", "grant", "--user", aliceId, "--default", "x", "alpha.v1",
                "replica:read:all");
        assertThat(both.exitCode()).isEqualTo(2);
    }

    // ------------------------------------------------------------------ accounts, clusters, access

    @Test
    @Order(8)
    void createsAndListsAccounts() throws IOException {
        JsonNode created = json(reside("account", "create", "bob", "-o", "json"));
        Path key = Path.of(created.get("keyFile").asText());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key.getParent()))).isEqualTo(
                "rwx------");
        assertThat(AccountKey.fromPem(Files.readString(key)).accountId()).isEqualTo(created.get("accountId")
                .asText());
        CliProcess.Result twice = reside("account", "create", "bob");
        assertThat(twice.exitCode()).isEqualTo(1);
        assertThat(twice.err()).contains("there is an account 'bob' already");
        assertThat(reside("account", "create", "Bob!").exitCode()).isEqualTo(2);

        // registered in the cluster: refused (and nothing kept) until the operator may create users in default
        CliProcess.Result refused = reside("account", "create", "carol", "--register");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(3);
        assertThat(refused.err()).contains("user:create:realm{default}");
        assertThat(Files.readString(config)).doesNotContain("carol");
        assertThat(config.resolveSibling("keys").resolve("carol.pem")).doesNotExist();
        assertThat(reside("permission", "grant", "--user", "me", "user-manager.v1", "user:create:realm", "-p",
                "realm=default").exitCode()).isZero();
        JsonNode carol = JSON.readTree(LocalCluster.awaitCondition("carol registered", Duration.ofSeconds(30),
                () -> reside("account", "create", "carol", "--register", "-o", "json"), r -> r.exitCode() == 0)
                .out());
        assertThat(carol.get("userId").asText()).startsWith("u-");
        assertThat(carol.get("context").asText()).isEqualTo("carol@test");
        CliProcess.Result asCarol = reside("permission", "list", "--context", "carol@test");
        assertThat(asCarol.exitCode()).as(asCarol.toString()).isZero();
        assertThat(asCarol.out()).contains("No permissions for you (" + carol.get("userId").asText() + ")");
        CliProcess.Result carolDenied = reside("replica", "list", "--context", "carol@test");
        assertThat(carolDenied.exitCode()).isEqualTo(3);
        // carol may not read the contracts: a short name cannot be looked up, a full identity goes to the User
        // Manager, which refuses her
        CliProcess.Result shortName = reside("permission", "grant", "--context", "carol@test", "--user", "me",
                "alpha.v1", "replica:read:all");
        assertThat(shortName.exitCode()).as(shortName.toString()).isEqualTo(3);
        assertThat(shortName.err()).contains("give the contract's full identity");
        CliProcess.Result fullName = reside("permission", "grant", "--context", "carol@test", "--user", "me",
                "localhost:5000/reside/contracts/alpha.v1", "replica:read:all");
        assertThat(fullName.exitCode()).as(fullName.toString()).isEqualTo(3);
        assertThat(fullName.err()).contains("user:permission:manage:all");

        // someone else's key: registered, no key file here
        String dave = AccountKey.generate().publicKey().toBase64url();
        assertThat(reside("account", "create", "dave", "--public-key", dave).exitCode()).isEqualTo(2);
        JsonNode added = json(reside("account", "create", "dave", "--public-key", dave, "--register", "-o", "json"));
        assertThat(added.get("keyFile").isNull()).isTrue();
        assertThat(added.get("userId").asText()).startsWith("u-");
        assertThat(reside("permission", "list", "--user", "dave").exitCode()).isZero();

        CliProcess.Result table = reside("account", "list");
        assertThat(table.out()).containsPattern("(?m)^operator +" + cluster.operator().accountId() + " +.+ +test,down$")
                .containsPattern("(?m)^bob +acc_[a-z2-7]{32} +.+bob\\.pem +-$")
                .containsPattern("(?m)^carol +acc_[a-z2-7]{32} +.+carol\\.pem +carol@test$")
                .containsPattern("(?m)^dave +acc_[a-z2-7]{32} +- +-$");
    }

    @Test
    @Order(9)
    void showsTheClusterAndSwitchesContexts() throws IOException {
        CliProcess.Result info = reside("cluster", "info");
        assertThat(info.out()).contains("context:   test", "Alpha at " + cluster.alphaProcess().baseUrl(),
                "account:   operator", "endpoints: local", "3 of 3 running").containsPattern(
                        "on Alpha: +.*replica:manage:all");
        JsonNode doc = json(reside("cluster", "info", "-o", "json"));
        assertThat(doc.get("alphaGrants").findValuesAsText("state").stream().filter("current"::equals)).hasSize(7);

        CliProcess.Result down = reside("cluster", "info", "--context", "down");
        assertThat(down.exitCode()).as(down.toString()).isEqualTo(5);
        assertThat(down.err()).contains("cannot reach Alpha at http://127.0.0.1:", "nothing answers there");
        CliProcess.Result missing = reside("cluster", "info", "--context", "nowhere");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("no context 'nowhere'", "test, down");

        assertThat(reside("cluster", "use").out()).containsPattern("(?m)^\\* +test +test +operator");
        assertThat(reside("cluster", "use", "down").exitCode()).isZero();
        assertThat(Files.readString(config)).contains("currentContext: down");
        assertThat(reside("cluster", "use", "test").exitCode()).isZero();

        CliProcess.Result claim = reside("cluster", "claim-super-admin-access", "--code", "not-the-code");
        assertThat(claim.exitCode()).as(claim.toString()).isEqualTo(3);
    }

    @Test
    @Order(10)
    void refusesWithoutPermissionAndForUnknownAccounts() throws IOException {
        // the provider replica's own account: known to the cluster, with no permission on Alpha
        AlphaApi.Replica provider = cluster.alpha().getReplica("provider");
        Path providerKey = dir.resolve("provider.pem");
        writeKey(providerKey, cluster.keyOf(provider));
        Path stranger = dir.resolve("stranger.pem");
        writeKey(stranger, AccountKey.generate());
        String more = """
                - {name: as-provider, cluster: test, account: provider}
                - {name: as-stranger, cluster: test, account: stranger}
                """;
        String text = Files.readString(config).replace("contexts:\n", "contexts:\n" + more).replace("accounts:\n",
                "accounts:\n- {name: provider, accountId: " + provider.accountId() + ", keyFile: '" + providerKey
                        + "'}\n- {name: stranger, accountId: " + AccountKey.fromPem(Files.readString(stranger))
                                .accountId()
                        + ", keyFile: '" + stranger + "'}\n");
        Files.writeString(config, text);

        CliProcess.Result denied = reside("replica", "list", "--context", "as-provider");
        assertThat(denied.exitCode()).as(denied.toString()).isEqualTo(3);
        assertThat(denied.err()).startsWith("reside: permission-denied: ").contains("replica:read:all",
                "reside permission grant");
        CliProcess.Result unknown = reside("cluster", "info", "--context", "as-stranger");
        assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(3);
        assertThat(unknown.err()).contains("unauthenticated", "is it registered there?");
    }

    @Test
    @Order(11)
    void refusesAKeyFileOthersMayRead() throws IOException {
        Files.setPosixFilePermissions(operatorKey, PosixFilePermissions.fromString("rw-r--r--"));
        try {
            CliProcess.Result r = reside("replica", "list");
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.err()).contains("the key file " + operatorKey + " is open to others (mode rw-r--r--)",
                    "chmod 600 " + operatorKey);
            assertThat(r.err() + r.out()).doesNotContain("PRIVATE KEY");
        } finally {
            Files.setPosixFilePermissions(operatorKey, PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    @Order(12)
    void printsShellCompletion() {
        CliProcess.Result bash = reside("completion", "bash");
        assertThat(bash.exitCode()).isZero();
        assertThat(bash.out()).contains("complete -F _complete_reside", "replica", "permission");
        assertThat(reside("completion", "zsh").out()).startsWith("autoload -U +X compinit");
        assertThat(reside("completion", "fish").exitCode()).isEqualTo(2);
    }

    @Test
    @Order(13)
    void buildsContractImagesIntoARegistryOrAnArchive() throws Exception {
        Path module = HOME.resolve("platform/examples/greeter-v1");
        JsonNode pushed = json(reside("build", module.toString(), "--push", "--registry", cluster.registry()
                .address(), "--tag", "cli-it", "-o", "json"));
        assertThat(pushed).hasSize(1);
        assertThat(pushed.get(0).get("kind").asText()).isEqualTo("contract");
        assertThat(pushed.get(0).get("image").asText()).isEqualTo("localhost:5000/reside/contracts/greeter.v1:cli-it");
        assertThat(pushed.get(0).get("digest").asText()).startsWith("sha256:");
        java.net.http.HttpResponse<String> tags = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(cluster.registry().url()
                        + "/v2/reside/contracts/greeter.v1/tags/list")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(tags.body()).contains("\"cli-it\"");

        JsonNode written = json(reside("build", module.toString(), "--tag", "cli-it", "-o", "json"));
        Path archive = Path.of(written.get(0).get("archive").asText());
        assertThat(archive).isRegularFile().hasParent(module.resolve("target"));
        Files.delete(archive);

        CliProcess.Result notAModule = reside("build", dir.toString());
        assertThat(notAModule.exitCode()).isEqualTo(2);
        assertThat(notAModule.err()).contains("holds neither a packaged replica", "nor a contract");
        CliProcess.Result registryAlone = reside("build", module.toString(), "--registry", "x:1");
        assertThat(registryAlone.exitCode()).isEqualTo(2);
        assertThat(registryAlone.err()).contains("--registry is where --push sends images: add --push");
    }

    // ------------------------------------------------------------------ at a terminal

    @Test
    @Order(14)
    void asksBeforeLoadingAtATerminal() throws Exception {
        Path script = dir.resolve("load.sh");
        Files.writeString(script, String.join(" ", List.of("RESIDE_CONFIG=" + config,
                io.reside.testing.JvmProcesses.javaBinary(), String.join(" ", CliProcess.JVM_OPTIONS), "-jar", CLI
                        .resolve("quarkus-run.jar").toString(),
                "replica", "load", providerImage, "--name",
                "provider-two")) + "; echo EXIT=$?\n");
        String session = "reside-cli-it-" + ProcessHandle.current().pid();
        tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50", "bash --norc -c 'bash " + script
                + " ; sleep 120'");
        try {
            try {
                LocalCluster.awaitCondition("the question", Duration.ofSeconds(60), () -> pane(session),
                        p -> p.contains("Approve this load? [y/N]"));
            } catch (IllegalStateException e) {
                throw new AssertionError("no question; the terminal shows:\n" + pane(session), e);
            }
            assertThat(pane(session)).contains("replica      provider-two (a new instance)");
            tmux("send-keys", "-t", session, "y", "Enter");
            String done = LocalCluster.awaitCondition("the load to end", Duration.ofSeconds(90), () -> pane(
                    session), p -> p.contains("EXIT="));
            assertThat(done).contains("provider-two version 1 running", "EXIT=0");
        } finally {
            new ProcessBuilder("tmux", "kill-session", "-t", session).start().waitFor();
        }
        assertThat(cluster.alpha().getReplica("provider-two").currentVersion().status()).isEqualTo("running");
    }

    @Test
    @Order(15)
    void unloadsWhenToldYes() {
        CliProcess.Result gone = reside("replica", "unload", "provider-two", "--yes");
        assertThat(gone.exitCode()).as(gone.toString()).isZero();
        assertThat(gone.out()).contains("provider-two unloaded");
        LocalCluster.awaitCondition("provider-two gone", Duration.ofSeconds(30), () -> reside("replica", "show",
                "provider-two").exitCode(), code -> code == 4);
    }

    // ------------------------------------------------------------------ helpers

    private static String pane(String session) {
        try {
            Process p = new ProcessBuilder("tmux", "capture-pane", "-p", "-J", "-t", session).redirectErrorStream(
                    true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void tmux(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tmux"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("tmux " + String.join(" ", args) + ": " + out).isZero();
    }

    private static void writeKey(Path file, AccountKey key) throws IOException {
        Files.writeString(file, key.toPem());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    // ------------------------------------------------------------------ audit

    @Test
    @Order(16)
    void showsTheAuditTrailsOfAlphaAndTheUserManagerPageByPage() throws IOException {
        CliProcess.Result table = reside("audit");
        assertThat(table.exitCode()).as(table.toString()).isZero();
        assertThat(table.out()).contains("AT", "METHOD", "BY", "ON", "OUTCOME", "alpha.v1.approveLoadRequest",
                "alpha.v1.unloadReplica", cluster.operator().accountId());

        JsonNode first = json(reside("audit", "--limit", "2", "-o", "json"));
        assertThat(first.path("entries")).hasSize(2);
        String next = first.path("next").asText();
        assertThat(next).isNotEmpty();
        JsonNode second = json(reside("audit", "--limit", "2", "--before", next, "-o", "json"));
        assertThat(second.path("entries").get(0).path("id").asText()).isLessThan(first.path("entries").get(1)
                .path("id").asText());

        CliProcess.Result users = reside("audit", "user-manager");
        assertThat(users.exitCode()).as(users.toString()).isZero();
        assertThat(users.out()).contains("user-manager.v1.createUser", "realm=telegram");

        assertThat(reside("audit", "nobody").exitCode()).isEqualTo(4);
        assertThat(reside("audit", "--limit", "0").exitCode()).isEqualTo(2);
        CliProcess.Result denied = reside("audit", "--context", "carol@test");
        assertThat(denied.exitCode()).as(denied.toString()).isEqualTo(3);
    }
}
