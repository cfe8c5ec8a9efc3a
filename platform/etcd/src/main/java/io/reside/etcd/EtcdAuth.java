package io.reside.etcd;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * etcd's users and roles, for the one process that administers them (Alpha, as etcd's {@code root}): each replica
 * version gets a user whose one role confines it to its own keys (docs/adr/0008). Every method is idempotent, so a
 * reconciliation pass may repeat it. Keys are relative to the cluster root. Passwords never appear in messages.
 */
public interface EtcdAuth {

    /** What a role may do with a key or the keys under a prefix. */
    enum Access {
        READ,
        WRITE,
        READWRITE
    }

    /**
     * One permission of a role.
     *
     * @param key a key, or a prefix when {@code prefix}, relative to the cluster root
     */
    record KeyPermission(String key, boolean prefix, Access access) {
        public KeyPermission {
            requireNonNull(key, "key");
            requireNonNull(access, "access");
        }

        public static KeyPermission key(String key, Access access) {
            return new KeyPermission(key, false, access);
        }

        public static KeyPermission prefix(String prefix, Access access) {
            return new KeyPermission(prefix, true, access);
        }

        @Override
        public String toString() {
            return access.name().toLowerCase(java.util.Locale.ROOT) + " " + key + (prefix ? "*" : "");
        }
    }

    /** Whether etcd checks credentials (false until {@link #enable} or {@code etcdctl auth enable}). */
    boolean enabled();

    /**
     * Turns auth on with {@code root} as the only user able to do everything, its password {@code rootPassword}
     * (the one this store was configured with): creates the user if missing, gives it the {@code root} role, enables
     * auth and authenticates. Does nothing when auth is on already.
     */
    void enable(String rootPassword);

    /** Creates the role, or makes its permissions exactly {@code permissions}. */
    void putRole(String role, List<KeyPermission> permissions);

    /** The permissions of a role; empty when there is no such role. */
    List<KeyPermission> permissions(String role);

    /**
     * Creates the user with {@code password} and {@code role} as its only role. An existing user gets the role (and
     * loses others), and its password is set again only when {@code resetPassword}.
     */
    void putUser(String user, String password, String role, boolean resetPassword);

    /** Deletes the user; nothing when there is none. Its tokens stop working. */
    void deleteUser(String user);

    /** Deletes the role; nothing when there is none. */
    void deleteRole(String role);

    List<String> users();

    List<String> roles();
}
