package io.reside.runtime;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbAdmin;
import io.reside.security.AccountKey;
import io.reside.security.AccountRegistry;
import io.reside.testing.EtcdServer;
import io.reside.testing.InjectEtcd;

/**
 * A real etcd holding what Alpha would have written before the replica starts: the greeter contract registered and
 * the RCB {@value #REPLICA_ID} of a replica implementing it. Sets the replica's configuration to use them.
 */
public class RcbTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String REPLICA_ID = "r-greeter";
    public static final String CLUSTER = "rcb-test";

    /** The replica's own key (Alpha would have created it and put it in a Secret). */
    public static final AccountKey REPLICA_KEY = AccountKey.generate();
    /** The cluster's User Manager, whose delegations the replica accepts. */
    public static final AccountKey USER_MANAGER_KEY = AccountKey.generate();

    /** Signed proofs remembered per caller account. */
    public static final int REPLAY_SHARE = 200;
    /** Sessions held per caller account. */
    public static final int SESSION_SHARE = 4;

    private EtcdServer etcd;

    @Override
    public Map<String, String> start() {
        etcd = EtcdServer.start();
        int port = freePort();
        try (Store store = Store.connect(StoreConfig.builder().endpoints(etcd.endpoint()).cluster(CLUSTER).build())) {
            var greeter = Contracts.byKey("greeter.v1");
            store.run(tx -> {
                AccountRegistry.register(tx, REPLICA_KEY.publicKey(), AccountRegistry.Kind.REPLICA, "greeter");
                AccountRegistry.register(tx, USER_MANAGER_KEY.publicKey(), AccountRegistry.Kind.REPLICA,
                        "user-manager");
                AccountRegistry.designateUserManager(tx, USER_MANAGER_KEY.accountId());
                RcbAdmin.registerContract(tx, greeter);
                // the replica requires its own contract, so tests can call through a requirement client
                Rcb.Implementor self = new Rcb.Implementor(REPLICA_ID, "greeter", REPLICA_KEY.accountId(),
                        Map.of("local", "http://localhost:" + port));
                RcbAdmin.createRcb(tx, new Rcb(REPLICA_ID, "greeter", REPLICA_KEY.accountId(), "sha256:test",
                        List.of(greeter.identity()), Map.of("self", List.of(self))));
                return null;
            });
        }
        Map<String, String> config = new HashMap<>();
        config.put("reside.etcd.endpoints", etcd.endpoint());
        config.put("reside.cluster", CLUSTER);
        config.put("reside.control-block-id", REPLICA_ID);
        config.put("reside.account-id", REPLICA_KEY.accountId());
        config.put("reside.account-key", REPLICA_KEY.toPem());
        config.put("reside.access-context", "local");
        config.put("reside.endpoint.internal", "http://greeter.reside.svc:8080");
        config.put("quarkus.http.test-port", Integer.toString(port));
        // small per-account shares, so that RpcAuthenticationTest can fill them quickly
        config.put("reside.rpc.replay-cache-per-account", Integer.toString(REPLAY_SHARE));
        config.put("reside.rpc.sessions-per-account", Integer.toString(SESSION_SHARE));
        return config;
    }

    private static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(etcd,
                new TestInjector.AnnotatedAndMatchesType(InjectEtcd.class, EtcdServer.class));
    }

    @Override
    public void stop() {
        if (etcd != null) {
            etcd.close();
        }
    }
}
