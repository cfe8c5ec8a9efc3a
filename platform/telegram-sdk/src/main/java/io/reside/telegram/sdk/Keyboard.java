package io.reside.telegram.sdk;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** An inline keyboard: rows of buttons. Callback data longer than Telegram's 64 bytes is kept server-side. */
public final class Keyboard {

    /** A button: its label, and callback data or a URL. */
    public record Button(String text, String data, String url) {
        public static Button callback(String text, String data) {
            return new Button(text, data, null);
        }

        public static Button url(String text, String url) {
            return new Button(text, null, url);
        }
    }

    private final List<List<Button>> rows = new ArrayList<>();

    public static Keyboard of(Button... row) {
        return new Keyboard().row(row);
    }

    public Keyboard row(Button... row) {
        if (row.length > 0) {
            rows.add(List.of(row));
        }
        return this;
    }

    public List<List<Button>> rows() {
        return List.copyOf(rows);
    }

    ObjectNode toJson(java.util.function.UnaryOperator<String> callbackData) {
        ObjectNode markup = JsonNodeFactory.instance.objectNode();
        ArrayNode keyboard = markup.putArray("inline_keyboard");
        for (List<Button> row : rows) {
            ArrayNode r = keyboard.addArray();
            for (Button b : row) {
                ObjectNode o = r.addObject().put("text", b.text());
                if (b.url() != null) {
                    o.put("url", b.url());
                } else {
                    o.put("callback_data", callbackData.apply(b.data()));
                }
            }
        }
        return markup;
    }
}
