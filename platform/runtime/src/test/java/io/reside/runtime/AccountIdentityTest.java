package io.reside.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.runtime.configuration.DurationConverter;
import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.security.AccountKey;
import io.reside.security.AccountRegistry;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;
import io.smallrye.config.SmallRyeConfigBuilder;

/** Step 2 of start-up: each way the account key can be wrong stops start-up with a message naming what to fix. */
@EtcdTest
class AccountIdentityTest {

    static final AccountKey KEY = AccountKey.generate();
    static final AccountKey OTHER = AccountKey.generate();

    private static ResideConfig config(EtcdServer etcd, Map<String, String> values) {
        Map<String, String> all = new HashMap<>(values);
        all.put("reside.etcd.endpoints", etcd.endpoint());
        // Quarkus's converter reads durations such as "30s", as in a running replica
        return new SmallRyeConfigBuilder().withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(ResideConfig.class).withDefaultValues(all).build().getConfigMapping(ResideConfig.class);
    }

    @Test
    void eachMistakeNamesThePropertyAndNeverTheKey(EtcdServer etcd) throws Exception {
        try (Store store = Store
                .connect(StoreConfig.builder().endpoints(etcd.endpoint()).cluster("accounts").build())) {
            store.run(tx -> AccountRegistry.register(tx, KEY.publicKey(), AccountRegistry.Kind.REPLICA, "me"));
            Path keyFile = Files.createTempFile("reside-key", ".pem");
            Files.writeString(keyFile, KEY.toPem());
            try (AccountRegistry registry = AccountRegistry.open(store, Duration.ofSeconds(10))) {
                String id = KEY.accountId();

                AccountIdentity ok = AccountIdentity.load(config(etcd, Map.of("reside.account-id", id,
                        "reside.account-key-file", keyFile.toString())), registry);
                assertThat(ok.accountId()).isEqualTo(id);

                // without RESIDE_ACCOUNT_ID the key's own account is meant
                assertThat(AccountIdentity.load(config(etcd, Map.of("reside.account-key", KEY.toPem())), registry)
                        .accountId()).isEqualTo(id);
                expectFailure(etcd, registry, Map.of("reside.account-key", OTHER.toPem()),
                        "account " + OTHER.accountId() + " (RESIDE_ACCOUNT_ID) is not in the account registry");
                expectFailure(etcd, registry, Map.of("reside.account-id", id),
                        "no account key: set RESIDE_ACCOUNT_KEY_FILE");
                expectFailure(etcd, registry, Map.of("reside.account-id", id, "reside.account-key", KEY.toPem(),
                        "reside.account-key-file", keyFile.toString()),
                        "both RESIDE_ACCOUNT_KEY and RESIDE_ACCOUNT_KEY_FILE are set");
                expectFailure(etcd, registry, Map.of("reside.account-id", id, "reside.account-key-file",
                        keyFile.resolveSibling("missing.pem").toString()), "cannot read RESIDE_ACCOUNT_KEY_FILE");
                expectFailure(etcd, registry, Map.of("reside.account-id", id, "reside.account-key",
                        "-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----"),
                        "RESIDE_ACCOUNT_KEY does not hold a usable key");
                expectFailure(etcd, registry, Map.of("reside.account-id", id, "reside.account-key", OTHER.toPem()),
                        "belongs to account " + OTHER.accountId() + ", not to RESIDE_ACCOUNT_ID=" + id);
                expectFailure(etcd, registry, Map.of("reside.account-id", OTHER.accountId(), "reside.account-key",
                        OTHER.toPem()),
                        "account " + OTHER.accountId() + " (RESIDE_ACCOUNT_ID) is not in the account "
                                + "registry");
            } finally {
                Files.deleteIfExists(keyFile);
            }
        }
    }

    private static void expectFailure(EtcdServer etcd, AccountRegistry registry, Map<String, String> values,
            String message) {
        assertThatThrownBy(() -> AccountIdentity.load(config(etcd, values), registry))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(message)
                .satisfies(e -> {
                    for (AccountKey key : new AccountKey[] { KEY, OTHER }) {
                        assertThat(e.getMessage()).doesNotContain(key.toPem().split("\n")[1]);
                    }
                });
    }
}
