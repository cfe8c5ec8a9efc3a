package io.reside.etcd;

import static io.reside.etcd.TestStores.COUNTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.reside.etcd.TestStores.Counter;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/** Test 7: conflict exhaustion and timeouts produce the documented exceptions. */
@EtcdTest
class ConflictAndTimeoutTest {

    private static final TxOptions NO_BACKOFF = TxOptions.builder().initialBackoff(Duration.ZERO)
            .maxBackoff(Duration.ZERO).build();

    private final EtcdServer etcd;
    private String cluster;
    private Store store;
    private Store other;

    ConflictAndTimeoutTest(EtcdServer etcd) {
        this.etcd = etcd;
    }

    @BeforeEach
    void connect() {
        cluster = TestStores.newCluster();
        store = TestStores.connect(etcd, cluster);
        other = TestStores.connect(etcd, cluster);
        store.ping();
    }

    @AfterEach
    void close() {
        if (etcd.isRunning()) {
            etcd.resume();
        }
        store.close();
        other.close();
    }

    @Test
    void conflictExhaustionNamesTheContendedKeys() {
        put(other, "hot", 0);
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> store.run(NO_BACKOFF.toBuilder().maxAttempts(3).build(), tx -> {
            attempts.incrementAndGet();
            long v = tx.get(COUNTER, "hot").value();
            tx.find(COUNTER, "calm");
            put(other, "hot", v + 100); // a concurrent writer wins every time
            tx.put(COUNTER, "hot", new Counter(v + 1));
            tx.put(COUNTER, "calm", new Counter(1));
            return null;
        })).isInstanceOfSatisfying(TransactionConflictException.class, e -> {
            assertThat(e).hasMessage("transaction gave up after 3 attempts: keys kept changing concurrently: "
                    + "'hot' (3 times); reduce contention on these keys or raise TxOptions.maxAttempts");
            assertThat(e.attempts()).isEqualTo(3);
            assertThat(e.contendedKeys()).isEqualTo(Map.of("hot", 3));
        });
        assertThat(attempts).hasValue(3);
        assertThat(store.get(COUNTER, "hot").value()).isEqualTo(new Counter(300));
        assertThat(store.find(COUNTER, "calm")).isEmpty();
    }

    @Test
    void aKeyAddedToOrRemovedFromAListedPrefixIsAConflict() {
        put(other, "items/a", 1);
        put(other, "items/b", 2);
        TxOptions once = NO_BACKOFF.toBuilder().maxAttempts(1).build();
        assertThatThrownBy(() -> store.run(once, tx -> {
            long sum = tx.list(COUNTER, "items/").stream().mapToLong(v -> v.value().value()).sum();
            put(other, "items/c", 3); // a phantom
            tx.put(COUNTER, "sum", new Counter(sum));
            return null;
        })).isInstanceOf(TransactionConflictException.class).hasMessageContaining("'items/c' (1 time)");

        assertThatThrownBy(() -> store.run(once, tx -> {
            long sum = tx.list(COUNTER, "items/").stream().mapToLong(v -> v.value().value()).sum();
            other.run(t -> {
                t.delete("items/a");
                return null;
            });
            tx.put(COUNTER, "sum", new Counter(sum));
            return null;
        })).isInstanceOf(TransactionConflictException.class).hasMessageContaining("'items/a' (1 time)");
        assertThat(store.find(COUNTER, "sum")).isEmpty();

        // without interference the same transaction commits
        store.run(once, tx -> {
            tx.put(COUNTER, "sum",
                    new Counter(tx.list(COUNTER, "items/").stream().mapToLong(v -> v.value().value()).sum()));
            return null;
        });
        assertThat(store.get(COUNTER, "sum").value()).isEqualTo(new Counter(5));
    }

    @Test
    void callsFailWithinTheirDeadlineWhileEtcdIsStalled() {
        etcd.pause();
        long start = System.nanoTime();
        assertThatThrownBy(() -> store.find(COUNTER, "x"))
                .isInstanceOf(EtcdUnavailableException.class)
                .hasMessage(
                        "etcd unavailable: read 'x' got no answer within 2000 ms (etcd at " + etcd.endpoint() + ")");
        assertThatThrownBy(() -> store.run(tx -> tx.find(COUNTER, "y")))
                .isInstanceOf(EtcdUnavailableException.class)
                .hasMessageStartingWith("etcd unavailable: read 'y' got no answer within 2000 ms");
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // two calls with a 2 s deadline each: they must not hang
        assertThat(elapsedMs).as("time for two calls with a 2 s deadline").isLessThan(15_000);
    }

    @Test
    void aCommitWithoutAnswerIsReportedNotReRun() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> store.run(tx -> {
            attempts.incrementAndGet();
            tx.find(COUNTER, "n");
            tx.put(COUNTER, "n", new Counter(1));
            etcd.pause(); // the commit will be sent and never answered
            return null;
        })).isInstanceOf(CommitOutcomeUnknownException.class)
                .hasMessageStartingWith("the commit of a transaction writing n got no answer, so it may or may not "
                        + "have been applied: etcd unavailable: commit of 1 key(s) got no answer within 2000 ms");
        assertThat(attempts).hasValue(1);
    }

    @Test
    void anIdempotentTransactionIsReRunAfterACommitWithoutAnswer() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        CompletableFuture<Void> resumed = new CompletableFuture<>();
        long value = store.run(TxOptions.builder().idempotent(true).build(), tx -> {
            long current = tx.find(COUNTER, "flag").map(Counter::value).orElse(0L);
            tx.put(COUNTER, "flag", new Counter(42));
            if (attempts.incrementAndGet() == 1) {
                etcd.pause();
                CompletableFuture.runAsync(() -> {
                    sleep(3_000);
                    etcd.resume();
                    resumed.complete(null);
                });
            }
            return current;
        });
        resumed.get(30, TimeUnit.SECONDS);
        // re-run rather than reported; a third attempt happens when etcd, on resuming, serves the second attempt's
        // read before applying the first attempt's queued commit
        assertThat(attempts.get()).isGreaterThanOrEqualTo(2);
        assertThat(store.get(COUNTER, "flag").value()).isEqualTo(new Counter(42));
        assertThat(value).isIn(0L, 42L);
    }

    @Test
    void waitingForALockHeldElsewhereTimesOut() throws Exception {
        Store patient = Store.connect(TestStores.config(etcd, cluster).lockWaitTimeout(Duration.ofSeconds(1)).build());
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> other.locked("job", tx -> {
                holding.countDown();
                await(release);
                return null;
            }));
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> patient.locked("job", tx -> null))
                    .isInstanceOf(LockTimeoutException.class)
                    .hasMessage("lock 'job' was not acquired within 1000 ms: another process holds it (a crashed "
                            + "holder's lock frees itself 2 s after its last keep-alive)");
            release.countDown();
            holder.get(10, TimeUnit.SECONDS);
            String result = patient.locked("job", tx -> "acquired");
            assertThat(result).isEqualTo("acquired");
        } finally {
            release.countDown();
            patient.close();
        }
    }

    @Test
    void aLockSessionFencesEveryCommitAndIsExclusive() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Long> leader = CompletableFuture.supplyAsync(() -> store.withLock("leader", lock -> {
            long commits = 0;
            for (int i = 1; i <= 3; i++) {
                long value = i;
                lock.run(tx -> {
                    tx.put(COUNTER, "leader/progress", new Counter(value));
                    return null;
                });
                commits++;
            }
            holding.countDown();
            await(release);
            return commits;
        }));
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        Store follower = Store.connect(TestStores.config(etcd, cluster).lockWaitTimeout(Duration.ofSeconds(1)).build());
        try {
            assertThatThrownBy(() -> follower.withLock("leader", lock -> null))
                    .isInstanceOf(LockTimeoutException.class);
            release.countDown();
            assertThat(leader.get(10, TimeUnit.SECONDS)).isEqualTo(3);
            String result = follower.withLock("leader", lock -> lock.isHeld() ? "took over" : "lost");
            assertThat(result).isEqualTo("took over");
        } finally {
            release.countDown();
            follower.close();
        }
        assertThat(store.get(COUNTER, "leader/progress").value()).isEqualTo(new Counter(3));
    }

    private static void put(Store store, String key, long value) {
        store.run(tx -> {
            tx.put(COUNTER, key, new Counter(value));
            return null;
        });
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
