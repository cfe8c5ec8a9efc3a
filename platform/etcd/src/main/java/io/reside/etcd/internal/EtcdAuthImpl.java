package io.reside.etcd.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import com.google.protobuf.ByteString;

import io.etcd.jetcd.api.AuthEnableRequest;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthRoleAddRequest;
import io.etcd.jetcd.api.AuthRoleDeleteRequest;
import io.etcd.jetcd.api.AuthRoleGetRequest;
import io.etcd.jetcd.api.AuthRoleGetResponse;
import io.etcd.jetcd.api.AuthRoleGrantPermissionRequest;
import io.etcd.jetcd.api.AuthRoleListRequest;
import io.etcd.jetcd.api.AuthRoleRevokePermissionRequest;
import io.etcd.jetcd.api.AuthUserAddRequest;
import io.etcd.jetcd.api.AuthUserChangePasswordRequest;
import io.etcd.jetcd.api.AuthUserDeleteRequest;
import io.etcd.jetcd.api.AuthUserGetRequest;
import io.etcd.jetcd.api.AuthUserGetResponse;
import io.etcd.jetcd.api.AuthUserGrantRoleRequest;
import io.etcd.jetcd.api.AuthUserListRequest;
import io.etcd.jetcd.api.AuthUserRevokeRoleRequest;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.Permission;
import io.grpc.StatusRuntimeException;
import io.reside.etcd.EtcdAuth;

/** {@link EtcdAuth} over etcd's {@code Auth} service, on the store's connection. */
final class EtcdAuthImpl implements EtcdAuth {

    private static final Logger LOG = Logger.getLogger(EtcdAuthImpl.class);

    private final Connection connection;
    private final Keyspace cluster;

    EtcdAuthImpl(Connection connection, Keyspace cluster) {
        this.connection = connection;
        this.cluster = cluster;
    }

    @Override
    public boolean enabled() {
        try {
            // a user that does not exist: refused at once (no password hashing) when auth is on
            AuthGrpc.newBlockingStub(connection.rawChannel()).withWaitForReady()
                    .withDeadlineAfter(connection.callTimeoutNanos(), TimeUnit.NANOSECONDS)
                    .authenticate(AuthenticateRequest.newBuilder().setName("reside-probe-no-such-user")
                            .setPassword("-").build());
            return true;
        } catch (StatusRuntimeException e) {
            String d = String.valueOf(e.getStatus().getDescription());
            if (d.contains("authentication is not enabled")) {
                return false;
            }
            if (d.contains("authentication failed")) {
                return true;
            }
            throw connection.translate("ask whether etcd has auth enabled", e);
        }
    }

    @Override
    public void enable(String rootPassword) {
        if (enabled()) {
            return;
        }
        if (!exists(() -> connection.auth().userGet(AuthUserGetRequest.newBuilder().setName("root").build()))) {
            call("add etcd user root", () -> connection.auth().userAdd(AuthUserAddRequest.newBuilder()
                    .setName("root").setPassword(rootPassword).build()));
        } else {
            call("set the password of etcd user root", () -> connection.auth().userChangePassword(
                    AuthUserChangePasswordRequest.newBuilder().setName("root").setPassword(rootPassword).build()));
        }
        call("give etcd user root the role root", () -> connection.auth().userGrantRole(AuthUserGrantRoleRequest
                .newBuilder().setUser("root").setRole("root").build()));
        call("enable etcd auth", () -> connection.auth().authEnable(AuthEnableRequest.getDefaultInstance()));
        connection.renewToken();
        LOG.infof("etcd auth enabled at %s: root is the only user with every right", connection.endpoints());
    }

    @Override
    public void putRole(String role, List<KeyPermission> permissions) {
        List<Permission> current = rolePermissions(role);
        if (current == null) {
            call("add etcd role " + role, () -> connection.auth().roleAdd(AuthRoleAddRequest.newBuilder()
                    .setName(role).build()));
            current = List.of();
        }
        List<Permission> wanted = permissions.stream().map(this::toPermission).toList();
        for (Permission p : current) {
            if (!wanted.contains(p)) {
                call("revoke " + describe(p) + " from etcd role " + role, () -> connection.auth()
                        .roleRevokePermission(AuthRoleRevokePermissionRequest.newBuilder().setRole(role)
                                .setKey(p.getKey()).setRangeEnd(p.getRangeEnd())
                                .build()));
            }
        }
        for (Permission p : wanted) {
            if (!current.contains(p)) {
                call("grant " + describe(p) + " to etcd role " + role, () -> connection.auth().roleGrantPermission(
                        AuthRoleGrantPermissionRequest.newBuilder().setName(role).setPerm(p).build()));
            }
        }
    }

