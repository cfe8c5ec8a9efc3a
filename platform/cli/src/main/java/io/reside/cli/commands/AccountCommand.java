package io.reside.cli.commands;

import java.nio.file.Path;
import java.util.List;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Output;
import io.reside.cli.config.CliConfig;
import io.reside.cli.config.ConfigFile;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.security.AccountKey;
import io.reside.security.PublicKey;

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

    /**
     * {@code account create -o json}.
     *
     * @param keyFile null for someone else's key ({@code --public-key})
     * @param userId the user it became in the cluster ({@code --register}), or null
     * @param context the context made for it ({@code --register} of a key held here), or null
     */
    public record Created(String name, String accountId, String publicKey, String keyFile, String userId,
            String context) {
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = { "Make a new account: a key pair kept on this machine (mode 0600), listed in the "
                    + "configuration.",
                    "With --register it becomes a user of the current context's cluster (and gets a context of "
                            + "its own); someone else's key is registered with --public-key <key> --register." })
    public static class Create extends BaseCommand {
        @Parameters(paramLabel = "<name>", description = "Its name in the configuration (lower case, digits, -).")
        String name;

        @Option(
                names = "--key-file",
                paramLabel = "<file>",
                description = "Where to write the key (default: "
                        + "keys/<name>.pem beside the configuration).")
        Path keyFile;

        @Option(
                names = "--public-key",
                paramLabel = "<key>",
                description = "Someone else's public key (as their "
                        + "reside account create printed it): no key is made here; use with --register.")
        String publicKey;

        @Option(
                names = "--register",
                description = "Make the account a user of the current context's cluster "
                        + "(realm default), as the current account (it needs user:create:realm{realm: default}).")
        boolean register;

        @Override
        public Integer call() {
            if (!name.matches(NAME)) {
                throw new CliException(ExitCodes.USAGE, "an account name is 1 to 63 lower-case letters, digits and "
                        + "dashes, not '" + name + "'");
            }
            if (publicKey != null && (!register || keyFile != null)) {
                throw new CliException(ExitCodes.USAGE, "--public-key registers someone else's key: it goes with "
                        + "--register, and without --key-file");
            }
            ConfigFile file = configFile();
            CliConfig config = file.load();
            if (config.account(name).isPresent()) {
                throw new CliException(ExitCodes.FAILURE, "there is an account '" + name + "' already ("
                        + config.account(name).get().accountId() + "): choose another name");
            }
            PublicKey pub;
            Path key = null;
            AccountKey generated = null;
            if (publicKey != null) {
                try {
                    pub = PublicKey.fromBase64url(publicKey.trim());
                } catch (IllegalArgumentException e) {
                    throw new CliException(ExitCodes.USAGE, "--public-key: " + e.getMessage());
                }
            } else {
                generated = AccountKey.generate();
                pub = generated.publicKey();
                key = (keyFile != null ? keyFile : file.keysDir().resolve(name + ".pem")).toAbsolutePath()
                        .normalize();
            }
            // registered first: a refusal leaves no key and no configuration behind
            UserManagerApi.User user = register ? connection().userManager().createUser(
                    new UserManagerApi.CreateUser(UserManagerApi.DEFAULT_REALM, name, pub.toBase64url())) : null;
            if (generated != null) {
                ConfigFile.writeKey(key, generated);
            }
            CliConfig changed = config.with(new CliConfig.Account(name, pub.accountId(), key == null ? null
                    : key
                            .toString()));
            String context = null;
            if (user != null && key != null) {
                context = name + "@" + connection().cluster().name();
                changed = changed.with(new CliConfig.Context(context, connection().cluster().name(), name));
            }
            file.save(changed);
            Created created = new Created(name, pub.accountId(), pub.toBase64url(), key == null ? null
                    : key.toString(), user == null ? null : user.id(), context);
            Output out = output();
            out.print(created, () -> {
                out.line("account " + name + " " + (created.keyFile() == null ? "added" : "created") + ": "
                        + created.accountId());
                out.line("public key: " + created.publicKey());
                if (created.keyFile() != null) {
                    out.line("key file:   " + created.keyFile() + " (only you may read it; keep it safe, it is who "
                            + "you are)");
                }
                if (created.userId() != null) {
                    out.line("user:       " + created.userId() + " of " + connection().cluster().name() + " (realm "
                            + "default)" + (created.context() != null ? "; act as it with --context "
                                    + created.context() : ""));
                }
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
