package io.reside.telegram.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The web chat page in a real headless Chromium: a person is added in the page, sends {@code /ping} from the command
 * menu, sees the bot's formatted answer with its button, presses it and sees the bot's answer to the press. The bot
 * here is a small loop over the real Bot API of the simulator. The screenshot is left at
 * {@code target/chat-page.png}.
 */
class ChatPageBrowserTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aPersonChatsWithTheBotInTheBrowser() throws Exception {
        try (TelegramSimulator sim = TelegramSimulator.start();
                HeadlessChromium browser = new HeadlessChromium(1000,
                        640)) {
            HttpClient http = HttpClient.newHttpClient();
            String api = sim.baseUrl() + "/bot" + sim.token() + "/";
            post(http, api + "setMyCommands", "{\"commands\":[{\"command\":\"ping\",\"description\":\"Is the bot "
                    + "there?\"}]}");
            AtomicBoolean running = new AtomicBoolean(true);
            Thread bot = new Thread(() -> answerPings(http, api, running), "test-bot");
            bot.start();
            try {
                browser.navigate(sim.baseUrl() + "/");
                browser.evaluate("document.getElementById('first-name').value = 'Ann <admin> & co';"
                        + "document.getElementById('username').value = 'ann';"
                        + "document.getElementById('new-user').requestSubmit(); true");
                browser.await(() -> !browser.evaluate("document.getElementById('composer').hidden").asBoolean(),
                        Duration.ofSeconds(10), "the chat opens for the new person");
                browser.await(() -> browser.evaluate("document.querySelectorAll('#menu div').length").asInt() == 1,
                        Duration.ofSeconds(10), "the command menu shows /ping");
                browser.evaluate("document.getElementById('menu-button').click();"
                        + "document.querySelector('#menu div').click(); true");
                browser.await(() -> browser.evaluate("document.querySelectorAll('.msg.bot').length").asInt() == 1,
                        Duration.ofSeconds(10), "the bot's answer");
                assertThat(browser.evaluate("document.querySelector('.msg.mine').innerText").asText())
                        .startsWith("/ping");
                assertThat(browser.evaluate("document.querySelector('.msg.bot b').innerText").asText())
                        .as("HTML formatting is rendered, the escaped name shown as text")
                        .isEqualTo("pong, Ann <admin> & co");
                browser.evaluate("document.querySelector('.keyboard button').click(); true");
                browser.await(() -> browser.evaluate("!document.getElementById('toast').hidden").asBoolean(),
                        Duration.ofSeconds(10), "the answer to the press");
                assertThat(browser.evaluate("document.getElementById('toast').innerText").asText())
                        .isEqualTo("Pressed!");
                browser.await(() -> browser.evaluate("document.querySelectorAll('.msg.bot').length").asInt() == 2,
                        Duration.ofSeconds(10), "the bot's message after the press");
                Path shot = Path.of("target", "chat-page.png");
                browser.screenshot(shot);
                assertThat(Files.size(shot)).isGreaterThan(10_000);
            } finally {
                running.set(false);
                bot.join(5000);
            }
        }
    }

    /**
     * The test's bot: answers /ping with a formatted message and a button, and a press with an answer and a message.
     */
    static void answerPings(HttpClient http, String api, AtomicBoolean running) {
        int offset = 0;
        while (running.get()) {
            try {
                JsonNode updates = JSON.readTree(post(http, api + "getUpdates", "{\"offset\":" + offset
                        + ",\"timeout\":1}")).path("result");
                for (JsonNode u : updates) {
                    offset = u.path("update_id").asInt() + 1;
                    JsonNode m = u.path("message");
                    if (m.path("text").asText().startsWith("/ping")) {
                        String name = m.path("from").path("first_name").asText().replace("&", "&amp;")
                                .replace("<", "&lt;").replace(">", "&gt;");
                        post(http, api + "sendMessage", JSON.createObjectNode()
                                .put("chat_id", m.path("chat").path("id").asLong())
                                .put("text", "<b>pong, " + name + "</b>").put("parse_mode", "HTML")
                                .set("reply_markup", JSON.readTree("{\"inline_keyboard\":[[{\"text\":\"Again\","
                                        + "\"callback_data\":\"again\"}]]}"))
                                .toString());
                    }
                    JsonNode q = u.path("callback_query");
                    if (q.has("id")) {
                        post(http, api + "answerCallbackQuery", "{\"callback_query_id\":\"" + q.path("id").asText()
                                + "\",\"text\":\"Pressed!\"}");
                        post(http, api + "sendMessage", "{\"chat_id\":" + q.path("message").path("chat").path("id")
                                .asLong() + ",\"text\":\"You pressed " + q.path("data").asText() + "\"}");
                    }
                }
            } catch (Exception e) {
                if (running.get()) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    static String post(HttpClient http, String url, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