    @Override
    public List<KeyPermission> permissions(String role) {
        List<Permission> current = rolePermissions(role);
        if (current == null) {
            return List.of();
        }
        List<KeyPermission> result = new ArrayList<>();
        for (Permission p : current) {
            Access access = switch (p.getPermType()) {
                case READ -> Access.READ;
                case WRITE -> Access.WRITE;
                default -> Access.READWRITE;
            };
            String key = cluster.describe(p.getKey());
            boolean prefix = !p.getRangeEnd().isEmpty();
            result.add(new KeyPermission(key, prefix, access));
        }
        return result;
    }

    /** The role's permissions; null when there is no such role. */
    private List<Permission> rolePermissions(String role) {
        AuthRoleGetResponse r = find("read etcd role " + role, () -> connection.auth().roleGet(AuthRoleGetRequest
                .newBuilder().setRole(role).build()));
        return r == null ? null : r.getPermList();
    }

    private Permission toPermission(KeyPermission p) {
        ByteString key = p.prefix() ? cluster.prefix(p.key()) : cluster.key(p.key());
        Permission.Builder b = Permission.newBuilder().setKey(key).setPermType(switch (p.access()) {
            case READ -> Permission.Type.READ;
            case WRITE -> Permission.Type.WRITE;
            case READWRITE -> Permission.Type.READWRITE;
        });
        if (p.prefix()) {
            b.setRangeEnd(Keyspace.rangeEnd(key));
        }
        return b.build();
    }

    private String describe(Permission p) {
        return p.getPermType() + " " + cluster.describe(p.getKey()) + (p.getRangeEnd().isEmpty() ? "" : "*");
    }

    @Override
    public void putUser(String user, String password, String role, boolean resetPassword) {
        AuthUserGetResponse existing = find("read etcd user " + user, () -> connection.auth().userGet(
                AuthUserGetRequest.newBuilder().setName(user).build()));
        if (existing == null) {
            call("add etcd user " + user, () -> connection.auth().userAdd(AuthUserAddRequest.newBuilder()
                    .setName(user).setPassword(password).build()));
        } else if (resetPassword) {
            call("set the password of etcd user " + user, () -> connection.auth().userChangePassword(
                    AuthUserChangePasswordRequest.newBuilder().setName(user).setPassword(password).build()));
        }
        Set<String> roles = existing == null ? Set.of() : new HashSet<>(existing.getRolesList());
        for (String other : roles) {
            if (!other.equals(role)) {
                call("revoke role " + other + " from etcd user " + user, () -> connection.auth().userRevokeRole(
                        AuthUserRevokeRoleRequest.newBuilder().setName(user).setRole(other).build()));
            }
        }
        if (!roles.contains(role)) {
            call("give etcd user " + user + " the role " + role, () -> connection.auth().userGrantRole(
                    AuthUserGrantRoleRequest.newBuilder().setUser(user).setRole(role).build()));
        }
    }

    @Override
    public void deleteUser(String user) {
        find("delete etcd user " + user, () -> connection.auth().userDelete(AuthUserDeleteRequest.newBuilder()
                .setName(user).build()));
    }

    @Override
    public void deleteRole(String role) {
        find("delete etcd role " + role, () -> connection.auth().roleDelete(AuthRoleDeleteRequest.newBuilder()
                .setRole(role).build()));
    }

    @Override
    public List<String> users() {
        return List.copyOf(call("list etcd users", () -> connection.auth().userList(AuthUserListRequest
                .getDefaultInstance())).getUsersList());
    }

    @Override
    public List<String> roles() {
        return List.copyOf(call("list etcd roles", () -> connection.auth().roleList(AuthRoleListRequest
                .getDefaultInstance())).getRolesList());
    }

    private <R> R call(String what, java.util.function.Supplier<R> call) {
        return connection.call(what, call);
    }

    /** Whether the call answers (false when etcd says the user or role does not exist). */
    private boolean exists(java.util.function.Supplier<?> get) {
        return find("read etcd auth", get) != null;
    }

    /** What the call answers; null when etcd says the user or role does not exist. */
    private <R> R find(String what, java.util.function.Supplier<R> get) {
        return connection.call(what, () -> {
            try {
                return get.get();
            } catch (StatusRuntimeException e) {
                if (notFound(e)) {
                    return null;
                }
                throw e;
            }
        });
    }

    private static boolean notFound(StatusRuntimeException e) {
        return String.valueOf(e.getStatus().getDescription()).contains("not found");
    }
}
