package io.reside.telegram.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.telegram.telegrambots.meta.api.objects.Update;
import org.telegram.telegrambots.meta.api.objects.User;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

/** The simulator over real HTTP, as the telegram replica and the tests use it. */
class TelegramSimulatorTest {

    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();
    TelegramSimulator sim;

    @BeforeEach
    void start() {
        sim = TelegramSimulator.start();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    HttpResponse<String> post(String method, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/bot" + sim.token() + "/" + method))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    JsonNode ok(String method, String json) throws Exception {
        HttpResponse<String> r = post(method, json);
        JsonNode body = JSON.readTree(r.body());
        assertThat(r.statusCode()).as(method + ": " + r.body()).isEqualTo(200);
        assertThat(body.path("ok").asBoolean()).isTrue();
        return body.get("result");
    }

    JsonNode error(String method, String json, int status) throws Exception {
        HttpResponse<String> r = post(method, json);
        JsonNode body = JSON.readTree(r.body());
        assertThat(r.statusCode()).as(method + ": " + r.body()).isEqualTo(status);
        assertThat(body.path("ok").asBoolean()).isFalse();
        assertThat(body.path("error_code").asInt()).isEqualTo(status);
        return body;
    }

    @Test
    void aWrongTokenIsUnauthorizedAndGetMeNamesTheBot() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/bot1:wrong/getMe"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(r.body()).path("description").asText()).isEqualTo("Unauthorized");
        JsonNode me = ok("getMe", "{}");
        assertThat(me.path("is_bot").asBoolean()).isTrue();
        assertThat(me.path("username").asText()).isEqualTo("reside_sim_bot");
        assertThat(error("noSuchMethod", "{}", 404).path("description").asText()).contains("Not Found");
    }

