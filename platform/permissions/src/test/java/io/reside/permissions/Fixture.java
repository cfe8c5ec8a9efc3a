package io.reside.permissions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.DisplayText;
import io.reside.model.manifest.Manifest;
import io.reside.testing.EtcdServer;

/** A cluster with demo contracts and one replica implementing them, for permission tests. */
final class Fixture {

    static final String DEMO = "localhost:5000/reside/contracts/demo.v1";
    static final String OTHER = "localhost:5000/reside/contracts/other.v1";
    static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    private Fixture() {
    }

    static StoreConfig.Builder config(EtcdServer etcd, String cluster) {
        return StoreConfig.builder().endpoints(etcd.endpoint()).cluster(cluster)
                .callTimeout(Duration.ofSeconds(3)).lockTtl(Duration.ofSeconds(2))
                .lockWaitTimeout(Duration.ofSeconds(2));
    }

    static String newCluster() {
        return "perm-" + ProcessHandle.current().pid() + "-" + CLUSTERS.incrementAndGet();
    }

    static ContractManifest contract(String identity) {
        Map<String, DisplayText> texts = Map.of("en", new DisplayText("t", "d"), "ru", new DisplayText("т", "о"));
        Map<String, ContractManifest.Permission> permissions = new LinkedHashMap<>();
        permissions.put("item:read:all", new ContractManifest.Permission(texts, List.of(), schema()));
        permissions.put("realm:read", new ContractManifest.Permission(texts, List.of("name"),
                schema("name", "string")));
        permissions.put("handler:setup", new ContractManifest.Permission(texts, List.of("name"),
                schema("name", "string", "limit", "integer")));
        return new ContractManifest(Manifest.CURRENT_SCHEMA_VERSION, identity, texts, Map.of(), permissions);
    }

    /** Registers the demo contracts and creates the RCB of replica {@code replicaId} implementing both. */
    static void setUp(Store store, String replicaId) {
        store.run(tx -> {
            RcbAdmin.registerContract(tx, contract(DEMO));
            RcbAdmin.registerContract(tx, contract(OTHER));
            RcbAdmin.createRcb(tx, new Rcb(replicaId, "demo", "acc_" + replicaId, "sha256:0", List.of(DEMO, OTHER),
                    Map.of()));
            return null;
        });
    }

    static RcbAdmin.SyncResult sync(Store store, String grantee, GrantSource source, GrantSpec... grants) {
        return store.run(tx -> RcbAdmin.syncGrants(tx, grantee, source,
                List.of(new GrantSpec.PermissionSet("test", List.of(grants)))));
    }

    static ObjectNode params(Object... kv) {
        ObjectNode node = JSON.objectNode();
        for (int i = 0; i < kv.length; i += 2) {
            node.set((String) kv[i], kv[i + 1] instanceof Number n ? JSON.numberNode(n.longValue())
                    : JSON.textNode(kv[i + 1].toString()));
        }
        return node;
    }

    private static ObjectNode schema(String... nameType) {
        ObjectNode schema = JSON.objectNode().put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        var required = schema.putArray("required");
        for (int i = 0; i < nameType.length; i += 2) {
            properties.putObject(nameType[i]).put("type", nameType[i + 1]);
            required.add(nameType[i]);
        }
        schema.put("additionalProperties", false);
        return schema;
    }

    /** Hooks that record their calls and can be told to fail. */
    static final class RecordingHooks implements PermissionHooks {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        volatile int failuresLeft;
        final java.util.Set<String> failFor = new java.util.concurrent.CopyOnWriteArraySet<>();

        @Override
        public void onGranted(Grant grant) {
            call("granted " + describe(grant));
        }

        @Override
        public void onUpdated(Grant now, Grant before) {
            call("updated " + describe(now) + " from " + before.params());
        }

        @Override
        public void onRevoked(Grant grant) {
            call("revoked " + describe(grant));
        }

        private void call(String call) {
            calls.add(call);
            for (String pattern : failFor) {
                if (call.contains(pattern)) {
                    throw new IllegalStateException("always failing for " + pattern);
                }
            }
            if (failuresLeft > 0) {
                failuresLeft--;
                throw new IllegalStateException("planned failure");
            }
        }

        static String describe(Grant g) {
            return g.grantee() + " " + g.permission() + (g.instanceId() == null ? "" : "{" + g.instanceId() + "}")
                    + " " + g.params();
        }

        List<String> calls() {
            synchronized (calls) {
                return List.copyOf(calls);
            }
        }
    }
}
