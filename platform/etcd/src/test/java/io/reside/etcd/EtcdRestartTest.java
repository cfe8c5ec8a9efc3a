package io.reside.etcd;

import static io.reside.etcd.TestStores.COUNTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;

import io.reside.etcd.TestStores.Counter;
import io.reside.testing.EtcdServer;

/**
 * Test 5: etcd is stopped in the middle of a run of numbered writes and restarted. Calls fail fast with "etcd
 * unavailable" while it is down; the store recovers by itself (we report the time from etcd being back to the first
 * commit); a watcher receives every number exactly once, in order.
 */
class EtcdRestartTest {

    static final int WRITES = 300;
    static final TxOptions IDEMPOTENT = TxOptions.builder().idempotent(true).build();

    @Test
    void clientsAndWatchesRecoverFromAnEtcdRestart() throws Exception {
        try (EtcdServer etcd = EtcdServer.start()) {
            String cluster = TestStores.newCluster();
            try (Store writer = TestStores.connect(etcd, cluster); Store watcher = TestStores.connect(etcd, cluster)) {
                RecordingListener listener = new RecordingListener();
                Subscription watch = watcher.watch("seq", WatchOptions.forKey(), listener);
                await().atMost(Duration.ofSeconds(10)).until(() -> watch.revision() > 0);

                AtomicInteger written = new AtomicInteger();
                AtomicInteger unavailable = new AtomicInteger();
                AtomicLong lastCommitNanos = new AtomicLong();
                CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
                    for (int i = 1; i <= WRITES; i++) {
                        writeExactlyOnce(writer, i, unavailable);
                        lastCommitNanos.set(System.nanoTime());
                        written.set(i);
                        sleep(5);
                    }
                });

                await().atMost(Duration.ofSeconds(60)).until(() -> alive(writes) && written.get() >= 100);
                etcd.stop();
                long start = System.nanoTime();
                assertThatThrownBy(() -> writer.find(COUNTER, "seq"))
                        .isInstanceOf(EtcdUnavailableException.class)
                        .hasMessageStartingWith("etcd unavailable: read 'seq'");
                long failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertThat(failedAfterMs).as("a call while etcd is down must end at its 2 s deadline")
                        .isLessThan(10_000);
                int writtenWhileDown = written.get();
                // long enough for gRPC's own reconnect backoff to have grown to several seconds
                sleep(10_000);
                assertThat(written.get()).as("nothing commits while etcd is down").isEqualTo(writtenWhileDown);

                etcd.restart();
                long backAt = System.nanoTime();
                await().atMost(Duration.ofSeconds(30)).until(() -> alive(writes) && lastCommitNanos.get() - backAt > 0);
                long recoveryMs = TimeUnit.NANOSECONDS.toMillis(lastCommitNanos.get() - backAt);
                System.out.printf("etcd restart: first commit %d ms after etcd was back; %d calls failed with "
                        + "'etcd unavailable' meanwhile%n", recoveryMs, unavailable.get());

                writes.get(2, TimeUnit.MINUTES);
                await().atMost(Duration.ofSeconds(30)).until(() -> listener.events().size() >= WRITES);
                sleep(500); // a duplicate would arrive now
                List<Long> seen = listener.events().stream().map(e -> e.kv().decode(COUNTER).value()).toList();
                assertThat(seen).as("numbers seen by the watcher")
                        .containsExactlyElementsOf(LongStream.rangeClosed(1, WRITES).boxed().toList());
                assertThat(listener.resets()).isEmpty();
                assertThat(unavailable.get()).isPositive();
                watch.close();
            }
        }
    }

    /** Fails the wait at once, with the writer's exception, if the writer died. */
    private static boolean alive(CompletableFuture<Void> writer) {
        if (writer.isCompletedExceptionally()) {
            writer.join();
        }
        return true;
    }

    /** Writes i once: retried while etcd is away; the transaction is idempotent, so an unknown outcome is re-run. */
    private static void writeExactlyOnce(Store store, long i, AtomicInteger unavailable) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                store.run(IDEMPOTENT, tx -> {
                    long current = tx.find(COUNTER, "seq").map(Counter::value).orElse(0L);
                    if (current < i) {
                        tx.put(COUNTER, "seq", new Counter(i));
                    }
                    return null;
                });
                return;
            } catch (EtcdUnavailableException e) {
                unavailable.incrementAndGet();
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                sleep(20);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
