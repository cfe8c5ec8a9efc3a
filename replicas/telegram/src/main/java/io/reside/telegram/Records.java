package io.reside.telegram;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.etcd.DocType;

/**
 * What the telegram replica keeps in etcd, under {@code telegram/<replicaId>/} (one bot per instance). Never the token.
 * <ul>
 * <li>{@code handlers/<name>}: the registered handlers;</li>
 * <li>{@code users/<telegramId>} and {@code usernames/<lower-case username>}: Telegram users and their ReSide
 * users;</li>
 * <li>{@code offset}: the next update id to ask Telegram for, written in the same transaction as the fetched updates
 * ({@code pending/<updateId>}), so an update is either still Telegram's or already ours;</li>
 * <li>{@code pending/<updateId>}: fetched, not yet processed; {@code processed/<updateId>}: processed, with its
 * outcome (kept {@code telegram.retention});</li>
 * <li>{@code routes/<handler>/<chatId>}: chats an update was routed to the handler in (what {@code callBotApi} allows);
 * </li>
 * <li>{@code calls/<hash of caller and key>}: the result of each keyed Bot API call;</li>
 * <li>{@code commands/<handler>}: each handler's commands per language (the bot's menu is their union).</li>
 * </ul>
 */
@RegisterForReflection(ignoreNested = false) // etcd documents: Jackson reads them in a native image too
final class Records {

    private Records() {
    }

    record Offset(long next) {
    }

    record Pending(ObjectNode update, long chatId, String type, Instant received) {
    }

    /** @param outcome {@code handled}, {@code unhandled}, {@code failed} */
    record Processed(String outcome, String handler, Instant at) {
    }

    record Route(Instant at) {
    }

    /**
     * @param state {@code queued} (claimed by {@code owner}, not sent: safe to send again if its owner is gone),
     *        {@code sending} (handed to Telegram, no answer recorded: the outcome is unknown), {@code done}
     * @param owner the process (its random incarnation id) that claimed it
     */
    record KeyedCall(String method, String state, JsonNode result, Instant at, String owner) {
    }

    record Commands(String handler, int order, Map<String, List<ObjectNode>> byLanguage) {
    }

    record Username(long telegramId) {
    }

    static final DocType<TelegramApi.Handler> HANDLER = DocType.of("tg-handler", TelegramApi.Handler.class);
    static final DocType<TelegramApi.TelegramUser> USER = DocType.of("tg-user", TelegramApi.TelegramUser.class);
    static final DocType<Username> USERNAME = DocType.of("tg-username", Username.class);
    static final DocType<Offset> OFFSET = DocType.of("tg-offset", Offset.class);
    static final DocType<Pending> PENDING = DocType.of("tg-pending", Pending.class);
    static final DocType<Processed> PROCESSED = DocType.of("tg-processed", Processed.class);
    static final DocType<Route> ROUTE = DocType.of("tg-route", Route.class);
    static final DocType<KeyedCall> CALL = DocType.of("tg-call", KeyedCall.class);
    static final DocType<Commands> COMMANDS = DocType.of("tg-commands", Commands.class);

    /** The keys of one telegram instance. */
    record Keys(String root) {
        static Keys of(String replicaId) {
            return new Keys("telegram/" + replicaId + "/");
        }

        String handlers() {
            return root + "handlers/";
        }

        String handler(String name) {
            return handlers() + name;
        }

        String users() {
            return root + "users/";
        }

        String user(long telegramId) {
            return users() + String.format("%020d", telegramId);
        }

        String username(String username) {
            return root + "usernames/" + username.toLowerCase(java.util.Locale.ROOT);
        }

        String offset() {
            return root + "offset";
        }

        String pending() {
            return root + "pending/";
        }

        String pending(long updateId) {
            return pending() + String.format("%012d", updateId);
        }

        String processed() {
            return root + "processed/";
        }

        String processed(long updateId) {
            return processed() + String.format("%012d", updateId);
        }

        String route(String handler, long chatId) {
            return root + "routes/" + handler + "/" + chatId;
        }

        /** A button press routed to the handler: it may answer it. */
        String callbackRoute(String handler, String callbackQueryId) {
            return root + "routes/" + handler + "/cq-" + callbackQueryId;
        }

        /** A file the handler was shown (in an update routed to it, or in the result of its own send). */
        String fileRoute(String handler, String fileId) {
            try {
                byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(fileId.getBytes(
                        java.nio.charset.StandardCharsets.UTF_8));
                return root + "routes/" + handler + "/f-" + java.util.HexFormat.of().formatHex(d, 0, 16);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        String call(String hash) {
            return root + "calls/" + hash;
        }

        String calls() {
            return root + "calls/";
        }

        String commands() {
            return root + "commands/";
        }

        String commands(String handler) {
            return commands() + handler;
        }
    }
}
