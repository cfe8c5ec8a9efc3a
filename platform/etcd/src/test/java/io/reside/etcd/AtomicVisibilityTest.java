package io.reside.etcd;

import static io.reside.etcd.TestStores.ACCOUNT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.reside.etcd.TestStores.Account;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/**
 * Test 3: atomic visibility. Writers move amounts between 10 accounts in multi-key transactions; concurrent readers
 * (a plain listing, and a transaction reading the 10 keys one by one) must always see the same total.
 */
@EtcdTest
class AtomicVisibilityTest {

    static final int ACCOUNTS = 10;
    static final long TOTAL = 1000;

    @Test
    void readersNeverSeeAPartialTransfer(EtcdServer etcd) throws Exception {
        String cluster = TestStores.newCluster();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try (Store writers = TestStores.connect(etcd, cluster); Store readers = TestStores.connect(etcd, cluster)) {
            writers.run(tx -> {
                for (int i = 0; i < ACCOUNTS; i++) {
                    tx.put(ACCOUNT, key(i), new Account(TOTAL / ACCOUNTS));
                }
                return null;
            });

            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicReference<String> wrong = new AtomicReference<>();
            AtomicLong listReads = new AtomicLong();
            AtomicLong txReads = new AtomicLong();
            List<Future<?>> tasks = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                tasks.add(pool.submit(() -> {
                    for (int n = 0; n < 150; n++) {
                        transfer(writers);
                    }
                    return null;
                }));
            }
            Future<?> lister = pool.submit(() -> {
                while (writing.get()) {
                    long sum = readers.list(ACCOUNT, "accounts/").stream().mapToLong(v -> v.value().amount()).sum();
                    listReads.incrementAndGet();
                    if (sum != TOTAL) {
                        wrong.compareAndSet(null, "a listing saw a total of " + sum);
                    }
                }
                return null;
            });
            Future<?> txReader = pool.submit(() -> {
                while (writing.get()) {
                    long sum = readers.run(tx -> {
                        long s = 0;
                        for (int i = 0; i < ACCOUNTS; i++) {
                            s += tx.get(ACCOUNT, key(i)).amount();
                        }
                        return s;
                    });
                    txReads.incrementAndGet();
                    if (sum != TOTAL) {
                        wrong.compareAndSet(null, "a transaction saw a total of " + sum);
                    }
                }
                return null;
            });
            for (Future<?> t : tasks) {
                t.get(5, TimeUnit.MINUTES);
            }
            writing.set(false);
            lister.get(1, TimeUnit.MINUTES);
            txReader.get(1, TimeUnit.MINUTES);

            System.out.printf("atomic visibility: 600 transfers, %d listings and %d transactional reads checked%n",
                    listReads.get(), txReads.get());
            assertThat(wrong.get()).as("a reader saw a partial transfer").isNull();
            assertThat(listReads.get()).isPositive();
            assertThat(txReads.get()).isPositive();
            long sum = readers.list(ACCOUNT, "accounts/").stream().mapToLong(v -> v.value().amount()).sum();
            assertThat(sum).isEqualTo(TOTAL);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void transfer(Store store) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int from = random.nextInt(ACCOUNTS);
        int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
        store.run(tx -> {
            long a = tx.get(ACCOUNT, key(from)).amount();
            long b = tx.get(ACCOUNT, key(to)).amount();
            long amount = a == 0 ? 0 : 1 + random.nextLong(a);
            tx.put(ACCOUNT, key(from), new Account(a - amount));
            tx.put(ACCOUNT, key(to), new Account(b + amount));
            return null;
        });
    }

    private static String key(int i) {
        return "accounts/" + i;
    }
}
