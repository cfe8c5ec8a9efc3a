package io.reside.permissions;

import static io.reside.permissions.Fixture.DEMO;
import static io.reside.permissions.Fixture.OTHER;
import static io.reside.permissions.Fixture.params;
import static io.reside.permissions.Fixture.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.reside.etcd.Store;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/** Checks answer from the applied state only; each row of the table is one case. */
@EtcdTest
class ChecksTest {

    @Test
    void requirementChangesAreSeenLive(EtcdServer etcd) {
        try (Store store = Store.connect(Fixture.config(etcd, Fixture.newCluster()).build())) {
            Fixture.setUp(store, "r-1");
            try (RcbView view = RcbView.open(store, "r-1", Duration.ofSeconds(10))) {
                java.util.concurrent.atomic.AtomicInteger changes = new java.util.concurrent.atomic.AtomicInteger();
                view.onRcbChange(changes::incrementAndGet);
                assertThat(view.rcb().requirements()).isEmpty();
                Rcb.Implementor um = new Rcb.Implementor("r-um", "user-manager", "acc_um",
                        java.util.Map.of("internal", "http://user-manager:8080"));
                store.run(tx -> {
                    RcbAdmin.setRequirements(tx, "r-1", java.util.Map.of("users", List.of(um)));
                    return null;
                });
                await().atMost(Duration.ofSeconds(10)).until(() -> !view.rcb().requirements().isEmpty());
                assertThat(view.rcb().requirements().get("users")).containsExactly(um);
                assertThat(changes.get()).isPositive();
            }
        }
    }

    @Test
    void aMissingRcbStopsStartUpWithAClearMessage(EtcdServer etcd) {
        try (Store store = Store.connect(Fixture.config(etcd, Fixture.newCluster()).build())) {
            org.assertj.core.api.Assertions
                    .assertThatThrownBy(() -> RcbView.open(store, "r-none", Duration.ofSeconds(10)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage(
                            "there is no RCB rcb/r-none: check RESIDE_CONTROL_BLOCK_ID (the replica id Alpha created) "
                                    + "and that RESIDE_CLUSTER names the right cluster");
        }
    }

    record Row(String caseName, String grantee, String contract, String permission, String instance, boolean allowed) {
    }

    @Test
    void checksFollowExpectedAndAppliedState(EtcdServer etcd) {
        try (Store store = Store.connect(Fixture.config(etcd, Fixture.newCluster()).build())) {
            Fixture.setUp(store, "r-1");
            Fixture.RecordingHooks hooks = new Fixture.RecordingHooks();
            HookRegistry registry = new HookRegistry().register(DEMO, "realm:read", hooks)
                    .register(DEMO, "item:read:all", hooks);
            try (RcbView view = RcbView.open(store, "r-1", Duration.ofSeconds(10));
                    PermissionReconciler reconciler = new PermissionReconciler(store, view, registry,
                            ReconcilerOptions.DEFAULT).start()) {
                hooks.failFor.add("{pending}");
                sync(store, "acc_a", GrantSource.MANUAL,
                        GrantSpec.of(DEMO, "realm:read", params("name", "telegram")),
                        GrantSpec.of(DEMO, "realm:read", params("name", "pending")));
                sync(store, "acc_b", GrantSource.MANUAL, GrantSpec.of(DEMO, "item:read:all"));
                await().atMost(Duration.ofSeconds(10)).until(() -> view.check("acc_a", DEMO, "realm:read", "telegram")
                        && view.check("acc_b", DEMO, "item:read:all", null)
                        && view.grantsOf("acc_a").stream().anyMatch(s -> s.error() != null));
                hooks.failFor.add("revoked"); // acc_b's revocation cannot be applied: still revoked for checks
                sync(store, "acc_b", GrantSource.MANUAL);
                await().atMost(Duration.ofSeconds(10)).until(() -> view.grantsOf("acc_b").get(0).error() != null);

                List<Row> table = List.of(
                        new Row("granted and applied", "acc_a", DEMO, "realm:read", "telegram", true),
                        new Row("granted, not applied yet (hook failing)", "acc_a", DEMO, "realm:read", "pending",
                                false),
                        new Row("revoked (undo failing, still applied)", "acc_b", DEMO, "item:read:all", null, false),
                        new Row("other instance", "acc_a", DEMO, "realm:read", "default", false),
                        new Row("no instance given for an instance-scoped grant", "acc_a", DEMO, "realm:read", null,
                                false),
                        new Row("other grantee", "acc_c", DEMO, "realm:read", "telegram", false),
                        new Row("other contract", "acc_a", OTHER, "realm:read", "telegram", false),
                        new Row("other permission", "acc_a", DEMO, "handler:setup", "telegram", false));
                for (Row row : table) {
                    assertThat(view.check(row.grantee(), row.contract(), row.permission(), row.instance()))
                            .as(row.caseName()).isEqualTo(row.allowed());
                }
                assertThat(view.grantsOf("acc_a")).extracting(GrantStatus::instanceId, GrantStatus::state)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("pending", GrantStatus.State.PENDING),
                                org.assertj.core.groups.Tuple.tuple("telegram", GrantStatus.State.CURRENT));
                assertThat(view.grantsOf("acc_b")).extracting(GrantStatus::state)
                        .containsExactly(GrantStatus.State.REVOKING);
                assertThat(view.grantsOf("acc_c")).isEmpty();
            }
        }
    }
}
