package io.reside.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.etcd.KeyValue;
import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.etcd.Subscription;
import io.reside.etcd.WatchEvent;
import io.reside.etcd.WatchListener;
import io.reside.etcd.WatchOptions;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.DisplayText;
import io.reside.model.manifest.Manifest;
import io.reside.permissions.CurrentGrant;
import io.reside.permissions.GrantKeys;
import io.reside.permissions.GrantSource;
import io.reside.permissions.GrantSpec;
import io.reside.permissions.HookRegistry;
import io.reside.permissions.PermissionReconciler;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbAdmin;
import io.reside.permissions.RcbView;
import io.reside.permissions.ReconcilerOptions;
import io.reside.testing.EtcdServer;

/**
 * How fast an RCB change becomes an applied grant. A replica (its RCB view and reconciler, in this process, with its
 * own etcd connection) follows its RCB while an "Alpha" (another connection) changes it; an observer watches the
 * applied state. Sequential: 1000 changes one after another (500 grants, then their 500 revocations), each timed
 * from just before its commit was sent to the moment its applied state is seen. Bulk: 1000 grants in one commit,
 * timed until all are applied.
 */
final class ReconcileBenchmark {

    static final String CONTRACT = "localhost:5000/reside/contracts/bench.v1";
    static final String REPLICA = "r-bench";
    private final Bench.Options options;

    ReconcileBenchmark(Bench.Options options) {
        this.options = options;
    }

    void run() throws Exception {
        int changes = options.getInt("changes", 1000);
        String endpoints = options.get("endpoints", null);
        EtcdServer etcd = endpoints == null ? EtcdServer.start() : null;
        String endpoint = endpoints != null ? endpoints : etcd.endpoint();
        String cluster = "bench-reconcile-" + ProcessHandle.current().pid();
        StoreConfig config = StoreConfig.builder().endpoints(endpoint).cluster(cluster).build();
        System.out.printf("reconcile benchmark: etcd at %s, %d sequential changes and %d grants at once, %d CPUs, "
                + "Java %s%n", endpoint, changes, changes, Runtime.getRuntime().availableProcessors(),
                Runtime.version());
        try (Store alpha = Store.connect(config);
                Store replica = Store.connect(config);
                Store observer = Store.connect(config)) {
            alpha.run(tx -> {
                RcbAdmin.registerContract(tx, contract());
                RcbAdmin.createRcb(tx, new Rcb(REPLICA, "bench", "acc_bench", "sha256:0", List.of(CONTRACT), Map.of()));
                return null;
            });
            Applied applied = new Applied();
            try (Subscription watch = observer.watch(GrantKeys.currentPrefix(REPLICA),
                    WatchOptions.forPrefix(), applied);
                    RcbView view = RcbView.open(replica, REPLICA, Duration.ofSeconds(30));
                    PermissionReconciler reconciler = new PermissionReconciler(replica, view, new HookRegistry(),
                            ReconcilerOptions.DEFAULT).start()) {
                waitFor(() -> watch.revision() > 0, "the observer's watch");
                // warm-up: JIT and connections, not measured
                for (int i = 0; i < 50; i++) {
                    sequential(alpha, applied, "acc_warm" + i, true);
                    sequential(alpha, applied, "acc_warm" + i, false);
                }
                Latencies latencies = new Latencies();
                for (int i = 0; i < changes; i++) {
                    boolean grant = i < changes / 2;
                    String grantee = "acc_" + (grant ? i : i - changes / 2);
                    latencies.add(sequential(alpha, applied, grantee, grant));
                }
                double bulkSeconds = bulk(alpha, applied, changes);
                double p50 = latencies.percentileMicros(50) / 1000;
                double p99 = latencies.percentileMicros(99) / 1000;
                System.out.printf("%nsequential: %d changes, commit to applied: p50 %.1f ms, p99 %.1f ms, max %.1f ms "
                        + "(target p50 < 100, p99 < 500)%n", latencies.count(), p50, p99,
                        latencies.percentileMicros(100) / 1000);
                System.out.printf("bulk: %d grants in one commit, all applied in %.2f s (target < 5 s); %d passes%n",
                        changes, bulkSeconds, reconciler.stats().passes());
                System.out.println();
                System.out.printf("RESULT reconcile p50-ms=%.1f p99-ms=%.1f bulk%d-s=%.2f%n", p50, p99, changes,
                        bulkSeconds);
            }
        } finally {
            if (etcd != null) {
                etcd.close();
            }
        }
    }

