package io.reside.alpha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.LocalCluster;
import io.reside.model.error.ResideException;
import io.reside.security.AccountKey;

/**
 * Alpha from its packaged application, with a real etcd and a real registry: replica images pushed, loaded through
 * load requests, approved, run as child processes, wired and granted; nothing written to etcd by hand.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LoadRequestsIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static LocalCluster cluster;
    static String providerImage;
    static String consumerImage;
    static AlphaApi.Replica provider;
    static AlphaApi.Replica consumer;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")));
        providerImage = cluster.push(Path.of(System.getProperty("reside.it.provider")), "1");
        consumerImage = cluster.push(Path.of(System.getProperty("reside.it.consumer")), "1");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aRequirementWithoutImplementorIsInvalidAndSaysWhatToLoadFirst() {
        AlphaApi.LoadRequest r = cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest(consumerImage, null,
                null, null));
        assertThat(r.status()).isEqualTo("validating");
        AlphaApi.LoadRequest validated = cluster.awaitValidated(r.id());
        assertThat(validated.status()).isEqualTo("invalid");
        assertThat(validated.error()).isEqualTo("requirement 'echo' needs an implementor of "
                + "localhost:5000/reside/contracts/echo.v1: load a replica implementing "
                + "localhost:5000/reside/contracts/echo.v1 first");
        // only a request that requires approval can be approved
        assertThatThrownBy(() -> cluster.alpha().approveLoadRequest(new AlphaApi.ApproveLoadRequest(r.id(), null)))
                .isInstanceOf(ResideException.NotAllowedInStateException.class)
                .hasMessageContaining("is invalid: only a request in requires-approval can be approved");
    }

    @Test
    @Order(2)
    void imagesThatCannotBeLoadedAreClear4xxReasons() {
        assertThatThrownBy(() -> cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest("provider", null,
                null, null))).isInstanceOf(ResideException.InvalidInputException.class)
                .hasMessageContaining("it names no registry");
        AlphaApi.LoadRequest missing = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                new AlphaApi.CreateLoadRequest("localhost:5000/reside/replicas/nope:1", null, null, null)).id());
        assertThat(missing.status()).isEqualTo("invalid");
        assertThat(missing.error()).contains("is not in registry").contains("push it first");
        AlphaApi.LoadRequest contract = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                new AlphaApi.CreateLoadRequest("localhost:5000/reside/contracts/echo.v1:latest", null, null, null))
                .id());
        assertThat(contract.error()).contains("is a contract image, not a replica");
        // names that would not make Kubernetes names are refused before anything is stored
        assertThatThrownBy(() -> cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest(providerImage,
                "9lives", null, null))).isInstanceOf(ResideException.InvalidInputException.class)
                .hasMessageContaining("name '9lives' must start with a letter");
        // Alpha's own image: exclusive, so an update of Alpha, which the local runtime does not run (Kubernetes
        // does: KubernetesRuntimeIT.alphaUpdatesItselfThroughALoadRequest)
        String alphaImage = cluster.push(Path.of(System.getProperty("reside.alpha.app")), "2");
        AlphaApi.LoadRequest self = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                new AlphaApi.CreateLoadRequest(alphaImage, null, null, null)).id());
        assertThat(self.status()).isEqualTo("invalid");
        assertThat(self.error()).startsWith("Alpha cannot update itself here: the local runtime does not run Alpha")
                .contains("rebuild Alpha");
    }

    @Test
    @Order(3)
    void aLoadedReplicaRunsAndAnotherOneCallsItOnceItsStaticGrantIsApplied() throws Exception {
        provider = cluster.load(providerImage);
        assertThat(provider.name()).isEqualTo("provider");
        assertThat(provider.currentVersion().status()).isEqualTo("running");
        assertThat(provider.currentVersion().digest()).startsWith("sha256:");
        consumer = loadExclusiveTwiceAtOnce();
        // the consumer's static grant echo:call on the provider, applied by the provider: the call goes through
        await().atMost(Duration.ofSeconds(30)).until(() -> drive("hello").path("ok").asBoolean());
        JsonNode answer = drive("hello");
        assertThat(answer.path("text").asText()).isEqualTo("hello");
        assertThat(answer.path("madeBy").asText()).isEqualTo(consumer.accountId());
        // the two requests were validated side by side, so one planned "consumer-1"; whichever won names the instance
        assertThat(consumer.name()).isIn("consumer", "consumer-1");
        assertThat(cluster.alpha().listReplicas()).extracting(AlphaApi.Replica::name)
                .containsExactly("alpha", consumer.name(), "provider");
    }

    @Test
    @Order(4)
    void aSecondInstanceGetsTheNextFreeName() {
        AlphaApi.LoadRequest r = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                new AlphaApi.CreateLoadRequest(providerImage, null, null, null)).id());
        assertThat(r.status()).isEqualTo("requires-approval");
        assertThat(r.plan().name()).isEqualTo("provider-1");
        AlphaApi.LoadRequest rejected = cluster.alpha().rejectLoadRequest(new AlphaApi.RejectLoadRequest(r.id(),
                "not needed"));
        assertThat(rejected.status()).isEqualTo("rejected");
        assertThat(rejected.rejectionReason()).isEqualTo("not needed");
        assertThatThrownBy(() -> cluster.alpha().rejectLoadRequest(new AlphaApi.RejectLoadRequest(r.id(), null)))
                .isInstanceOf(ResideException.NotAllowedInStateException.class);
        // the name is free again
        assertThat(cluster.awaitValidated(cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest(
                providerImage, null, null, null)).id()).plan().name()).isEqualTo("provider-1");
    }

    @Test
    @Order(4)
    void theNamesOfTheDeploymentsObjectsAreNotForReplicas() {
        // k8s/base has a Service etcd and Secrets etcd-peer-tls and reside-claim-code beside Alpha's objects
        for (String reserved : List.of("etcd", "etcd-peer-tls", "reside-claim-code")) {
            AlphaApi.LoadRequest r = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                    new AlphaApi.CreateLoadRequest(providerImage, reserved, null, null)).id());
            assertThat(r.plan().name()).isEqualTo(reserved + "-1");
            cluster.alpha().rejectLoadRequest(new AlphaApi.RejectLoadRequest(r.id(), null));
        }
        assertThatThrownBy(() -> cluster.alpha().getReplica("etcd"))
                .isInstanceOf(ResideException.NotFoundException.class);
    }

    @Test
    @Order(5)
    void withoutThePermissionAnAccountCanDoNothing() {
        AccountKey stranger = AccountKey.generate();
        assertThatThrownBy(() -> cluster.alphaAs(stranger).listReplicas())
                .isInstanceOf(ResideException.OutcomeUnknownException.class); // unknown account: answered unsigned
        assertThatThrownBy(() -> cluster.alphaAs(cluster.operator()).claimSuperAdminAccess(
                new AlphaApi.ClaimSuperAdminAccess("0".repeat(32))))
                .isInstanceOf(ResideException.PermissionDeniedException.class)
                .hasMessageContaining("wrong, or was used already");
    }

    /** A scalable replica's update: the new version starts beside the old, which serves until the new one does. */
    @Test
    @Order(6)
    void aScalableUpdateNeverInterruptsItsCallers() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<String> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        Thread caller = new Thread(() -> {
            while (running.get()) {
                JsonNode answer = drive("during the update");
                calls.incrementAndGet();
                if (!answer.path("ok").asBoolean()) {
                    failures.add(java.time.Instant.now() + " " + answer);
                }
            }
        });
        caller.start();
        try {
            AlphaApi.LoadRequest update = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                    new AlphaApi.CreateLoadRequest(providerImage, null, provider.id(), null)).id());
            assertThat(update.plan().update()).isTrue();
            AlphaApi.Approval approval = cluster.alpha().approveLoadRequest(new AlphaApi.ApproveLoadRequest(
                    update.id(), null));
            assertThat(approval.version().id()).isEqualTo(2);
            provider = cluster.awaitRunning(provider.id(), 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.alpha().listVersions(provider.id()).stream()
                    .filter(v -> v.id() == 1).allMatch(v -> v.status().equals("stopped")));
            // the update rotated the provider's etcd credentials: the new version's user, the old one's gone
            await().atMost(Duration.ofSeconds(30)).until(() -> etcdUsersOf(provider.id()).equals(List.of(
                    "reside-" + provider.id() + "-v2")));
        } finally {
            running.set(false);
            caller.join(30_000);
        }
        System.out.printf("scalable update: %d calls during it, %d failed%n", calls.get(), failures.size());
        assertThat(calls.get()).isGreaterThan(0);
        assertThat(failures).isEmpty();
    }

    /** A replica that is not scalable has its old version stopped before the new one starts. */
    @Test
    @Order(7)
    void aNonScalableUpdateStopsTheOldVersionFirst() {
        AlphaApi.LoadRequest update = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                new AlphaApi.CreateLoadRequest(consumerImage, null, null, null)).id());
        cluster.alpha().approveLoadRequest(new AlphaApi.ApproveLoadRequest(update.id(), null));
        List<String> seen = new java.util.ArrayList<>();
        consumer = LocalCluster.awaitCondition("consumer version 2 running", Duration.ofSeconds(90), () -> {
            List<AlphaApi.Version> versions = cluster.alpha().listVersions(consumer.id());
            long serving = versions.stream().filter(v -> v.status().startsWith("running")).count();
            seen.add(versions.stream().map(v -> v.id() + ":" + v.status()).toList().toString());
            assertThat(serving).as("versions running at once: " + seen).isLessThanOrEqualTo(1);
            return cluster.alpha().getReplica(consumer.id());
        }, r -> r.currentVersion().id() == 2 && r.currentVersion().status().equals("running")
                && r.endpoints().containsKey("local"));
        assertThat(seen).anyMatch(s -> s.contains("1:stopped") || s.contains("1:stopping"));
        await().atMost(Duration.ofSeconds(30)).until(() -> drive("after the update").path("ok").asBoolean());
    }

    /** A replica process that dies is started again; its callers reach it at its new port. */
    @Test
    @Order(8)
    void aCrashedReplicaIsRestartedAndFoundAgain() {
        String appDir = provider.currentVersion().digest().substring("sha256:".length());
        ProcessHandle child = ProcessHandle.of(cluster.alphaProcess().pid()).orElseThrow().descendants()
                .filter(p -> p.info().commandLine().map(c -> c.contains(appDir)).orElse(false)).findFirst()
                .orElseThrow();
        String before = provider.endpoints().get("local");
        child.destroyForcibly();
        provider = LocalCluster.awaitCondition("provider restarted", Duration.ofSeconds(60),
                () -> cluster.alpha().getReplica(provider.id()), r -> r.currentVersion().status().equals("running")
                        && r.endpoints().containsKey("local") && !r.endpoints().get("local").equals(before));
        await().atMost(Duration.ofSeconds(30)).until(() -> drive("after the crash").path("ok").asBoolean());
    }

    @Test
    @Order(9)
    void aDisabledReplicaStopsAndStartsAgainWhenEnabled() {
        cluster.alpha().setReplicaEnabled(new AlphaApi.SetReplicaEnabled(provider.id(), false));
        LocalCluster.awaitCondition("provider stopped", Duration.ofSeconds(30), () -> cluster.alpha().getReplica(
                provider.id()), r -> r.currentVersion().status().equals("stopped") && r.endpoints().isEmpty());
        assertThat(drive("while disabled").path("ok").asBoolean()).isFalse();
        cluster.alpha().setReplicaEnabled(new AlphaApi.SetReplicaEnabled(provider.id(), true));
        provider = cluster.awaitRunning(provider.id(), 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> drive("enabled again").path("ok").asBoolean());
    }

    @Test
    @Order(10)
    void aRollbackIsANewVersionFromAnEarlierImage() {
        AlphaApi.Version rolledBack = cluster.alpha().rollbackReplica(new AlphaApi.RollbackReplica(provider.id(), 1));
        assertThat(rolledBack.id()).isEqualTo(3);
        assertThat(rolledBack.image()).isEqualTo(cluster.alpha().listVersions(provider.id()).get(0).image());
        provider = cluster.awaitRunning(provider.id(), 3);
        assertThatThrownBy(() -> cluster.alpha().rollbackReplica(new AlphaApi.RollbackReplica(provider.id(), 3)))
                .isInstanceOf(ResideException.NotAllowedInStateException.class);
        await().atMost(Duration.ofSeconds(30)).until(() -> drive("after the rollback").path("ok").asBoolean());
    }

    /** Sixteen load requests of the same (not exclusive) replica at once: sixteen instances, distinct names. */
    @Test
    @Order(11)
    void sixteenConcurrentLoadsAllSucceedWithDistinctNames() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
        try {
            List<java.util.concurrent.Future<AlphaApi.Approval>> approvals = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) {
                approvals.add(pool.submit(() -> {
                    AlphaApi.LoadRequest r = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                            new AlphaApi.CreateLoadRequest(providerImage, "many", null, null)).id());
                    return cluster.alpha().approveLoadRequest(new AlphaApi.ApproveLoadRequest(r.id(), null));
                }));
            }
            java.util.Set<String> names = new java.util.TreeSet<>();
            for (java.util.concurrent.Future<AlphaApi.Approval> a : approvals) {
                AlphaApi.Approval approval = a.get(120, java.util.concurrent.TimeUnit.SECONDS);
                names.add(approval.loadRequest().plan().name());
                // not run: disabled at once, and unloaded
                cluster.alpha().setReplicaEnabled(new AlphaApi.SetReplicaEnabled(approval.version().replicaId(),
                        false));
            }
            assertThat(names).hasSize(16).contains("many", "many-1", "many-15");
            for (AlphaApi.Replica r : cluster.alpha().listReplicas()) {
                if (r.name().startsWith("many")) {
                    cluster.alpha().unloadReplica(new AlphaApi.UnloadReplica(r.id()));
                }
            }
            assertThat(cluster.alpha().listReplicas()).noneMatch(r -> r.name().startsWith("many"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(20)
    void anUnloadedProviderIsGoneAndItsCallerLosesTheCall() {
        cluster.alpha().unloadReplica(new AlphaApi.UnloadReplica(provider.id()));
        long unloaded = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> !drive("after unload").path("ok").asBoolean());
        System.out.printf("unload: the consumer lost the call %d ms after unloadReplica returned%n",
                (System.nanoTime() - unloaded) / 1_000_000);
        assertThat(cluster.alpha().listReplicas()).extracting(AlphaApi.Replica::name).doesNotContain("provider");
        assertThatThrownBy(() -> cluster.alpha().getReplica(provider.id()))
                .isInstanceOf(ResideException.NotFoundException.class);
        // its RCB and account at once; the grants it held for others (the consumer's echo:call) once it stopped
        var store = cluster.store();
        assertThat(store.find(io.reside.permissions.Rcb.TYPE, io.reside.permissions.Rcb.key(provider.id()))).isEmpty();
        assertThat(store.find(io.reside.security.AccountRegistry.ACCOUNT, io.reside.security.AccountRegistry.key(
                provider.accountId()))).isEmpty();
        // its etcd user and role, and its own data
        await().atMost(Duration.ofSeconds(30)).until(() -> etcdUsersOf(provider.id()).isEmpty()
                && !store.auth().roles().contains("reside-" + provider.id())
                && store.list(io.reside.etcd.DocType.of("any", JsonNode.class), "data/" + provider.id() + "/")
                        .isEmpty());
        await().atMost(Duration.ofSeconds(30)).until(() -> store.list(io.reside.permissions.Rcb.GRANT,
                io.reside.permissions.GrantKeys.expectedPrefix(provider.id())).isEmpty()
                && store.list(io.reside.permissions.CurrentGrant.TYPE, io.reside.permissions.GrantKeys.currentPrefix(
                        provider.id())).isEmpty()
                && store.list(io.reside.alpha.service.Records.PURGE, io.reside.alpha.service.Records.PURGES)
                        .isEmpty());
    }

    /** The etcd users Alpha made for an instance's versions. */
    static List<String> etcdUsersOf(String replicaId) {
        return cluster.store().auth().users().stream().filter(u -> u.startsWith("reside-" + replicaId + "-v"))
                .sorted().toList();
    }

    /**
     * Two load requests for the exclusive consumer, validated before either is approved, approved at the same
     * time: one instance, and a clear conflict for the other.
     */
    static AlphaApi.Replica loadExclusiveTwiceAtOnce() throws Exception {
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ids.add(cluster.awaitValidated(cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest(
                    consumerImage, null, null, null)).id()).id());
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<AlphaApi.Approval>> approvals = ids.stream().map(id -> pool.submit(
                    () -> cluster.alpha().approveLoadRequest(new AlphaApi.ApproveLoadRequest(id, null)))).toList();
            AlphaApi.Approval won = null;
            int conflicts = 0;
            for (java.util.concurrent.Future<AlphaApi.Approval> a : approvals) {
                try {
                    won = a.get(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(ResideException.ConflictException.class)
                            .hasMessageContaining("was loaded since this request was validated");
                    conflicts++;
                }
            }
            assertThat(conflicts).as("approvals refused").isEqualTo(1);
            assertThat(cluster.alpha().listReplicas().stream().filter(r -> r.name().startsWith("consumer")))
                    .hasSize(1);
            // a request made now is an update of the one instance
            AlphaApi.LoadRequest update = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                    new AlphaApi.CreateLoadRequest(consumerImage, null, null, null)).id());
            assertThat(update.plan().update()).isTrue();
            assertThat(update.plan().replicaId()).isEqualTo(won.version().replicaId());
            cluster.alpha().rejectLoadRequest(new AlphaApi.RejectLoadRequest(update.id(), null));
            return cluster.awaitRunning(won.version().replicaId(), 1);
        } finally {
            pool.shutdownNow();
        }
    }

    static JsonNode drive(String text) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(consumer.endpoints().get("local")
                    + "/drive/echo?text=" + URLEncoder.encode(text, StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
