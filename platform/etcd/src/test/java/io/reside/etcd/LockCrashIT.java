package io.reside.etcd;

import static io.reside.etcd.TestStores.COUNTER;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.reside.etcd.TestStores.Counter;
import io.reside.testing.ChildJvm;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/**
 * Test 4: a holder killed inside {@code locked} frees the lock after its TTL and leaves no partial write; a holder
 * paused past its lease has its write refused by the fence when it resumes.
 */
@EtcdTest
class LockCrashIT {

    private static final int TTL_SECONDS = 2;

    @Test
    void aKilledHolderReleasesTheLockAfterItsTtlAndWroteNothing(EtcdServer etcd) {
        String cluster = TestStores.newCluster();
        // waiting at most TTL + 2 s: acquiring later would fail the test with a LockTimeoutException
        StoreConfig config = TestStores.config(etcd, cluster).lockTtl(Duration.ofSeconds(TTL_SECONDS))
                .lockWaitTimeout(Duration.ofSeconds(TTL_SECONDS + 2)).build();
        try (ChildJvm holder = ChildJvm.start(LockHolder.class, etcd.endpoint(), cluster, "deploy", "" + TTL_SECONDS);
                Store store = Store.connect(config)) {
            long childToken = Long.parseLong(holder.awaitLine("HOLDING token=(\\d+)", Duration.ofSeconds(60)).group(1));
            holder.kill();
            long killedAt = System.nanoTime();

            long token = store.locked("deploy", tx -> {
                assertThat(tx.list(COUNTER, "partial/")).as("writes of the killed holder").isEmpty();
                return tx.lock().orElseThrow().fencingToken();
            });
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            System.out.printf("lock of a SIGKILLed holder acquired %d ms after the kill (TTL %d s)%n", waitedMs,
                    TTL_SECONDS);
            assertThat(token).as("fencing token of the next holder").isGreaterThan(childToken);
            assertThat(store.list(COUNTER, "")).isEmpty();
        }
    }

    @Test
    void aHolderPausedPastItsLeaseIsFenced(EtcdServer etcd) {
        String cluster = TestStores.newCluster();
        StoreConfig config = TestStores.config(etcd, cluster).lockTtl(Duration.ofSeconds(TTL_SECONDS))
                .lockWaitTimeout(Duration.ofSeconds(TTL_SECONDS + 5)).build();
        try (ChildJvm holder = ChildJvm.start(LockHolder.class, etcd.endpoint(), cluster, "deploy", "" + TTL_SECONDS);
                Store store = Store.connect(config)) {
            holder.awaitLine("HOLDING", Duration.ofSeconds(60));
            holder.pause();
            try {
                // the paused holder's lease expires; we take the lock and write
                store.locked("deploy", tx -> {
                    tx.put(COUNTER, "owner", new Counter(2));
                    return null;
                });
            } finally {
                holder.resume();
            }
            holder.send("commit"); // the resumed holder goes on as if nothing happened

            assertThat(holder.awaitExit(Duration.ofSeconds(30))).as("exit code of the fenced holder").isEqualTo(3);
            assertThat(holder.lines()).contains("FENCED write refused by the fence of lock 'deploy': this process no "
                    + "longer holds it (its lease expired or was revoked, e.g. while the process was paused); nothing "
                    + "was written");
            assertThat(holder.lines()).as("the holder was told it lost the lock").contains("LOST");
            assertThat(store.get(COUNTER, "owner").value()).isEqualTo(new Counter(2));
            assertThat(store.list(COUNTER, "partial/")).isEmpty();
        }
    }
}
