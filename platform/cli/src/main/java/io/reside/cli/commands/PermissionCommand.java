package io.reside.cli.commands;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Output;
import io.reside.cli.cluster.Connection;
import io.reside.cli.config.CliConfig;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.model.error.ResideException;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reside permission ...}: people's permissions, through the User Manager (which writes them into the
 * implementing replicas' RCBs): one user's, or the default sets every user gets.
 */
@Command(
        name = "permission",
        mixinStandardHelpOptions = true,
        description = "Grant, revoke and list permissions of users and the default sets.",
        subcommands = { PermissionCommand.Grant.class, PermissionCommand.Revoke.class,
                PermissionCommand.ListPermissions.class })
public class PermissionCommand {

    /** Whose permissions: one user, or a default set. */
    static class Target {
        @Option(
                names = "--user",
                paramLabel = "<who>",
                description = "A user id (u-...), an account id (acc_...), an account name of this configuration, "
                        + "or 'me'.")
        String user;

        @Option(
                names = "--default",
                paramLabel = "<set>",
                description = "A default permission set (every user "
                        + "has it).")
        String defaultSet;
    }

    /** What to grant or revoke. */
    abstract static class Change extends BaseCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        @Parameters(
                index = "0",
                paramLabel = "<contract>",
                description = "alpha.v1, user-manager.v1, ... or a full "
                        + "identity.")
        String contract;

        @Parameters(index = "1", paramLabel = "<permission>", description = "e.g. replica:read:all, realm:read.")
        String permission;

        @Option(
                names = { "-p", "--param" },
                paramLabel = "<name>=<value>",
                description = "A param of the "
                        + "permission, e.g. -p name=telegram (typed by the permission's schema).")
        Map<String, String> params = new LinkedHashMap<>();

