package io.reside.cli.dev;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.SignedClient;
import io.reside.security.AccountKey;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code reside dev status}: what the running dev cluster runs, from Alpha, as the operator. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "What the running dev cluster runs.")
public class DevStatusCommand implements Callable<Integer> {

    @ParentCommand
    DevCommand dev;

    @Option(names = { "-o", "--output" }, description = "table (default) or json.", defaultValue = "table")
    String output;

    @Override
    public Integer call() {
        if (!output.equals("table") && !output.equals("json")) {
            throw new CliException(ExitCodes.USAGE, "-o is table or json, not '" + output + "'");
        }
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
        if (output.equals("json")) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("stateDir", dir.root().toString());
            doc.put("running", running);
            doc.put("replicas", replicas.stream().map(r -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", r.name());
                m.put("id", r.id());
                m.put("version", r.currentVersionId());
                m.put("status", r.currentVersion() == null ? null : r.currentVersion().status());
                m.put("enabled", r.enabled());
                m.put("endpoint", r.endpoints().get("local"));
                return m;
            }).toList());
            try {
                System.out.println(DevDir.JSON.writeValueAsString(doc));
            } catch (IOException e) {
                throw new CliException(ExitCodes.FAILURE, "cannot write JSON: " + e.getMessage());
            }
            return ExitCodes.OK;
        }
        System.out.printf("dev cluster in %s (pid %d), ready since %s%n", dir.root(), running.pid(), running
                .readyAt());
        System.out.printf("%-24s %-8s %-10s %s%n", "REPLICA", "VERSION", "STATUS", "ENDPOINT");
        for (AlphaApi.Replica r : replicas) {
            System.out.printf("%-24s %-8s %-10s %s%n", r.name(), r.currentVersionId(), r.currentVersion() == null
                    ? "-"
                    : r.enabled() ? r.currentVersion().status() : "disabled",
                    r.endpoints().getOrDefault(
                            "local", "-"));
        }
        System.out.printf("etcd %s, registry %s%s%n", running.etcd(), running.registry(), running.chat() == null
                ? ""
                : ", chat page " + running.chat());
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
