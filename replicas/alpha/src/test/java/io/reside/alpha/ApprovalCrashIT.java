package io.reside.alpha;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.LocalCluster;
import io.reside.security.AccountRegistry;

/**
 * Alpha halted (as by SIGKILL) in the middle of an approval, then started again: either no instance and no key left
 * behind, or a complete instance that runs; the replicas it ran meanwhile are adopted, not started twice.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApprovalCrashIT {

    static LocalCluster cluster;
    static Path crashPoints;
    static String providerImage;

    @BeforeAll
    static void start() throws Exception {
        crashPoints = Files.createTempDirectory("reside-crash-points");
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")), Map.of(
                "ALPHA_TESTING_CRASH_POINTS", crashPoints.toString(), "ALPHA_ORPHAN_KEY_GRACE", "2s"));
        providerImage = cluster.push(Path.of(System.getProperty("reside.it.provider")), "1");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static AlphaApi.LoadRequest validated() {
        return cluster.awaitValidated(cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest(providerImage,
                null, null, null)).id());
    }

    /** Approves, expecting Alpha to die on the way; then starts it again. */
    private static void approveAndCrash(AlphaApi.LoadRequest request, String point) throws Exception {
        Files.createFile(crashPoints.resolve(point));
        try {
            cluster.alpha().approveLoadRequest(new AlphaApi.ApproveLoadRequest(request.id(), null));
            throw new AssertionError("Alpha answered although it should have crashed at " + point);
        } catch (RuntimeException e) {
            // the connection broke: Alpha is gone
        }
        LocalCluster.awaitCondition("Alpha gone", Duration.ofSeconds(10), () -> cluster.alphaProcess().isAlive(),
                alive -> !alive);
        cluster.alphaProcess().restart();
        cluster.alphaProcess().awaitReady(Duration.ofSeconds(90));
    }

    private static List<Path> keyFiles() {
        try (var files = Files.list(cluster.alphaState().resolve("keys"))) {
            return files.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    @Order(1)
    void aCrashBeforeTheCommitLeavesNoInstanceAndItsKeyIsRemoved() throws Exception {
        AlphaApi.LoadRequest request = validated();
        approveAndCrash(request, "approve-after-key");
        // nothing committed: the request can still be approved, no instance exists
        assertThat(cluster.alpha().getLoadRequest(request.id()).status()).isEqualTo("requires-approval");
        assertThat(cluster.alpha().listReplicas()).extracting(AlphaApi.Replica::name).containsExactly("alpha");
        // the key saved for the account that never came to be is deleted after the grace period
        LocalCluster.awaitCondition("the orphan key deleted", Duration.ofSeconds(30), ApprovalCrashIT::keyFiles,
                List::isEmpty);
        // and approving again works
        AlphaApi.Approval approval = cluster.alpha().approveLoadRequest(new AlphaApi.ApproveLoadRequest(request.id(),
                null));
        cluster.awaitRunning(approval.version().replicaId(), 1);
    }

    @Test
    @Order(2)
    void aCrashAfterTheCommitLeavesACompleteInstanceThatRunsOnceAndAdoptsTheOthers() throws Exception {
        AlphaApi.Replica first = cluster.alpha().listReplicas().stream().filter(r -> r.name().equals("provider"))
                .findFirst().orElseThrow();
        AlphaApi.LoadRequest request = validated();
        approveAndCrash(request, "approve-after-commit");
        AlphaApi.LoadRequest approved = cluster.alpha().getLoadRequest(request.id());
        assertThat(approved.status()).isEqualTo("approved");
        String replicaId = approved.plan().replicaId();
        AlphaApi.Replica second = cluster.awaitRunning(replicaId, 1);
        // complete: its account is registered, its key is where its workload read it
        assertThat(cluster.store().find(AccountRegistry.ACCOUNT, AccountRegistry.key(second.accountId())))
                .isPresent();
        assertThat(cluster.alphaState().resolve("keys/" + second.accountId() + ".pem")).exists();
        // the replica that ran through the crash was adopted: one process for each instance, no duplicates
        String digest = first.currentVersion().digest().substring("sha256:".length());
        long processes = ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains(digest)).orElse(false)).count();
        assertThat(processes).isEqualTo(2); // the first and the second instance, same image
        assertThat(cluster.alpha().getReplica(first.id()).currentVersion().status()).isEqualTo("running");
    }
}
