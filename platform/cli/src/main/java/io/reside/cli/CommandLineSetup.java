package io.reside.cli;

import java.util.Arrays;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

import io.quarkus.picocli.runtime.PicocliCommandLineFactory;
import io.reside.cli.cluster.Errors;

import picocli.CommandLine;

/**
 * How {@code reside} reports failures: a {@link CliException} as its one-line message and its exit code; anything
 * else as one line saying it is unexpected, with the stack trace only under {@code --verbose} (or
 * {@code RESIDE_VERBOSE=1}).
 */
@ApplicationScoped
public class CommandLineSetup {

    @Produces
    CommandLine commandLine(PicocliCommandLineFactory factory) {
        return factory.create().setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean verbose = Arrays.asList(parsed.originalArgs()).contains("--verbose")
                    || "1".equals(System.getenv("RESIDE_VERBOSE"));
            CliException c = Errors.toCli(e);
            if (c != null) {
                cmd.getErr().println("reside: " + c.getMessage());
                if (verbose && c.getCause() != null) {
                    c.getCause().printStackTrace(cmd.getErr());
                }
                return c.exitCode();
            }
            cmd.getErr().println("reside: unexpected failure: " + e + (verbose ? ""
                    : " (run with --verbose for the stack trace)"));
            if (verbose) {
                e.printStackTrace(cmd.getErr());
            }
            return ExitCodes.FAILURE;
        });
    }
}
