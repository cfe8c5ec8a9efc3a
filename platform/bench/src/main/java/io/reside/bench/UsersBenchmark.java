package io.reside.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.harness.LocalCluster;
import io.reside.model.Identities;
import io.reside.permissions.CurrentGrant;
import io.reside.permissions.GrantKeys;
import io.reside.permissions.Rcb;

/**
 * People at scale (issue 11: create at least 200 users a second, a default-set change applied to all 10,000 in under
 * 2 s, a single grant applied in under 100 ms at p50, Alpha's RCB the same size whatever the number of users). A
 * {@link LocalCluster} with the User Manager loaded through Alpha from its image; the operator (super-admin) creates
 * N managed users in realm {@code telegram} from 8 threads, then sets a default set and waits until Alpha has applied
 * it (one grant to {@code users:all}), then gives single grants to single users, each timed from the return of
 * {@code grantPermission} to the grant applied in Alpha. The baseline of the same run is the same single grant made
 * directly with Alpha's {@code syncGrants}: {@code grant-vs-direct-ratio} is what the User Manager's sync adds.
 */
final class UsersBenchmark {

    private static final String ALPHA = Identities.contract(Identities.DEFAULT_PREFIX, "alpha", 1);
    private static final String UM = Identities.contract(Identities.DEFAULT_PREFIX, "user-manager", 1);

    private final Bench.Options options;

    UsersBenchmark(Bench.Options options) {
        this.options = options;
    }

