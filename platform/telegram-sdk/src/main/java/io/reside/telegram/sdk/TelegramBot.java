package io.reside.telegram.sdk;

/**
 * What a Telegram-facing replica implements: one CDI bean ({@code @ApplicationScoped}) that declares its routes. The
 * SDK serves telegram-handler.v1 for it, registers the handler with the telegram replica (named after the replica),
 * publishes the commands in {@code en} and {@code ru}, and routes each update to the first matching route.
 */
public interface TelegramBot {

    void routes(Routes routes);

    /**
     * Where the handler stands among the bot's handlers (lower first); default {@code reside.telegram-handler.order}.
     */
    default java.util.OptionalInt order() {
        return java.util.OptionalInt.empty();
    }

    /** How long one update may take it; default {@code reside.telegram-handler.timeout}. */
    default java.util.Optional<java.time.Duration> timeout() {
        return java.util.Optional.empty();
    }
}
