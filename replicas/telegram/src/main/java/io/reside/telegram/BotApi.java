package io.reside.telegram;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.runtime.Startup;
import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.etcd.DocType;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * The Bot API over Vert.x's HTTP client: {@code POST <api-url>/bot<token>/<method>} with a JSON body, or multipart when
 * files are uploaded. The token is read once from the configuration and appears nowhere else: every text that leaves
 * this class (results, errors, exception messages) goes through {@link #redact}.
 */
@ApplicationScoped
@Startup // a missing or malformed token stops start-up with the reason, instead of a replica that never polls
public class BotApi {

    @Inject
    TelegramConfig config;

    @Inject
    Vertx vertx;

    private final ObjectMapper json = DocType.mapper();
    private volatile String token;
    private HttpClient http;

    /** A Bot API answer with {@code ok: false}, or no answer. */
    public static final class BotApiException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        /** The HTTP status Telegram answered, 0 when none came (network error, timeout). */
        public final int status;
        public final Integer retryAfter;

        BotApiException(int status, String description, Integer retryAfter) {
            super(description, null, false, false);
            this.status = status;
            this.retryAfter = retryAfter;
        }
    }

    @PostConstruct
    void init() {
        this.token = readToken();
        boolean tls = "https".equals(config.apiUrl().getScheme());
        this.http = vertx.createHttpClient(new HttpClientOptions().setSsl(tls).setVerifyHost(true)
                .setKeepAlive(true).setMaxPoolSize(64).setConnectTimeout(5000));
    }

    @PreDestroy
    void close() {
        if (http != null) {
            http.close();
        }
    }

    private String readToken() {
        String t = config.botToken().filter(s -> !s.isBlank()).orElse(null);
        if (t == null && config.botTokenFile().isPresent()) {
            try {
                t = Files.readString(config.botTokenFile().get()).strip();
            } catch (IOException e) {
                throw new IllegalStateException("telegram.bot-token-file " + config.botTokenFile().get()
                        + " cannot be read: " + e.getMessage());
            }
        }
        if (t == null || t.isBlank()) {
            throw new IllegalStateException("no bot token: set TELEGRAM_BOT_TOKEN (telegram.bot-token) or "
                    + "TELEGRAM_BOT_TOKEN_FILE (telegram.bot-token-file)");
        }
        if (!t.matches("[0-9]{1,20}:[A-Za-z0-9_-]{10,100}")) {
            throw new IllegalStateException("the bot token is not of Telegram's form <bot id>:<secret> (it is not "
                    + "shown here)");
        }
        return t;
    }

    /** The bot's id: the part of the token before the colon, which Telegram makes public (it is the bot's user id). */
    public long botId() {
        return Long.parseLong(token.substring(0, token.indexOf(':')));
    }

    /** Removes the token (and its secret part alone) from a text. */
    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String t = token;
        return t == null ? text : text.replace(t, "<token>").replace(t.substring(t.indexOf(':') + 1), "<token>");
    }

    public JsonNode redact(JsonNode node) {
        if (node == null) {
            return null;
        }
        String s = node.toString();
        String r = redact(s);
        if (s.equals(r)) {
            return node;
        }
        try {
            return json.readTree(r);
        } catch (IOException e) {
            return json.getNodeFactory().textNode("<unreadable>");
        }
    }

    /**
     * Calls a method; the future fails with a {@link BotApiException} (already redacted) for an error answer or no
     * answer.
     */
    public CompletableFuture<JsonNode> call(String method, ObjectNode payload, Map<String, TelegramApi.FilePart> files,
            Duration timeout) {
        CompletableFuture<JsonNode> result = new CompletableFuture<>();
        byte[] body;
        String contentType;
        try {
            if (files == null || files.isEmpty()) {
                body = json.writeValueAsBytes(payload == null ? json.createObjectNode() : payload);
                contentType = "application/json";
            } else {
                String boundary = "reside-" + UUID.randomUUID();
                body = multipart(boundary, payload, files);
                contentType = "multipart/form-data; boundary=" + boundary;
            }
        } catch (IOException | IllegalArgumentException e) {
            result.completeExceptionally(new BotApiException(400, "cannot encode the call: " + e.getMessage(), null));
            return result;
        }
        String base = config.apiUrl().toString();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
                .setAbsoluteURI((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/bot" + token
                        + "/" + method)
                .putHeader("Content-Type", contentType).setIdleTimeout(timeout.toMillis())
                .setTimeout(timeout.toMillis());
        http.request(options).compose(req -> req.send(Buffer.buffer(body)).compose(resp -> resp.body()
                .map(b -> new Object[] { resp.statusCode(), b }))).onComplete(ar -> {
                    if (ar.failed()) {
                        String why = ar.cause().getMessage() == null ? ar.cause().getClass().getSimpleName()
                                : ar.cause().getMessage();
                        result.completeExceptionally(new BotApiException(0, redact("no answer from the Bot API to "
                                + method + ": " + why), null));
                        return;
                    }
                    int status = (Integer) ar.result()[0];
                    Buffer b = (Buffer) ar.result()[1];
                    try {
                        JsonNode answer = json.readTree(b.getBytes());
                        if (answer.path("ok").asBoolean(false)) {
                            result.complete(redact(answer.get("result")));
                        } else {
                            JsonNode retry = answer.path("parameters").path("retry_after");
                            result.completeExceptionally(new BotApiException(answer.path("error_code").asInt(status),
                                    redact(answer.path("description").asText("HTTP " + status)),
                                    retry.isNumber() ? retry.asInt() : null));
                        }
                    } catch (IOException e) {
                        result.completeExceptionally(new BotApiException(status, "the Bot API answered " + method
                                + " with HTTP " + status + " and no JSON", null));
                    }
                });
        return result;
    }

    private byte[] multipart(String boundary, ObjectNode payload, Map<String, TelegramApi.FilePart> files)
            throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        if (payload != null) {
            var fields = payload.fields();
            while (fields.hasNext()) {
                var f = fields.next();
                String value = f.getValue().isTextual() ? f.getValue().asText() : f.getValue().toString();
                out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey()
                        + "\"\r\n\r\n" + value + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        for (var f : files.entrySet()) {
            String filename = f.getValue().filename().replaceAll("[\"\\r\\n\\\\]", "_");
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey()
                    + "\"; filename=\"" + filename + "\"\r\nContent-Type: " + f.getValue().contentType()
                            .replaceAll("[\\r\\n]", "")
                    + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.writeBytes(Base64.getDecoder().decode(f.getValue().base64()));
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