    /** One grant (or revocation) of item:read:all to {@code grantee}; returns commit-to-applied nanoseconds. */
    private static long sequential(Store alpha, Applied applied, String grantee, boolean grant) throws Exception {
        String key = GrantKeys.grantKey(grantee, CONTRACT, "item:read:all", null);
        CountDownLatch seen = applied.expect(key, grant);
        long start = System.nanoTime();
        alpha.run(tx -> RcbAdmin.syncGrants(tx, grantee, GrantSource.MANUAL, grant
                ? List.of(new GrantSpec.PermissionSet("bench", List.of(GrantSpec.of(CONTRACT, "item:read:all"))))
                : List.of()));
        if (!seen.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the change for " + grantee + " was not applied within 30 s");
        }
        return applied.seenAt(key) - start;
    }

    private static double bulk(Store alpha, Applied applied, int count) throws Exception {
        List<GrantSpec> grants = new ArrayList<>();
        List<CountDownLatch> latches = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String realm = "realm-" + i;
            grants.add(GrantSpec.of(CONTRACT, "realm:read", JsonNodeFactory.instance.objectNode().put("name", realm)));
            latches.add(applied.expect(GrantKeys.grantKey("acc_bulk", CONTRACT, "realm:read", realm), true));
        }
        long start = System.nanoTime();
        alpha.run(tx -> RcbAdmin.syncGrants(tx, "acc_bulk", GrantSource.MANUAL,
                List.of(new GrantSpec.PermissionSet("bulk", grants))));
        for (CountDownLatch l : latches) {
            if (!l.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("bulk grants were not all applied within 120 s");
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Watches the applied state and tells when a grant reached the expected state. */
    static final class Applied implements WatchListener {
        private final Map<String, Expectation> expected = new ConcurrentHashMap<>();
        private final Map<String, Long> seenAt = new ConcurrentHashMap<>();

        private record Expectation(boolean granted, CountDownLatch latch) {
        }

        CountDownLatch expect(String key, boolean granted) {
            Expectation e = new Expectation(granted, new CountDownLatch(1));
            expected.put(key, e);
            return e.latch();
        }

        long seenAt(String key) {
            return seenAt.get(key);
        }

        @Override
        public void onEvents(List<WatchEvent> events) {
            long now = System.nanoTime();
            for (WatchEvent e : events) {
                if (e.type() != WatchEvent.Type.PUT) {
                    continue;
                }
                CurrentGrant c = e.kv().decode(CurrentGrant.TYPE);
                Expectation x = expected.get(c.key());
                if (x != null && x.granted() == c.granted() && x.latch().getCount() > 0) {
                    seenAt.put(c.key(), now);
                    x.latch().countDown();
                }
            }
        }

        @Override
        public void onReset(long revision, List<KeyValue> state) {
        }
    }

    private static ContractManifest contract() {
        Map<String, DisplayText> texts = Map.of("en", new DisplayText("t", "d"), "ru", new DisplayText("т", "о"));
        ObjectNode none = JsonNodeFactory.instance.objectNode().put("type", "object");
        ObjectNode named = JsonNodeFactory.instance.objectNode().put("type", "object");
        named.putObject("properties").putObject("name").put("type", "string");
        named.putArray("required").add("name");
        Map<String, ContractManifest.Permission> permissions = new LinkedHashMap<>();
        permissions.put("item:read:all", new ContractManifest.Permission(texts, List.of(), none));
        permissions.put("realm:read", new ContractManifest.Permission(texts, List.of("name"), named));
        return new ContractManifest(Manifest.CURRENT_SCHEMA_VERSION, CONTRACT, texts, Map.of(), permissions);
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " did not start within 30 s");
            }
            Thread.sleep(10);
        }
    }
}
