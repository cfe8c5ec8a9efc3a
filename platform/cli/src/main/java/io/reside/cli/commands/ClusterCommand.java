package io.reside.cli.commands;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Output;
import io.reside.cli.cluster.Connection;
import io.reside.cli.config.CliConfig;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.model.error.ResideException;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code reside cluster ...}: the clusters of the configuration, and the one-time claim of super-admin access. */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = "Deploy a cluster to Kubernetes or delete it, see a cluster, switch between clusters, claim "
                + "super-admin access.",
        subcommands = { ClusterBootstrap.class, ClusterDelete.class, ClusterCommand.Info.class,
                ClusterCommand.Use.class, ClusterCommand.Claim.class })
public class ClusterCommand {

    /** {@code cluster info -o json}. */
    public record ClusterInfo(String context, String cluster, String account, String accountId, String endpoint,
            String alphaAccountId, String accessContext, List<AlphaApi.MyGrant> alphaGrants, Integer replicas,
            Integer running) {
    }

    @Command(
            name = "info",
            mixinStandardHelpOptions = true,
            description = "The current context: its cluster, your account there, what you may do on Alpha, and "
                    + "how many replicas run.")
    public static class Info extends BaseCommand {
        @Override
        public Integer call() {
            Connection c = connection();
            AlphaApi alpha = c.alpha();
            List<AlphaApi.MyGrant> grants = alpha.getMyGrants();
            Integer replicas = null;
            Integer running = null;
            try {
                List<AlphaApi.Replica> all = alpha.listReplicas();
                replicas = all.size();
                running = (int) all.stream().filter(r -> r.currentVersion() != null && "running".equals(r
                        .currentVersion().status())).count();
            } catch (ResideException.PermissionDeniedException e) {
                // shown as unknown: this account may not see the replicas
            }
            ClusterInfo info = new ClusterInfo(c.context().name(), c.cluster().name(), c.account().name(), c
                    .account().accountId(), c.cluster().endpoint(), c.cluster().alphaAccountId(), c.accessContext(),
                    grants, replicas, running);
            Output out = output();
            out.print(info, () -> {
                out.line("context:   " + info.context());
                out.line("cluster:   " + info.cluster() + " (Alpha at " + info.endpoint() + ", " + info
                        .alphaAccountId() + ")");
                out.line("account:   " + info.account() + " (" + info.accountId() + ")");
                out.line("endpoints: " + info.accessContext());
                out.line("replicas:  " + (info.replicas() == null ? "not visible to you (replica:read:all)"
                        : info.running() + " of " + info.replicas() + " running"));
                // a grant being taken away still shows while it is (revoking, revoked): not one you hold
                List<String> held = grants.stream().filter(g -> !g.state().startsWith("revok")).map(g -> g
                        .permission() + (g.state().equals("current") ? "" : " (" + g.state() + ")")).toList();
                out.line("on Alpha:  " + (held.isEmpty() ? "no permissions" : String.join(", ", held)));
            });
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "use",
            mixinStandardHelpOptions = true,
            description = "Make a context the current one (without a name: list the contexts).")
    public static class Use extends BaseCommand {
        @Parameters(paramLabel = "<context>", arity = "0..1", description = "The context to use from now on.")
        String name;

        @Override
        public Integer call() {
            CliConfig config = configFile().load();
            Output out = output();
            if (name == null) {
                out.print(config.contexts(), () -> out.table(List.of("current", "name", "cluster", "account"),
                        config.contexts().stream().map(c -> List.of(c.name().equals(config.currentContext()) ? "*"
                                : "", c.name(), c.cluster(), c.account())).toList()));
                return ExitCodes.OK;
            }
            if (config.context(name).isEmpty()) {
                throw new CliException(ExitCodes.NOT_FOUND, "no context '" + name + "' in " + configFile().path()
                        + " (there are: " + String.join(", ", config.contexts().stream().map(CliConfig.Context::name)
                                .toList())
                        + ")");
            }
            configFile().save(config.withCurrentContext(name));
            out.print(config.context(name).get(), () -> out.line("now using the context " + name));
            return ExitCodes.OK;
        }
    }

    /** Where the claim code comes from. */
    static class Code {
        @Option(
                names = "--code",
                paramLabel = "<code>",
                description = "The claim code (it shows in process lists: "
                        + "prefer --code-file).")
        String code;

        @Option(
                names = "--code-file",
                paramLabel = "<file>",
                description = "A file holding the claim code (the "
                        + "local runtime's <state-dir>/claim-code).")
        Path codeFile;
    }

    @Command(
            name = "claim-super-admin-access",
            mixinStandardHelpOptions = true,
            description = "Become the cluster's super-admin, once, with the claim code Alpha made at its first start "
                    + "(the local runtime's <state-dir>/claim-code; on Kubernetes, the Secret reside-claim-code).")
    public static class Claim extends BaseCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Code code;

        @Override
        public Integer call() {
            String value = code.code;
            if (code.codeFile != null) {
                try {
                    value = Files.readString(code.codeFile).trim();
                } catch (IOException e) {
                    throw new CliException(ExitCodes.NOT_FOUND, "cannot read the claim code from " + code.codeFile
                            + ": " + e.getMessage());
                }
            }
            AlphaApi.Claimed claimed = connection().alpha().claimSuperAdminAccess(
                    new AlphaApi.ClaimSuperAdminAccess(value));
            Output out = output();
            out.print(claimed, () -> out.line(claimed.accountId() + " is the super-admin of " + connection()
                    .cluster().name() + ": " + String.join(", ", claimed.granted())));
            return ExitCodes.OK;
        }
    }
}
