package io.reside.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/** The registry follows etcd, knows accounts by their key, and refuses records that could keep a stale key alive. */
@EtcdTest
class AccountRegistryTest {

    static final DocType<ObjectNode> RAW = DocType.of("account", ObjectNode.class);

    private Store store;
    private AccountRegistry registry;

    @BeforeEach
    void open(EtcdServer etcd) {
        store = Store.connect(StoreConfig.builder().endpoints(etcd.endpoint())
                .cluster("registry-" + System.nanoTime()).build());
        registry = AccountRegistry.open(store, Duration.ofSeconds(10));
    }

    @AfterEach
    void close() {
        registry.close();
        store.close();
    }

    private void write(String id, ObjectNode record) {
        store.run(tx -> {
            tx.put(RAW, AccountRegistry.key(id), record);
            return null;
        });
    }

    private static ObjectNode record(String id, String publicKey, String kind) {
        ObjectNode n = JsonNodeFactory.instance.objectNode().put("id", id).put("kind", kind).put("name", "x")
                .put("createdAt", Instant.now().toString());
        return publicKey == null ? n : n.put("publicKey", publicKey);
    }

    @Test
    void aRewrittenRecordThatDoesNotHoldStopsTheOldKeyAtOnce() {
        AccountKey key = AccountKey.generate();
        String id = key.accountId();
        store.run(tx -> AccountRegistry.register(tx, key.publicKey(), AccountRegistry.Kind.REPLICA, "replica"));
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.publicKey(id).isPresent());

        // a key that is not this account's: the account is gone, not left with its old key
        write(id, record(id, AccountKey.generate().publicKey().toBase64url(), "replica"));
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.publicKey(id).isEmpty());
        assertThat(registry.find(id)).isEmpty();

        for (ObjectNode broken : new ObjectNode[] { record(id, null, "replica"), record(id, "not-a-key", "replica"),
                record(id, key.publicKey().toBase64url(), "no-such-kind") }) {
            write(id, record(id, key.publicKey().toBase64url(), "replica"));
            await().atMost(Duration.ofSeconds(5)).until(() -> registry.publicKey(id).isPresent());
            write(id, broken);
            await().atMost(Duration.ofSeconds(5)).until(() -> registry.publicKey(id).isEmpty());
        }
    }

    @Test
    void accountsAreIndexedByTheirKeyNotByWhatTheirBodySays() {
        AccountKey key = AccountKey.generate();
        String other = "acc_" + "b".repeat(32);
        // stored under another id than the one its body (and its key) says: refused
        write(other, record(key.accountId(), key.publicKey().toBase64url(), "replica"));
        AccountKey marker = AccountKey.generate();
        store.run(tx -> AccountRegistry.register(tx, marker.publicKey(), AccountRegistry.Kind.REPLICA, "marker"));
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.publicKey(marker.accountId()).isPresent());
        assertThat(registry.publicKey(key.accountId())).isEmpty();
        assertThat(registry.find(other)).isEmpty();
        // deleting the key really deletes the account
        store.run(tx -> {
            tx.delete(AccountRegistry.key(marker.accountId()));
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.publicKey(marker.accountId()).isEmpty());
    }

    @Test
    void managedUsersHaveNoKey() {
        AccountRegistry.Account user = store.run(tx -> AccountRegistry.registerManagedUser(tx, "telegram", "ann"));
        assertThat(user.id()).matches("acc_[a-z2-7]{32}");
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.find(user.id()).isPresent());
        assertThat(registry.find(user.id()).orElseThrow().kind()).isEqualTo(AccountRegistry.Kind.MANAGED_USER);
        assertThat(registry.find(user.id()).orElseThrow().realm()).isEqualTo("telegram");
        assertThat(registry.find(user.id()).orElseThrow().isUser()).isTrue();
        assertThat(registry.publicKey(user.id())).isEmpty();
        // a managed user that claims a key is refused: nobody may sign as a managed user
        write(user.id(), record(user.id(), AccountKey.generate().publicKey().toBase64url(), "managed-user"));
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.find(user.id()).isEmpty());
    }
}
