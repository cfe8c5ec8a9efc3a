package io.reside.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/** Test 6: 16 concurrent creators of the same name → exactly one succeeds, the others get "already exists". */
@EtcdTest
class UniqueIndexTest {

    record Replica(String id, String name) {
    }

    static final DocType<Replica> REPLICA = DocType.of("replica", Replica.class);
    static final UniqueIndex NAMES = UniqueIndex.named("replica-name");

    @Test
    void exactlyOneOfSixteenConcurrentCreatorsWins(EtcdServer etcd) throws Exception {
        String cluster = TestStores.newCluster();
        int creators = 16;
        List<Store> stores = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(creators);
        try {
            for (int i = 0; i < 4; i++) {
                stores.add(TestStores.connect(etcd, cluster));
            }
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < creators; i++) {
                String id = "r-" + i;
                Store store = stores.get(i % stores.size());
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        store.run(tx -> {
                            NAMES.claim(tx, "alpha", id);
                            tx.put(REPLICA, "replicas/" + id, new Replica(id, "alpha"));
                            return null;
                        });
                        return "created " + id;
                    } catch (AlreadyExistsException e) {
                        return e.getMessage();
                    }
                }));
            }
            start.countDown();
            List<String> outcomes = new ArrayList<>();
            for (Future<String> f : results) {
                outcomes.add(f.get(60, TimeUnit.SECONDS));
            }

            List<String> created = outcomes.stream().filter(o -> o.startsWith("created ")).toList();
            assertThat(created).hasSize(1);
            String winner = created.get(0).substring("created ".length());
            assertThat(outcomes).filteredOn(o -> !o.startsWith("created ")).hasSize(creators - 1)
                    .allMatch(o -> o.equals("replica-name 'alpha' already exists (it belongs to " + winner
                            + "); choose another"));

            Store store = stores.get(0);
            assertThat(NAMES.find(store, "alpha")).contains(winner);
            assertThat(store.list(REPLICA, "replicas/")).extracting(Versioned::key)
                    .containsExactly("replicas/" + winner);
        } finally {
            pool.shutdownNow();
            stores.forEach(Store::close);
        }
    }

    @Test
    void claimIsIdempotentAndReleaseFreesTheName(EtcdServer etcd) {
        try (Store store = TestStores.connect(etcd, TestStores.newCluster())) {
            store.run(tx -> {
                NAMES.claim(tx, "a/b c", "r-1");
                return null;
            });
            store.run(tx -> {
                NAMES.claim(tx, "a/b c", "r-1");
                return null;
            });
            assertThat(NAMES.key("a/b c")).isEqualTo("index/replica-name/a%2Fb+c");
            assertThatThrownBy(() -> store.run(tx -> {
                NAMES.claim(tx, "a/b c", "r-2");
                return null;
            })).isInstanceOf(AlreadyExistsException.class);
            boolean releasedByOther = store.run(tx -> NAMES.release(tx, "a/b c", "r-2"));
            boolean releasedByOwner = store.run(tx -> NAMES.release(tx, "a/b c", "r-1"));
            assertThat(releasedByOther).isFalse();
            assertThat(releasedByOwner).isTrue();
            store.run(tx -> {
                NAMES.claim(tx, "a/b c", "r-2");
                return null;
            });
            assertThat(NAMES.find(store, "a/b c")).contains("r-2");
            assertThatThrownBy(() -> UniqueIndex.named("Bad Name")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> NAMES.key("")).hasMessage("a replica-name must not be empty");
        }
    }
}
