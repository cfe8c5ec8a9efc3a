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
        return format(BUNDLE, Thread.currentThread().getContextClassLoader(), language, key, args);
    }

    /**
     * A permission's title with its params filled in: "Act as users of {realm}" with {@code {"realm": "telegram"}}
     * reads "Act as users of telegram".
     */
    public static String fill(String title, com.fasterxml.jackson.databind.JsonNode params) {
        String out = title;
        if (params != null) {
            for (var it = params.fields(); it.hasNext();) {
                var e = it.next();
                out = out.replace("{" + e.getKey() + "}", e.getValue().isTextual() ? e.getValue().asText()
                        : e.getValue().toString());
            }
        }
        return out;
    }

    /** Whether {@link #fill} leaves nothing of {@code params} unsaid (every param appears in the title). */
    public static boolean says(String title, com.fasterxml.jackson.databind.JsonNode params) {
        if (params == null || params.isEmpty()) {
            return true;
        }
        for (var it = params.fieldNames(); it.hasNext();) {
            if (!title.contains("{" + it.next() + "}")) {
                return false;
            }
        }
        return true;
    }

    /** The SDK's own texts (an expired button, a missing permission), in the same two languages. */
    public static String sdk(String language, String key, Object... args) {
        return format("io.reside.telegram.sdk.messages", Texts.class.getClassLoader(), language, key, args);
    }

    private static String format(String bundleName, ClassLoader loader, String language, String key,
            Object... args) {
        try {
            ResourceBundle bundle = ResourceBundle.getBundle(bundleName, Locale.forLanguageTag(language), loader,
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
