package io.reside.telegram;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The telegram replica's configuration; every property can be set from the environment ({@code TELEGRAM_BOT_TOKEN}).
 */
@ConfigMapping(prefix = "telegram")
public interface TelegramConfig {

    /** The bot token (from a Secret). Prefer {@link #botTokenFile()}. Never logged, never stored in etcd. */
    Optional<String> botToken();

    /** A file holding the bot token (a mounted Secret). */
    Optional<Path> botTokenFile();

    /** The Bot API server: Telegram's, or the simulator in tests and {@code reside dev}. */
    @WithDefault("https://api.telegram.org")
    URI apiUrl();

    /** {@code polling} (getUpdates, the default) or {@code webhook}. */
    @WithDefault("polling")
    Mode mode();

    enum Mode {
        POLLING,
        WEBHOOK
    }

    /** Long-poll timeout of getUpdates; the read timeout of that call is 10 s longer. */
    @WithDefault("25s")
    Duration pollTimeout();

    /** Timeout of every other Bot API call. */
    @WithDefault("15s")
    Duration callTimeout();

    /** Updates handled at once (of different chats; a chat's updates are handled in order). */
    @WithDefault("16")
    int concurrency();

    /** How long an update's id and outcome, and a keyed call's result, are remembered (Telegram keeps updates 24 h). */
    @WithDefault("24h")
    Duration retention();

    Webhook webhook();

    interface Webhook {
        /** The public URL Telegram posts to; this replica serves {@code POST /telegram/webhook}. */
        Optional<URI> url();

        /** The secret Telegram sends in {@code X-Telegram-Bot-Api-Secret-Token} (1-256 of A-Z a-z 0-9 _ -). */
        Optional<String> secret();
    }

    /** Telegram's limits as the outgoing queue applies them. */
    Limits limits();

    interface Limits {
        /** Messages a chat may get at once before the per-chat rate applies. */
        @WithDefault("3")
        int chatBurst();

        /** One message per this interval in a chat, after the burst. */
        @WithDefault("1s")
        Duration chatInterval();

        @WithDefault("20")
        int groupPerMinute();

        @WithDefault("30")
        int globalPerSecond();

        /** Added to every interval, on top of spacing sends from the previous one's answer. */
        @WithDefault("10ms")
        Duration margin();
    }
}
