package io.reside.permissions;

import static io.reside.permissions.Fixture.DEMO;
import static io.reside.permissions.Fixture.params;
import static io.reside.permissions.Fixture.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.reside.etcd.KeyValue;
import io.reside.etcd.Store;
import io.reside.etcd.Subscription;
import io.reside.etcd.WatchEvent;
import io.reside.etcd.WatchListener;
import io.reside.etcd.WatchOptions;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/** Each grant is its own document: a change costs O(1) writes and watch events, and the RCB does not grow. */
@EtcdTest
class GrantsAtScaleTest {

    static final int USERS = 300;

    @Test
    void aGrantChangeTouchesOneDocumentWhateverTheNumberOfGrants(EtcdServer etcd) throws Exception {
        try (Store store = Store.connect(Fixture.config(etcd, Fixture.newCluster()).build())) {
            Fixture.setUp(store, "r-1");
            var rcbBefore = store.get(Rcb.TYPE, Rcb.key("r-1"));
            for (int i = 0; i < USERS; i++) {
                sync(store, "acc_u" + i, GrantSource.MANUAL, GrantSpec.of(DEMO, "item:read:all"));
            }
            var rcbAfter = store.get(Rcb.TYPE, Rcb.key("r-1"));
            assertThat(rcbAfter.modRevision()).as("granting to %d users does not rewrite the RCB", USERS)
                    .isEqualTo(rcbBefore.modRevision());
            assertThat(RcbAdmin.grantsOf(store, "r-1")).hasSize(USERS);

            List<String> changed = new CopyOnWriteArrayList<>();
            try (Subscription watch = store.watch("", WatchOptions.forPrefix(), new WatchListener() {
                @Override
                public void onEvents(List<WatchEvent> events) {
                    events.forEach(e -> changed.add(e.kv().key()));
                }

                @Override
                public void onReset(long revision, List<KeyValue> state) {
                }
            })) {
                Thread.sleep(200); // the watch is established
                sync(store, "acc_u7", GrantSource.MANUAL, GrantSpec.of(DEMO, "item:read:all"),
                        GrantSpec.of(DEMO, "realm:read", params("name", "telegram")));
                await().atMost(Duration.ofSeconds(5)).until(() -> !changed.isEmpty());
                Thread.sleep(300); // anything else the commit wrote has arrived too
                assertThat(changed).as("one more grant for one user of %d", USERS).containsExactly(
                        GrantKeys.expectedKey("r-1", GrantKeys.grantKey("acc_u7", DEMO, "realm:read", "telegram")));
            }
        }
    }

    @Test
    void groupGrantsApplyToTheirMembersOnly(EtcdServer etcd) {
        try (Store store = Store.connect(Fixture.config(etcd, Fixture.newCluster()).build())) {
            Fixture.setUp(store, "r-1");
            try (RcbView view = RcbView.open(store, "r-1", Duration.ofSeconds(10));
                    PermissionReconciler reconciler = new PermissionReconciler(store, view, new HookRegistry(),
                            ReconcilerOptions.DEFAULT).start()) {
                sync(store, GrantKeys.realmGroup("telegram"), GrantSource.MANUAL,
                        GrantSpec.of(DEMO, "realm:read", params("name", "telegram")));
                sync(store, GrantKeys.ALL_USERS, GrantSource.MANUAL, GrantSpec.of(DEMO, "item:read:all"));
                List<String> telegramUser = List.of("acc_t", GrantKeys.realmGroup("telegram"), GrantKeys.ALL_USERS);
                List<String> defaultUser = List.of("acc_d", GrantKeys.realmGroup("default"), GrantKeys.ALL_USERS);
                List<String> replica = List.of("acc_r");
                await().atMost(Duration.ofSeconds(10)).until(() -> view.check(telegramUser, DEMO, "realm:read",
                        "telegram") && view.check(defaultUser, DEMO, "item:read:all", null));
                assertThat(view.check(telegramUser, DEMO, "item:read:all", null)).isTrue();
                assertThat(view.check(defaultUser, DEMO, "realm:read", "telegram")).as("another realm").isFalse();
                assertThat(view.check(replica, DEMO, "item:read:all", null)).as("not a user").isFalse();
                assertThat(view.grantsOf(telegramUser)).extracting(GrantStatus::grantee, GrantStatus::permission)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("realm:telegram", "realm:read"),
                                org.assertj.core.groups.Tuple.tuple("users:all", "item:read:all"));

                // a default set removed: every member loses it at once
                sync(store, GrantKeys.ALL_USERS, GrantSource.MANUAL);
                await().atMost(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(10))
                        .until(() -> !view.check(defaultUser, DEMO, "item:read:all", null));
                assertThat(view.check(telegramUser, DEMO, "item:read:all", null)).isFalse();
                assertThat(view.check(telegramUser, DEMO, "realm:read", "telegram")).isTrue();
            }
        }
    }

    @Test
    void anUnloadedReplicasGrantsArePurgedInBatches(EtcdServer etcd) {
        try (Store store = Store.connect(Fixture.config(etcd, Fixture.newCluster()).build())) {
            Fixture.setUp(store, "r-1");
            List<GrantSpec> many = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                many.add(GrantSpec.of(DEMO, "realm:read", params("name", "realm-" + i)));
            }
            sync(store, "acc_a", GrantSource.MANUAL, many.toArray(GrantSpec[]::new));
            assertThat(RcbAdmin.purgeGrants(store, "r-1", 10)).as("nothing while the RCB exists").isZero();
            store.run(tx -> {
                tx.delete(Rcb.key("r-1"));
                return null;
            });
            assertThat(RcbAdmin.purgeGrants(store, "r-1", 10)).isEqualTo(25);
            assertThat(RcbAdmin.grantsOf(store, "r-1")).isEmpty();
            assertThat(RcbAdmin.purgeGrants(store, "r-1", 10)).as("idempotent").isZero();
            // the grantee's next sync forgets the replica that is gone
            sync(store, "acc_a", GrantSource.MANUAL);
            assertThat(store.find(RcbAdmin.REPLICA_IDS, GrantKeys.granteeKey("acc_a"))).isEmpty();
        }
    }
}
