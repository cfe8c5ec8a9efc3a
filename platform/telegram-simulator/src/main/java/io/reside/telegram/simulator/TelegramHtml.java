package io.reside.telegram.simulator;

import java.util.ArrayDeque;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks text sent with {@code parse_mode=HTML} the way Telegram does: only its tags, properly nested, and every
 * {@code <}, {@code >} and {@code &} of the text escaped ({@code &lt;}, {@code &gt;}, {@code &amp;}, {@code &quot;} or
 * a numeric entity). Anything else is Telegram's 400 "can't parse entities", so a bot that forgets to escape a name
 * with {@code <} in it fails here as it would in Telegram.
 */
final class TelegramHtml {

    private static final Set<String> TAGS = Set.of("b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a",
            "code", "pre", "span", "tg-spoiler", "tg-emoji", "blockquote");
    private static final Pattern TAG = Pattern.compile("<(/?)([a-z-]+)((?:\\s+[a-z-]+=\"[^\"<>]*\")*)\\s*>");
    private static final Pattern ENTITY = Pattern.compile("&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});");

    private TelegramHtml() {
    }

    /** @throws BotApiError 400 naming the first offence and its offset */
    static void check(String text) {
        ArrayDeque<String> open = new ArrayDeque<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '<') {
                Matcher m = TAG.matcher(text).region(i, text.length());
                if (!m.lookingAt() || !TAGS.contains(m.group(2))) {
                    throw offence("unsupported start tag or unescaped '<' at offset " + i);
                }
                if (m.group(1).isEmpty()) {
                    open.push(m.group(2));
                } else if (open.isEmpty() || !open.pop().equals(m.group(2))) {
                    throw offence("unexpected end tag \"" + m.group(2) + "\" at offset " + i);
                }
                i = m.end();
            } else if (c == '&') {
                Matcher m = ENTITY.matcher(text).region(i, text.length());
                if (!m.lookingAt()) {
                    throw offence("unsupported HTML entity or unescaped '&' at offset " + i);
                }
                i = m.end();
            } else if (c == '>') {
                throw offence("unescaped '>' at offset " + i);
            } else {
                i++;
            }
        }
        if (!open.isEmpty()) {
            throw offence("can't find end tag corresponding to start tag \"" + open.peek() + "\"");
        }
    }

    /** The text a person sees: tags removed, entities decoded. */
    static String plain(String html) {
        String s = TAG.matcher(html).replaceAll("");
        Matcher m = ENTITY.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String e = m.group(1);
            String r = switch (e) {
                case "lt" -> "<";
                case "gt" -> ">";
                case "amp" -> "&";
                case "quot" -> "\"";
                default -> new String(Character.toChars(e.startsWith("#x") ? Integer.parseInt(e.substring(2), 16)
                        : Integer.parseInt(e.substring(1))));
            };
            m.appendReplacement(out, Matcher.quoteReplacement(r));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static BotApiError offence(String what) {
        return BotApiError.badRequest("can't parse entities: " + what);
    }
}
