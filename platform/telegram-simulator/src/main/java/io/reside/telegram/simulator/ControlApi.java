package io.reside.telegram.simulator;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The simulator's HTTP control API ({@code /control/...}, JSON) and its web chat page ({@code /}). It is for tests and
 * for people on the same machine: it listens on loopback only and has no authentication, like the rest of the
 * simulator. Bad input is answered 400 with {@code {"error": "..."}}.
 */
final class ControlApi {

    private ControlApi() {
    }

    static void mount(Router router, TelegramSimulator sim) {
        router.get("/control/info").handler(ctx -> {
            ObjectNode info = TelegramSimulator.JSON.createObjectNode();
            info.set("bot", TelegramSimulator.JSON.valueToTree(sim.bot()));
            info.put("version", sim.version());
            info.set("limits", TelegramSimulator.JSON.valueToTree(sim.limits()));
            json(ctx, info);
        });
        router.get("/control/users").handler(ctx -> json(ctx, sim.users()));
        router.post("/control/users").handler(ctx -> guarded(ctx, () -> {
            JsonNode b = body(ctx);
            return sim.createUser(b.path("first_name").asText(null), blankToNull(b.path("username").asText(null)),
                    blankToNull(b.path("language_code").asText(null)));
        }));
        router.post("/control/users/:id/username").handler(ctx -> guarded(ctx, () -> sim.renameUser(
                longParam(ctx, "id"), blankToNull(body(ctx).path("username").asText(null)))));
        router.post("/control/groups").handler(ctx -> guarded(ctx, () -> {
            JsonNode b = body(ctx);
            List<Long> members = new ArrayList<>();
            b.path("members").forEach(m -> members.add(m.asLong()));
            return sim.createGroup(b.path("title").asText("group"), members);
        }));
        router.get("/control/chats").handler(ctx -> json(ctx, sim.chats()));
        router.get("/control/chats/:chat/messages").handler(ctx -> guarded(ctx, () -> {
            ObjectNode out = TelegramSimulator.JSON.createObjectNode();
            out.put("version", sim.version());
            ArrayNode list = out.putArray("messages");
            for (TelegramSimulator.ChatMessage m : sim.messages(longParam(ctx, "chat"))) {
                ObjectNode o = list.addObject();
                o.put("message_id", m.messageId());
                o.put("from_bot", m.fromBot());
                o.put("deleted", m.deleted());
                o.set("message", TelegramSimulator.JSON.valueToTree(m.message()));
            }
            return out;
        }));
        router.post("/control/chats/:chat/messages").handler(ctx -> guarded(ctx, () -> {
            JsonNode b = body(ctx);
            int id = sim.sendText(longParam(ctx, "chat"), b.path("from").asLong(), b.path("text").asText(null));
            return TelegramSimulator.JSON.createObjectNode().put("update_id", id);
        }));
        router.post("/control/chats/:chat/press").handler(ctx -> guarded(ctx, () -> {
            JsonNode b = body(ctx);
            String id = sim.press(longParam(ctx, "chat"), b.path("from").asLong(), b.path("message_id").asInt(),
                    b.path("data").asText(""));
            return TelegramSimulator.JSON.createObjectNode().put("callback_query_id", id);
        }));
        router.get("/control/callbacks/:id").handler(ctx -> {
            var answer = sim.callbackAnswer(ctx.pathParam("id"));
            if (answer.isEmpty()) {
                error(ctx, 404, "the bot has not answered callback query " + ctx.pathParam("id"));
            } else {
                json(ctx, answer.get());
            }
        });
        router.get("/control/commands").handler(ctx -> json(ctx, sim.commandMenu(ctx.queryParams()
                .get("language_code"))));
        router.get("/control/stats").handler(ctx -> json(ctx, sim.stats()));
        router.post("/control/faults").handler(ctx -> guarded(ctx, () -> {
            JsonNode b = body(ctx);
            Set<String> methods = new java.util.HashSet<>();
            b.path("methods").forEach(m -> methods.add(m.asText()));
            int count = b.path("count").asInt(1);
            if (count < 1) {
                throw new IllegalArgumentException("count must be at least 1");
            }
            TelegramSimulator.Fault f = new TelegramSimulator.Fault(b.path("status").asInt(0),
                    b.path("retry_after").asInt(1), b.path("delay_ms").asLong(0), count, Set.copyOf(methods));
            sim.inject(f);
            return f;
        }));
        router.delete("/control/faults").handler(ctx -> {
            sim.clearFaults();
            ctx.response().setStatusCode(204).end();
        });
        router.post("/control/limits").handler(ctx -> guarded(ctx, () -> {
            sim.enforceLimits(body(ctx).path("enforce").asBoolean(true));
            return sim.stats();
        }));
        // long poll for the page: answers when something changed after 'since', or after 'timeout' ms (at most 25 s)
        router.get("/control/wait").handler(ctx -> {
            long since = parseLong(ctx.queryParams().get("since"), 0);
            long timeout = Math.min(25_000, Math.max(0, parseLong(ctx.queryParams().get("timeout"), 20_000)));
            ctx.vertx().<Long> executeBlocking(() -> sim.awaitChange(since, Duration.ofMillis(timeout)), false)
                    .onSuccess(v -> json(ctx, TelegramSimulator.JSON.createObjectNode().put("version", v)))
                    .onFailure(e -> error(ctx, 500, e.getMessage()));
        });
        router.get("/control/files/:id").handler(ctx -> {
            var bytes = sim.fileBytes(ctx.pathParam("id"));
            if (bytes.isEmpty()) {
                error(ctx, 404, "no file " + ctx.pathParam("id"));
            } else {
                ctx.response().putHeader("Content-Type", sim.fileType(ctx.pathParam("id")).orElse("image/png"))
                        .putHeader("Cache-Control", "max-age=3600").end(Buffer.buffer(bytes.get()));
            }
        });
        router.get("/").handler(ctx -> resource(ctx, "index.html", "text/html; charset=utf-8"));
        router.get("/app.js").handler(ctx -> resource(ctx, "app.js", "text/javascript; charset=utf-8"));
        router.get("/app.css").handler(ctx -> resource(ctx, "app.css", "text/css; charset=utf-8"));
    }

