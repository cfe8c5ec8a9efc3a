package io.reside.alpha;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.etcd.DocType;
import io.reside.harness.LocalCluster;

/**
 * Oneshot replicas with the local runtime: a version that ran and exited 0 is {@code completed} and is not started
 * again; one that exits with an error is restarted with backoff and says why.
 */
class OneshotIT {

    static final DocType<JsonNode> RUN = DocType.of("oneshot-run", JsonNode.class);
    static LocalCluster cluster;
    static String image;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")));
        image = cluster.push(Path.of(System.getProperty("reside.it.oneshot")), "1");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static AlphaApi.Approval approve(String name) {
        AlphaApi.LoadRequest r = cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest(image, name, null,
                null));
        assertThat(cluster.awaitValidated(r.id()).plan().replicaClass()).isEqualTo("oneshot");
        return cluster.alpha().approveLoadRequest(new AlphaApi.ApproveLoadRequest(r.id(), null));
    }

    static int runs(String replicaId) {
        return cluster.dataOf(replicaId).list(RUN, "oneshot/" + replicaId + "/runs/").size();
    }

    static String status(String replicaId) {
        return cluster.alpha().getReplica(replicaId).currentVersion().status();
    }

    @Test
    void aOneshotRunsOnceAndIsCompletedThenNotStartedAgain() throws Exception {
        String id = approve("once").version().replicaId();
        LocalCluster.awaitCondition("the oneshot completed", Duration.ofSeconds(60), () -> status(id),
                s -> s.equals("completed"));
        assertThat(runs(id)).isEqualTo(1);
        Thread.sleep(3000); // several reconciler passes (every 500 ms here): a completed oneshot stays completed
        assertThat(status(id)).isEqualTo("completed");
        assertThat(runs(id)).as("run once, not again").isEqualTo(1);
        assertThat(cluster.processRecords(id)).as("no process left").isEmpty();
    }

    @Test
    void aOneshotThatFailsIsRestartedWithBackoffAndSaysWhy() {
        cluster.secret("failing", Map.of("ONESHOT_EXIT_CODE", "3"));
        String id = approve("failing").version().replicaId();
        AlphaApi.Version v = LocalCluster.awaitCondition("the failure reported", Duration.ofSeconds(60),
                () -> cluster.alpha().getReplica(id).currentVersion(), x -> x.statusMessage() != null && x
                        .statusMessage().contains("exited with status 3"));
        assertThat(v.status()).isIn("degraded", "error");
        LocalCluster.awaitCondition("it ran again", Duration.ofSeconds(60), () -> runs(id), n -> n >= 2);
        cluster.alpha().unloadReplica(new AlphaApi.UnloadReplica(id));
    }
}
