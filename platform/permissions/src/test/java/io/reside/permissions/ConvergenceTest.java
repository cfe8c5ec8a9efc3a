package io.reside.permissions;

import static io.reside.permissions.Fixture.DEMO;
import static io.reside.permissions.Fixture.params;
import static io.reside.permissions.Fixture.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.reside.etcd.Store;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/** 200 grant changes made concurrently converge: every hook once, every check right. */
@EtcdTest
class ConvergenceTest {

    @Test
    void twoHundredConcurrentGrantChangesConverge(EtcdServer etcd) throws Exception {
        String cluster = Fixture.newCluster();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (Store admin = Store.connect(Fixture.config(etcd, cluster).build());
                Store replica = Store.connect(Fixture.config(etcd, cluster).build())) {
            Fixture.setUp(admin, "r-1");
            Fixture.RecordingHooks hooks = new Fixture.RecordingHooks();
            try (RcbView view = RcbView.open(replica, "r-1", Duration.ofSeconds(10));
                    PermissionReconciler reconciler = new PermissionReconciler(replica, view,
                            new HookRegistry().register(DEMO, "realm:read", hooks), ReconcilerOptions.DEFAULT)
                            .start()) {
                List<String> grantees = IntStream.range(0, 200).mapToObj(i -> "acc_" + i).toList();
                run(pool, grantees, g -> sync(admin, g, GrantSource.MANUAL,
                        GrantSpec.of(DEMO, "realm:read", params("name", "realm-" + g))));
                await().atMost(Duration.ofSeconds(60)).until(() -> grantees.stream()
                        .allMatch(g -> view.check(g, DEMO, "realm:read", "realm-" + g)));
                assertThat(hooks.calls()).hasSize(200).doesNotHaveDuplicates();

                List<String> revoked = grantees.subList(0, 100);
                run(pool, revoked, g -> sync(admin, g, GrantSource.MANUAL));
                await().atMost(Duration.ofSeconds(60)).until(() -> revoked.stream()
                        .noneMatch(g -> view.check(g, DEMO, "realm:read", "realm-" + g))
                        && hooks.calls().size() == 300);
                assertThat(grantees.subList(100, 200)).allMatch(g -> view.check(g, DEMO, "realm:read", "realm-" + g));
                assertThat(hooks.calls()).filteredOn(c -> c.startsWith("revoked")).hasSize(100)
                        .doesNotHaveDuplicates();
                System.out.printf("convergence: 300 grant changes applied in %d reconcile passes%n",
                        reconciler.stats().passes());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void run(ExecutorService pool, List<String> grantees, java.util.function.Consumer<String> change)
            throws Exception {
        List<Future<?>> all = new ArrayList<>();
        for (String g : grantees) {
            all.add(pool.submit(() -> change.accept(g)));
        }
        for (Future<?> f : all) {
            f.get(2, TimeUnit.MINUTES);
        }
    }
}
