package io.reside.etcd;

import static io.reside.etcd.TestStores.ACCOUNT;
import static io.reside.etcd.TestStores.COUNTER;
import static io.reside.etcd.TestStores.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.reside.etcd.TestStores.Account;
import io.reside.etcd.TestStores.Counter;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;
import io.vertx.core.Vertx;

@EtcdTest
class StoreBasicsTest {

    private final EtcdServer etcd;
    private String cluster;
    private Store store;
    private Client raw;

    StoreBasicsTest(EtcdServer etcd) {
        this.etcd = etcd;
    }

    @BeforeEach
    void connect() {
        cluster = TestStores.newCluster();
        store = TestStores.connect(etcd, cluster);
        raw = TestStores.rawClient(etcd);
    }

    @AfterEach
    void close() {
        store.close();
        raw.close();
    }

    @Test
    void documentsLiveUnderTheClusterRoot() throws Exception {
        store.run(tx -> {
            tx.put(COUNTER, "counters/a", new Counter(1));
            tx.put(COUNTER, "counters/b", new Counter(2));
            tx.put(COUNTER, "other/c", new Counter(3));
            return null;
        });
        var kvs = raw.getKVClient().get(bytes("/reside/" + cluster + "/"),
                GetOption.builder().isPrefix(true).build()).get(5, TimeUnit.SECONDS).getKvs();
        assertThat(kvs).extracting(kv -> kv.getKey().toString(StandardCharsets.UTF_8))
                .containsExactly("/reside/" + cluster + "/counters/a", "/reside/" + cluster + "/counters/b",
                        "/reside/" + cluster + "/other/c");
        assertThat(kvs.get(0).getValue().toString(StandardCharsets.UTF_8))
                .isEqualTo("{\"schemaVersion\":1,\"value\":1}");

        assertThat(store.get(COUNTER, "counters/b").value()).isEqualTo(new Counter(2));
        assertThat(store.find(COUNTER, "counters/zzz")).isEmpty();
        assertThat(store.list(COUNTER, "counters/")).extracting(Versioned::key).containsExactly("counters/a",
                "counters/b");
        assertThatThrownBy(() -> store.get(COUNTER, "counters/zzz"))
                .isInstanceOf(NotFoundException.class).hasMessage("no counter at key 'counters/zzz'");
    }

    @Test
    void aTransactionReadsItsOwnWritesAndListsThem() {
        store.run(tx -> {
            tx.put(COUNTER, "c/1", new Counter(1));
            tx.put(COUNTER, "c/2", new Counter(2));
            return null;
        });
        List<String> seen = store.run(tx -> {
            tx.put(COUNTER, "c/3", new Counter(3));
            tx.delete("c/1");
            tx.put(COUNTER, "c/2", new Counter(20));
            assertThat(tx.find(COUNTER, "c/2")).contains(new Counter(20));
            assertThat(tx.exists("c/1")).isFalse();
            return tx.list(COUNTER, "c/").stream().map(v -> v.key() + "=" + v.value().value()).toList();
        });
        assertThat(seen).containsExactly("c/2=20", "c/3=3");
        assertThat(store.list(COUNTER, "c/")).extracting(v -> v.value().value()).containsExactly(20L, 3L);
    }

    @Test
    void writesAreInvisibleUntilCommitAndAnAbortWritesNothing() {
        List<Runnable> ran = new ArrayList<>();
        store.run(tx -> {
            tx.put(COUNTER, "x", new Counter(1));
            tx.afterCommit(() -> ran.add(() -> {
            }));
            assertThat(store.find(COUNTER, "x")).as("another reader during the transaction").isEmpty();
            return null;
        });
        assertThat(store.get(COUNTER, "x").value()).isEqualTo(new Counter(1));
        assertThat(ran).hasSize(1);

        assertThatThrownBy(() -> store.run(tx -> {
            tx.put(COUNTER, "x", new Counter(2));
            tx.put(COUNTER, "y", new Counter(2));
            tx.afterCommit(() -> ran.add(() -> {
            }));
            throw new IllegalStateException("business rule");
        })).isInstanceOf(IllegalStateException.class).hasMessage("business rule");
        assertThat(store.get(COUNTER, "x").value()).isEqualTo(new Counter(1));
        assertThat(store.find(COUNTER, "y")).isEmpty();
        assertThat(ran).hasSize(1);
    }

    @Test
    void createRefusesAnExistingKey() {
        store.run(tx -> {
            tx.create(COUNTER, "k", new Counter(1));
            return null;
        });
        assertThatThrownBy(() -> store.run(tx -> {
            tx.create(COUNTER, "k", new Counter(2));
            return null;
        })).isInstanceOf(AlreadyExistsException.class).hasMessage("key 'k' already exists");
        assertThat(store.get(COUNTER, "k").value()).isEqualTo(new Counter(1));
    }

