package io.reside.telegram;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.model.error.ErrorCode;
import io.reside.model.error.Problem;
import io.reside.model.error.ResideException;
import io.reside.runtime.PermissionChecks;

/**
 * {@code callBotApi}: who may call what, for which chat; idempotency by key; the bot's command menu as the union of
 * what the handlers publish. Everything goes out through the {@link Outbox}.
 */
@ApplicationScoped
public class BotCalls {

    /** What a handler may ask for. Updates, the webhook and the bot's identity stay the telegram replica's. */
    static final Set<String> ALLOWED = Set.of("sendMessage", "sendPhoto", "sendDocument", "sendChatAction",
            "editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup", "deleteMessage",
            "answerCallbackQuery", "getFile", "setMyCommands", "getMyCommands", "getMe", "getChat");
    /** Methods that act in a chat: they must name it. */
    static final Set<String> IN_A_CHAT = Set.of("sendMessage", "sendPhoto", "sendDocument", "sendChatAction",
            "editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup", "deleteMessage",
            "getChat");
    private static final long WAIT_MILLIS = 55_000;

    @Inject
    Store store;

    @Inject
    Outbox outbox;

    @Inject
    Handlers handlers;

    @Inject
    Gateway gateway;

    @Inject
    PermissionChecks checks;

    @Inject
    BotApi api;

    TelegramApi.BotApiResult call(String caller, TelegramApi.BotApiCall r) {
        String method = r.method();
        if (!ALLOWED.contains(method)) {
            throw denied("callBotApi does not offer " + method + " (handlers may call " + String.join(", ",
                    ALLOWED.stream().sorted().toList()) + "; the updates, the webhook and the token stay the "
                    + "telegram replica's)");
        }
        List<TelegramApi.Handler> owned = handlers.ownedBy(caller);
        if (owned.isEmpty()) {
            throw denied("you own no enabled handler of this bot: register one first (registerHandler, which needs "
                    + "handler:setup{<name>})");
        }
        ObjectNode payload = r.payload() == null ? DocType.mapper().createObjectNode() : r.payload().deepCopy();
        boolean anyChat = checks.isGranted(caller, TelegramApi.class, "api:call:any", null);
        if (!anyChat && IN_A_CHAT.contains(method)) {
            JsonNode chat = payload.get("chat_id");
            if (chat == null || chat.isNull()) {
                throw new ResideException.InvalidInputException(method + " needs payload.chat_id");
            }
            long chatId;
            try {
                chatId = Long.parseLong(chat.asText());
            } catch (NumberFormatException e) {
                throw denied("chat " + chat.asText() + " was never routed to your handlers; writing to a channel by "
                        + "name needs api:call:any");
            }
            if (owned.stream().noneMatch(h -> gateway.routed(h.name(), chatId))) {
                throw denied("chat " + chatId + " was never routed to your handler"
                        + (owned.size() > 1 ? "s " : " ") + String.join(", ", owned.stream().map(
                                TelegramApi.Handler::name).toList())
                        + "; writing to chats the bot did not route to you needs api:call:any");
            }
        }
        if (!anyChat && method.equals("answerCallbackQuery")) {
            String id = payload.path("callback_query_id").asText("");
            if (owned.stream().noneMatch(h -> gateway.callbackRouted(h.name(), id))) {
                throw denied("button press " + id + " was not routed to your handler" + (owned.size() > 1 ? "s" : "")
                        + "; answering others' presses needs api:call:any");
            }
        }
        if (method.equals("getFile") && payload.path("file_id").asText("").isEmpty()) {
            throw new ResideException.InvalidInputException("getFile needs payload.file_id");
        }
        if (!anyChat) {
            for (String fileId : filesNamed(method, payload)) {
                if (owned.stream().noneMatch(h -> gateway.fileShown(h.name(), fileId))) {
                    throw denied("file " + fileId + " was in no update routed to your handler" + (owned.size() > 1
                            ? "s"
                            : "") + " and in nothing it sent; other files need api:call:any");
                }
            }
        }
        if (method.equals("setMyCommands")) {
            return new TelegramApi.BotApiResult(publishCommands(owned.get(0), payload));
        }
        JsonNode result = r.idempotencyKey() == null ? send(method, payload, r.files(), false)
                : keyed(caller, r.idempotencyKey(), method, payload, r.files());
        if (SENDS_FILES.contains(method)) {
            owned.forEach(h -> gateway.showFiles(h.name(), result)); // its own uploads it may fetch and send again
        }
        return new TelegramApi.BotApiResult(result);
    }

