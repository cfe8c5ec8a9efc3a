package io.reside.usermanager;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.etcd.DocType;
import io.reside.etcd.UniqueIndex;
import io.reside.model.manifest.DisplayText;

/** What the User Manager keeps in etcd, under {@code um/}. */
@RegisterForReflection(ignoreNested = false) // etcd documents: Jackson reads them in a native image too
final class Records {

    private Records() {
    }

    /** A user; the account it acts as is in the account registry too (a managed user's, with no key). */
    record UserRecord(String id, String accountId, String realm, String name, boolean managed, Instant createdAt) {
        UserManagerApi.User view() {
            return new UserManagerApi.User(id, accountId, realm, name, managed, createdAt);
        }
    }

    record RealmRecord(String name, Map<String, DisplayText> displayInfo, boolean open, Instant createdAt) {
        UserManagerApi.Realm view() {
            return new UserManagerApi.Realm(name, displayInfo, open, createdAt);
        }
    }

    /**
     * The grants given to one user (not the default sets), as the sync pushes them to Alpha.
     *
     * @param superAdmin the super-admin sets, for the account that claimed the cluster's super-admin access: Alpha
     *        granted them at the claim, and keeping them here means a sync of this user never takes them away
     */
    record OwnGrants(String userId, String accountId, List<UserManagerApi.GrantSpec> grants,
            List<UserManagerApi.GrantSpec> superAdmin) {

        OwnGrants {
            grants = grants == null ? List.of() : List.copyOf(grants);
            superAdmin = superAdmin == null ? List.of() : List.copyOf(superAdmin);
        }

        OwnGrants withGrants(List<UserManagerApi.GrantSpec> next) {
            return new OwnGrants(userId, accountId, next, superAdmin);
        }
    }

    /** Alpha's record of the one-time super-admin claim ({@code alpha/claim}), read to know who claimed it. */
    record AlphaClaim(String claimedBy) {
    }

    static final DocType<AlphaClaim> ALPHA_CLAIM = DocType.of("alpha-claim", AlphaClaim.class);
    static final String ALPHA_CLAIM_KEY = "alpha/claim";

    record Defaults(List<UserManagerApi.PermissionSet> sets) {
    }

    /** The revision of a grants document last pushed to Alpha's {@code syncGrants}. */
    record Synced(long revision, Instant at) {
    }

    record ImpersonationRecord(String id, String actor, String userId, String accountId, String audience,
            Instant issuedAt, Instant expiresAt) {
        UserManagerApi.Impersonation view() {
            return new UserManagerApi.Impersonation(id, actor, userId, accountId, audience, issuedAt, expiresAt);
        }
    }

    static final DocType<UserRecord> USER = DocType.of("um-user", UserRecord.class);
    static final DocType<RealmRecord> REALM = DocType.of("um-realm", RealmRecord.class);
    static final DocType<OwnGrants> GRANTS = DocType.of("um-grants", OwnGrants.class);
    static final DocType<Defaults> DEFAULTS = DocType.of("um-defaults", Defaults.class);
    static final DocType<Synced> SYNCED = DocType.of("um-synced", Synced.class);
    static final DocType<ImpersonationRecord> IMPERSONATION = DocType.of("um-impersonation",
            ImpersonationRecord.class);

    /** Account id → user id. */
    static final UniqueIndex BY_ACCOUNT = UniqueIndex.named("um-user-account");
    /** {@code <realm>/<name>} → user id. */
    static final UniqueIndex BY_NAME = UniqueIndex.named("um-user-name");

    static final String USERS = "um/users/";
    static final String REALMS = "um/realms/";
    static final String GRANTS_PREFIX = "um/grants/";
    static final String DEFAULTS_KEY = "um/defaults";
    static final String SYNCED_PREFIX = "um/synced/";
    /**
     * Newest first: the key is the issue time subtracted from a far future, so that a listing starts with the latest.
     */
    static final String IMPERSONATIONS = "um/impersonations/";

    static String userKey(String id) {
        return USERS + id;
    }

    static String realmKey(String name) {
        return REALMS + name;
    }

    static String grantsKey(String userId) {
        return GRANTS_PREFIX + userId;
    }

    /** The synced marker of a user's grants, or of the default sets ({@code defaults}). */
    static String syncedKey(String what) {
        return SYNCED_PREFIX + what;
    }

    static String impersonationKey(Instant issuedAt, String id) {
        return IMPERSONATIONS + String.format("%019d", Long.MAX_VALUE - issuedAt.toEpochMilli()) + "-" + id;
    }
}
