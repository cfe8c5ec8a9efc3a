package io.reside.runtime;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.reside.etcd.UniqueIndex;
import io.reside.model.error.Problem;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.DisplayText;
import io.reside.model.manifest.Manifest;
import io.reside.model.manifest.ReplicaManifest;
import io.reside.permissions.CurrentGrant;
import io.reside.permissions.Grant;
import io.reside.permissions.GrantSource;
import io.reside.permissions.GrantSpec;
import io.reside.permissions.GrantStatus;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbAdmin;
import io.reside.security.AccountRegistry;
import io.reside.security.Sessions;

/**
 * The platform's JSON types (etcd documents, manifests, problems, the session handshake), registered for reflection
 * so that Jackson can still read and write them in a native image; nested types are included. The data types of
 * contracts are registered by the configuration the manifest processor generates next to each contract's manifest
 * ({@code META-INF/native-image/reside/<contract>/}).
 */
@RegisterForReflection(
        ignoreNested = false,
        targets = { UniqueIndex.Entry.class, Problem.class, Manifest.class,
                ContractManifest.class, ReplicaManifest.class, DisplayText.class, CurrentGrant.class, Grant.class,
                GrantSource.class, GrantSpec.class, GrantStatus.class, Rcb.class, RcbAdmin.class, AccountRegistry.class,
                Sessions.class })
final class JsonTypes {

    private JsonTypes() {
    }
}