    /** Methods whose result is a message that can carry the files just uploaded. */
    static final Set<String> SENDS_FILES = Set.of("sendPhoto", "sendDocument", "editMessageMedia");

    /** The existing files a call names by id (not uploads, not URLs). */
    static List<String> filesNamed(String method, JsonNode payload) {
        List<String> ids = new java.util.ArrayList<>();
        if (method.equals("getFile")) {
            ids.add(payload.path("file_id").asText(""));
        }
        for (JsonNode ref : List.of(payload.path("photo"), payload.path("document"), payload.path("media").path(
                "media"))) {
            String v = ref.isTextual() ? ref.asText() : "";
            if (!v.isEmpty() && !v.startsWith("attach://") && !v.startsWith("http://") && !v.startsWith("https://")) {
                ids.add(v);
            }
        }
        return ids;
    }

    /** This process, as the owner of the keyed calls it claims. */
    private final String incarnation = java.util.UUID.randomUUID().toString();

    /**
     * A keyed call runs once: it is claimed ({@code queued}, owned by this process) before it is queued, marked
     * {@code sending} in etcd right before it leaves (only if this process still owns it), and its result stored
     * ({@code done}). A repeat finds the result; a repeat of a call still {@code queued} by a process that is gone
     * takes it over and sends it (it never left); one that is {@code sending} may or may not have reached Telegram,
     * and is not sent again.
     */
    private JsonNode keyed(String caller, String key, String method, ObjectNode payload,
            Map<String, TelegramApi.FilePart> files) {
        String recordKey = gateway.keys().call(hash(caller + "\n" + key));
        // a call that leaves at once is claimed as sending (one write); one that waits is claimed as queued, and
        // marked sending when it leaves. Wrongly guessing "at once" can only turn a crash into a lost reply, never a
        // double one
        boolean atOnce = outbox.wouldSendNow(method, payload);
        Records.KeyedCall prior = store.run(tx -> {
            var found = tx.find(Records.CALL, recordKey);
            if (found.isPresent() && !("queued".equals(found.get().state())
                    && !incarnation.equals(found.get().owner()) && found.get().method().equals(method))) {
                return found.get();
            }
            tx.put(Records.CALL, recordKey, new Records.KeyedCall(method, atOnce ? "sending" : "queued", null,
                    Instant.now(), incarnation));
            return null;
        });
        if (prior != null) {
            if (!prior.method().equals(method)) {
                throw new ResideException.ConflictException("idempotency key " + key + " was used for "
                        + prior.method() + ", not " + method + ": give every call its own key");
            }
            if ("done".equals(prior.state())) {
                return prior.result();
            }
            throw new ResideException.ConflictException("the call with idempotency key " + key + " is "
                    + ("queued".equals(prior.state()) ? "queued already"
                            : "being sent, or its sender stopped while "
                                    + "sending it (then whether it reached Telegram is unknown)")
                    + ": it is not sent again");
        }
        java.util.function.BooleanSupplier mark = () -> store.run(tx -> {
            var now = tx.find(Records.CALL, recordKey).orElse(null);
            if (now == null || !"queued".equals(now.state()) || !incarnation.equals(now.owner())) {
                return false;
            }
            tx.put(Records.CALL, recordKey, new Records.KeyedCall(method, "sending", null, now.at(), incarnation));
            return true;
        });
        JsonNode result;
        try {
            result = send(method, payload, files, true, atOnce ? null : mark);
        } catch (ResideException.InvalidInputException e) {
            store.run(tx -> {
                tx.delete(recordKey); // Telegram refused it: nothing was sent, the key may be used again
                return null;
            });
            throw e;
        }
        store.run(tx -> {
            tx.put(Records.CALL, recordKey, new Records.KeyedCall(method, "done", result, Instant.now(),
                    incarnation));
            return null;
        });
        return result;
    }

