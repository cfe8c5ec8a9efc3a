package io.reside.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import io.reside.security.AccountKey;
import io.reside.security.AccountRegistry;

/**
 * This replica's account: its key, loaded from {@code RESIDE_ACCOUNT_KEY} or {@code RESIDE_ACCOUNT_KEY_FILE}, checked
 * against the public key registered for {@code RESIDE_ACCOUNT_ID} (by default the key's own account id). Every failure
 * message names the property to fix
 * and never contains the key.
 */
public final class AccountIdentity {

    private final AccountKey key;

    private AccountIdentity(AccountKey key) {
        this.key = key;
    }

    public String accountId() {
        return key.accountId();
    }

    /** The private key: for signing only. */
    public AccountKey key() {
        return key;
    }

    /**
     * @throws IllegalStateException with a message naming the property to fix
     */
    static AccountIdentity load(ResideConfig config, AccountRegistry registry) {
        AccountKey key = readKey(config.accountKey(), config.accountKeyFile());
        // an account id names exactly one key: without RESIDE_ACCOUNT_ID, the key's own is meant
        String accountId = config.accountId().orElse(key.accountId());
        if (!key.accountId().equals(accountId)) {
            throw new IllegalStateException("the private key in " + keySource(config) + " belongs to account "
                    + key.accountId() + ", not to RESIDE_ACCOUNT_ID=" + accountId + ": give this replica its own key");
        }
        AccountRegistry.Account registered = registry.find(accountId).orElseThrow(() -> new IllegalStateException(
                "account " + accountId + " (RESIDE_ACCOUNT_ID) is not in the account registry of this cluster: check "
                        + "RESIDE_CLUSTER, or register the account"));
        if (registered.publicKey() == null || !registered.publicKey().equals(key.publicKey().toBase64url())) {
            throw new IllegalStateException("the private key in " + keySource(config) + " does not match the public "
                    + "key registered for " + accountId + ": the key was replaced or belongs to another cluster");
        }
        return new AccountIdentity(key);
    }

    private static AccountKey readKey(Optional<String> inline, Optional<Path> file) {
        if (inline.isPresent() && file.isPresent()) {
            throw new IllegalStateException(
                    "both RESIDE_ACCOUNT_KEY and RESIDE_ACCOUNT_KEY_FILE are set: set only one");
        }
        String pem;
        String source;
        if (inline.isPresent()) {
            pem = inline.get();
            source = "RESIDE_ACCOUNT_KEY";
        } else if (file.isPresent()) {
            source = "RESIDE_ACCOUNT_KEY_FILE (" + file.get() + ")";
            try {
                pem = Files.readString(file.get());
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + source + ": " + e.getClass().getSimpleName(), e);
            }
        } else {
            throw new IllegalStateException("no account key: set RESIDE_ACCOUNT_KEY_FILE (a file with the PEM private "
                    + "key, e.g. a mounted Secret) or RESIDE_ACCOUNT_KEY");
        }
        try {
            return AccountKey.fromPem(pem);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(source + " does not hold a usable key: " + e.getMessage());
        }
    }

    private static String keySource(ResideConfig config) {
        return config.accountKey().isPresent() ? "RESIDE_ACCOUNT_KEY"
                : "RESIDE_ACCOUNT_KEY_FILE (" + config.accountKeyFile().map(Path::toString).orElse("") + ")";
    }

    @Override
    public String toString() {
        return "AccountIdentity[" + accountId() + "]";
    }
}
