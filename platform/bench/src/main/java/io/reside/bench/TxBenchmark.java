package io.reside.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.testing.EtcdServer;

/**
 * The transaction API against a raw jetcd compare-and-swap loop doing the same work: increment a counter document
 * (the same JSON codec on both sides, so only the transaction layer differs). Raw: read, {@code Txn} guarded on the
 * mod revision, retry at once on failure. Ours: {@code store.run(tx -> read, put)}. Each workload alternates raw and
 * ours for several rounds against the same etcd; the ratio is ours/raw.
 */
final class TxBenchmark {

    record Counter(long value) {
    }

    static final DocType<Counter> COUNTER = DocType.of("counter", Counter.class);

    record Workload(String name, int threads, int keys) {
    }

    static final List<Workload> WORKLOADS = List.of(
            new Workload("1 thread, 1 key", 1, 1),
            new Workload("8 threads, 1 key", 8, 1),
            new Workload("8 threads, 8 keys", 8, 8));

    private final Bench.Options options;

    TxBenchmark(Bench.Options options) {
        this.options = options;
    }

    void run() throws Exception {
        int seconds = options.getInt("seconds", 4);
        int rounds = options.getInt("rounds", 3);
        String endpoints = options.get("endpoints", null);
        EtcdServer etcd = endpoints == null ? EtcdServer.start() : null;
        String endpoint = endpoints != null ? endpoints : etcd.endpoint();
        String cluster = "bench-" + ProcessHandle.current().pid();
        System.out.printf("tx benchmark: etcd at %s, %d rounds of %d s per implementation and workload, %d CPUs, "
                + "Java %s%n", endpoint, rounds, seconds, Runtime.getRuntime().availableProcessors(),
                Runtime.version());
        try (Client client = Client.builder().endpoints(endpoint).build();
                Store store = Store.connect(StoreConfig.builder().endpoints(endpoint).cluster(cluster).build())) {
            Increment raw = new RawCas(client.getKVClient(), "/reside/" + cluster + "/raw/");
            Increment ours = new Transactional(store);
            // warm up both paths (JIT, connections)
            measure(raw, new Workload("warm-up", 8, 8), 2, "warmup-");
            measure(ours, new Workload("warm-up", 8, 8), 2, "warmup-");

            System.out.printf("%n%-18s %-5s %10s %9s %9s %12s %7s%n", "workload", "impl", "ops/s", "p50 µs", "p99 µs",
                    "retries/op", "ratio");
            double worst = Double.MAX_VALUE;
            for (Workload w : WORKLOADS) {
                Result r = new Result();
                Result o = new Result();
                for (int round = 0; round < rounds; round++) {
                    // alternate which goes first, so drift on a noisy machine hits both alike
                    if (round % 2 == 0) {
                        r.add(measure(raw, w, seconds, "k" + w.keys() + "-"));
                        o.add(measure(ours, w, seconds, "k" + w.keys() + "-"));
                    } else {
                        o.add(measure(ours, w, seconds, "k" + w.keys() + "-"));
                        r.add(measure(raw, w, seconds, "k" + w.keys() + "-"));
                    }
                }
                double ratio = o.throughput() / r.throughput();
                worst = Math.min(worst, ratio);
                print(w.name(), "raw", r, "");
                print("", "run", o, String.format("%.2f", ratio));
            }
            System.out.println();
            System.out.printf("RESULT tx min-throughput-ratio=%.2f%n", worst);
        } finally {
            if (etcd != null) {
                etcd.close();
            }
        }
    }

    private static void print(String workload, String impl, Result r, String ratio) {
        System.out.printf("%-18s %-5s %10.0f %9.0f %9.0f %12.2f %7s%n", workload, impl, r.throughput(),
                r.latencies.percentileMicros(50), r.latencies.percentileMicros(99),
                (double) r.retries / r.latencies.count(), ratio);
    }

    private static Measurement measure(Increment impl, Workload w, int seconds, String keyPrefix) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch start = new CountDownLatch(1);
        List<Latencies> perThread = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long retriesBefore = impl.retries();
        List<Throwable> failures = new ArrayList<>();
        for (int t = 0; t < w.threads(); t++) {
            Latencies latencies = new Latencies();
            perThread.add(latencies);
            String key = keyPrefix + (t % w.keys());
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    while (running.get()) {
                        long begin = System.nanoTime();
                        impl.increment(key);
                        latencies.add(System.nanoTime() - begin);
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }, "bench-" + t);
            threads.add(thread);
            thread.start();
        }
        long begin = System.nanoTime();
        start.countDown();
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        running.set(false);
        for (Thread t : threads) {
            t.join(60_000);
        }
        long elapsed = System.nanoTime() - begin;
        if (!failures.isEmpty()) {
            throw new IllegalStateException("an increment failed", failures.get(0));
        }
        Latencies all = new Latencies();
        perThread.forEach(all::addAll);
        return new Measurement(all, elapsed, impl.retries() - retriesBefore);
    }

    record Measurement(Latencies latencies, long elapsedNanos, long retries) {
    }

    /** Sums the rounds of one implementation on one workload. */
    static final class Result {
        final Latencies latencies = new Latencies();
        long elapsedNanos;
        long retries;

        void add(Measurement m) {
            latencies.addAll(m.latencies());
            elapsedNanos += m.elapsedNanos();
            retries += m.retries();
        }

        double throughput() {
            return latencies.count() / (elapsedNanos / 1e9);
        }
    }

    /** One increment of a counter. */
    interface Increment {
        void increment(String key) throws Exception;

        /** Attempts that lost to a concurrent writer and were retried, so far. */
        long retries();
    }

    /** The baseline: what one would write with jetcd alone. */
    static final class RawCas implements Increment {
        private final KV kv;
        private final String prefix;
        private final LongAdder retries = new LongAdder();

        RawCas(KV kv, String prefix) {
            this.kv = kv;
            this.prefix = prefix;
        }

        @Override
        public long retries() {
            return retries.sum();
        }

        @Override
        public void increment(String key) throws ExecutionException, InterruptedException {
            ByteSequence k = ByteSequence.from(prefix + key, StandardCharsets.UTF_8);
            while (true) {
                GetResponse get = kv.get(k).get();
                long mod = 0;
                long value = 0;
                if (!get.getKvs().isEmpty()) {
                    KeyValue kv = get.getKvs().get(0);
                    mod = kv.getModRevision();
                    value = COUNTER.decode(key, kv.getValue().getBytes()).value();
                }
                ByteSequence next = ByteSequence.from(COUNTER.encode(key, new Counter(value + 1)));
                boolean done = kv.txn()
                        .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(mod)))
                        .Then(Op.put(k, next, PutOption.DEFAULT))
                        .commit().get().isSucceeded();
                if (done) {
                    return;
                }
                retries.increment();
            }
        }
    }

    /** The same increment through the transaction API. */
    static final class Transactional implements Increment {
        private final Store store;

        Transactional(Store store) {
            this.store = store;
        }

        @Override
        public long retries() {
            return store.stats().conflicts();
        }

        @Override
        public void increment(String key) {
            store.run(tx -> {
                long value = tx.find(COUNTER, "ours/" + key).map(Counter::value).orElse(0L);
                tx.put(COUNTER, "ours/" + key, new Counter(value + 1));
                return null;
            });
        }
    }
}