    private JsonNode send(String method, ObjectNode payload, Map<String, TelegramApi.FilePart> files, boolean keyed) {
        return send(method, payload, files, keyed, null);
    }

    private JsonNode send(String method, ObjectNode payload, Map<String, TelegramApi.FilePart> files, boolean keyed,
            java.util.function.BooleanSupplier beforeSend) {
        try {
            return outbox.submit(method, payload, files, keyed, beforeSend).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Outbox.Cancelled c) {
                throw new ResideException.ConflictException(method + " " + c.getMessage());
            }
            if (e.getCause() instanceof BotApi.BotApiException b) {
                if (b.status >= 400 && b.status < 500) {
                    throw new ResideException.InvalidInputException("Telegram refused " + method + " (" + b.status
                            + "): " + b.getMessage());
                }
                throw new ResideException.UnavailableException("Telegram did not carry out " + method + ": "
                        + b.getMessage());
            }
            throw new ResideException.UnavailableException(api.redact(String.valueOf(e.getCause().getMessage())));
        } catch (TimeoutException e) {
            throw new ResideException.OutcomeUnknownException(method + " waited " + WAIT_MILLIS / 1000 + " s in the "
                    + "queue (Telegram's limits, or it asked the bot to wait) and may still be sent");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResideException.UnavailableException("interrupted");
        }
    }

    /** Keeps the handler's commands for the language, and publishes the union of every handler's. */
    private JsonNode publishCommands(TelegramApi.Handler handler, ObjectNode payload) {
        String language = payload.path("language_code").asText("");
        if (payload.has("scope") && !"default".equals(payload.path("scope").path("type").asText("default"))) {
            throw new ResideException.InvalidInputException("setMyCommands through callBotApi sets the default "
                    + "scope only");
        }
        List<ObjectNode> mine = new ArrayList<>();
        payload.path("commands").forEach(c -> mine.add((ObjectNode) c));
        List<Records.Commands> all = store.run(tx -> {
            var current = tx.find(Records.COMMANDS, gateway.keys().commands(handler.name())).orElse(
                    new Records.Commands(handler.name(), handler.order(), Map.of()));
            Map<String, List<ObjectNode>> by = new LinkedHashMap<>(current.byLanguage());
            by.put(language, mine);
            Records.Commands updated = new Records.Commands(handler.name(), handler.order(), by);
            tx.put(Records.COMMANDS, gateway.keys().commands(handler.name()), updated);
            List<Records.Commands> list = new ArrayList<>(tx.list(Records.COMMANDS, gateway.keys().commands())
                    .stream().map(v -> v.value()).filter(c -> !c.handler().equals(handler.name())).toList());
            list.add(updated);
            return list;
        });
        Map<String, ObjectNode> union = new LinkedHashMap<>();
        all.stream().sorted(Comparator.comparingInt(Records.Commands::order).thenComparing(Records.Commands::handler))
                .forEach(c -> c.byLanguage().getOrDefault(language, List.of()).forEach(cmd -> union.putIfAbsent(
                        cmd.path("command").asText(), cmd)));
        ObjectNode merged = DocType.mapper().createObjectNode();
        merged.set("commands", DocType.mapper().valueToTree(List.copyOf(union.values())));
        if (!language.isEmpty()) {
            merged.put("language_code", language);
        }
        return send("setMyCommands", merged, null, true);
    }

    private static ResideException denied(String why) {
        return new ResideException.PermissionDeniedException(Problem.of(ErrorCode.PERMISSION_DENIED,
                "permission denied: " + why));
    }

    private static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(
                    StandardCharsets.UTF_8))).substring(0, 40);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