        /** The contract's identity, the permission as the contract declares it, and its params typed. */
        UserManagerApi.GrantSpec spec() {
            AlphaApi alpha = connection().alpha();
            List<AlphaApi.PermissionInfo> all;
            try {
                all = alpha.listPermissions();
            } catch (ResideException.PermissionDeniedException e) {
                // without replica:read:all the catalogue is closed: a full identity still works, params as text
                if (!contract.contains("/")) {
                    throw new CliException(ExitCodes.PERMISSION_DENIED, "a short contract name ('" + contract + "') "
                            + "is looked up in the cluster's contracts, which needs replica:read:all of alpha.v1: "
                            + "give the contract's full identity (e.g. localhost:5000/reside/contracts/" + contract
                            + ")", e);
                }
                return new UserManagerApi.GrantSpec(contract, permission, typedParams(new AlphaApi.PermissionInfo(
                        contract, permission, Map.of(), List.of(), null), params));
            }
            String identity = contractIdentity(alpha, contract);
            AlphaApi.PermissionInfo info = all.stream().filter(p -> p.contract().equals(identity) && p.permission()
                    .equals(permission)).findFirst().orElseThrow(() -> new CliException(ExitCodes.NOT_FOUND,
                            ReplicaCommand.shortContract(identity) + " has no permission '" + permission
                                    + "' (reside permission list --available shows them all)"));
            return new UserManagerApi.GrantSpec(identity, permission, typedParams(info, params));
        }
    }

    @Command(
            name = "grant",
            mixinStandardHelpOptions = true,
            description = "Give a user a permission, or add it to a default set.")
    public static class Grant extends Change {
        @Override
        public Integer call() {
            UserManagerApi.GrantSpec g = spec();
            UserManagerApi users = connection().userManager();
            Output out = output();
            if (target.defaultSet != null) {
                List<UserManagerApi.PermissionSet> sets = new ArrayList<>(users.getDefaultPermissions());
                UserManagerApi.PermissionSet set = sets.stream().filter(s -> s.name().equals(target.defaultSet))
                        .findFirst().orElse(new UserManagerApi.PermissionSet(target.defaultSet, List.of()));
                boolean present = set.grants().stream().anyMatch(x -> same(x, g));
                if (!present) {
                    List<UserManagerApi.GrantSpec> grants = new ArrayList<>(set.grants());
                    grants.add(g);
                    sets.removeIf(s -> s.name().equals(target.defaultSet));
                    sets.add(new UserManagerApi.PermissionSet(target.defaultSet, grants));
                    sets = users.setDefaultPermissions(new UserManagerApi.SetDefaultPermissions(sets));
                }
                List<UserManagerApi.PermissionSet> result = sets;
                out.print(result, () -> out.line((present ? "already in" : "added to") + " the default set "
                        + target.defaultSet + ": " + describe(g) + " (every user has it)"));
                return ExitCodes.OK;
            }
            UserManagerApi.User user = user(connection(), users, target.user);
            boolean present = hasOwn(users, user, g);
            UserManagerApi.UserGrant granted = users.grantPermission(new UserManagerApi.GrantPermission(user.id(), g
                    .contract(), g.permission(), g.params()));
            out.print(granted, () -> out.line((present ? "already granted to " : "granted to ") + user.id() + " ("
                    + user.name() + "): " + describe(g)));
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "revoke",
            mixinStandardHelpOptions = true,
            description = "Take a permission from a user, or remove it from a default set.")
    public static class Revoke extends Change {
        @Override
        public Integer call() {
            UserManagerApi.GrantSpec g = spec();
            UserManagerApi users = connection().userManager();
            Output out = output();
            if (target.defaultSet != null) {
                List<UserManagerApi.PermissionSet> sets = new ArrayList<>();
                boolean found = false;
                for (UserManagerApi.PermissionSet s : users.getDefaultPermissions()) {
                    if (!s.name().equals(target.defaultSet)) {
                        sets.add(s);
                        continue;
                    }
                    List<UserManagerApi.GrantSpec> kept = s.grants().stream().filter(x -> !same(x, g)).toList();
                    found = kept.size() < s.grants().size();
                    if (!kept.isEmpty()) {
                        sets.add(new UserManagerApi.PermissionSet(s.name(), kept));
                    }
                }
                if (!found) {
                    throw new CliException(ExitCodes.NOT_FOUND, "the default set " + target.defaultSet
                            + " has no " + describe(g) + " (reside permission list --default shows the sets)");
                }
                List<UserManagerApi.PermissionSet> result = users.setDefaultPermissions(
                        new UserManagerApi.SetDefaultPermissions(sets));
                out.print(result, () -> out.line("removed from the default set " + target.defaultSet + ": "
                        + describe(g)));
                return ExitCodes.OK;
            }
            UserManagerApi.User user = user(connection(), users, target.user);
            boolean present = hasOwn(users, user, g);
            if (!present) {
                throw new CliException(ExitCodes.NOT_FOUND, user.id() + " (" + user.name() + ") was not given "
                        + describe(g) + " (reside permission list --user " + user.id() + " shows what it has, and "
                        + "why)");
            }
            List<UserManagerApi.UserGrant> left = users.revokePermission(new UserManagerApi.GrantPermission(user
                    .id(), g.contract(), g.permission(), g.params()));
            out.print(left, () -> out.line("revoked from " + user.id() + " (" + user.name() + "): " + describe(g)));
            return ExitCodes.OK;
        }
    }

    /** Which list. */
    static class Which {
        @Option(names = "--user", paramLabel = "<who>", description = "A user's permissions (as for grant).")
        String user;

        @Option(names = "--default", description = "The default sets.")
        boolean defaults;

        @Option(names = "--available", description = "Every permission of every contract in the cluster.")
        boolean available;
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "Your own permissions (by default), a user's, the default sets, or every permission "
                    + "there is.")
    public static class ListPermissions extends BaseCommand {
        @ArgGroup(exclusive = true)
        Which which = new Which();

        @Override
        public Integer call() {
            Output out = output();
            List<String> headers = List.of("contract", "permission", "params", "via");
            if (which.available) {
                List<AlphaApi.PermissionInfo> all = connection().alpha().listPermissions();
                out.print(all, () -> out.table(List.of("contract", "permission", "title", "params"), all.stream()
                        .map(p -> List.of(ReplicaCommand.shortContract(p.contract()), p.permission(), p
                                .displayInfo().containsKey("en") ? p.displayInfo().get("en").title() : "-",
                                p
                                        .instanceKeys().isEmpty() ? "-" : String.join(", ", p.instanceKeys())))
                        .toList()));
                return ExitCodes.OK;
            }
            UserManagerApi users = connection().userManager();
            if (which.defaults) {
                List<UserManagerApi.PermissionSet> sets = users.getDefaultPermissions();
                out.print(sets, () -> {
                    List<List<String>> rows = new ArrayList<>();
                    for (UserManagerApi.PermissionSet s : sets) {
                        for (UserManagerApi.GrantSpec g : s.grants()) {
                            rows.add(List.of(ReplicaCommand.shortContract(g.contract()), g.permission(), params(g
                                    .params()), "default:" + s.name()));
                        }
                    }
                    if (rows.isEmpty()) {
                        out.line("No default permission sets: users have only what is given to them.");
                    } else {
                        out.table(headers, rows);
                    }
                });
                return ExitCodes.OK;
            }
            List<UserManagerApi.UserGrant> grants;
            String whose;
            if (which.user != null) {
                UserManagerApi.User u = user(connection(), users, which.user);
                grants = users.listUserGrants(u.id());
                whose = u.id() + " (" + u.name() + ")";
            } else {
                UserManagerApi.Me me;
                try {
                    me = users.getMe();
                } catch (ResideException.NotAllowedInStateException | ResideException.NotFoundException e) {
                    users.register(); // an account the User Manager has not seen yet: now a user of realm default
                    me = users.getMe();
                }
                UserManagerApi.Me mine = me;
                grants = mine.grants();
                whose = "you (" + mine.user().id() + ")";
            }
            out.print(grants, () -> {
                if (grants.isEmpty()) {
                    out.line("No permissions for " + whose + ".");
                } else {
                    out.table(headers, grants.stream().map(g -> List.of(ReplicaCommand.shortContract(g.contract()),
                            g.permission(), params(g.params()), g.via())).toList());
                }
            });
            return ExitCodes.OK;
        }
    }

    // ------------------------------------------------------------------ helpers

    /** {@code alpha.v1} (or a full identity) → the identity of a contract the cluster knows. */
    static String contractIdentity(AlphaApi alpha, String contract) {
        List<AlphaApi.ContractInfo> known = alpha.listContracts();
        Optional<String> found = known.stream().map(AlphaApi.ContractInfo::identity).filter(i -> i.equals(contract)
                || i.endsWith("/" + contract)).findFirst();
        return found.orElseThrow(() -> new CliException(ExitCodes.NOT_FOUND, "the cluster knows no contract '"
                + contract + "' (it knows: " + String.join(", ", known.stream().map(c -> ReplicaCommand
                        .shortContract(c.identity())).toList())
                + ")"));
    }

    /** The user named on the command line. */
    static UserManagerApi.User user(Connection c, UserManagerApi users, String who) {
        if (who.equals("me")) {
            return users.getMe().user();
        }
        if (who.startsWith("u-")) {
            return users.getUser(who);
        }
        String accountId = who;
        if (!who.startsWith("acc_")) {
            CliConfig config = c.config();
            accountId = config.account(who).map(CliConfig.Account::accountId).orElseThrow(() -> new CliException(
                    ExitCodes.USAGE, "'" + who + "' is not a user id (u-...), an account id (acc_...), 'me', or "
                            + "an account of this configuration (reside account list)"));
        }
        try {
            return users.findUserByAccount(accountId);
        } catch (ResideException.NotFoundException e) {
            throw new CliException(ExitCodes.NOT_FOUND, "account " + accountId + " is not a user of this cluster "
                    + "yet: it becomes one when it registers (its first 'reside permission list' does)");
        }
    }

    /** {@code -p k=v} typed by the permission's JSON Schema (integer, number, boolean; else a string). */
    static ObjectNode typedParams(AlphaApi.PermissionInfo info, Map<String, String> raw) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        JsonNode props = info.paramsSchema() == null ? null : info.paramsSchema().get("properties");
        for (Map.Entry<String, String> e : raw.entrySet()) {
            JsonNode schema = props == null ? null : props.get(e.getKey());
            if (props != null && schema == null) {
                List<String> names = new ArrayList<>();
                props.fieldNames().forEachRemaining(names::add);
                throw new CliException(ExitCodes.USAGE, info.permission() + " has no param '" + e.getKey() + "'"
                        + (names.isEmpty() ? " (it takes none)" : " (it takes: " + String.join(", ", names) + ")"));
            }
            String type = schema == null || schema.get("type") == null ? "string" : schema.get("type").asText();
            try {
                switch (type) {
                    case "integer" -> out.put(e.getKey(), Long.parseLong(e.getValue()));
                    case "number" -> out.put(e.getKey(), Double.parseDouble(e.getValue()));
                    case "boolean" -> {
                        if (!e.getValue().equals("true") && !e.getValue().equals("false")) {
                            throw new NumberFormatException();
                        }
                        out.put(e.getKey(), Boolean.parseBoolean(e.getValue()));
                    }
                    default -> out.put(e.getKey(), e.getValue());
                }
            } catch (NumberFormatException ex) {
                throw new CliException(ExitCodes.USAGE, "-p " + e.getKey() + "=" + e.getValue() + ": " + info
                        .permission() + " expects " + (type.equals("boolean") ? "true or false" : "a " + type));
            }
        }
        return out;
    }

    /** Whether the user was given {@code g} (not just holding it through a default set). */
    static boolean hasOwn(UserManagerApi users, UserManagerApi.User user, UserManagerApi.GrantSpec g) {
        return users.listUserGrants(user.id()).stream().anyMatch(x -> "own".equals(x.via()) && x.contract().equals(g
                .contract()) && x.permission().equals(g.permission()) && sameParams(x.params(), g.params()));
    }

    static boolean same(UserManagerApi.GrantSpec a, UserManagerApi.GrantSpec b) {
        return a.contract().equals(b.contract()) && a.permission().equals(b.permission()) && sameParams(a.params(),
                b.params());
    }

    static boolean sameParams(JsonNode a, JsonNode b) {
        boolean aEmpty = a == null || a.isNull() || a.isEmpty();
        boolean bEmpty = b == null || b.isNull() || b.isEmpty();
        return aEmpty && bEmpty || !aEmpty && !bEmpty && a.equals(b);
    }

    static String describe(UserManagerApi.GrantSpec g) {
        return g.permission() + (g.params() == null || g.params().isEmpty() ? "" : " " + g.params()) + " of "
                + ReplicaCommand.shortContract(g.contract());
    }

    static String params(JsonNode params) {
        return params == null || params.isNull() || params.isEmpty() ? "-" : params.toString();
    }
}
