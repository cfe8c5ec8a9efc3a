package io.reside.runtime;

import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbAdmin;
import io.reside.testing.EtcdServer;
import io.reside.testing.InjectEtcd;

/**
 * A real etcd holding what Alpha would have written before the replica starts: the greeter contract registered and
 * the RCB {@value #REPLICA_ID} of a replica implementing it. Sets the replica's configuration to use them.
 */
public class RcbTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String REPLICA_ID = "r-greeter";
    public static final String CLUSTER = "rcb-test";

    private EtcdServer etcd;

    @Override
    public Map<String, String> start() {
        etcd = EtcdServer.start();
        try (Store store = Store.connect(StoreConfig.builder().endpoints(etcd.endpoint()).cluster(CLUSTER).build())) {
            var greeter = Contracts.byKey("greeter.v1");
            store.run(tx -> {
                RcbAdmin.registerContract(tx, greeter);
                RcbAdmin.createRcb(tx, new Rcb(REPLICA_ID, "greeter", "acc_greeter", "sha256:test",
                        List.of(greeter.identity()), Map.of(), Map.of()));
                return null;
            });
        }
        return Map.of("reside.etcd.endpoints", etcd.endpoint(), "reside.cluster", CLUSTER,
                "reside.control-block-id", REPLICA_ID);
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(etcd, new TestInjector.AnnotatedAndMatchesType(InjectEtcd.class, EtcdServer.class));
    }

    @Override
    public void stop() {
        if (etcd != null) {
            etcd.close();
        }
    }
}
