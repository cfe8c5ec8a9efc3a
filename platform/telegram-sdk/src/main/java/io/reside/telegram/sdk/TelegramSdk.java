package io.reside.telegram.sdk;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.telegram.telegrambots.meta.api.objects.MessageEntity;
import org.telegram.telegrambots.meta.api.objects.Update;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.runtime.ShutdownEvent;
import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.contracts.telegramhandler.v1.TelegramHandlerApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.model.error.ResideException;
import io.reside.permissions.Rcb;
import io.reside.runtime.PermissionChecks;
import io.reside.runtime.ReplicaStarted;
import io.reside.runtime.ResideConfig;
import io.reside.runtime.client.RequirementClients;

/**
 * The handler SDK's engine. A handler replica declares two requirements: {@code telegram} (telegram.v1, with
 * {@code handler:setup{{replica.name}}}) and, to act as people, {@code users} (user-manager.v1, with
 * {@code user:impersonate:realm{telegram}}); it implements telegram-handler.v1 and provides one {@link TelegramBot}.
 * At start the SDK registers the handler (retried until the grant is in force), publishes the commands per language;
 * at shutdown it disables the handler unless a newer process of the replica registered since.
 */
@ApplicationScoped
public class TelegramSdk {

    private static final Logger LOG = Logger.getLogger(TelegramSdk.class);
    static final String SESSION_PREFIX = "~";
    private static final Duration SESSION_LIFETIME = Duration.ofHours(24);
    private static final Duration DELEGATION_MARGIN = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** A long callback payload, kept server-side. */
    @io.quarkus.runtime.annotations.RegisterForReflection // an etcd document
    record Session(String data, Instant expiresAt) {
    }

    static final DocType<Session> SESSION = DocType.of("tg-sdk-session", Session.class);

    @Inject
    Instance<TelegramBot> bots;

    @Inject
    RequirementClients clients;

    @Inject
    PermissionChecks checks;

    @Inject
    ResideConfig reside;

    @Inject
    Store store;

    @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080")
    int port;

    @ConfigProperty(name = "quarkus.http.ssl-port", defaultValue = "8443")
    int sslPort;

    /** {@code disabled} when the replica serves HTTPS only (RPC over TLS: Alpha sets it). */
    @ConfigProperty(name = "quarkus.http.insecure-requests", defaultValue = "enabled")
    String insecureRequests;

    @Inject
    TelegramHandlerConfig config;

    private final String instance = UUID.randomUUID().toString();
    private final SecureRandom random = new SecureRandom();
    private final Map<String, UserManagerApi.Delegation> delegations = new ConcurrentHashMap<>();
    private volatile Routes routes;
    private volatile String name;
    private volatile String replicaId;
    private volatile boolean registered;
    private volatile boolean stopping;

    Routes routes() {
        Routes r = routes;
        if (r == null) {
            if (!bots.isResolvable()) {
                throw new IllegalStateException("a handler replica provides exactly one TelegramBot bean (found "
                        + (bots.isUnsatisfied() ? "none" : "several") + ")");
            }
            r = new Routes();
            bots.get().routes(r);
            routes = r;
        }
        return r;
    }

    /** Whether the handler is registered with the telegram replica (readiness of the SDK). */
    public boolean registered() {
        return registered;
    }

    void start(@Observes ReplicaStarted started) {
        replicaId = started.replicaId();
        name = checks.view().map(v -> v.rcb().name()).orElseThrow(() -> new IllegalStateException(
                "a Telegram handler needs its RCB (RESIDE_CONTROL_BLOCK_ID): its name is the handler's"));
        routes();
        Thread t = new Thread(this::register, "telegram-handler-registration");
        t.setDaemon(true);
        t.start();
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        if (registered) {
            try {
                telegram().setHandlerEnabled(new TelegramApi.SetHandlerEnabled(name, false, instance));
            } catch (ResideException e) {
                LOG.infof("could not disable handler %s on the way out (%s)", name, e.getMessage());
            }
        }
    }

    /** Where the telegram replica reaches this handler on the same machine: HTTPS when it serves only that. */
    static String localEndpoint(String insecureRequests, int port, int sslPort) {
        return "disabled".equalsIgnoreCase(insecureRequests.trim()) ? "https://127.0.0.1:" + sslPort
                : "http://127.0.0.1:" + port;
    }

