package io.reside.alpha.service;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.etcd.DocType;
import io.reside.etcd.UniqueIndex;
import io.reside.model.manifest.ReplicaManifest;

/**
 * Alpha's records in etcd: the desired state of the cluster. Methods change them, each in one transaction; the
 * workload reconciler makes the runtime match them ({@code docs/adr/0006-desired-state-and-workload-reconciler.md}).
 */
@RegisterForReflection(ignoreNested = false) // etcd documents: Jackson reads them in a native image too
public final class Records {

    private Records() {
    }

    /**
     * An instance.
     *
     * @param endpoints access context → base URL of the version serving it now (observed by the reconciler)
     */
    public record ReplicaRecord(String id, String name, String identity, ReplicaManifest manifest, String accountId,
            boolean enabled, String placementGroup, int currentVersionId, int lastVersionId,
            Map<String, String> endpoints, Instant createdAt) {

        public ReplicaRecord withCurrentVersion(int versionId, ReplicaManifest newManifest) {
            return new ReplicaRecord(id, name, identity, newManifest, accountId, enabled, placementGroup, versionId,
                    Math.max(lastVersionId, versionId), endpoints, createdAt);
        }

        public ReplicaRecord withEnabled(boolean value) {
            return new ReplicaRecord(id, name, identity, manifest, accountId, value, placementGroup, currentVersionId,
                    lastVersionId, endpoints, createdAt);
        }

        public ReplicaRecord withPlacementGroup(String value) {
            return new ReplicaRecord(id, name, identity, manifest, accountId, enabled, value, currentVersionId,
                    lastVersionId, endpoints, createdAt);
        }

        public ReplicaRecord withEndpoints(Map<String, String> value) {
            return new ReplicaRecord(id, name, identity, manifest, accountId, enabled, placementGroup, currentVersionId,
                    lastVersionId, Map.copyOf(value), createdAt);
        }
    }

    /**
     * One loaded image of an instance.
     *
     * @param status what the reconciler last observed (starting, running, degraded, running-outdated, completed,
     *        stopping, stopped, error)
     * @param requirements requirement key → the implementors chosen
     * @param permissions the static permissions it was granted
     */
    public record VersionRecord(String replicaId, int id, String image, String digest, ReplicaManifest manifest,
            Map<String, List<String>> requirements, List<AlphaApi.PlannedPermission> permissions, String status,
            String statusMessage, Instant createdAt) {

        public VersionRecord withStatus(String value, String message) {
            return new VersionRecord(replicaId, id, image, digest, manifest, requirements, permissions, value, message,
                    createdAt);
        }
    }

    /** The one-time super-admin claim: the SHA-256 of the code, and who claimed it. */
    public record Claim(String codeHash, String claimedBy, Instant claimedAt) {
    }

    public static final DocType<ReplicaRecord> REPLICA = DocType.of("alpha-replica", ReplicaRecord.class);
    public static final DocType<VersionRecord> VERSION = DocType.of("alpha-version", VersionRecord.class);
    public static final DocType<AlphaApi.LoadRequest> LOAD_REQUEST = DocType.of("alpha-load-request",
            AlphaApi.LoadRequest.class);
    public static final DocType<AlphaApi.PermissionRequest> PERMISSION_REQUEST = DocType.of(
            "alpha-permission-request", AlphaApi.PermissionRequest.class);
    public static final DocType<Claim> CLAIM = DocType.of("alpha-claim", Claim.class);

    /**
     * The key layout the cluster's data follows: 2 since each replica's own keys live under {@code data/<id>/}
     * (docs/adr/0008). Alpha refuses to start on a cluster of an older layout rather than run replicas that would
     * not find their data.
     */
    public record Layout(int version) {
        public static final int CURRENT = 2;
    }

    public static final DocType<Layout> LAYOUT = DocType.of("cluster-layout", Layout.class);
    public static final String LAYOUT_KEY = "cluster/layout";

    /**
     * An unloaded instance whose grant documents ({@code grants/<id>/}, {@code grants-current/<id>/}) are still to be
     * deleted: they may be too many for the unload's transaction, so the workload reconciler deletes them in batches
     * once the workload is gone, then this record.
     */
    public record Purge(String replicaId, String name, Instant unloadedAt) {
    }

    public static final DocType<Purge> PURGE = DocType.of("alpha-purge", Purge.class);
    public static final String PURGES = "alpha/purges/";

    public static String purgeKey(String replicaId) {
        return PURGES + replicaId;
    }

    /** Technical name → the instance, or the load request that reserved it. */
    public static final UniqueIndex NAMES = UniqueIndex.named("replica-name");
    /** Identity of an exclusive replica → its one instance. */
    public static final UniqueIndex EXCLUSIVE = UniqueIndex.named("exclusive-replica");

    public static final String REPLICAS = "alpha/replicas/";
    public static final String VERSIONS = "alpha/versions/";
    public static final String LOAD_REQUESTS = "alpha/load-requests/";
    public static final String PERMISSION_REQUESTS = "alpha/permission-requests/";
    public static final String CLAIM_KEY = "alpha/claim";
    /**
     * Names no instance may take, because Kubernetes objects of the same kind and name exist beside Alpha's in its
     * namespace (k8s/base): a replica named {@code etcd} would get a Service {@code etcd} and take over etcd's. Held in
     * {@link #NAMES} by {@value #RESERVED}, so a load request gets {@code etcd-1} instead. ({@code alpha} is held by
     * Alpha's own instance.)
     */
    public static final java.util.List<String> RESERVED_NAMES = java.util.List.of("etcd", "etcd-peer-tls",
            "reside-claim-code", "reside-ca", "alpha-tls");
    public static final String RESERVED = "reserved";

    /** Alpha's own instance id (and RCB id). */
    public static final String ALPHA_ID = "alpha";

    public static String replicaKey(String id) {
        return REPLICAS + id;
    }

    /** Versions sort by number: zero-padded. */
    public static String versionKey(String replicaId, int versionId) {
        return VERSIONS + replicaId + "/" + String.format("%08d", versionId);
    }

    public static String versionsOf(String replicaId) {
        return VERSIONS + replicaId + "/";
    }

    public static String loadRequestKey(String id) {
        return LOAD_REQUESTS + id;
    }

    public static String permissionRequestKey(String id) {
        return PERMISSION_REQUESTS + id;
    }

    /** The id a name reserved by a load request is held under. */
    public static String reservation(String loadRequestId) {
        return "load-request:" + loadRequestId;
    }
}
