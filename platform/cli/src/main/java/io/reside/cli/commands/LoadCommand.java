package io.reside.cli.commands;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Output;
import io.reside.cli.Progress;
import io.reside.contracts.alpha.v1.AlphaApi;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reside replica load <image>}: a load request, its plan shown for a decision, approval, and the new version
 * followed until it runs. Without {@code --yes} it asks, so it needs a terminal.
 */
@Command(
        name = "load",
        mixinStandardHelpOptions = true,
        description = { "Load a replica from an image (or update one): Alpha validates it, shows the plan, and on "
                + "approval runs the new version; this command follows it until it runs.",
                "The image is identity[:tag][@digest], e.g. localhost:5000/reside/replicas/echo:1." })
public class LoadCommand extends BaseCommand {

    @Parameters(paramLabel = "<image>", description = "The replica image.")
    String image;

    @Option(names = "--name", description = "The name of a new instance (default: the replica's own).")
    String name;

    @Option(names = "--update", paramLabel = "<replica>", description = "Update this instance (name or id).")
    String update;

    @Option(
            names = "--use",
            paramLabel = "<requirement>=<replica>[,<replica>...]",
            description = "Wire a requirement to these implementors instead of the plan's choice.")
    Map<String, String> use = new LinkedHashMap<>();

    @Option(names = { "-y", "--yes" }, description = "Approve without asking.")
    boolean yes;

    @Option(
            names = "--timeout",
            defaultValue = "PT5M",
            description = "How long to wait for validation and then for "
                    + "the version to run (ISO-8601, default PT5M).")
    Duration timeout;

    /** {@code -o json}: the load request as approved, and the replica running its new version. */
    public record Loaded(AlphaApi.LoadRequest loadRequest, AlphaApi.Replica replica) {
    }

    @Override
    public Integer call() {
        Confirm.requireTerminalOr(yes, "reside replica load");
        AlphaApi alpha = connection().alpha();
        Output out = output();
        Progress progress = progress();
        String replicaId = update == null ? null : alpha.getReplica(update).id();
        Progress.Step step = progress.step("load request");
        AlphaApi.LoadRequest created = alpha.createLoadRequest(new AlphaApi.CreateLoadRequest(image, name,
                replicaId, null));
        AlphaApi.LoadRequest validated = Follow.untilValidated(alpha, step, created.id(), timeout);
        if (!validated.status().equals("requires-approval")) {
            step.fail(validated.status());
            throw new CliException(ExitCodes.FAILURE, "load request " + created.id() + " for " + image + " is "
                    + validated.status() + ": " + validated.error());
        }
        step.done(created.id() + " validated");
        // the plan is for the person who decides: on standard output in a table, else on standard error
        printPlan(out.isTable() ? System.out : System.err, validated);
        Map<String, List<String>> chosen = choices(validated.plan());
        if (!yes && !Confirm.ask("Approve this load? [y/N] ")) {
            alpha.rejectLoadRequest(new AlphaApi.RejectLoadRequest(created.id(), "declined at the reside CLI"));
            throw new CliException(ExitCodes.FAILURE, "not approved: load request " + created.id()
                    + " is rejected and nothing was loaded");
        }
        AlphaApi.Approval approval = alpha.approveLoadRequest(new AlphaApi.ApproveLoadRequest(created.id(), chosen
                .isEmpty() ? null : chosen));
        AlphaApi.Replica running = Follow.untilRunning(alpha, progress, validated.plan().name(), approval.version()
                .replicaId(), approval.version().id(), timeout);
        out.print(new Loaded(approval.loadRequest(), running), () -> out.line(running.name() + " version "
                + running.currentVersionId() + " " + out.good("running") + Endpoint.of(running, connection())));
        return ExitCodes.OK;
    }

    /** {@code --use}, checked against the plan: each requirement exists and each replica is an alternative. */
    private Map<String, List<String>> choices(AlphaApi.Plan plan) {
        Map<String, List<String>> chosen = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : use.entrySet()) {
            AlphaApi.PlannedRequirement req = plan.requirements().get(e.getKey());
            if (req == null) {
                throw new CliException(ExitCodes.USAGE, "--use " + e.getKey() + ": the replica has no requirement "
                        + "'" + e.getKey() + "' (it has: " + String.join(", ", plan.requirements().keySet()) + ")");
            }
            List<String> ids = new ArrayList<>();
            for (String want : e.getValue().split(",")) {
                String w = want.trim();
                ids.add(req.candidates().stream().filter(c -> c.name().equals(w) || c.replicaId().equals(w))
                        .findFirst().orElseThrow(() -> new CliException(ExitCodes.USAGE, "--use " + e.getKey()
                                + ": '" + w + "' does not implement " + ReplicaCommand.shortContract(req.contract())
                                + " (candidates: " + String.join(", ", ReplicaCommand.names(req.candidates()))
                                + ")"))
                        .replicaId());
            }
            chosen.put(e.getKey(), ids);
        }
        return chosen;
    }

    static void printPlan(PrintStream to, AlphaApi.LoadRequest request) {
        AlphaApi.Plan p = request.plan();
        to.println();
        to.println("Load request " + request.id() + ": " + Output.image(p.image()));
        to.println("  replica      " + p.name() + (p.update() ? " (update of " + p.replicaId() + ")"
                : " (a new instance)"));
        to.println("  class        " + p.replicaClass() + (p.exclusive() ? ", exclusive" : "") + (p.scalable()
                ? ", scalable"
                : ", not scalable (the old version stops before the new one starts)"));
        to.println("  implements   " + (p.implementations().isEmpty() ? "-"
                : String.join(", ", p.implementations().stream().map(ReplicaCommand::shortContract).toList())));
        if (p.requirements().isEmpty()) {
            to.println("  requires     -");
        } else {
            to.println("  requires");
            p.requirements().forEach((key, r) -> {
                List<String> chosen = r.candidates().stream().filter(c -> r.chosen().contains(c.replicaId())).map(
                        AlphaApi.Candidate::name).toList();
                List<String> others = r.candidates().stream().filter(c -> !r.chosen().contains(c.replicaId())).map(
                        AlphaApi.Candidate::name).toList();
                to.println("    " + key + " → " + ReplicaCommand.shortContract(r.contract()) + ": " + (chosen
                        .isEmpty() ? "none" : String.join(", ", chosen)) + (others.isEmpty() ? ""
                                : " (alternatives: " + String.join(", ", others) + ")")
                        + (r.optional()
                                ? " [optional]"
                                : "")
                        + (r.multiple() ? " [multiple]" : ""));
            });
        }
        if (p.permissions().isEmpty()) {
            to.println("  permissions  none");
        } else {
            to.println("  permissions it asks for");
            for (AlphaApi.PlannedPermission perm : p.permissions()) {
                to.println("    " + perm.permission() + (perm.params() == null || perm.params().isEmpty() ? ""
                        : " " + perm.params()) + " of " + ReplicaCommand.shortContract(perm.contract()));
            }
        }
        to.println();
        to.flush();
    }
}
