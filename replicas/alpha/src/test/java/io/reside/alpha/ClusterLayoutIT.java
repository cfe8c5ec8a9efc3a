package io.reside.alpha;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.alpha.service.Records;
import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.harness.LocalCluster;
import io.reside.testing.EtcdServer;
import io.reside.testing.ReplicaProcess;

/**
 * Alpha on a cluster whose data predates per-replica data prefixes (docs/adr/0008): it refuses to start, says why and
 * what to do, and writes nothing, rather than start replicas that would not find their data.
 */
class ClusterLayoutIT {

    static final DocType<JsonNode> ANY = DocType.of("any", JsonNode.class);

    @Test
    void alphaRefusesAClusterOfTheOlderLayoutAndChangesNothing() throws Exception {
        Path dir = Files.createTempDirectory("reside-layout-");
        try (EtcdServer etcd = EtcdServer.start();
                Store store = Store.connect(StoreConfig.builder().endpoints(etcd.endpoint()).cluster("old").build())) {
            ObjectMapper json = new ObjectMapper();
            store.run(tx -> { // what an Alpha and a User Manager of the older layout left
                tx.put(ANY, Records.replicaKey(Records.ALPHA_ID), json.createObjectNode().put("id", "alpha"));
                tx.put(ANY, "um/users/u1", json.createObjectNode().put("name", "ada"));
                return null;
            });
            long before = store.ping();
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            ReplicaProcess alpha = ReplicaProcess.start("alpha", Path.of(System.getProperty("reside.alpha.app")),
                    port, Map.of("RESIDE_ETCD_ENDPOINTS", etcd.endpoint(), "RESIDE_CLUSTER", "old",
                            "RESIDE_ACCOUNT_KEY_FILE", dir.resolve("alpha.pem").toString(),
                            "ALPHA_LOCAL_STATE_DIR", dir.resolve("state").toString()),
                    Map.of());
            try {
                LocalCluster.awaitCondition("Alpha exits", Duration.ofSeconds(60), alpha::isAlive, alive -> !alive);
                assertThat(alpha.output()).contains("key layout of before per-replica data prefixes")
                        .contains("Nothing was changed").contains("reside dev --reset");
            } finally {
                alpha.close();
            }
            assertThat(store.ping()).as("etcd's revision: nothing written").isEqualTo(before);
            assertThat(store.find(ANY, Records.LAYOUT_KEY)).isEmpty();
        }
    }
}
