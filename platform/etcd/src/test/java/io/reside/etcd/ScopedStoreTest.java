package io.reside.etcd;

import static io.reside.etcd.TestStores.COUNTER;
import static io.reside.etcd.TestStores.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.reside.etcd.TestStores.Counter;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/** A scoped store is the same store under a prefix: what each replica's own code gets (docs/adr/0008). */
@EtcdTest
class ScopedStoreTest {

    private final EtcdServer etcd;
    private String cluster;
    private Store store;
    private Store scoped;
    private Client raw;

    ScopedStoreTest(EtcdServer etcd) {
        this.etcd = etcd;
    }

    @BeforeEach
    void connect() {
        cluster = TestStores.newCluster();
        store = TestStores.connect(etcd, cluster);
        scoped = store.scoped("data/r1/");
        raw = TestStores.rawClient(etcd);
    }

    @AfterEach
    void close() {
        store.close();
        raw.close();
    }

    @Test
    void keysLocksAndWatchesAreRelativeToTheScope() throws Exception {
        RecordingListener seen = new RecordingListener();
        Subscription watch = scoped.watch("counters/", WatchOptions.forPrefix(), seen);
        awaitConfirmed(watch);
        scoped.locked("counting", tx -> {
            tx.put(COUNTER, "counters/a", new Counter(1));
            return null;
        });
        store.run(tx -> {
            tx.put(COUNTER, "counters/outside", new Counter(9));
            return null;
        });

        assertThat(scoped.get(COUNTER, "counters/a").value()).isEqualTo(new Counter(1));
        assertThat(scoped.list(COUNTER, "counters/")).extracting(Versioned::key).containsExactly("counters/a");
        assertThat(store.find(COUNTER, "data/r1/counters/a")).isPresent();
        var kvs = raw.getKVClient().get(bytes("/reside/" + cluster + "/"), GetOption.builder().isPrefix(true)
                .withKeysOnly(true).build()).get(5, TimeUnit.SECONDS).getKvs();
        assertThat(kvs).extracting(kv -> kv.getKey().toString(StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder("/reside/" + cluster + "/data/r1/counters/a",
                        "/reside/" + cluster + "/counters/outside");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (seen.events().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(seen.events()).extracting(e -> e.kv().key()).containsExactly("counters/a");
        assertThat(scoped.scope()).isEqualTo("data/r1/");
        assertThat(scoped.cluster().scope()).isEmpty();
        assertThat(store.cluster()).isSameAs(store);
        watch.close();
    }

    @Test
    void oneTransactionCommitsOwnAndClusterKeysTogether() {
        store.run(tx -> {
            tx.put(COUNTER, "accounts/a1", new Counter(0));
            return null;
        });
        scoped.run(tx -> {
            Counter shared = tx.cluster().get(COUNTER, "accounts/a1");
            tx.cluster().put(COUNTER, "accounts/a1", new Counter(shared.value() + 1));
            tx.put(COUNTER, "mine", new Counter(shared.value() + 1));
            assertThat(tx.cluster().cluster()).isSameAs(tx.cluster().cluster().cluster());
            return null;
        });
        assertThat(store.get(COUNTER, "accounts/a1").value().value()).isEqualTo(1);
        assertThat(scoped.get(COUNTER, "mine").value().value()).isEqualTo(1);
        assertThat(store.get(COUNTER, "data/r1/mine").value().value()).isEqualTo(1);
    }

    @Test
    void aConflictOnAClusterKeyNamesItAsSuch() {
        store.run(tx -> {
            tx.put(COUNTER, "accounts/a1", new Counter(0));
            return null;
        });
        assertThatThrownBy(() -> scoped.run(TxOptions.builder().maxAttempts(2).build(), tx -> {
            Counter c = tx.cluster().get(COUNTER, "accounts/a1");
            store.run(other -> { // a concurrent writer, every attempt
                other.put(COUNTER, "accounts/a1", new Counter(c.value() + 100));
                return null;
            });
            tx.put(COUNTER, "mine", c);
            return null;
        })).isInstanceOf(TransactionConflictException.class).hasMessageContaining("(cluster) accounts/a1");
        assertThat(scoped.find(COUNTER, "mine")).isEmpty();
    }

    @Test
    void aScopeMustBeARelativePrefix() {
        assertThatThrownBy(() -> store.scoped("/data/r1/")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("relative");
        assertThatThrownBy(() -> store.scoped("data/r1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must end with '/'");
        assertThatThrownBy(() -> store.scoped("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void closingAViewClosesTheStore() {
        Store other = TestStores.connect(etcd, cluster);
        Store view = other.scoped("data/r2/");
        view.close();
        assertThatThrownBy(() -> other.find(COUNTER, "x")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    private static void awaitConfirmed(Subscription watch) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (watch.confirmedAtNanos() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(watch.confirmedAtNanos()).isNotZero();
    }
}
