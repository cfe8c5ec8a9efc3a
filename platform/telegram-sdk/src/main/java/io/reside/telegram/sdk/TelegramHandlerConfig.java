package io.reside.telegram.sdk;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** A handler replica's place among the bot's handlers ({@code reside.telegram-handler.*}). */
@ConfigMapping(prefix = "reside.telegram-handler")
public interface TelegramHandlerConfig {

    /** Where the handler stands among the bot's handlers: updates are offered lowest first. */
    @WithDefault("100")
    int order();

    /** How long one update may take it before the next handler is offered the update. */
    @WithDefault("5s")
    Duration timeout();
}
