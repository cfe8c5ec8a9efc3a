package io.reside.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/**
 * Test 2: write skew. Two doctors are on call; the invariant is that at least one stays on call. Each asks to go
 * off call in a transaction that reads both and leaves only if the other is on call. Under snapshot isolation both
 * would read "both on call" and both leave; serializability must let exactly one leave.
 */
@EtcdTest
class WriteSkewTest {

    record OnCall(boolean onCall) {
    }

    static final DocType<OnCall> ON_CALL = DocType.of("on-call", OnCall.class);
    static final List<String> DOCTORS = List.of("alice", "bob");

    @Test
    void concurrentWritersNeverBreakACrossDocumentInvariant(EtcdServer etcd) throws Exception {
        String cluster = TestStores.newCluster();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Store a = TestStores.connect(etcd, cluster); Store b = TestStores.connect(etcd, cluster)) {
            int rounds = 100;
            for (int round = 0; round < rounds; round++) {
                a.run(tx -> {
                    DOCTORS.forEach(d -> tx.put(ON_CALL, "oncall/" + d, new OnCall(true)));
                    return null;
                });
                // both transactions read before either commits: the barrier holds their first attempts together
                CyclicBarrier bothRead = new CyclicBarrier(2);
                Future<Boolean> alice = pool.submit(() -> goOffCall(a, "alice", "bob", bothRead));
                Future<Boolean> bob = pool.submit(() -> goOffCall(b, "bob", "alice", bothRead));
                boolean aliceLeft = alice.get(30, TimeUnit.SECONDS);
                boolean bobLeft = bob.get(30, TimeUnit.SECONDS);

                long stillOnCall = DOCTORS.stream()
                        .filter(d -> a.get(ON_CALL, "oncall/" + d).value().onCall()).count();
                assertThat(stillOnCall).as("doctors on call after round %d", round).isEqualTo(1);
                assertThat(aliceLeft ^ bobLeft).as("exactly one left in round %d", round).isTrue();
            }
            // every round forced a conflict: one of the two commits had to be refused and re-run
            assertThat(a.stats().conflicts() + b.stats().conflicts()).isEqualTo(rounds);
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean goOffCall(Store store, String me, String other, CyclicBarrier bothRead) {
        AtomicInteger attempt = new AtomicInteger();
        return store.run(tx -> {
            boolean meOn = tx.get(ON_CALL, "oncall/" + me).onCall();
            boolean otherOn = tx.get(ON_CALL, "oncall/" + other).onCall();
            if (attempt.incrementAndGet() == 1) {
                await(bothRead);
            }
            if (meOn && otherOn) {
                tx.put(ON_CALL, "oncall/" + me, new OnCall(false));
                return true;
            }
            return false;
        });
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
