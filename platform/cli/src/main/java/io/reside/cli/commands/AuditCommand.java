package io.reside.cli.commands;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Output;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.model.audit.AuditApi;
import io.reside.model.error.ResideException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reside audit [<replica>]}: the audit trail of a replica that keeps one (Alpha, the User Manager), newest
 * first (docs/operations.md, "Audit trail").
 */
@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description = { "Who changed what: the audit trail of Alpha (the default) or of another replica that keeps "
                + "one, such as the User Manager. Newest first.",
                "Needs the replica's read-everything permission (alpha.v1 replica:read:all for Alpha, "
                        + "user-manager.v1 user:read:all for the User Manager)." })
public class AuditCommand extends BaseCommand {

    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId
            .systemDefault());

    @Parameters(
            arity = "0..1",
            paramLabel = "<replica>",
            defaultValue = "alpha",
            description = "The replica's name (default: alpha).")
    String replica;

    @Option(
            names = "--limit",
            paramLabel = "<n>",
            defaultValue = "50",
            description = "At most this many entries "
                    + "(1 to 500, default 50).")
    int limit;

    @Option(
            names = "--before",
            paramLabel = "<id>",
            description = "Entries older than this one (the next page: "
                    + "the id the previous page ended with).")
    String before;

    @Override
    public Integer call() {
        if (limit < 1 || limit > 500) {
            throw new CliException(ExitCodes.USAGE, "--limit must be between 1 and 500, not " + limit);
        }
        AuditApi audit = trailOf(replica);
        AuditApi.Page page;
        try {
            page = audit.entries(limit, before);
        } catch (ResideException.NotFoundException e) {
            throw new CliException(ExitCodes.NOT_FOUND, replica + " keeps no audit trail (reside.audit.enabled is "
                    + "off there)");
        }
        Output out = output();
        out.print(page, () -> {
            if (page.entries().isEmpty()) {
                out.line(before == null ? "No state-changing call yet." : "No older entries.");
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            for (AuditApi.Entry e : page.entries()) {
                rows.add(List.of(TIME.format(e.at()), e.method(), e.actor() == null ? e.madeBy()
                        : e.madeBy()
                                + " (by " + e.actor() + ")",
                        describe(e.object()), e.outcome()));
            }
            out.table(List.of("at", "method", "by", "on", "outcome"), rows);
            if (page.next() != null) {
                out.line("");
                out.line("Older entries: reside audit " + replica + " --before " + page.next());
            }
        });
        return ExitCodes.OK;
    }

    private AuditApi trailOf(String name) {
        if (name.equals("alpha")) {
            return connection().alphaApi(AuditApi.class);
        }
        AlphaApi.Replica r = connection().alpha().listReplicas().stream().filter(x -> x.name().equals(name))
                .findFirst().orElseThrow(() -> new CliException(ExitCodes.NOT_FOUND, "no replica named '" + name
                        + "' (reside replica list shows them)"));
        return connection().client(AuditApi.class, new AlphaApi.ReplicaEndpoints(r.id(), r.name(), r.accountId(), r
                .endpoints()));
    }

    static String describe(Map<String, String> object) {
        if (object == null || object.isEmpty()) {
            return "-";
        }
        return object.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(
                " "));
    }
}
