package io.reside.telegram.sdk;

import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.telegram.telegrambots.meta.api.objects.Update;
import org.telegram.telegrambots.meta.api.objects.message.Message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.contracts.telegram.v1.TelegramApi;

/**
 * One update being handled: what was said or pressed, by whom, and how to answer. Every Bot API call made through it
 * carries the update's idempotency key with a sequence number, so that when the update is offered again (after a
 * crash) the same calls return their first results instead of being sent twice. Handle an update deterministically:
 * the n-th call of the second run must be the n-th of the first.
 */
public final class Conversation {

    private final TelegramSdk sdk;
    private final Update update;
    private final TelegramApi.TelegramUser user;
    private final String key;
    private final String command;
    private final String args;
    private final String data;
    private final AtomicInteger calls = new AtomicInteger();

    Conversation(TelegramSdk sdk, Update update, TelegramApi.TelegramUser user, String key, String command,
            String args, String data) {
        this.sdk = sdk;
        this.update = update;
        this.user = user;
        this.key = key;
        this.command = command;
        this.args = args;
        this.data = data;
    }

    /** The update as the telegrambots-meta model reads it. */
    public Update update() {
        return update;
    }

    /** Who wrote or pressed, with the ReSide user they are. */
    public TelegramApi.TelegramUser user() {
        return user;
    }

    /** {@code ru} or {@code en}, by the person's Telegram language. */
    public String language() {
        return Texts.language(user == null ? null : user.languageCode());
    }

    public long chatId() {
        if (update.hasCallbackQuery()) {
            return update.getCallbackQuery().getMessage().getChatId();
        }
        return update.getMessage().getChatId();
    }

    /** The command, without the slash and the bot's name; null when the update is not a command. */
    public String command() {
        return command;
    }

    /** What follows the command, trimmed ("" when nothing does). */
    public String args() {
        return args;
    }

    /** A pressed button's callback data (resolved from its server-side session when it was long). */
    public String data() {
        return data;
    }

    public String text() {
        return update.hasMessage() ? update.getMessage().getText() : null;
    }

    /** A text of the bot's bundle in the person's language. */
    public String t(String key, Object... args) {
        return Texts.text(language(), key, args);
    }

    /** Sends a message (HTML parse mode: escape what people wrote with {@link Html#escape}). */
    public Message reply(String html) {
        return reply(html, null);
    }

    public Message reply(String html, Keyboard keyboard) {
        ObjectNode p = payload().put("text", html).put("parse_mode", "HTML");
        if (keyboard != null) {
            p.set("reply_markup", keyboard.toJson(this::callbackData));
        }
        return sdk.read(call("sendMessage", p, null), Message.class);
    }

    /** Sends a photo (PNG or JPEG bytes) with a caption. */
    public Message replyPhoto(byte[] image, String filename, String captionHtml, Keyboard keyboard) {
        ObjectNode p = payload().put("caption", captionHtml).put("parse_mode", "HTML");
        if (keyboard != null) {
            p.set("reply_markup", keyboard.toJson(this::callbackData));
        }
        String type = filename.endsWith(".jpg") || filename.endsWith(".jpeg") ? "image/jpeg" : "image/png";
        return sdk.read(call("sendPhoto", p, Map.of("photo", new TelegramApi.FilePart(filename, type,
                Base64.getEncoder().encodeToString(image)))), Message.class);
    }

    /** Edits the message whose button was pressed (or the given one). */
    public void edit(int messageId, String html, Keyboard keyboard) {
        ObjectNode p = payload().put("message_id", messageId).put("text", html).put("parse_mode", "HTML");
        if (keyboard != null) {
            p.set("reply_markup", keyboard.toJson(this::callbackData));
        }
        call("editMessageText", p, null);
    }

    public void edit(String html, Keyboard keyboard) {
        edit(update.getCallbackQuery().getMessage().getMessageId(), html, keyboard);
    }

    /** Edits the caption (and keyboard) of the photo message whose button was pressed. */
    public void editCaption(String html, Keyboard keyboard) {
        ObjectNode p = payload().put("message_id", update.getCallbackQuery().getMessage().getMessageId())
                .put("caption", html).put("parse_mode", "HTML");
        if (keyboard != null) {
            p.set("reply_markup", keyboard.toJson(this::callbackData));
        }
        call("editMessageCaption", p, null);
    }

    /**
     * Says that the person lacks a permission, naming it and the replica it is on, and how to get it (the SDK's text
     * in the person's language).
     *
     * @param on the replica's title, as people know it
     */
    public Message needs(String permission, String on) {
        return reply(Texts.sdk(language(), "needs.permission", Html.escape(permission), Html.escape(on)));
    }

    /** Answers the button press (a short notice, or an alert the person must close). */
    public void answerCallback(String text, boolean alert) {
        if (!update.hasCallbackQuery()) {
            throw new IllegalStateException("answerCallback: this update is not a button press");
        }
        ObjectNode p = JsonNodeFactory.instance.objectNode().put("callback_query_id",
                update.getCallbackQuery().getId());
        if (text != null) {
            p.put("text", text).put("show_alert", alert);
        }
        call("answerCallbackQuery", p, null);
    }

    /** Any other Bot API method, through the telegram replica (keyed like the rest). */
    public JsonNode call(String method, ObjectNode payload, Map<String, TelegramApi.FilePart> files) {
        return sdk.callBotApi(method, payload, files, key + "#" + calls.incrementAndGet());
    }

    /**
     * A client of one of the replica's requirements acting as this person: a delegation from the User Manager (reused
     * until shortly before it expires), so the call has exactly the person's permissions.
     */
    public <T> T as(String requirementKey, Class<T> contract) {
        if (user == null || user.userId() == null) {
            throw new IllegalStateException("this update has no ReSide user to act as");
        }
        return sdk.impersonated(requirementKey, contract, user.userId());
    }

    /** Callback data for a button: as it is when it fits Telegram's 64 bytes, else a server-side session's id. */
    public String callbackData(String value) {
        return sdk.callbackData(value);
    }

    private ObjectNode payload() {
        return JsonNodeFactory.instance.objectNode().put("chat_id", chatId());
    }
}
