package io.reside.etcd;

import static io.reside.etcd.TestStores.COUNTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.etcd.jetcd.Client;
import io.reside.etcd.TestStores.Counter;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

@EtcdTest
class WatchTest {

    private final EtcdServer etcd;
    private Store store;

    WatchTest(EtcdServer etcd) {
        this.etcd = etcd;
    }

    @BeforeEach
    void connect() {
        store = TestStores.connect(etcd, TestStores.newCluster());
    }

    @AfterEach
    void close() {
        if (etcd.isRunning()) {
            etcd.resume();
        }
        store.close();
    }

    @Test
    void aPrefixWatchDeliversPutsAndDeletesInOrderOnce() {
        RecordingListener listener = new RecordingListener();
        try (Subscription watch = store.watch("jobs/", WatchOptions.forPrefix(), listener)) {
            awaitCreated(watch);
            put("jobs/a", 1);
            put("other/x", 9);
            put("jobs/b", 2);
            store.run(tx -> {
                tx.delete("jobs/a");
                tx.put(COUNTER, "jobs/b", new Counter(3));
                return null;
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.events().size() == 4);
            assertThat(listener.describe()).containsExactly("PUT jobs/a=1", "PUT jobs/b=2", "DELETE jobs/a",
                    "PUT jobs/b=3");
            assertThat(watch.revision()).isEqualTo(listener.events().get(3).revision());
            assertThat(listener.resets()).isEmpty();
        }
    }

    @Test
    void anInitialSnapshotComesBeforeTheChanges() {
        put("cfg/a", 1);
        put("cfg/b", 2);
        RecordingListener listener = new RecordingListener();
        try (Subscription watch = store.watch("cfg/", WatchOptions.forPrefix().withInitialSnapshot(), listener)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.resets().size() == 1);
            assertThat(listener.lastState()).extracting(KeyValue::key).containsExactly("cfg/a", "cfg/b");
            put("cfg/c", 3);
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.events().size() == 1);
            assertThat(listener.describe()).containsExactly("PUT cfg/c=3");
        }
    }

    @Test
    void aCompactedStartRevisionDeliversTheFullStateInstead() throws Exception {
        put("rcb/a", 1);
        long old = store.ping();
        put("rcb/a", 2);
        put("rcb/b", 3);
        long now = store.ping();
        try (Client raw = TestStores.rawClient(etcd)) {
            raw.getKVClient().compact(now).get(10, TimeUnit.SECONDS);
        }
        RecordingListener listener = new RecordingListener();
        try (Subscription watch = store.watch("rcb/", WatchOptions.forPrefix().fromRevision(old), listener)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.resets().size() == 1);
            assertThat(listener.resets().get(0)).isGreaterThanOrEqualTo(now);
            assertThat(listener.lastState()).extracting(kv -> kv.key() + "=" + kv.decode(COUNTER).value())
                    .containsExactly("rcb/a=2", "rcb/b=3");
            assertThat(listener.events()).isEmpty();
            put("rcb/c", 4);
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.events().size() == 1);
            assertThat(listener.describe()).containsExactly("PUT rcb/c=4");
        }
    }

    @Test
    void aWatchFromAnOldRevisionReplaysEveryChange() {
        long before = store.ping();
        put("k", 1);
        put("k", 2);
        RecordingListener listener = new RecordingListener();
        try (Subscription watch = store.watch("k", WatchOptions.forKey().fromRevision(before + 1), listener)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.events().size() == 2);
            assertThat(listener.describe()).containsExactly("PUT k=1", "PUT k=2");
        }
    }

    @Test
    void aStalledEtcdIsDetectedAndTheWatchResumesWithoutGapOrDuplicate() throws Exception {
        RecordingListener listener = new RecordingListener();
        try (Subscription watch = store.watch("seq", WatchOptions.forKey(), listener)) {
            awaitCreated(watch);
            put("seq", 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.events().size() == 1);
            etcd.pause();
            // longer than the 2 s silence timeout: the watch gives up on the stream and re-subscribes
            Thread.sleep(3_500);
            etcd.resume();
            for (int i = 2; i <= 5; i++) {
                put("seq", i);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> listener.events().size() >= 5);
            Thread.sleep(500); // a duplicate would arrive now
            assertThat(listener.describe()).containsExactly("PUT seq=1", "PUT seq=2", "PUT seq=3", "PUT seq=4",
                    "PUT seq=5");
        }
    }

    @Test
    void aFailingListenerDoesNotStopTheWatch() {
        RecordingListener recorded = new RecordingListener();
        WatchListener failing = new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                recorded.onEvents(events);
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onReset(long revision, List<KeyValue> state) {
            }
        };
        try (Subscription watch = store.watch("x", WatchOptions.forKey(), failing)) {
            awaitCreated(watch);
            put("x", 1);
            put("x", 2);
            await().atMost(Duration.ofSeconds(10)).until(() -> recorded.events().size() == 2);
        }
    }

    /** A watch from "now" knows its start revision once etcd has created it. */
    private static void awaitCreated(Subscription watch) {
        await().atMost(Duration.ofSeconds(10)).until(() -> watch.revision() > 0);
    }

    private void put(String key, long value) {
        store.run(tx -> {
            tx.put(COUNTER, key, new Counter(value));
            return null;
        });
    }
}
