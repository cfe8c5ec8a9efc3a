package io.reside.telegram;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.etcd.Store;
import io.reside.etcd.Versioned;
import io.reside.model.error.ResideException;
import io.reside.runtime.client.Requirement;

/**
 * People who wrote to the bot. At first contact a managed user of realm {@code telegram} is created through the User
 * Manager, named {@code tg-<telegram id>}: names are unique in a realm, so a crash between the User Manager's answer
 * and our record cannot make a second user: the next attempt finds the first by its name.
 */
@ApplicationScoped
public class TelegramUsers {

    private static final Logger LOG = Logger.getLogger(TelegramUsers.class);
    static final String REALM = "telegram";

    @Inject
    Store store;

    @Inject
    @Requirement("users")
    UserManagerApi users;

    private volatile Records.Keys keys;
    /** One person's first contact at a time (striped: a lock object per id would have to be forgotten safely). */
    private final Object[] stripes = new Object[64];

    {
        java.util.Arrays.setAll(stripes, i -> new Object());
    }

    void start(Records.Keys k) {
        this.keys = k;
    }

    /** The Telegram user of an update's sender, created or brought up to date. */
    TelegramApi.TelegramUser getOrCreate(JsonNode from) {
        long id = from.path("id").asLong();
        String username = from.path("username").asText(null);
        TelegramApi.TelegramUser known = store.find(Records.USER, keys.user(id)).map(Versioned::value).orElse(null);
        if (known != null && Objects.equals(known.username(), username)
                && Objects.equals(known.firstName(), from.path("first_name").asText(null))
                && Objects.equals(known.languageCode(), from.path("language_code").asText(null))) {
            return known;
        }
        synchronized (stripes[(int) Math.floorMod(id, (long) stripes.length)]) {
            // read again under the lock: another update of the same person may have made the user meanwhile
            TelegramApi.TelegramUser current = store.find(Records.USER, keys.user(id)).map(Versioned::value)
                    .orElse(null);
            String userId = current != null ? current.userId() : null;
            String accountId = current != null ? current.accountId() : null;
            if (userId == null) {
                UserManagerApi.User u = createOrFind(id);
                userId = u.id();
                accountId = u.accountId();
            }
            String uid = userId;
            String acc = accountId;
            return store.run(tx -> {
                TelegramApi.TelegramUser before = tx.find(Records.USER, keys.user(id)).orElse(null);
                TelegramApi.TelegramUser now = new TelegramApi.TelegramUser(id, username,
                        from.path("first_name").asText(null), from.path("last_name").asText(null),
                        from.path("language_code").asText(null), before != null ? before.userId() : uid,
                        before != null ? before.accountId() : acc,
                        before != null ? before.firstSeen() : Instant.now(), Instant.now());
                if (before != null && before.username() != null && !before.username().equals(username)) {
                    tx.delete(keys.username(before.username()));
                }
                if (username != null) {
                    tx.put(Records.USERNAME, keys.username(username), new Records.Username(id));
                }
                tx.put(Records.USER, keys.user(id), now);
                if (before == null) {
                    tx.afterCommit(() -> LOG.infof("first contact: Telegram user %d is ReSide user %s", id,
                            now.userId()));
                }
                return now;
            });
        }
    }

    private UserManagerApi.User createOrFind(long telegramId) {
        String name = "tg-" + telegramId;
        try {
            return users.createUser(new UserManagerApi.CreateUser(REALM, name));
        } catch (ResideException.ConflictException | ResideException.OutcomeUnknownException e) {
            // created by an earlier attempt that did not record it (a crash, a lost answer): find it by its name
            String after = null;
            do {
                UserManagerApi.Page<UserManagerApi.User> page = users.listUsers(REALM, after, 500);
                for (UserManagerApi.User u : page.items()) {
                    if (u.name().equals(name)) {
                        return u;
                    }
                }
                after = page.next();
            } while (after != null);
            throw e;
        }
    }

    TelegramApi.TelegramUser get(Long telegramId, String username) {
        if ((telegramId == null) == (username == null || username.isBlank())) {
            throw new ResideException.InvalidInputException("give telegramId or username (one of them)");
        }
        long id;
        if (telegramId != null) {
            id = telegramId;
        } else {
            String u = username.startsWith("@") ? username.substring(1) : username;
            id = store.find(Records.USERNAME, keys.username(u)).map(v -> v.value().telegramId())
                    .orElseThrow(() -> new ResideException.NotFoundException("no Telegram user @" + u + " has "
                            + "written to the bot"));
        }
        return store.find(Records.USER, keys.user(id)).map(Versioned::value)
                .orElseThrow(() -> new ResideException.NotFoundException("Telegram user " + id + " has not written "
                        + "to the bot"));
    }

    TelegramApi.Page<TelegramApi.TelegramUser> list(String after, Integer limit) {
        int n = limit == null ? 100 : limit;
        List<TelegramApi.TelegramUser> all = store.list(Records.USER, keys.users()).stream().map(Versioned::value)
                .filter(u -> after == null || u.telegramId() > parse(after))
                .toList();
        List<TelegramApi.TelegramUser> page = all.subList(0, Math.min(n, all.size()));
        String next = all.size() > n ? Long.toString(page.get(page.size() - 1).telegramId()) : null;
        return new TelegramApi.Page<>(page, next);
    }

    private static long parse(String after) {
        try {
            return Long.parseLong(after);
        } catch (NumberFormatException e) {
            throw new ResideException.InvalidInputException("after must be a Telegram id from a previous page");
        }
    }
}
