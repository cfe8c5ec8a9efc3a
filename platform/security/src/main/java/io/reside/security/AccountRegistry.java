package io.reside.security;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import io.reside.etcd.DocType;
import io.reside.etcd.DocumentFormatException;
import io.reside.etcd.KeyValue;
import io.reside.etcd.Store;
import io.reside.etcd.Subscription;
import io.reside.etcd.Tx;
import io.reside.etcd.WatchEvent;
import io.reside.etcd.WatchListener;
import io.reside.etcd.WatchOptions;

/**
 * The public account registry in etcd ({@code accounts/<id>}: public key, kind, name) and the cluster's designated
 * User Manager ({@code cluster/user-manager}), followed live so verifiers never wait on etcd. Private keys are never
 * written here.
 * <p>
 * An account is known by its etcd key. A record is refused (and logged) when it does not parse, when its {@code id}
 * differs from its key, when its public key does not derive that id, or when its kind and key disagree (a managed
 * user has no key, every other account has one); refusing a rewritten record also forgets the account it replaced,
 * so that an old key stops verifying as soon as its record changes.
 */
public final class AccountRegistry implements PublicKeys, AutoCloseable {

    public enum Kind {
        REPLICA,
        USER,
        MANAGED_USER;

        @JsonValue
        public String json() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }

        @JsonCreator
        public static Kind fromJson(String value) {
            return valueOf(value.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        }
    }

    /**
     * @param publicKey base64url Ed25519 key; null for managed users, who have no key of their own
     * @param realm the realm of a user or managed user (its grants to {@code realm:<name>} apply to it); null for a
     *        replica
     */
    public record Account(String id, String publicKey, Kind kind, String name, String realm, Instant createdAt) {

        /** Whether the account is a person's (a user or a managed user), not a replica's. */
        public boolean isUser() {
            return kind == Kind.USER || kind == Kind.MANAGED_USER;
        }
    }

    /** The realm every user who registers with a key of their own is in. */
    public static final String DEFAULT_REALM = "default";

    /** The account whose delegations replicas accept. */
    public record UserManager(String accountId) {
    }

    public static final DocType<Account> ACCOUNT = DocType.of("account", Account.class);
    public static final DocType<UserManager> USER_MANAGER = DocType.of("user-manager", UserManager.class);
    public static final String USER_MANAGER_KEY = "cluster/user-manager";

    private final Map<String, Account> accounts = new ConcurrentHashMap<>();
    private final Map<String, PublicKey> keys = new ConcurrentHashMap<>();
    private final Subscription accountsWatch;
    private final Subscription userManagerWatch;
    private final CountDownLatch loaded = new CountDownLatch(2);
    private volatile String userManager;

    private AccountRegistry(Store store) {
        this.accountsWatch = store.watch("accounts/", WatchOptions.forPrefix().withInitialSnapshot(), new Accounts());
        this.userManagerWatch = store.watch(USER_MANAGER_KEY, WatchOptions.forKey().withInitialSnapshot(),
                new UserManagerListener());
    }