    private TelegramApi telegram() {
        return clients.client("telegram", TelegramApi.class);
    }

    private void register() {
        Routes r = routes();
        Map<String, String> endpoints = new java.util.LinkedHashMap<>();
        endpoints.put("local", localEndpoint(insecureRequests, port, sslPort));
        reside.endpoint().internal().ifPresent(u -> endpoints.put("internal", u.toString()));
        reside.endpoint().external().ifPresent(u -> endpoints.put("external", u.toString()));
        TelegramBot bot = bots.get();
        TelegramApi.RegisterHandler request = new TelegramApi.RegisterHandler(name, r.allowedUpdates(), Map.of(),
                bot.order().orElse(config.order()), (int) bot.timeout().orElse(config.timeout()).toMillis(), endpoints,
                instance);
        for (int attempt = 1; !stopping; attempt++) {
            try {
                telegram().registerHandler(request);
                registered = true;
                LOG.infof("registered as Telegram handler %s for %s", name, r.allowedUpdates());
                publishCommands(r);
                return;
            } catch (ResideException e) {
                long pause = Math.min(5000, 100L * attempt);
                if (attempt == 1 || attempt % 20 == 0) {
                    LOG.infof("cannot register Telegram handler %s yet (%s); retrying", name, e.getMessage());
                }
                sleep(pause);
            }
        }
    }

    private void publishCommands(Routes r) {
        if (r.commands().isEmpty()) {
            return;
        }
        for (String language : Texts.LANGUAGES) {
            ArrayNode commands = JsonNodeFactory.instance.arrayNode();
            for (Routes.Command c : r.commands()) {
                commands.addObject().put("command", c.name()).put("description",
                        Texts.text(language, c.descriptionKey()));
            }
            ObjectNode p = JsonNodeFactory.instance.objectNode();
            p.set("commands", commands);
            if (!language.equals("en")) {
                p.put("language_code", language);
            }
            try {
                telegram().callBotApi(new TelegramApi.BotApiCall("setMyCommands", p, null, null));
            } catch (ResideException e) {
                LOG.warnf("cannot publish the commands in %s: %s", language, e.getMessage());
            }
        }
    }

    /** handleUpdate: only from the telegram replica this one requires. */
    TelegramHandlerApi.Handled handle(String caller, TelegramHandlerApi.HandleUpdate request) {
        List<Rcb.Implementor> telegrams = clients.requirement("telegram", TelegramApi.class).implementors();
        if (telegrams.stream().noneMatch(i -> i.accountId().equals(caller))) {
            throw new ResideException.PermissionDeniedException(io.reside.model.error.Problem.of(
                    io.reside.model.error.ErrorCode.PERMISSION_DENIED, "permission denied: only the telegram "
                            + "replica this one requires may offer it updates"));
        }
        Update update;
        try {
            update = JSON.treeToValue(request.update(), Update.class);
        } catch (Exception e) {
            throw new ResideException.InvalidInputException("update does not parse as a Bot API Update: "
                    + e.getMessage());
        }
        Routes r = routes();
        if (update.hasCallbackQuery()) {
            String data = update.getCallbackQuery().getData();
            if (data != null && data.startsWith(SESSION_PREFIX)) {
                Optional<Session> s = store.find(SESSION, sessionKey(data.substring(1))).map(v -> v.value())
                        .filter(x -> x.expiresAt().isAfter(Instant.now()));
                Conversation c = new Conversation(this, update, request.user(), request.idempotencyKey(), null, "",
                        s.map(Session::data).orElse(null));
                if (s.isEmpty()) {
                    c.answerCallback(Texts.sdk(c.language(), "button.expired"), true);
                    return new TelegramHandlerApi.Handled(true);
                }
                data = s.get().data();
            }
            for (Routes.Callback cb : r.callbacks()) {
                if (data != null && data.startsWith(cb.prefix())) {
                    cb.action().accept(new Conversation(this, update, request.user(), request.idempotencyKey(), null,
                            "", data));
                    return new TelegramHandlerApi.Handled(true);
                }
            }
            return new TelegramHandlerApi.Handled(false);
        }
        if (update.hasMessage() && update.getMessage().getText() != null) {
            String text = update.getMessage().getText();
            // commands from the entities (Message.isCommand() needs fields that plain Jackson leaves empty)
            List<MessageEntity> entities = update.getMessage().getEntities();
            MessageEntity first = entities == null ? null
                    : entities.stream().filter(e -> "bot_command".equals(
                            e.getType()) && e.getOffset() == 0).findFirst().orElse(null);
            if (first != null) {
                String command = text.substring(1, first.getLength());
                int at = command.indexOf('@');
                if (at >= 0) {
                    command = command.substring(0, at);
                }
                String args = text.substring(first.getLength()).strip();
                for (Routes.Command c : r.commands()) {
                    if (c.name().equals(command)) {
                        c.action().accept(new Conversation(this, update, request.user(), request.idempotencyKey(),
                                command, args, null));
                        return new TelegramHandlerApi.Handled(true);
                    }
                }
            }
            if (r.textRoute() != null && first == null) {
                return new TelegramHandlerApi.Handled(r.textRoute().test(new Conversation(this, update, request.user(),
                        request.idempotencyKey(), null, text, null)));
            }
        }
        return new TelegramHandlerApi.Handled(false);
    }

