package io.reside.cli;

import java.nio.file.Path;

import io.quarkus.picocli.runtime.annotations.TopCommand;
import io.reside.cli.commands.AccountCommand;
import io.reside.cli.commands.AuditCommand;
import io.reside.cli.commands.BuildCommand;
import io.reside.cli.commands.ClusterCommand;
import io.reside.cli.commands.CompletionCommand;
import io.reside.cli.commands.PermissionCommand;
import io.reside.cli.commands.ReplicaCommand;
import io.reside.cli.dev.DevCommand;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code reside}: the command line of a ReSide cluster. The options here are global: every subcommand takes them.
 */
@TopCommand
@Command(
        name = "reside",
        mixinStandardHelpOptions = true,
        version = "reside 0.1.0",
        subcommands = { DevCommand.class, ReplicaCommand.class, PermissionCommand.class, AccountCommand.class,
                ClusterCommand.class, AuditCommand.class, BuildCommand.class, CompletionCommand.class,
                CommandLine.HelpCommand.class },
        description = "Runs and operates ReSide clusters.",
        footer = { "", "Configuration: ~/.config/reside/config.yaml (or RESIDE_CONFIG). Exit codes: 0 ok, 1 failure, "
                + "2 usage or invalid input, 3 permission denied, 4 not found, 5 unavailable, 6 busy (another "
                + "reside dev runs), 7 missing prerequisite." })
public class ResideCommand {

    @Option(
            names = "--context",
            scope = ScopeType.INHERIT,
            paramLabel = "<name>",
            description = "The context (cluster and account) to use instead of the current one.")
    public String context;

    @Option(
            names = "--config",
            scope = ScopeType.INHERIT,
            paramLabel = "<file>",
            description = "The configuration file (default: $RESIDE_CONFIG, else ~/.config/reside/config.yaml).")
    public Path config;

    @Option(
            names = { "-o", "--output" },
            scope = ScopeType.INHERIT,
            paramLabel = "<format>",
            defaultValue = "table",
            description = "table (for people, the default), json or yaml (for scripts: a stable shape, "
                    + "docs/cli.md).")
    public String output;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Stack traces with errors.")
    public boolean verbose;
}