    @Test
    void badKeysAreRefusedAndNothingIsWritten() {
        assertThatThrownBy(() -> store.run(tx -> {
            tx.put(COUNTER, "good", new Counter(1));
            tx.put(COUNTER, null, new Counter(1));
            return null;
        })).isInstanceOf(NullPointerException.class).hasMessage("key must not be null");
        assertThatThrownBy(() -> store.run(tx -> {
            tx.put(COUNTER, "good", new Counter(1));
            tx.put(COUNTER, "/reside/x", new Counter(1));
            return null;
        })).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "key '/reside/x' must be relative to the cluster root /reside/<cluster>/: remove the leading '/'");
        assertThatThrownBy(() -> store.find(COUNTER, "a\u0000b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key 'a\\u0000b' contains a control character at index 1");
        assertThatThrownBy(() -> store.find(COUNTER, "")).hasMessage("key must not be empty");
        assertThatThrownBy(() -> store.run(tx -> {
            tx.put(COUNTER, "good", null);
            return null;
        })).isInstanceOf(NullPointerException.class).hasMessageContaining("value for key 'good' must not be null");
        assertThat(store.list(COUNTER, "")).isEmpty();
    }

    @Test
    void malformedStoredJsonNamesTheKeyAndAbortsTheTransaction() throws Exception {
        raw.getKVClient().put(bytes("/reside/" + cluster + "/broken"), bytes("{\"schemaVersion\":1,\"value\":")).get();
        assertThatThrownBy(() -> store.get(COUNTER, "broken"))
                .isInstanceOf(DocumentFormatException.class)
                .hasMessageStartingWith("document at key 'broken' is not valid JSON (expected a 'counter')");
        assertThatThrownBy(() -> store.run(tx -> {
            tx.put(COUNTER, "written", new Counter(1));
            return tx.get(COUNTER, "broken");
        })).isInstanceOf(DocumentFormatException.class).hasMessageContaining("'broken'");
        assertThat(store.find(COUNTER, "written")).isEmpty();
    }

    @Test
    void etcdLimitsAreCheckedBeforeSending() {
        assertThatThrownBy(() -> store.run(tx -> {
            for (int i = 0; i < 129; i++) {
                tx.put(COUNTER, "many/" + i, new Counter(i));
            }
            return null;
        })).isInstanceOf(LimitExceededException.class)
                .hasMessage("transaction writes more than 128 keys (etcd --max-txn-ops) at key 'many/128': "
                        + "split it into smaller transactions");

        assertThatThrownBy(() -> store.run(tx -> {
            for (int i = 0; i < 129; i++) {
                tx.find(COUNTER, "reads/" + i);
            }
            return null;
        })).isInstanceOf(LimitExceededException.class)
                .hasMessageStartingWith(
                        "transaction reads more than 128 keys (etcd --max-txn-ops limits the compares of"
                                + " one transaction) at key 'reads/128'");

        DocType<Blob> blob = DocType.of("blob", Blob.class);
        assertThatThrownBy(() -> store.run(tx -> {
            tx.put(blob, "big", new Blob("x".repeat(1600 * 1024)));
            return null;
        })).isInstanceOf(LimitExceededException.class)
                .hasMessage("document at key 'big' is 1638429 bytes; etcd accepts at most 1572864 bytes per request "
                        + "(--max-request-bytes): store less in one document");

        assertThatThrownBy(() -> store.run(tx -> {
            for (int i = 0; i < 3; i++) {
                tx.put(blob, "part/" + i, new Blob("y".repeat(600 * 1024)));
            }
            return null;
        })).isInstanceOf(LimitExceededException.class)
                .hasMessageMatching("transaction commit is \\d+ bytes; etcd accepts at most 1572864 bytes per request "
                        + "\\(--max-request-bytes\\): write less in one transaction \\(largest document: 'part/0', "
                        + "\\d+ bytes\\)");
        assertThat(store.list(blob, "")).isEmpty();
    }

    @Test
    void listingOutsideATransactionReadsEveryPageAtOneRevision() {
        for (int batch = 0; batch < 10; batch++) {
            int from = batch * 120;
            store.run(tx -> {
                for (int i = from; i < from + 120; i++) {
                    tx.put(ACCOUNT, String.format("acct/%05d", i), new Account(i));
                }
                return null;
            });
        }
        List<Versioned<Account>> all = store.list(ACCOUNT, "acct/");
        assertThat(all).hasSize(1200);
        assertThat(all).extracting(v -> v.value().amount()).isSorted().startsWith(0L).endsWith(1199L);
    }

    @Test
    void blockingOnAVertxEventLoopIsRefused() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            CompletableFuture<Throwable> failure = new CompletableFuture<>();
            vertx.runOnContext(v -> {
                try {
                    store.find(COUNTER, "x");
                    failure.complete(null);
                } catch (Throwable t) {
                    failure.complete(t);
                }
            });
            assertThat(failure.get(5, TimeUnit.SECONDS))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("the ReSide store blocks on etcd and must not be called on a Vert.x "
                            + "event-loop thread");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void readOnlyTransactionsCommitNothing() {
        long before = store.ping();
        long read = store.run(tx -> tx.find(COUNTER, "nothing").map(Counter::value).orElse(-1L));
        assertThat(read).isEqualTo(-1L);
        assertThat(store.ping()).isEqualTo(before);
        assertThat(store.stats().commits()).isEqualTo(1);
    }

    record Blob(String data) {
    }
}
