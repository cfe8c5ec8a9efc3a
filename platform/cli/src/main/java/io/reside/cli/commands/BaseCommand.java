package io.reside.cli.commands;

import java.util.concurrent.Callable;

import io.reside.cli.Output;
import io.reside.cli.Progress;
import io.reside.cli.ResideCommand;
import io.reside.cli.cluster.Connection;
import io.reside.cli.config.ConfigFile;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every cluster command has: the global options, the configuration, a connection, its output. */
abstract class BaseCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    private Connection connection;

    ResideCommand global() {
        return (ResideCommand) spec.root().userObject();
    }

    ConfigFile configFile() {
        return global().config != null ? new ConfigFile(global().config) : ConfigFile.ofUser();
    }

    /** The context named by {@code --context}, or the current one. */
    Connection connection() {
        if (connection == null) {
            connection = Connection.open(configFile(), global().context);
        }
        return connection;
    }

    Output output() {
        return new Output(Output.parse(global().output), System.out, Progress.onStderr().live());
    }

    Progress progress() {
        return Progress.onStderr();
    }
}
