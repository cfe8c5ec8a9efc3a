package io.reside.telegram.simulator;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A chat with the bot in a terminal, against a running simulator's control API: {@code TerminalChat --url
 * http://127.0.0.1:PORT [--user ID | --name NAME [--username U] [--language ru]]}. Lines typed are sent as the person;
 * the bot's messages are printed as they arrive (formatting removed), their buttons numbered: {@code :press 1} presses
 * the first button of the latest message with buttons; {@code :commands} shows the command menu; {@code :quit} ends.
 */
public final class TerminalChat {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String url;
    private final PrintStream out;
    private final Map<Integer, String> shown = new HashMap<>();
    private final List<String[]> buttons = new ArrayList<>(); // {message id, callback data, label}
    private JsonNode user;

    TerminalChat(String url, PrintStream out) {
        this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        if (!opts.containsKey("--url")) {
            System.err.println("usage: TerminalChat --url http://127.0.0.1:PORT [--user ID | --name NAME "
                    + "[--username U] [--language en|ru]]");
            System.exit(2);
        }
        TerminalChat chat = new TerminalChat(opts.get("--url"), System.out);
        try {
            chat.run(opts, new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            System.err.println("the simulator at " + opts.get("--url") + " does not answer (" + e.getMessage()
                    + "): is `reside dev` running?");
            System.exit(1);
        }
    }

    void run(Map<String, String> opts, BufferedReader in) throws Exception {
        user = opts.containsKey("--user") ? findUser(Long.parseLong(opts.get("--user")))
                : call("POST", "/control/users", TelegramSimulator.JSON.createObjectNode()
                        .put("first_name", opts.getOrDefault("--name", "Guest"))
                        .put("username", opts.get("--username")).put("language_code", opts.getOrDefault("--language",
                                "en")));
        out.println("You are " + user.path("first_name").asText() + " (id " + user.path("id").asLong()
                + "). Type a message, :press N for a button, :commands, :quit.");
        long chatId = user.path("id").asLong();
        Thread watcher = new Thread(() -> watch(chatId), "terminal-chat-watch");
        watcher.setDaemon(true);
        watcher.start();
        String line;
        while ((line = in.readLine()) != null) {
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                if (line.equals(":quit")) {
                    break;
                } else if (line.equals(":commands")) {
                    for (JsonNode c : call("GET", "/control/commands?language_code=" + user.path("language_code")
                            .asText(""), null)) {
                        out.println("  /" + c.path("command").asText() + "  " + c.path("description").asText());
                    }
                } else if (line.startsWith(":press")) {
                    press(chatId, line.substring(6).strip());
                } else {
                    call("POST", "/control/chats/" + chatId + "/messages", TelegramSimulator.JSON.createObjectNode()
                            .put("from", chatId).put("text", line));
                }
            } catch (IllegalArgumentException e) {
                out.println("! " + e.getMessage());
            }
        }
    }

    private void press(long chatId, String which) throws Exception {
        int n;
        try {
            n = Integer.parseInt(which);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(":press needs a button number");
        }
        String[] b;
        synchronized (buttons) {
            if (n < 1 || n > buttons.size()) {
                throw new IllegalArgumentException("no button " + n + " (the latest message has " + buttons.size()
                        + ")");
            }
            b = buttons.get(n - 1);
        }
        JsonNode r = call("POST", "/control/chats/" + chatId + "/press", TelegramSimulator.JSON.createObjectNode()
                .put("from", chatId).put("message_id", Integer.parseInt(b[0])).put("data", b[1]));
        String id = r.path("callback_query_id").asText();
        for (int i = 0; i < 20; i++) {
            Thread.sleep(150);
            try {
                JsonNode answer = call("GET", "/control/callbacks/" + id, null);
                if (!answer.path("text").isNull() && !answer.path("text").asText().isEmpty()) {
                    out.println("  (" + answer.path("text").asText() + ")");
                }
                return;
            } catch (IllegalArgumentException e) {
                // not answered yet
            }
        }
    }

    private void watch(long chatId) {
        long version = -1;
        while (true) {
            try {
                long now = call("GET", "/control/wait?since=" + version + "&timeout=20000", null).path("version")
                        .asLong();
                if (now != version) {
                    version = now;
                    print(call("GET", "/control/chats/" + chatId + "/messages", null).path("messages"));
                }
            } catch (Exception e) {
                out.println("! the simulator stopped answering: " + e.getMessage());
                return;
            }
        }
    }

    private void print(JsonNode messages) {
        for (JsonNode entry : messages) {
            if (!entry.path("from_bot").asBoolean() || entry.path("deleted").asBoolean()) {
                continue;
            }
            JsonNode m = entry.path("message");
            String text = m.hasNonNull("text") ? m.path("text").asText() : m.path("caption").asText("");
            String plain = (m.has("photo") ? "[photo] " : "") + TelegramHtml.plain(text);
            JsonNode keyboard = m.path("reply_markup").path("inline_keyboard");
            StringBuilder render = new StringBuilder(plain);
            List<String[]> these = new ArrayList<>();
            for (JsonNode row : keyboard) {
                for (JsonNode b : row) {
                    if (b.has("callback_data")) {
                        these.add(new String[] { entry.path("message_id").asText(), b.path("callback_data").asText(),
                                b.path("text").asText() });
                        render.append(these.size() == 1 ? "\n  " : "  ").append("[").append(these.size()).append("] ")
                                .append(b.path("text").asText());
                    }
                }
            }
            String rendered = render.toString();
            int id = entry.path("message_id").asInt();
            if (!rendered.equals(shown.get(id))) {
                out.println((shown.containsKey(id) ? "bot (edited): " : "bot: ") + rendered);
                shown.put(id, rendered);
            }
            if (!these.isEmpty()) {
                synchronized (buttons) {
                    buttons.clear();
                    buttons.addAll(these);
                }
            }
        }
    }

    private JsonNode findUser(long id) throws Exception {
        for (JsonNode u : call("GET", "/control/users", null)) {
            if (u.path("id").asLong() == id) {
                return u;
            }
        }
        throw new IllegalArgumentException("the simulator has no user " + id);
    }

    private JsonNode call(String method, String path, ObjectNode body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30));
        r = body == null ? r.method(method, HttpRequest.BodyPublishers.noBody())
                : r.header("Content-Type", "application/json").method(method,
                        HttpRequest.BodyPublishers.ofString(body.toString()));
        HttpResponse<String> answer = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = TelegramSimulator.JSON.readTree(answer.body());
        if (answer.statusCode() >= 400) {
            throw new IllegalArgumentException(json.path("error").asText("HTTP " + answer.statusCode()));
        }
        return json;
    }
}
