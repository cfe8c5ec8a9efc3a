package io.reside.alpha.service;

import java.util.List;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.model.manifest.ReplicaManifest;

/** Alpha's records as alpha.v1 shows them. */
public final class Views {

    private Views() {
    }

    public static AlphaApi.Version version(Records.VersionRecord v) {
        return new AlphaApi.Version(v.replicaId(), v.id(), v.status(), v.statusMessage(), v.image(), v.digest(),
                v.requirements(), v.manifest().implementations().values().stream()
                        .map(ReplicaManifest.Implementation::identity).toList(),
                v.createdAt());
    }

    public static AlphaApi.Replica replica(Records.ReplicaRecord r, Records.VersionRecord current) {
        ReplicaManifest.Info info = r.manifest().info();
        return new AlphaApi.Replica(r.id(), r.name(), r.identity(), new AlphaApi.Info(info.name(), info.replicaClass(),
                info.exclusive(), info.scalable()), r.manifest().displayInfo(), r.accountId(), r.enabled(),
                r.placementGroup(), r.currentVersionId(), r.endpoints(), current == null ? null : version(current));
    }

    public static List<AlphaApi.Version> versions(List<Records.VersionRecord> versions) {
        return versions.stream().map(Views::version).toList();
    }
}