    @Test
    void aCommandArrivesThroughALongPollWithItsEntityAndParsesAsALibraryUpdate() throws Exception {
        User ann = sim.createUser("Ann", "ann", "en");
        CompletableFuture<HttpResponse<String>> poll = http.sendAsync(HttpRequest.newBuilder(URI.create(sim.baseUrl()
                + "/bot" + sim.token() + "/getUpdates?timeout=10&allowed_updates=%5B%22message%22%5D")).build(),
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(200); // the poll is waiting
        assertThat(poll).isNotDone();
        int id = sim.sendText(ann.getId(), ann.getId(), "/ping@reside_sim_bot now");
        JsonNode result = JSON.readTree(poll.get(5, TimeUnit.SECONDS).body()).get("result");
        assertThat(result).hasSize(1);
        Update update = TelegramSimulator.JSON.treeToValue(result.get(0), Update.class);
        assertThat(update.getUpdateId()).isEqualTo(id);
        assertThat(update.getMessage().getText()).isEqualTo("/ping@reside_sim_bot now");
        assertThat(update.getMessage().getEntities()).singleElement()
                .satisfies(e -> {
                    assertThat(e.getType()).isEqualTo("bot_command");
                    assertThat(e.getOffset()).isZero();
                    assertThat(e.getLength()).isEqualTo("/ping@reside_sim_bot".length());
                });
        assertThat(update.getMessage().getFrom().getLanguageCode()).isEqualTo("en");
        // confirmed by the next offset: gone
        assertThat(ok("getUpdates", "{\"offset\":" + (id + 1) + "}")).isEmpty();
        assertThat(sim.pendingUpdates()).isZero();
    }

    @Test
    void aSecondPollerEndsTheFirstWith409() throws Exception {
        CompletableFuture<HttpResponse<String>> first = http.sendAsync(HttpRequest.newBuilder(URI.create(
                sim.baseUrl() + "/bot" + sim.token() + "/getUpdates?timeout=10")).build(),
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(200);
        CompletableFuture<HttpResponse<String>> second = http.sendAsync(HttpRequest.newBuilder(URI.create(
                sim.baseUrl() + "/bot" + sim.token() + "/getUpdates?timeout=1")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> ended = first.get(5, TimeUnit.SECONDS);
        assertThat(ended.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(ended.body()).path("description").asText()).contains("only one bot instance");
        assertThat(second.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(sim.stats().conflicts()).isEqualTo(1);
    }

    @Test
    void buttonsBecomeCallbackQueriesAnsweredOnce() throws Exception {
        User ann = sim.createUser("Ann", null, "ru");
        JsonNode sent = ok("sendMessage", "{\"chat_id\":" + ann.getId() + ",\"text\":\"<b>Pick</b> one\","
                + "\"parse_mode\":\"HTML\",\"reply_markup\":{\"inline_keyboard\":[[{\"text\":\"A\","
                + "\"callback_data\":\"pick:a\"}]]}}");
        int messageId = sent.path("message_id").asInt();
        assertThatThrownBy(() -> sim.press(ann.getId(), ann.getId(), messageId, "pick:b"))
                .hasMessageContaining("no button with callback data 'pick:b'");
        String query = sim.press(ann.getId(), ann.getId(), messageId, "pick:a");
        JsonNode updates = ok("getUpdates", "{}");
        assertThat(updates.get(0).path("callback_query").path("data").asText()).isEqualTo("pick:a");
        assertThat(updates.get(0).path("callback_query").path("message").path("message_id").asInt())
                .isEqualTo(messageId);
        ok("answerCallbackQuery", "{\"callback_query_id\":\"" + query + "\",\"text\":\"Done\"}");
        assertThat(sim.callbackAnswer(query)).contains(new TelegramSimulator.CallbackAnswer("Done", false));
        assertThat(error("answerCallbackQuery", "{\"callback_query_id\":\"" + query + "\"}", 400)
                .path("description").asText()).contains("query ID is invalid");
        // edits change what people see
        ok("editMessageText",
                "{\"chat_id\":" + ann.getId() + ",\"message_id\":" + messageId + ",\"text\":\"Picked A\"}");
        assertThat(sim.botMessages(ann.getId())).singleElement()
                .satisfies(m -> {
                    assertThat(m.text()).isEqualTo("Picked A");
                    assertThat(m.message().getReplyMarkup()).isNull();
                });
        assertThat(error("editMessageText", "{\"chat_id\":" + ann.getId() + ",\"message_id\":" + messageId
                + ",\"text\":\"Picked A\"}", 400).path("description").asText()).contains("message is not modified");
    }

    @Test
    void badInputGetsTelegramsErrors() throws Exception {
        User ann = sim.createUser("Ann", null, null);
        assertThat(error("sendMessage", "{\"chat_id\":42,\"text\":\"hi\"}", 400).path("description").asText())
                .isEqualTo("Bad Request: chat not found");
        assertThat(error("sendMessage", "{\"chat_id\":" + ann.getId() + ",\"text\":\"a < b\",\"parse_mode\":"
                + "\"HTML\"}", 400).path("description").asText()).contains("can't parse entities");
        assertThat(error("sendMessage", "{\"chat_id\":" + ann.getId() + ",\"text\":\"<b>x</i>\",\"parse_mode\":"
                + "\"HTML\"}", 400).path("description").asText()).contains("can't parse entities");
        ok("sendMessage", "{\"chat_id\":" + ann.getId() + ",\"text\":\"a &lt; b &amp; <i>c</i>\",\"parse_mode\":"
                + "\"HTML\"}");
        assertThat(error("sendMessage", "{\"chat_id\":" + ann.getId() + ",\"text\":\"" + "x".repeat(4097) + "\"}",
                400).path("description").asText()).contains("message is too long");
        assertThat(error("sendMessage", "{\"chat_id\":" + ann.getId() + ",\"text\":\"x\",\"reply_markup\":"
                + "{\"inline_keyboard\":[[{\"text\":\"A\",\"callback_data\":\"" + "d".repeat(65) + "\"}]]}}", 400)
                .path("description").asText()).contains("BUTTON_DATA_INVALID");
        assertThat(error("sendMessage", "{\"chat_id\":" + ann.getId() + "}", 400).path("description").asText())
                .contains("text is empty");
    }

    @Test
    void sendsBeyondTelegramsLimitsAre429AndCounted() throws Exception {
        User ann = sim.createUser("Ann", null, null);
        for (int i = 0; i < 3; i++) { // the burst a chat may have
            ok("sendMessage", "{\"chat_id\":" + ann.getId() + ",\"text\":\"m" + i + "\"}");
        }
        JsonNode refused = error("sendMessage", "{\"chat_id\":" + ann.getId() + ",\"text\":\"m3\"}", 429);
        assertThat(refused.path("parameters").path("retry_after").asInt()).isPositive();
        assertThat(refused.path("description").asText()).startsWith("Too Many Requests: retry after");
        assertThat(sim.stats().violations()).isEqualTo(1);
        assertThat(sim.stats().sent()).isEqualTo(3);
        // overall: 30 per second across chats
        sim.enforceLimits(true);
        List<User> people = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 31; i++) {
            people.add(sim.createUser("P" + i, null, null));
        }
        int refusedCount = 0;
        for (User p : people) {
            if (post("sendMessage", "{\"chat_id\":" + p.getId() + ",\"text\":\"x\"}").statusCode() == 429) {
                refusedCount++;
            }
        }
        assertThat(refusedCount).as("the global limit refuses at least the 31st within a second").isPositive();
    }

    @Test
    void injectedFaultsAnswerAsTelegramWould() throws Exception {
        User ann = sim.createUser("Ann", null, null);
        sim.inject(new TelegramSimulator.Fault(429, 7, 0, 2, Set.of()));
        for (int i = 0; i < 2; i++) {
            assertThat(error("sendMessage", "{\"chat_id\":" + ann.getId() + ",\"text\":\"x\"}", 429)
                    .path("parameters").path("retry_after").asInt()).isEqualTo(7);
        }
        ok("sendMessage", "{\"chat_id\":" + ann.getId() + ",\"text\":\"x\"}");
        sim.inject(new TelegramSimulator.Fault(502, 0, 0, 1, Set.of("getMe")));
        error("getMe", "{}", 502);
        sim.inject(new TelegramSimulator.Fault(0, 0, 300, 1, Set.of("getMe")));
        long t0 = System.nanoTime();
        ok("getMe", "{}");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(290);
        assertThat(sim.stats().injectedFaults()).isEqualTo(4);
        assertThat(sim.stats().violations()).as("injected refusals are not violations").isZero();
    }

    @Test
    void photosUploadAsMultipartAndDownloadByFilePath() throws Exception {
        User ann = sim.createUser("Ann", null, null);
        byte[] png = TelegramSimulatorTest.class.getResourceAsStream("/one-pixel.png").readAllBytes();
        String boundary = "b0undary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n" + ann.getId()
                + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nThe graph\r\n--"
                + boundary + "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"g.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(png);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/bot" + sim.token()
                + "/sendPhoto")).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode photo = JSON.readTree(r.body()).path("result").path("photo").get(0);
        assertThat(photo.path("width").asInt()).isEqualTo(1);
        String fileId = photo.path("file_id").asText();
        // the same photo again by file_id, then its file
        ok("sendPhoto", "{\"chat_id\":" + ann.getId() + ",\"photo\":\"" + fileId + "\"}");
        String path = ok("getFile", "{\"file_id\":\"" + fileId + "\"}").path("file_path").asText();
        HttpResponse<byte[]> file = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/file/bot"
                + sim.token() + "/" + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(file.body()).isEqualTo(png);
        assertThat(sim.botMessages(ann.getId())).hasSize(2).first()
                .satisfies(m -> assertThat(m.text()).isEqualTo("The graph"));
    }

    @Test
    void commandsArePublishedPerLanguage() throws Exception {
        ok("setMyCommands", "{\"commands\":[{\"command\":\"ping\",\"description\":\"Ping\"}]}");
        ok("setMyCommands",
                "{\"commands\":[{\"command\":\"ping\",\"description\":\"Пинг\"}],\"language_code\":\"ru\"}");
        assertThat(sim.commandMenu("ru")).singleElement().satisfies(c -> assertThat(c.getDescription())
                .isEqualTo("Пинг"));
        assertThat(sim.commandMenu("de")).singleElement().satisfies(c -> assertThat(c.getDescription())
                .isEqualTo("Ping"));
        assertThat(ok("getMyCommands", "{\"language_code\":\"ru\"}").get(0).path("description").asText())
                .isEqualTo("Пинг");
        error("setMyCommands", "{\"commands\":[{\"command\":\"Bad Command\",\"description\":\"x\"}]}", 400);
    }

    @Test
    void aWebhookGetsEveryUpdateInOrderWithTheSecretHeaderAndGetUpdatesIsRefused() throws Exception {
        List<String> secrets = new CopyOnWriteArrayList<>();
        List<Integer> ids = new CopyOnWriteArrayList<>();
        HttpServer hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        int[] failFirst = { 1 };
        hook.createContext("/hook", exchange -> {
            secrets.add(exchange.getRequestHeaders().getFirst("X-Telegram-Bot-Api-Secret-Token"));
            JsonNode update = JSON.readTree(exchange.getRequestBody());
            int status = 200;
            synchronized (failFirst) {
                if (failFirst[0]-- > 0) {
                    status = 500; // Telegram delivers it again
                } else {
                    ids.add(update.path("update_id").asInt());
                }
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        hook.start();
        try {
            ok("setWebhook", "{\"url\":\"http://127.0.0.1:" + hook.getAddress().getPort() + "/hook\","
                    + "\"secret_token\":\"s3cr3t\"}");
            error("getUpdates", "{}", 409);
            User ann = sim.createUser("Ann", null, null);
            int a = sim.sendText(ann.getId(), ann.getId(), "one");
            int b = sim.sendText(ann.getId(), ann.getId(), "two");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ids.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(ids).containsExactly(a, b);
            assertThat(secrets).containsOnly("s3cr3t");
            assertThat(ok("getWebhookInfo", "{}").path("pending_update_count").asInt()).isZero();
            ok("deleteWebhook", "{}");
            assertThat(ok("getUpdates", "{}")).isEmpty();
        } finally {
            hook.stop(0);
        }
    }

    @Test
    void theControlApiDrivesAChatOverHttp() throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/control/users"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"first_name\":\"Bob\",\"language_code\":\"ru\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        long bob = JSON.readTree(created.body()).path("id").asLong();
        HttpResponse<String> said = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/control/chats/" + bob
                + "/messages")).POST(HttpRequest.BodyPublishers.ofString("{\"from\":" + bob + ",\"text\":\"/start\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(said.statusCode()).isEqualTo(200);
        assertThat(ok("getUpdates", "{}").get(0).path("message").path("text").asText()).isEqualTo("/start");
        HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/control/chats/" + bob
                + "/messages")).POST(HttpRequest.BodyPublishers.ofString("{\"from\":" + bob + "}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).path("error").asText()).contains("1 to 4096 characters");
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.body()).contains("Telegram simulator");
    }
}
