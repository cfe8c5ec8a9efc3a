package io.reside.alpha;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.LocalCluster;
import io.reside.testing.ReplicaProcess;

/**
 * Two Alphas of one cluster, as while Alpha's own Deployment rolls: both serve alpha.v1, only the holder of the lock
 * {@code alpha-workloads} acts on the workloads, and the other takes over when it stops.
 */
class TwoAlphasIT {

    static LocalCluster cluster;
    static AlphaApi.Replica provider;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")));
        provider = cluster.load(cluster.push(Path.of(System.getProperty("reside.it.provider")), "1"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static List<Path> processRecords(Path stateDir) {
        Path run = stateDir.resolve("run");
        if (!Files.isDirectory(run)) {
            return List.of();
        }
        try (var files = Files.list(run)) {
            return files.filter(f -> f.toString().endsWith(".json")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void onlyTheAlphaHoldingTheLockActsAndTheOtherTakesOverWhenItStops() {
        ReplicaProcess second = cluster.startAnotherAlpha("alpha-2");
        second.awaitReady(Duration.ofSeconds(90));
        AlphaApi viaSecond = cluster.alphaAt(second);
        assertThat(viaSecond.getReplica(provider.id()).currentVersion().status()).isEqualTo("running");

        // a change made through the second is acted on by the first alone
        viaSecond.setReplicaEnabled(new AlphaApi.SetReplicaEnabled(provider.id(), false));
        LocalCluster.awaitCondition("the provider stopped", Duration.ofSeconds(30),
                () -> cluster.alpha().getReplica(provider.id()).currentVersion().status(), "stopped"::equals);
        viaSecond.setReplicaEnabled(new AlphaApi.SetReplicaEnabled(provider.id(), true));
        AlphaApi.Replica reenabled = cluster.awaitRunning(provider.id(), 1);
        assertThat(processRecords(cluster.alphaState())).hasSize(1);
        assertThat(second.output()).doesNotContain("this Alpha runs the workloads")
                .doesNotContain("started provider");

        // the first stops (SIGTERM: its replicas stop, its lock is released): the second takes over
        cluster.alphaProcess().terminate(Duration.ofSeconds(60));
        LocalCluster.awaitCondition("the second Alpha runs the workloads", Duration.ofSeconds(30), second::output,
                o -> o.contains("this Alpha runs the workloads"));
        AlphaApi.Replica running = LocalCluster.awaitCondition("the provider started again and running",
                Duration.ofSeconds(90), () -> viaSecond.getReplica(provider.id()), r -> second.output().contains(
                        "started provider-1") && "running".equals(r.currentVersion().status()));
        assertThat(processRecords(cluster.alphaState())).hasSize(1);
        // started by another Alpha, it kept its endpoint: its port was free again
        assertThat(running.endpoints()).isEqualTo(reenabled.endpoints()).containsKey("local");
    }
}
