package io.reside.it.telegram;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.runtime.PermissionChecks;
import io.reside.telegram.sdk.Conversation;
import io.reside.telegram.sdk.Html;
import io.reside.telegram.sdk.Keyboard;
import io.reside.telegram.sdk.Routes;
import io.reside.telegram.sdk.TelegramBot;

/**
 * /ping → "pong, name (instance)" with a button; /whoami → the ReSide user, asked as the person; /spam → a chat it was
 * never routed.
 */
@ApplicationScoped
public class PingBot implements TelegramBot {

    @Inject
    PermissionChecks checks;

    private String instance() {
        return checks.view().map(v -> v.rcb().name()).orElse("ping");
    }

    @Override
    public java.util.OptionalInt order() {
        return instance().startsWith("slow") ? java.util.OptionalInt.of(10)
                : instance().startsWith("failing") ? java.util.OptionalInt.of(20) : java.util.OptionalInt.empty();
    }

    @Override
    public java.util.Optional<java.time.Duration> timeout() {
        return instance().startsWith("slow") ? java.util.Optional.of(java.time.Duration.ofMillis(500))
                : java.util.Optional.empty();
    }

    @Override
    public void routes(Routes routes) {
        routes.command("ping", "ping.description", this::ping)
                .command("whoami", "whoami.description", this::whoami)
                .command("elsewhere", "elsewhere.description", this::elsewhere)
                .command("photo", "photo.description", this::photo)
                .command("answer", "answer.description", this::answerOther)
                .command("file", "file.description", this::file)
                .callback("again:", c -> {
                    c.answerCallback(c.t("pressed"), false);
                    c.edit(c.t("pong", Html.escape(c.user().firstName()), instance()) + " ✓", null);
                })
                .callback(longData(), c -> c.answerCallback(c.t("long"), true));
    }

    static String longData() {
        return "long:" + "x".repeat(80);
    }

    private void ping(Conversation c) {
        String me = instance();
        if (me.startsWith("slow")) {
            sleep(3000); // past its timeout: the next handler answers; this one sends nothing
            return;
        } else if (me.startsWith("failing")) {
            throw new IllegalStateException("this instance fails on purpose");
        }
        c.reply(c.t("pong", Html.escape(c.user().firstName()), me),
                Keyboard.of(Keyboard.Button.callback(c.t("again"), "again:1"),
                        Keyboard.Button.callback(c.t("more"), longData())));
    }

    private void whoami(Conversation c) {
        UserManagerApi.Me me = c.as("users", UserManagerApi.class).getMe();
        c.reply(c.t("whoami", Html.escape(me.user().id()), Html.escape(me.user().realm())));
    }

    /** Tries to answer a button press that was not routed to it: refused. */
    private void answerOther(Conversation c) {
        try {
            c.call("answerCallbackQuery", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                    .put("callback_query_id", c.args()), null);
            c.reply("answered");
        } catch (io.reside.model.error.ResideException e) {
            c.reply(Html.escape(e.code().code() + ": " + e.getMessage()));
        }
    }

    /** getFile of the file id given: allowed for files this handler sent or was sent, refused for others. */
    private void file(Conversation c) {
        try {
            var f = c.call("getFile", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                    .put("file_id", c.args()), null);
            c.reply("file " + Html.escape(f.path("file_path").asText()));
        } catch (io.reside.model.error.ResideException e) {
            c.reply(Html.escape(e.code().code() + ": " + e.getMessage()));
        }
    }

    /** A small picture drawn here, sent as a multipart upload through callBotApi. */
    private void photo(Conversation c) {
        java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(64, 32,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = image.createGraphics();
        g.setColor(java.awt.Color.ORANGE);
        g.fillRect(0, 0, 64, 32);
        g.dispose();
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        try {
            javax.imageio.ImageIO.write(image, "png", png);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        c.replyPhoto(png.toByteArray(), "square.png", c.t("photo", Html.escape(c.user().firstName())), null);
    }

    /** Tries to write to a chat no update was routed from: the telegram replica refuses (403). */
    private void elsewhere(Conversation c) {
        try {
            c.call("sendMessage", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                    .put("chat_id", Long.parseLong(c.args())).put("text", "hello from elsewhere"), null);
            c.reply("sent");
        } catch (io.reside.model.error.ResideException e) {
            c.reply(Html.escape(e.code().code() + ": " + e.getMessage()));
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