    JsonNode callBotApi(String method, ObjectNode payload, Map<String, TelegramApi.FilePart> files, String key) {
        return telegram().callBotApi(new TelegramApi.BotApiCall(method, payload, files, key)).result();
    }

    <T> T read(JsonNode node, Class<T> type) {
        try {
            return JSON.treeToValue(node, type);
        } catch (Exception e) {
            throw new IllegalStateException("the Bot API answer does not parse as " + type.getSimpleName() + ": "
                    + e.getMessage());
        }
    }

    String callbackData(String value) {
        if (value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 64 && !value.startsWith(
                SESSION_PREFIX)) {
            return value;
        }
        return session(value);
    }

    /**
     * Edits a message outside the handling of an update (a background task following a long operation): not keyed,
     * so it is sent once and not retried; allowed in the chats updates were routed to this handler from.
     */
    public void edit(long chatId, int messageId, String html, Keyboard keyboard) {
        ObjectNode p = JsonNodeFactory.instance.objectNode().put("chat_id", chatId).put("message_id", messageId)
                .put("text", html).put("parse_mode", "HTML");
        if (keyboard != null) {
            p.set("reply_markup", keyboard.toJson(this::callbackData));
        }
        callBotApi("editMessageText", p, null, null);
    }

    /**
     * Sends a message outside the handling of an update (see {@link #edit}).
     *
     * @return the message's id, to edit it later
     */
    public int send(long chatId, String html, Keyboard keyboard) {
        ObjectNode p = JsonNodeFactory.instance.objectNode().put("chat_id", chatId).put("text", html).put(
                "parse_mode", "HTML");
        if (keyboard != null) {
            p.set("reply_markup", keyboard.toJson(this::callbackData));
        }
        return callBotApi("sendMessage", p, null, null).path("message_id").asInt();
    }

    /**
     * A client of a requirement acting as a person, outside the handling of an update (see {@link Conversation#as}).
     */
    public <T> T as(String userId, String requirementKey, Class<T> contract) {
        return impersonated(requirementKey, contract, userId);
    }

    String session(String data) {
        byte[] id = new byte[9];
        random.nextBytes(id);
        String sid = HexFormat.of().formatHex(id);
        store.run(tx -> {
            tx.put(SESSION, sessionKey(sid), new Session(data, Instant.now().plus(SESSION_LIFETIME)));
            return null;
        });
        return SESSION_PREFIX + sid;
    }

    private String sessionKey(String id) {
        return "telegram-sdk/" + replicaId + "/sessions/" + id;
    }

    <T> T impersonated(String requirementKey, Class<T> contract, String userId) {
        var requirement = clients.requirement(requirementKey, contract);
        String audience = requirement.implementors().stream().findFirst().map(Rcb.Implementor::accountId)
                .orElseThrow(() -> new ResideException.UnavailableException("requirement '" + requirementKey
                        + "' has no implementor"));
        String cacheKey = userId + " " + audience;
        UserManagerApi.Delegation d = delegations.get(cacheKey);
        if (d == null || d.expiresAt().minus(DELEGATION_MARGIN).isBefore(Instant.now())) {
            d = clients.client("users", UserManagerApi.class).impersonate(new UserManagerApi.Impersonate(userId,
                    audience));
            delegations.put(cacheKey, d);
        }
        return requirement.onBehalfOf(d.token());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
