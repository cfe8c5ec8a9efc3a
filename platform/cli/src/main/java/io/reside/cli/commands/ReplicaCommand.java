package io.reside.cli.commands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Output;
import io.reside.contracts.alpha.v1.AlphaApi;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code reside replica ...}: the replicas of a cluster, through Alpha. */
@Command(
        name = "replica",
        mixinStandardHelpOptions = true,
        description = "Load, see, enable, disable, roll back and unload replicas.",
        subcommands = { LoadCommand.class, ReplicaCommand.ListReplicas.class, ReplicaCommand.Show.class,
                ReplicaCommand.Enable.class, ReplicaCommand.Disable.class, ReplicaCommand.Unload.class,
                ReplicaCommand.Rollback.class })
public class ReplicaCommand {

    /** A replica's state for people: its current version's status, or "disabled". */
    static String state(AlphaApi.Replica r) {
        if (r.currentVersion() == null) {
            return "-";
        }
        return r.enabled() ? r.currentVersion().status() : "disabled";
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every replica and its current version.")
    public static class ListReplicas extends BaseCommand {
        @Override
        public Integer call() {
            List<AlphaApi.Replica> replicas = connection().alpha().listReplicas();
            Output out = output();
            String access = connection().accessContext();
            out.print(replicas, () -> out.table(List.of("name", "version", "status", "endpoint",
                    "image"),
                    replicas.stream().map(r -> List.of(r.name(), String.valueOf(r
                            .currentVersionId()), state(r), r.endpoints().getOrDefault(access, "-"),
                            r
                                    .currentVersion() == null ? "-" : Output.image(r.currentVersion().image())))
                            .toList()));
            return ExitCodes.OK;
        }
    }

    /** {@code replica show -o json}: the replica, its versions and the grants it holds. */
    public record Shown(AlphaApi.Replica replica, List<AlphaApi.Version> versions,
            List<AlphaApi.ReplicaGrant> grants) {
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "One replica: what it is, its versions, the permissions it holds.")
    public static class Show extends BaseCommand {
        @Parameters(paramLabel = "<replica>", description = "Its name or id.")
        String replica;

        @Override
        public Integer call() {
            AlphaApi alpha = connection().alpha();
            AlphaApi.Replica r = alpha.getReplica(replica);
            Shown shown = new Shown(r, alpha.listVersions(r.id()), alpha.getReplicaGrants(r.id()));
            Output out = output();
            out.print(shown, () -> {
                Map<String, String> facts = new LinkedHashMap<>();
                facts.put("name", r.name());
                facts.put("id", r.id());
                facts.put("title", r.displayInfo().containsKey("en") ? r.displayInfo().get("en").title() : null);
                facts.put("identity", r.identity());
                facts.put("class", r.info().replicaClass() + (r.info().exclusive() ? ", exclusive" : "") + (r
                        .info().scalable() ? ", scalable" : ""));
                facts.put("account", r.accountId());
                facts.put("enabled", String.valueOf(r.enabled()));
                facts.put("placement", r.placementGroup());
                facts.put("version", r.currentVersionId() + " (" + state(r) + (r.currentVersion() != null && r
                        .currentVersion().statusMessage() != null ? ": " + r.currentVersion().statusMessage() : "")
                        + ")");
                facts.put("endpoints", String.join(", ", r.endpoints().entrySet().stream().map(e -> e.getKey()
                        + " " + e.getValue()).toList()));
                facts.forEach((k, v) -> out.line(String.format("%-11s %s", k + ":", v == null || v.isEmpty() ? "-"
                        : v)));
                out.line("");
                out.table(List.of("version", "status", "image", "created"), shown.versions().stream()
                        .map(v -> List.of(String.valueOf(v.id()), v.status(), Output.image(v.image()), String.valueOf(v
                                .createdAt())))
                        .toList());
                out.line("");
                if (shown.grants().isEmpty()) {
                    out.line("It holds no permissions on other replicas.");
                } else {
                    out.table(List.of("permission", "on", "params", "source"), shown.grants().stream().map(
                            g -> List.of(g.permission() + " of " + shortContract(g.contract()), g
                                    .implementorName(),
                                    g.params() == null || g.params().isEmpty() ? "-"
                                            : g.params().toString(),
                                    String.join(",", g.sources())))
                            .toList());
                }
            });
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "enable",
            mixinStandardHelpOptions = true,
            description = "Start a disabled replica's workload again.")
    public static class Enable extends BaseCommand {
        @Parameters(paramLabel = "<replica>", description = "Its name or id.")
        String replica;

        @Override
        public Integer call() {
            return setEnabled(this, replica, true);
        }
    }

    @Command(
            name = "disable",
            mixinStandardHelpOptions = true,
            description = "Stop a replica's workload (its records, account and grants stay).")
    public static class Disable extends BaseCommand {
        @Parameters(paramLabel = "<replica>", description = "Its name or id.")
        String replica;

        @Override
        public Integer call() {
            return setEnabled(this, replica, false);
        }
    }

    static int setEnabled(BaseCommand command, String name, boolean enabled) {
        AlphaApi alpha = command.connection().alpha();
        AlphaApi.Replica r = alpha.getReplica(name);
        AlphaApi.Replica changed = alpha.setReplicaEnabled(new AlphaApi.SetReplicaEnabled(r.id(), enabled));
        Output out = command.output();
        out.print(changed, () -> out.line(changed.name() + (enabled ? " enabled: Alpha starts its version "
                : " disabled: Alpha stops its version ") + changed.currentVersionId()));
        return ExitCodes.OK;
    }

    @Command(
            name = "unload",
            mixinStandardHelpOptions = true,
            description = "Remove a replica: its workload, account, RCB and every grant it gave or held; its name "
                    + "is free again.")
    public static class Unload extends BaseCommand {
        @Parameters(paramLabel = "<replica>", description = "Its name or id.")
        String replica;

        @Option(names = { "-y", "--yes" }, description = "Do not ask for confirmation.")
        boolean yes;

        @Override
        public Integer call() {
            Confirm.requireTerminalOr(yes, "reside replica unload");
            AlphaApi alpha = connection().alpha();
            AlphaApi.Replica r = alpha.getReplica(replica);
            if (!yes && !Confirm.ask("Unload " + r.name() + " (" + r.id() + ")? Its account, its grants and its "
                    + "data in the cluster go with it. [y/N] ")) {
                throw new CliException(ExitCodes.FAILURE, "not unloaded: " + r.name() + " stays");
            }
            AlphaApi.Replica gone = alpha.unloadReplica(new AlphaApi.UnloadReplica(r.id()));
            Output out = output();
            out.print(gone, () -> out.line(gone.name() + " unloaded"));
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "rollback",
            mixinStandardHelpOptions = true,
            description = "A new version of a replica from an earlier version's image and plan; waits until it runs.")
    public static class Rollback extends BaseCommand {
        @Parameters(index = "0", paramLabel = "<replica>", description = "Its name or id.")
        String replica;

        @Parameters(index = "1", paramLabel = "<version>", description = "The earlier version to go back to.")
        int version;

        @Option(
                names = "--timeout",
                defaultValue = "PT5M",
                description = "How long to wait for it to run "
                        + "(ISO-8601, default PT5M).")
        Duration timeout;

        @Override
        public Integer call() {
            AlphaApi alpha = connection().alpha();
            AlphaApi.Replica r = alpha.getReplica(replica);
            AlphaApi.Version v = alpha.rollbackReplica(new AlphaApi.RollbackReplica(r.id(), version));
            AlphaApi.Replica running = Follow.untilRunning(alpha, progress(), r.name(), r.id(), v.id(), timeout);
            Output out = output();
            out.print(running, () -> out.line(running.name() + " version " + v.id() + " (the image of version "
                    + version + ") " + out.good("running")));
            return ExitCodes.OK;
        }
    }

    /** {@code localhost:5000/reside/contracts/alpha.v1} → {@code alpha.v1}. */
    static String shortContract(String identity) {
        return identity == null ? "-" : identity.substring(identity.lastIndexOf('/') + 1);
    }

    static List<String> names(List<AlphaApi.Candidate> candidates) {
        List<String> out = new ArrayList<>();
        for (AlphaApi.Candidate c : candidates) {
            out.add(c.name());
        }
        return out;
    }
}