    private interface Action {
        Object run() throws IOException;
    }

    private static void guarded(RoutingContext ctx, Action action) {
        try {
            json(ctx, action.run());
        } catch (BotApiError e) {
            error(ctx, 400, e.getMessage());
        } catch (IllegalArgumentException | IOException e) {
            error(ctx, 400, e.getMessage());
        }
    }

    private static JsonNode body(RoutingContext ctx) throws IOException {
        String s = ctx.body().asString();
        if (s == null || s.isBlank()) {
            return TelegramSimulator.JSON.createObjectNode();
        }
        try {
            JsonNode n = TelegramSimulator.JSON.readTree(s);
            if (!n.isObject()) {
                throw new IllegalArgumentException("the body must be a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("the body is not JSON: " + e.getOriginalMessage());
        }
    }

    private static long longParam(RoutingContext ctx, String name) {
        try {
            return Long.parseLong(ctx.pathParam(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, not '" + ctx.pathParam(name) + "'");
        }
    }

    private static long parseLong(String s, long otherwise) {
        try {
            return s == null ? otherwise : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static void json(RoutingContext ctx, Object value) {
        try {
            ctx.response().putHeader("Content-Type", "application/json")
                    .end(TelegramSimulator.JSON.writeValueAsString(value));
        } catch (IOException e) {
            error(ctx, 500, e.getMessage());
        }
    }

    private static void error(RoutingContext ctx, int status, String message) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(TelegramSimulator.JSON.createObjectNode().put("error", message).toString());
    }

    private static void resource(RoutingContext ctx, String name, String type) {
        try (InputStream in = ControlApi.class.getResourceAsStream("web/" + name)) {
            if (in == null) {
                error(ctx, 404, "no " + name);
                return;
            }
            ctx.response().putHeader("Content-Type", type).end(Buffer.buffer(in.readAllBytes()));
        } catch (IOException e) {
            error(ctx, 500, e.getMessage());
        }
    }
}
