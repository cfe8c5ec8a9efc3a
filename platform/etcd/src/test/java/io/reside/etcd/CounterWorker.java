package io.reside.etcd;

import static io.reside.etcd.TestStores.COUNTER;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.reside.etcd.TestStores.Counter;

/**
 * A separate process for {@link LostUpdateIT}: {@code threads} threads each increment one counter {@code increments}
 * times with {@link Store#run}, after the parent sends "go". Prints {@code DONE commits=<n> conflicts=<n>}.
 * <p>
 * Arguments: endpoint cluster key threads increments.
 */
public final class CounterWorker {

    public static void main(String[] args) throws Exception {
        String endpoint = args[0];
        String cluster = args[1];
        String key = args[2];
        int threads = Integer.parseInt(args[3]);
        int increments = Integer.parseInt(args[4]);
        try (Store store = Store.connect(StoreConfig.builder().endpoints(endpoint).cluster(cluster).build())) {
            store.ping();
            System.out.println("READY");
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < increments; i++) {
                        store.run(tx -> {
                            long value = tx.find(COUNTER, key).map(Counter::value).orElse(0L);
                            tx.put(COUNTER, key, new Counter(value + 1));
                            return null;
                        });
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            pool.shutdown();
            Store.TxStats stats = store.stats();
            System.out.println("DONE commits=" + stats.commits() + " conflicts=" + stats.conflicts() + " most-attempts="
                    + stats.mostAttempts());
        } catch (Throwable t) {
            System.out.println("FAILED " + t);
            t.printStackTrace(System.out);
            System.exit(1);
        }
        System.exit(0);
    }
}
