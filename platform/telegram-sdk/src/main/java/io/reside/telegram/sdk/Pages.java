package io.reside.telegram.sdk;

import java.util.ArrayList;
import java.util.List;

/**
 * A long list shown a page at a time in one message, with ◀ and ▶ buttons that turn it in place, instead of one
 * message beyond Telegram's 4096 characters. The list is read again on every turn, so a page shows the present.
 */
public final class Pages {

    /** What a page holds at most: room for the head, the HTML tags and the buttons under Telegram's 4096. */
    public static final int MAX = 3500;
    private static final int LINE_MAX = 600;

    private Pages() {
    }

    /** The lines in pages of at most {@code max} characters, each starting with {@code head}, never cut in a line. */
    public static List<String> split(String head, List<String> lines, int max) {
        List<String> pages = new ArrayList<>();
        StringBuilder current = new StringBuilder(head);
        boolean empty = true;
        for (String line : lines) {
            String clipped = line.length() > LINE_MAX ? line.substring(0, LINE_MAX) + "…" : line;
            if (!empty && current.length() + clipped.length() + 1 > max) {
                pages.add(current.toString());
                current = new StringBuilder(head);
                empty = true;
            }
            current.append('\n').append(clipped);
            empty = false;
        }
        pages.add(current.toString());
        return pages;
    }

    /**
     * Shows page {@code index} of {@code pages}: as a new message for a command, in place for a press of a page
     * button. The buttons carry {@code prefix + page}; route {@code prefix} to a method that builds the pages again and
     * calls this with {@link #index}.
     */
    public static void show(Conversation c, List<String> pages, int index, String prefix) {
        int i = Math.max(0, Math.min(index, pages.size() - 1));
        List<Keyboard.Button> nav = new ArrayList<>();
        if (i > 0) {
            nav.add(Keyboard.Button.callback("◀ " + i + "/" + pages.size(), prefix + (i - 1)));
        }
        if (i + 1 < pages.size()) {
            nav.add(Keyboard.Button.callback((i + 2) + "/" + pages.size() + " ▶", prefix + (i + 1)));
        }
        Keyboard k = nav.isEmpty() ? null : Keyboard.of(nav.toArray(Keyboard.Button[]::new));
        if (c.update().hasCallbackQuery()) {
            c.answerCallback(null, false);
            c.edit(pages.get(i), k);
        } else {
            c.reply(pages.get(i), k);
        }
    }

    /** The page a press of a page button asks for (0 for a command). */
    public static int index(Conversation c, String prefix) {
        String data = c.data();
        if (data == null || !data.startsWith(prefix)) {
            return 0;
        }
        try {
            return Integer.parseInt(data.substring(prefix.length()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