    void run() throws Exception {
        int total = options.getInt("users", 10_000);
        int grants = options.getInt("grants", 50);
        Path alphaApp = Path.of(System.getProperty("reside.bench.alpha"));
        Path umApp = Path.of(System.getProperty("reside.bench.user-manager"));
        System.out.println("starting etcd, a registry and Alpha, loading the User Manager...");
        try (LocalCluster cluster = LocalCluster.start(alphaApp, java.util.Map.of("RESIDE_RPC_ACCESS_LOG", "false"))) {
            AlphaApi.Replica um = cluster.load(cluster.push(umApp, "1"));
            // over a session: 10,000 per-request proofs in a minute would exceed the account's share of the
            // replay cache (and the CLI will call this way too)
            UserManagerApi users = cluster.sessionClient(UserManagerApi.class, um, cluster.operator());
            UserManagerApi.User operator = users.register();
            await("the operator holds the User Manager's permissions", 30_000, () -> {
                try {
                    users.getDefaultPermissions();
                    return true;
                } catch (RuntimeException e) {
                    return false;
                }
            });
            users.grantPermission(new UserManagerApi.GrantPermission(operator.id(), UM, "user:create:realm",
                    JsonNodeFactory.instance.objectNode().put("realm", "telegram")));
            await("the operator may create users in telegram", 30_000, () -> {
                try {
                    users.createUser(new UserManagerApi.CreateUser("telegram", "warm-up"));
                    return true;
                } catch (RuntimeException e) {
                    return false;
                }
            });
            Store store = cluster.store();

            // 1. create
            List<UserManagerApi.User> created = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger next = new AtomicInteger();
            long rcbAt100 = -1;
            ExecutorService pool = Executors.newFixedThreadPool(8);
            long t0 = System.nanoTime();
            try {
                List<Future<?>> workers = new ArrayList<>();
                for (int w = 0; w < 8; w++) {
                    workers.add(pool.submit(() -> {
                        for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                            created.add(users.createUser(new UserManagerApi.CreateUser("telegram", "user-" + i)));
                        }
                        return null;
                    }));
                }
                while (created.size() < Math.min(100, total)) {
                    Thread.sleep(5);
                }
                rcbAt100 = rcbBytes(store);
                int lastShown = 0;
                for (Future<?> f : workers) {
                    while (!f.isDone()) {
                        Thread.sleep(1000);
                        if (created.size() / 1000 > lastShown) {
                            lastShown = created.size() / 1000;
                            System.out.printf("  %d users created%n", created.size());
                        }
                    }
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            double createS = (System.nanoTime() - t0) / 1e9;
            double perS = total / createS;
            System.out.printf("create: %d managed users in %.1f s: %.0f/s (target >= 200/s)%n", total, createS, perS);

            // 2. a default set, for all of them
            String groupKey = GrantKeys.currentKey("alpha", GrantKeys.grantKey(GrantKeys.ALL_USERS, ALPHA,
                    "replica:read:all", null));
            long t1 = System.nanoTime();
            users.setDefaultPermissions(
                    new UserManagerApi.SetDefaultPermissions(List.of(new UserManagerApi.PermissionSet(
                            "viewers", List.of(new UserManagerApi.GrantSpec(ALPHA, "replica:read:all", null))))));
            await("the default set applied", 30_000, () -> applied(store, groupKey));
            double defaultS = (System.nanoTime() - t1) / 1e9;
            System.out.printf("default set: applied for all %d users %.3f s after setDefaultPermissions was sent "
                    + "(target < 2 s): one grant to users:all%n", total, defaultS);

            // 3. single grants to single users, through the User Manager, and directly through Alpha
            List<Double> viaUm = new ArrayList<>();
            List<Double> direct = new ArrayList<>();
            for (int i = 0; i < grants; i++) {
                UserManagerApi.User u = created.get(i * (created.size() / grants));
                String key = GrantKeys.currentKey("alpha", GrantKeys.grantKey(u.accountId(), ALPHA,
                        "load-request:create", null));
                long s = System.nanoTime();
                users.grantPermission(new UserManagerApi.GrantPermission(u.id(), ALPHA, "load-request:create",
                        null));
                await("a grant applied", 10_000, () -> applied(store, key));
                viaUm.add((System.nanoTime() - s) / 1e6);

                UserManagerApi.User v = created.get(i * (created.size() / grants) + 1);
                String directKey = GrantKeys.currentKey("alpha", GrantKeys.grantKey(v.accountId(), ALPHA,
                        "load-request:create", null));
                long d = System.nanoTime();
                cluster.alpha().syncGrants(new AlphaApi.SyncGrants(v.accountId(), "dynamic", List.of(
                        new AlphaApi.PermissionSet("bench", List.of(new AlphaApi.GrantSpec(ALPHA,
                                "load-request:create", null, List.of()))))));
                await("a direct grant applied", 10_000, () -> applied(store, directKey));
                direct.add((System.nanoTime() - d) / 1e6);
            }
            double p50 = percentile(viaUm, 50);
            double directP50 = percentile(direct, 50);
            System.out.printf("single grants: commit to applied p50 %.1f ms, p99 %.1f ms through the User Manager; "
                    + "%.1f ms directly with Alpha's syncGrants (target < 100 ms)%n", p50, percentile(viaUm, 99),
                    directP50);
            long rcbAtN = rcbBytes(store);
            System.out.printf("Alpha's RCB: %d bytes at 100 users, %d bytes at %d users%n", rcbAt100, rcbAtN, total);
            System.out.println();
            System.out.printf("RESULT users create-per-s=%.0f default-change-s=%.3f grant-p50-ms=%.1f rcb-bytes=%d "
                    + "grant-vs-direct-ratio=%.2f%n", perS, defaultS, p50, rcbAtN, p50 / directP50);
        }
    }

    private static boolean applied(Store store, String key) {
        return store.find(CurrentGrant.TYPE, key).map(v -> v.value().granted()).orElse(false);
    }

    private static long rcbBytes(Store store) throws Exception {
        Rcb rcb = store.get(Rcb.TYPE, Rcb.key("alpha")).value();
        return DocType.mapper().writeValueAsBytes(rcb).length;
    }

    private static void await(String what, long timeoutMs, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": not within " + timeoutMs + " ms");
            }
            Thread.sleep(2);
        }
    }

    private static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
