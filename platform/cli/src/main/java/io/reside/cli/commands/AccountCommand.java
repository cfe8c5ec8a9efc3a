package io.reside.cli.commands;

import java.nio.file.Path;
import java.util.List;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Output;
import io.reside.cli.config.CliConfig;
import io.reside.cli.config.ConfigFile;
import io.reside.security.AccountKey;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code reside account ...}: the accounts (keys) this person holds, in the configuration. */
@Command(
        name = "account",
        mixinStandardHelpOptions = true,
        description = "Create and list the accounts (Ed25519 keys) you act as.",
        subcommands = { AccountCommand.Create.class, AccountCommand.ListAccounts.class })
public class AccountCommand {

    /** An account name: what contexts and {@code --user} name it by. */
    static final String NAME = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";

    /** {@code account create -o json}. */
    public record Created(String name, String accountId, String publicKey, String keyFile) {
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = { "Make a new account: a key pair kept on this machine (mode 0600), listed in the "
                    + "configuration.",
                    "Its public key is what a cluster registers: as the operator of a new cluster (its Alpha's "
                            + "alpha.bootstrap.operator-public-key), and then in contexts (reside cluster "
                            + "bootstrap)." })
    public static class Create extends BaseCommand {
        @Parameters(paramLabel = "<name>", description = "Its name in the configuration (lower case, digits, -).")
        String name;

        @Option(
                names = "--key-file",
                paramLabel = "<file>",
                description = "Where to write the key (default: "
                        + "keys/<name>.pem beside the configuration).")
        Path keyFile;

        @Override
        public Integer call() {
            if (!name.matches(NAME)) {
                throw new CliException(ExitCodes.USAGE, "an account name is 1 to 63 lower-case letters, digits and "
                        + "dashes, not '" + name + "'");
            }
            ConfigFile file = configFile();
            CliConfig config = file.load();
            if (config.account(name).isPresent()) {
                throw new CliException(ExitCodes.FAILURE, "there is an account '" + name + "' already ("
                        + config.account(name).get().accountId() + "): choose another name");
            }
            Path key = (keyFile != null ? keyFile : file.keysDir().resolve(name + ".pem")).toAbsolutePath()
                    .normalize();
            AccountKey generated = AccountKey.generate();
            ConfigFile.writeKey(key, generated);
            file.save(config.with(new CliConfig.Account(name, generated.accountId(), key.toString())));
            Created created = new Created(name, generated.accountId(), generated.publicKey().toBase64url(), key
                    .toString());
            Output out = output();
            out.print(created, () -> {
                out.line("account " + name + " created: " + created.accountId());
                out.line("public key: " + created.publicKey());
                out.line("key file:   " + key + " (only you may read it; keep it safe, it is who you are)");
            });
            return ExitCodes.OK;
        }
    }

    /** {@code account list -o json}: an account, and the contexts that act as it. */
    public record Listed(String name, String accountId, String keyFile, List<String> contexts) {
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The accounts in the configuration.")
    public static class ListAccounts extends BaseCommand {
        @Override
        public Integer call() {
            CliConfig config = configFile().load();
            List<Listed> accounts = config.accounts().stream().map(a -> new Listed(a.name(), a.accountId(), a
                    .keyFile(),
                    config.contexts().stream().filter(c -> c.account().equals(a.name())).map(
                            CliConfig.Context::name).toList()))
                    .toList();
            Output out = output();
            out.print(accounts, () -> {
                if (accounts.isEmpty()) {
                    out.line("No accounts in " + configFile().path() + ": create one with reside account create "
                            + "<name>, or start ./reside dev");
                    return;
                }
                out.table(List.of("name", "account id", "key file", "contexts"), accounts.stream().map(a -> List.of(
                        a.name(), a.accountId(), a.keyFile() == null ? "-" : a.keyFile(), a.contexts().isEmpty()
                                ? "-"
                                : String.join(",", a.contexts())))
                        .toList());
            });
            return ExitCodes.OK;
        }
    }
}
