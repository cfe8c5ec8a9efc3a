package io.reside.etcd;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.reside.testing.EtcdServer;

/** Stores for tests: each gets its own cluster name, so tests sharing one etcd never see each other's keys. */
final class TestStores {

    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    private TestStores() {
    }

    static String newCluster() {
        return "test-" + ProcessHandle.current().pid() + "-" + CLUSTERS.incrementAndGet();
    }

    static StoreConfig.Builder config(EtcdServer etcd, String cluster) {
        return StoreConfig.builder()
                .endpoints(etcd.endpoint())
                .cluster(cluster)
                .callTimeout(Duration.ofSeconds(2))
                .reconnectInterval(Duration.ofMillis(200))
                .lockTtl(Duration.ofSeconds(2))
                .lockWaitTimeout(Duration.ofSeconds(10))
                .watchProgressInterval(Duration.ofMillis(500))
                .watchSilenceTimeout(Duration.ofSeconds(2));
    }

    static Store connect(EtcdServer etcd, String cluster) {
        return Store.connect(config(etcd, cluster).build());
    }

    /** A plain jetcd client, to look at etcd without going through the store. */
    static Client rawClient(EtcdServer etcd) {
        return Client.builder().endpoints(etcd.endpoint()).build();
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A counter document. */
    record Counter(long value) {
    }

    static final DocType<Counter> COUNTER = DocType.of("counter", Counter.class);

    /** An account balance document. */
    record Account(long amount) {
    }

    static final DocType<Account> ACCOUNT = DocType.of("account", Account.class);
}
