package io.reside.telegram.sdk;

/** Escaping for Telegram's HTML parse mode: names with {@code <} or {@code &} in them must not break a message. */
public final class Html {

    private Html() {
    }

    public static String escape(String text) {
        if (text == null) {
            return "";
        }
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
