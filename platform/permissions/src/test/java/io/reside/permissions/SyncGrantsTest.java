package io.reside.permissions;

import static io.reside.permissions.Fixture.DEMO;
import static io.reside.permissions.Fixture.params;
import static io.reside.permissions.Fixture.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.reside.etcd.Store;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

@EtcdTest
class SyncGrantsTest {

    @Test
    void twoWritersForDifferentGranteesOnOneReplicaLoseNothingAndNeverConflict(EtcdServer etcd) throws Exception {
        String cluster = Fixture.newCluster();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Store a = Store.connect(Fixture.config(etcd, cluster).build());
                Store b = Store.connect(Fixture.config(etcd, cluster).build())) {
            Fixture.setUp(a, "r-1");
            int rounds = 40;
            List<Future<?>> writers = new ArrayList<>();
            for (String grantee : List.of("acc_a", "acc_b")) {
                Store store = grantee.equals("acc_a") ? a : b;
                writers.add(pool.submit(() -> {
                    for (int n = 1; n <= rounds; n++) {
                        // each call states the whole set: instances 0..n-1
                        List<GrantSpec> grants = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            grants.add(GrantSpec.of(DEMO, "realm:read", params("name", "realm-" + i)));
                        }
                        sync(store, grantee, GrantSource.MANUAL, grants.toArray(GrantSpec[]::new));
                    }
                    return null;
                }));
            }
            for (Future<?> w : writers) {
                w.get(2, TimeUnit.MINUTES);
            }
            var grants = RcbAdmin.grantsOf(a, "r-1");
            assertThat(grants.values()).filteredOn(g -> g.grantee().equals("acc_a")).hasSize(rounds)
                    .allMatch(g -> g.expected().granted());
            assertThat(grants.values()).filteredOn(g -> g.grantee().equals("acc_b")).hasSize(rounds)
                    .allMatch(g -> g.expected().granted());
            // each grant is its own document: writers for different grantees read and write disjoint keys
            assertThat(a.stats().conflicts() + b.stats().conflicts()).as("conflicts between the writers").isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badInputIsRefusedAndChangesNothing(EtcdServer etcd) {
        try (Store store = Store.connect(Fixture.config(etcd, Fixture.newCluster()).build())) {
            Fixture.setUp(store, "r-1");
            assertThatThrownBy(() -> sync(store, "acc_a", GrantSource.MANUAL,
                    GrantSpec.of(DEMO, "item:read:all"),
                    GrantSpec.of("localhost:5000/reside/contracts/nope.v1", "x:y")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("unknown contract localhost:5000/reside/contracts/nope.v1: no replica implementing it "
                            + "has been loaded");
            assertThatThrownBy(() -> sync(store, "acc_a", GrantSource.MANUAL, GrantSpec.of(DEMO, "realm:write")))
                    .hasMessage("contract " + DEMO + " defines no permission 'realm:write' (it defines: item:read:all, "
                            + "realm:read, handler:setup)");
            assertThatThrownBy(() -> sync(store, "acc_a", GrantSource.MANUAL,
                    GrantSpec.of(DEMO, "handler:setup", params("name", "h", "limit", "many"))))
                    .hasMessageStartingWith("invalid params for handler:setup of " + DEMO + ": params.limit: ");
            assertThatThrownBy(() -> sync(store, "acc_a", GrantSource.MANUAL, GrantSpec.of(DEMO, "realm:read")))
                    .hasMessage("invalid params for realm:read of " + DEMO + ": params.name: is required");
            assertThatThrownBy(() -> sync(store, "a/b", GrantSource.MANUAL, GrantSpec.of(DEMO, "item:read:all")))
                    .hasMessage("grantee 'a/b' is not an account id, realm:<name> or users:all");
            assertThatThrownBy(() -> sync(store, "realm:Bad Name", GrantSource.MANUAL,
                    GrantSpec.of(DEMO, "item:read:all")))
                    .hasMessage("grantee 'realm:Bad Name': a realm name is 1 to 63 lower-case letters, digits and "
                            + "dashes, starting and ending with a letter or digit");
            assertThat(RcbAdmin.grantsOf(store, "r-1")).isEmpty();
        }
    }

    @Test
    void aGrantStaysWhileAnySourceGivesIt(EtcdServer etcd) {
        try (Store store = Store.connect(Fixture.config(etcd, Fixture.newCluster()).build())) {
            Fixture.setUp(store, "r-1");
            GrantSpec read = GrantSpec.of(DEMO, "item:read:all");
            RcbAdmin.SyncResult first = sync(store, "acc_r", GrantSource.STATIC, read);
            RcbAdmin.SyncResult second = sync(store, "acc_r", GrantSource.MANUAL, read);
            assertThat(first.granted()).isEqualTo(1);
            assertThat(second.granted()).isZero();
            RcbAdmin.SyncResult revokeManual = sync(store, "acc_r", GrantSource.MANUAL);
            assertThat(revokeManual.revoked()).isZero();
            Rcb.GrantEntry entry = RcbAdmin.grantsOf(store, "r-1").values().iterator().next();
            assertThat(entry.expected().granted()).isTrue();
            assertThat(entry.sources()).containsOnlyKeys(GrantSource.STATIC);
            assertThat(sync(store, "acc_r", GrantSource.STATIC).revoked()).isEqualTo(1);
        }
    }

    @Test
    void grantsGoToTheChosenImplementorsOrToAll(EtcdServer etcd) {
        try (Store store = Store.connect(Fixture.config(etcd, Fixture.newCluster()).build())) {
            Fixture.setUp(store, "r-1");
            store.run(tx -> {
                RcbAdmin.createRcb(tx, new Rcb("r-2", "demo-2", "acc_r-2", "sha256:0", List.of(DEMO), Map.of()));
                return null;
            });
            sync(store, "acc_x", GrantSource.STATIC,
                    new GrantSpec(DEMO, "realm:read", params("name", "only-r2"), List.of("r-2")),
                    GrantSpec.of(DEMO, "item:read:all"));
            assertThat(RcbAdmin.grantsOf(store, "r-1").values())
                    .extracting(Rcb.GrantEntry::permission).containsExactly("item:read:all");
            assertThat(RcbAdmin.grantsOf(store, "r-2").values())
                    .extracting(Rcb.GrantEntry::permission).containsExactlyInAnyOrder("realm:read", "item:read:all");
        }
    }
}
