package io.reside.permissions;

import static io.reside.permissions.Fixture.DEMO;
import static io.reside.permissions.Fixture.params;
import static io.reside.permissions.Fixture.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.reside.etcd.Store;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

@EtcdTest
class ReconcilerTest {

    static final String REPLICA = "r-demo";
    static final ReconcilerOptions FAST = new ReconcilerOptions(Duration.ofMillis(100), Duration.ofSeconds(1),
            Duration.ofSeconds(60));

    private final EtcdServer etcd;
    private Store store;
    private RcbView view;
    private PermissionReconciler reconciler;
    private final Fixture.RecordingHooks hooks = new Fixture.RecordingHooks();

    ReconcilerTest(EtcdServer etcd) {
        this.etcd = etcd;
    }

    @BeforeEach
    void start() {
        store = Store.connect(Fixture.config(etcd, Fixture.newCluster()).build());
        Fixture.setUp(store, REPLICA);
        view = RcbView.open(store, REPLICA, Duration.ofSeconds(10));
        HookRegistry registry = new HookRegistry();
        for (String p : new String[] { "item:read:all", "realm:read", "handler:setup" }) {
            registry.register(DEMO, p, hooks);
        }
        reconciler = new PermissionReconciler(store, view, registry, FAST).start();
    }

    @AfterEach
    void stop() {
        reconciler.close();
        view.close();
        store.close();
    }

    @Test
    void aGrantCallsItsHookOnceAndBecomesCurrent() {
        sync(store, "acc_a", GrantSource.MANUAL, GrantSpec.of(DEMO, "realm:read", params("name", "telegram")));
        await().atMost(Duration.ofSeconds(10)).until(() -> view.check("acc_a", DEMO, "realm:read", "telegram"));
        // unrelated changes cause more passes; the applied grant is not applied again
        sync(store, "acc_b", GrantSource.MANUAL, GrantSpec.of(DEMO, "item:read:all"));
        sync(store, "acc_c", GrantSource.MANUAL, GrantSpec.of(DEMO, "item:read:all"));
        await().atMost(Duration.ofSeconds(10)).until(() -> view.check("acc_c", DEMO, "item:read:all", null));
        assertThat(hooks.calls()).containsExactly(
                "granted acc_a realm:read{telegram} {\"name\":\"telegram\"}",
                "granted acc_b item:read:all {}",
                "granted acc_c item:read:all {}");
        CurrentGrant applied = view.current().get(GrantKeys.grantKey("acc_a", DEMO, "realm:read", "telegram"));
        assertThat(applied.granted()).isTrue();
        assertThat(applied.appliedAt()).isNotNull();
        assertThat(applied.error()).isNull();
    }

    @Test
    void changedParamsCallOnUpdatedWithTheNewAndTheOld() {
        sync(store, "acc_a", GrantSource.MANUAL, GrantSpec.of(DEMO, "handler:setup", params("name", "h", "limit", 1)));
        await().atMost(Duration.ofSeconds(10)).until(() -> view.check("acc_a", DEMO, "handler:setup", "h"));
        sync(store, "acc_a", GrantSource.MANUAL, GrantSpec.of(DEMO, "handler:setup", params("name", "h", "limit", 2)));
        await().atMost(Duration.ofSeconds(10)).until(() -> hooks.calls().size() == 2);
        assertThat(hooks.calls()).containsExactly(
                "granted acc_a handler:setup{h} {\"name\":\"h\",\"limit\":1}",
                "updated acc_a handler:setup{h} {\"name\":\"h\",\"limit\":2} from {\"name\":\"h\",\"limit\":1}");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> view.grantsOf("acc_a").get(0).state() == GrantStatus.State.CURRENT);
    }

    @Test
    void aRevocationFailsChecksAtOnceAndCallsOnRevoked() {
        sync(store, "acc_a", GrantSource.MANUAL, GrantSpec.of(DEMO, "item:read:all"));
        await().atMost(Duration.ofSeconds(10)).until(() -> view.check("acc_a", DEMO, "item:read:all", null));
        hooks.failFor.add("revoked"); // the replica cannot undo it yet...
        sync(store, "acc_a", GrantSource.MANUAL);
        // ...but the check fails as soon as the RCB says revoked
        await().atMost(Duration.ofSeconds(10)).until(() -> !view.check("acc_a", DEMO, "item:read:all", null));
        await().atMost(Duration.ofSeconds(10)).until(() -> view.grantsOf("acc_a").get(0).error() != null);
        assertThat(view.grantsOf("acc_a").get(0).state()).isEqualTo(GrantStatus.State.REVOKING);
        hooks.failFor.clear();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> view.grantsOf("acc_a").get(0).state() == GrantStatus.State.REVOKED);
        assertThat(hooks.calls()).filteredOn(c -> c.startsWith("revoked")).hasSizeGreaterThanOrEqualTo(2)
                .allMatch(c -> c.equals("revoked acc_a item:read:all {}"));
        // the next sync forgets the revoked grant, and the reconciler its applied state
        sync(store, "acc_a", GrantSource.MANUAL);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> view.grantsOf("acc_a").isEmpty() && view.current().isEmpty());
    }

    @Test
    void aFailingHookIsRetriedWithoutBlockingOtherGrants() {
        hooks.failFor.add("acc_bad");
        sync(store, "acc_bad", GrantSource.MANUAL, GrantSpec.of(DEMO, "item:read:all"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !view.grantsOf("acc_bad").isEmpty()
                && view.grantsOf("acc_bad").get(0).error() != null);
        GrantStatus failing = view.grantsOf("acc_bad").get(0);
        assertThat(failing.state()).isEqualTo(GrantStatus.State.PENDING);
        assertThat(failing.error())
                .isEqualTo("onGranted failed: java.lang.IllegalStateException: always failing for acc_bad");
        assertThat(view.check("acc_bad", DEMO, "item:read:all", null)).isFalse();

        sync(store, "acc_good", GrantSource.MANUAL, GrantSpec.of(DEMO, "item:read:all"));
        await().atMost(Duration.ofSeconds(10)).until(() -> view.check("acc_good", DEMO, "item:read:all", null));

        hooks.failFor.clear();
        hooks.failuresLeft = 2; // fails twice more, then succeeds
        await().atMost(Duration.ofSeconds(20)).until(() -> view.check("acc_bad", DEMO, "item:read:all", null));
        assertThat(view.grantsOf("acc_bad").get(0).error()).isNull();
        assertThat(hooks.calls()).filteredOn(c -> c.contains("acc_bad")).hasSizeGreaterThanOrEqualTo(4);
        assertThat(hooks.calls()).filteredOn(c -> c.contains("acc_good")).hasSize(1);
        assertThat(reconciler.stats().hookFailures()).isGreaterThanOrEqualTo(3);
    }
}
