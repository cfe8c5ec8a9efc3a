package io.reside.cli;

import io.quarkus.picocli.runtime.annotations.TopCommand;
import io.reside.cli.dev.DevCommand;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code reside}: the command line of a ReSide cluster. */
@TopCommand
@Command(
        name = "reside",
        mixinStandardHelpOptions = true,
        version = "reside 0.1.0",
        subcommands = {
                DevCommand.class, CommandLine.HelpCommand.class },
        description = "Runs and operates ReSide clusters.",
        footer = { "", "Exit codes: 0 ok, 1 failure, 2 usage, 3 permission denied, 4 not found, 5 unavailable, "
                + "6 busy (another reside dev runs), 7 missing prerequisite." })
public class ResideCommand {
}
