package io.reside.telegram.sdk;

import java.text.MessageFormat;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/**
 * A bot's texts in {@code en} and {@code ru}: the replica's {@code telegram-messages.properties} (English, the
 * fallback) and {@code telegram-messages_ru.properties}, in {@link MessageFormat} syntax ({@code Hello, {0}}). Plain
 * Java resource bundles, so they need no generated code; a missing key shows as {@code ??key??} rather than failing
 * the answer.
 */
public final class Texts {

    public static final String BUNDLE = "telegram-messages";
    public static final java.util.List<String> LANGUAGES = java.util.List.of("en", "ru");

    private Texts() {
    }

    /** The language a Telegram {@code language_code} gets: {@code ru} for Russian, English for everything else. */
    public static String language(String languageCode) {
        return languageCode != null && languageCode.toLowerCase(Locale.ROOT).startsWith("ru") ? "ru" : "en";
    }

    public static String text(String language, String key, Object... args) {
        try {
            ResourceBundle bundle = ResourceBundle.getBundle(BUNDLE, Locale.forLanguageTag(language),
                    Thread.currentThread().getContextClassLoader(),
                    ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES));
            String pattern = bundle.getString(key);
            return args.length == 0 ? pattern
                    : new MessageFormat(pattern, Locale.forLanguageTag(language))
                            .format(args);
        } catch (MissingResourceException e) {
            return "??" + key + "??";
        }
    }
}
