package io.reside.etcd;

import static io.reside.etcd.EtcdAuth.Access.READ;
import static io.reside.etcd.EtcdAuth.Access.READWRITE;
import static io.reside.etcd.TestStores.COUNTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.reside.etcd.EtcdAuth.KeyPermission;
import io.reside.etcd.TestStores.Counter;
import io.reside.testing.EtcdServer;

/**
 * etcd with auth on, as Alpha runs it: root administers, each replica's user is confined by its role, and a refusal
 * is a clear {@link EtcdPermissionDeniedException}, not a hang or a retry. An etcd of its own: auth is server-wide.
 */
class EtcdAuthTest {

    private static final String ROOT_PASSWORD = "root-secret-" + System.nanoTime();
    private static final String CLUSTER = "auth";

    private static EtcdServer etcd;
    private static Store root;

    @BeforeAll
    static void enableAuth() {
        etcd = EtcdServer.start();
        root = Store.connect(TestStores.config(etcd, CLUSTER).credentials("root", ROOT_PASSWORD).build());
        assertThat(root.auth().enabled()).isFalse();
        root.run(tx -> { // works without auth: the credentials are not needed yet
            tx.put(COUNTER, "rcb/r1", new Counter(1));
            return null;
        });
        root.auth().enable(ROOT_PASSWORD);
        root.auth().enable(ROOT_PASSWORD); // idempotent
        assertThat(root.auth().enabled()).isTrue();
        root.auth().putRole("replica-r1", List.of(KeyPermission.prefix("data/r1/", READWRITE),
                KeyPermission.key("rcb/r1", READ), KeyPermission.prefix("accounts/", READ)));
        root.auth().putUser("r1-v1", "pw-r1", "replica-r1", false);
        root.run(tx -> {
            tx.put(COUNTER, "data/r2/secret", new Counter(42));
            tx.put(COUNTER, "accounts/a1", new Counter(7));
            return null;
        });
    }

    @AfterAll
    static void stop() {
        if (root != null) {
            root.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    private static Store replica(String user, String password) {
        return Store.connect(TestStores.config(etcd, CLUSTER).credentials(user, password).build())
                .scoped("data/r1/");
    }

    @Test
    void aReplicaWorksInsideItsRole() throws Exception {
        try (Store r1 = replica("r1-v1", "pw-r1")) {
            RecordingListener seen = new RecordingListener();
            Subscription watch = r1.watch("c/", WatchOptions.forPrefix(), seen);
            r1.locked("mine", tx -> {
                Counter shared = tx.cluster().get(COUNTER, "accounts/a1");
                tx.put(COUNTER, "c/x", new Counter(shared.value() + tx.cluster().get(COUNTER, "rcb/r1").value()));
                return null;
            });
            assertThat(r1.get(COUNTER, "c/x").value()).isEqualTo(new Counter(8));
            assertThat(r1.cluster().list(COUNTER, "accounts/")).hasSize(1);
            assertThat(r1.ping()).isPositive();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (seen.events().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(seen.events()).extracting(e -> e.kv().key()).containsExactly("c/x");
            watch.close();
        }
    }

    @Test
    void etcdRefusesWhatTheRoleDoesNotAllowAndNothingIsWritten() {
        try (Store r1 = replica("r1-v1", "pw-r1")) {
            assertThatThrownBy(() -> r1.cluster().find(COUNTER, "data/r2/secret"))
                    .isInstanceOf(EtcdPermissionDeniedException.class)
                    .hasMessageContaining("read 'data/r2/secret'").hasMessageContaining("r1-v1")
                    .hasMessageNotContaining("pw-r1");
            // its own expected grants: readable, never writable
            assertThatThrownBy(() -> r1.run(tx -> {
                tx.put(COUNTER, "c/y", new Counter(1));
                tx.cluster().put(COUNTER, "rcb/r1", new Counter(1000));
                return null;
            })).isInstanceOf(EtcdPermissionDeniedException.class);
            assertThatThrownBy(() -> r1.run(tx -> {
                tx.cluster().put(COUNTER, "accounts/evil", new Counter(1));
                return null;
            })).isInstanceOf(EtcdPermissionDeniedException.class);
            assertThatThrownBy(() -> r1.cluster().list(COUNTER, "")).isInstanceOf(
                    EtcdPermissionDeniedException.class);
            assertThatThrownBy(() -> r1.auth().users()).isInstanceOf(EtcdPermissionDeniedException.class);
        }
        assertThat(root.find(COUNTER, "data/r1/c/y")).isEmpty();
        assertThat(root.get(COUNTER, "rcb/r1").value()).isEqualTo(new Counter(1));
        assertThat(root.find(COUNTER, "accounts/evil")).isEmpty();
    }

    @Test
    void aWrongPasswordOrADeletedUserIsRefusedClearly() {
        try (Store wrong = replica("r1-v1", "not-the-password")) {
            assertThatThrownBy(() -> wrong.find(COUNTER, "c/x")).isInstanceOf(EtcdPermissionDeniedException.class)
                    .hasMessageContaining("refused the credentials of user 'r1-v1'")
                    .hasMessageNotContaining("not-the-password");
        }
        root.auth().putUser("r1-old", "pw-old", "replica-r1", false);
        try (Store old = replica("r1-old", "pw-old")) {
            assertThat(old.find(COUNTER, "c/none")).isEmpty();
            root.auth().deleteUser("r1-old");
            root.auth().deleteUser("r1-old"); // idempotent
            assertThatThrownBy(() -> old.find(COUNTER, "c/none")).isInstanceOf(
                    EtcdPermissionDeniedException.class).hasMessageContaining("r1-old");
        }
        assertThat(root.auth().users()).doesNotContain("r1-old").contains("root", "r1-v1");
    }

    @Test
    void aTokenThatEtcdDropsIsRenewedWithoutTheCallerNoticing() {
        root.auth().putUser("r1-renew", "pw-renew", "replica-r1", false);
        try (Store r1 = replica("r1-renew", "pw-renew")) {
            assertThat(r1.find(COUNTER, "c/none")).isEmpty();
            // setting the password (to the same value) makes etcd drop the user's tokens
            root.auth().putUser("r1-renew", "pw-renew", "replica-r1", true);
            assertThat(r1.find(COUNTER, "c/none")).isEmpty();
            r1.run(tx -> {
                tx.put(COUNTER, "c/renewed", new Counter(1));
                return null;
            });
        }
        assertThat(root.find(COUNTER, "data/r1/c/renewed")).isPresent();
    }

    @Test
    void rolesAreMadeExactlyAsAsked() {
        root.auth().putRole("shrinking", List.of(KeyPermission.prefix("data/x/", READWRITE),
                KeyPermission.key("rcb/x", READ)));
        root.auth().putRole("shrinking", List.of(KeyPermission.prefix("data/x/", READ)));
        assertThat(root.auth().permissions("shrinking")).containsExactly(KeyPermission.prefix("data/x/", READ));
        root.auth().deleteRole("shrinking");
        root.auth().deleteRole("shrinking");
        assertThat(root.auth().roles()).doesNotContain("shrinking");
        assertThat(root.auth().permissions("shrinking")).isEmpty();
    }

    @Test
    void credentialsNeverShowInTheConfiguration() {
        StoreConfig config = TestStores.config(etcd, CLUSTER).credentials("u", "very-secret").build();
        assertThat(config.toString()).contains("username=u").doesNotContain("very-secret");
        assertThatThrownBy(() -> new StoreConfig.Credentials("u", "")).hasMessageContaining("empty");
    }
}
