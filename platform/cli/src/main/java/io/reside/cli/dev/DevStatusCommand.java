package io.reside.cli.dev;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Output;
import io.reside.cli.Progress;
import io.reside.cli.ResideCommand;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.SignedClient;
import io.reside.security.AccountKey;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code reside dev status}: what the running dev cluster runs, from Alpha, as the operator. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "What the running dev cluster runs.")
public class DevStatusCommand implements Callable<Integer> {

    @ParentCommand
    DevCommand dev;

    @Spec
    CommandSpec spec;

    /** {@code dev status -o json}: where the cluster is, what runs, and each replica's state. */
    public record Status(String stateDir, DevDir.Running running, List<ReplicaState> replicas) {
    }

    /** One replica of {@link Status}. */
    public record ReplicaState(String name, String id, int version, String status, boolean enabled,
            String endpoint) {
    }

    @Override
    public Integer call() {
        Output out = new Output(Output.parse(((ResideCommand) spec.root().userObject()).output), System.out,
                Progress.onStderr().live());
        DevDir dir = dev.dir();
        DevDir.Running running = requireRunning(dir);
        AlphaApi alpha = alpha(dir, running);
        List<AlphaApi.Replica> replicas;
        try {
            replicas = alpha.listReplicas();
        } catch (RuntimeException e) {
            throw new CliException(ExitCodes.UNAVAILABLE, "Alpha at " + running.alpha() + " does not answer (" + e
                    .getMessage() + "): see " + dir.alphaLog(), e);
        }
        Status status = new Status(dir.root().toString(), running, replicas.stream().map(r -> new ReplicaState(r
                .name(), r.id(), r.currentVersionId(),
                r.currentVersion() == null ? null
                        : r.currentVersion().status(),
                r.enabled(), r.endpoints().get("local"))).toList());
        out.print(status, () -> {
            out.line("dev cluster in " + dir.root() + " (pid " + running.pid() + "), ready since " + running
                    .readyAt());
            out.table(List.of("replica", "version", "status", "endpoint"), status.replicas().stream().map(r -> List.of(
                    r.name(), String.valueOf(r.version()), r.status() == null ? "-"
                            : r.enabled() ? r.status() : "disabled",
                    r.endpoint() == null ? "-" : r.endpoint()))
                    .toList());
            out.line("etcd " + running.etcd() + ", registry " + running.registry() + (running.chat() == null ? ""
                    : ", chat page " + running.chat()));
        });
        return ExitCodes.OK;
    }

    /** The running cluster's record, or a clear refusal (exit 5) when none runs from {@code dir}. */
    static DevDir.Running requireRunning(DevDir dir) {
        if (!DevCluster.isRunning(dir)) {
            throw new CliException(ExitCodes.UNAVAILABLE, dir.ports().isPresent()
                    ? "no reside dev runs from " + dir.root() + " (a stopped cluster is kept there: ./reside dev "
                            + "resumes it)"
                    : "no dev cluster in " + dir.root() + ": start one with ./reside dev");
        }
        return dir.running().orElseThrow(() -> new CliException(ExitCodes.UNAVAILABLE, "the reside dev in " + dir
                .root() + " is still starting: try again when it prints its summary"));
    }

    static AlphaApi alpha(DevDir dir, DevDir.Running running) {
        try {
            AccountKey operator = AccountKey.fromPem(Files.readString(dir.operatorKey()));
            AccountKey alphaKey = AccountKey.fromPem(Files.readString(dir.alphaKey()));
            return SignedClient.of(AlphaApi.class, URI.create(running.alpha()), operator, alphaKey.publicKey());
        } catch (IOException | RuntimeException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot read the keys in " + dir.root() + ": " + e
                    .getMessage());
        }
    }
}