    /** Loads the registry and keeps following it. */
    public static AccountRegistry open(Store store, java.time.Duration timeout) {
        store = store.cluster(); // shared records: at the cluster root whatever view the caller has
        AccountRegistry registry = new AccountRegistry(store);
        try {
            if (!registry.loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                registry.close();
                throw new IllegalStateException("the account registry was not loaded within " + timeout
                        + ": is etcd reachable?");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading the account registry", e);
        }
        return registry;
    }

    public static String key(String accountId) {
        return "accounts/" + accountId;
    }

    /**
     * Registers the account of a public key, inside the caller's transaction; a user is in realm
     * {@value #DEFAULT_REALM}.
     *
     * @throws io.reside.etcd.AlreadyExistsException when it is registered
     */
    public static Account register(Tx tx, PublicKey publicKey, Kind kind, String name) {
        tx = tx.cluster(); // shared records: at the cluster root whatever view the caller has
        requireNonNull(kind, "kind");
        if (kind == Kind.MANAGED_USER) {
            throw new IllegalArgumentException("a managed user has no key: use registerManagedUser");
        }
        Account account = new Account(publicKey.accountId(), publicKey.toBase64url(), kind, name,
                kind == Kind.USER ? DEFAULT_REALM : null, Instant.now());
        tx.create(ACCOUNT, key(account.id()), account);
        return account;
    }

    /**
     * Registers a managed user of {@code realm}, which has no key of its own (the User Manager acts for it through
     * delegations), inside the caller's transaction.
     *
     * @return the new account, with a random id of the same form as a keyed account's
     */
    public static Account registerManagedUser(Tx tx, String realm, String name) {
        tx = tx.cluster(); // shared records: at the cluster root whatever view the caller has
        requireNonNull(realm, "realm");
        byte[] random = new byte[20];
        new java.security.SecureRandom().nextBytes(random);
        Account account = new Account("acc_" + Encoding.base32(random), null, Kind.MANAGED_USER, name, realm,
                Instant.now());
        tx.create(ACCOUNT, key(account.id()), account);
        return account;
    }

    /** Designates the account whose delegation tokens replicas accept (Alpha, when it loads the User Manager). */
    public static void designateUserManager(Tx tx, String accountId) {
        tx = tx.cluster(); // shared records: at the cluster root whatever view the caller has
        tx.put(USER_MANAGER, USER_MANAGER_KEY, new UserManager(accountId));
    }

    @Override
    public Optional<PublicKey> publicKey(String accountId) {
        return Optional.ofNullable(accountId == null ? null : keys.get(accountId));
    }

    public Optional<Account> find(String accountId) {
        return Optional.ofNullable(accountId == null ? null : accounts.get(accountId));
    }

    public Optional<String> userManager() {
        return Optional.ofNullable(userManager);
    }

    @Override
    public void close() {
        accountsWatch.close();
        userManagerWatch.close();
    }

    private void put(KeyValue kv) {
        String id = kv.key().substring("accounts/".length());
        // whatever the record says now, the account it replaces is gone: a refused rewrite must not leave the old key
        accounts.remove(id);
        keys.remove(id);
        try {
            Account a = kv.decode(ACCOUNT);
            if (!id.equals(a.id())) {
                throw new IllegalArgumentException("its id is " + a.id() + ", not the id of its key");
            }
            if (a.kind() == null) {
                throw new IllegalArgumentException("it has no kind");
            }
            if (a.kind() == Kind.MANAGED_USER) {
                if (a.publicKey() != null) {
                    throw new IllegalArgumentException("a managed user has no key of its own");
                }
            } else {
                if (a.publicKey() == null) {
                    throw new IllegalArgumentException("a " + a.kind().json() + " account needs a public key");
                }
                PublicKey key = PublicKey.fromBase64url(a.publicKey());
                if (!key.accountId().equals(id)) {
                    throw new IllegalArgumentException("its public key derives the id " + key.accountId());
                }
                keys.put(id, key);
            }
            accounts.put(id, a);
        } catch (DocumentFormatException | IllegalArgumentException e) {
            org.jboss.logging.Logger.getLogger(AccountRegistry.class).errorf("refusing the account record %s: %s; "
                    + "calls as this account fail until the record is fixed", kv.key(), e.getMessage());
        }
    }

    private final class Accounts implements WatchListener {
        @Override
        public void onEvents(List<WatchEvent> events) {
            for (WatchEvent e : events) {
                if (e.type() == WatchEvent.Type.DELETE) {
                    String id = e.kv().key().substring("accounts/".length());
                    accounts.remove(id);
                    keys.remove(id);
                } else {
                    put(e.kv());
                }
            }
        }

        @Override
        public void onReset(long revision, List<KeyValue> state) {
            accounts.clear();
            keys.clear();
            state.forEach(AccountRegistry.this::put);
            loaded.countDown();
        }
    }

    private final class UserManagerListener implements WatchListener {
        @Override
        public void onEvents(List<WatchEvent> events) {
            WatchEvent last = events.get(events.size() - 1);
            userManager = last.type() == WatchEvent.Type.DELETE ? null : last.kv().decode(USER_MANAGER).accountId();
        }

        @Override
        public void onReset(long revision, List<KeyValue> state) {
            userManager = state.isEmpty() ? null : state.get(0).decode(USER_MANAGER).accountId();
            loaded.countDown();
        }
    }
}
