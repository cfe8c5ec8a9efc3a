package io.reside.cli.dev;

import io.reside.cli.CliException;
import io.reside.cli.Progress;
import io.reside.cli.config.CliConfig;
import io.reside.cli.config.ConfigFile;

/**
 * A started dev cluster in the CLI's configuration, so that every {@code reside} command works against it at once:
 * the cluster {@value #NAME} (Alpha's endpoint and account, the {@code local} endpoints of its replicas), the account
 * {@value #ACCOUNT} (the operator's key in the state directory) and the context {@value #NAME}, which becomes the
 * current one when there is none yet. Each start writes it again (the last {@code reside dev} started is
 * {@value #NAME}).
 */
final class DevContext {

    static final String NAME = "dev";
    static final String ACCOUNT = "dev-operator";

    private DevContext() {
    }

    /** @return the context's name, or null when the configuration could not be written (a warning says why) */
    static String record(DevDir dir, DevCluster.Ready ready, Progress progress) {
        ConfigFile file = ConfigFile.ofUser();
        try {
            CliConfig config = file.load();
            config = config.with(new CliConfig.Cluster(NAME, null, ready.running().alpha(), ready.alphaAccountId(),
                    null, "local")).with(new CliConfig.Account(ACCOUNT, ready.operatorAccountId(),
                            dir.operatorKey()
                                    .toString()))
                    .with(new CliConfig.Context(NAME, NAME, ACCOUNT));
            if (config.currentContext() == null) {
                config = config.withCurrentContext(NAME);
            }
            file.save(config);
            return NAME;
        } catch (CliException e) {
            progress.line("  the CLI configuration was not updated (" + e.getMessage() + "): reside commands other "
                    + "than dev do not know this cluster");
            return null;
        }
    }
}
