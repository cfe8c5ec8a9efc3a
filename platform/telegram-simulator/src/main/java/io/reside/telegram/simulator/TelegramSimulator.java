package io.reside.telegram.simulator;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jboss.logging.Logger;
import org.telegram.telegrambots.meta.api.objects.CallbackQuery;
import org.telegram.telegrambots.meta.api.objects.MessageEntity;
import org.telegram.telegrambots.meta.api.objects.Update;
import org.telegram.telegrambots.meta.api.objects.User;
import org.telegram.telegrambots.meta.api.objects.chat.Chat;
import org.telegram.telegrambots.meta.api.objects.commands.BotCommand;
import org.telegram.telegrambots.meta.api.objects.message.Message;
import org.telegram.telegrambots.meta.api.objects.photo.PhotoSize;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.InlineKeyboardMarkup;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * A Telegram Bot API server for tests and local development: a real HTTP server on loopback that speaks the methods
 * ReSide uses ({@code /bot<token>/<method>}, JSON, form and multipart bodies), with simulated people, private and group
 * chats, inline keyboards and callback queries; Telegram's error shapes (400 with a {@code description}, 401 for a
 * wrong token, 409 for a second poller, 429 with {@code parameters.retry_after}); its rate limits enforced and
 * violations counted ({@link RateLimits}); fault injection (429 storms, 5xx, slow answers); and, for people, a web chat
 * page at {@code /} and a control API under {@code /control} (see the module's README).
 * <p>
 * The Java methods of this class are the control API for tests in the same JVM; the HTTP control API does the same
 * for other processes (the web page, the terminal chat, a test driving a cluster).
 */
public final class TelegramSimulator implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TelegramSimulator.class);
    static final ObjectMapper JSON = new ObjectMapper()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The methods that send a message: Telegram's message limits apply to them. */
    static final Set<String> SENDING = Set.of("sendMessage", "sendPhoto");
    private static final Pattern BOT_PATH = Pattern.compile("/bot([^/]+)/([A-Za-z]+)");
    private static final Pattern COMMAND = Pattern.compile("(?<![\\w/])/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?");

    /**
     * @param port the port, 0 for a free one
     * @param token the bot token the simulator accepts
     * @param botUsername the bot's {@code @username}
     * @param enforceLimits answer sends beyond Telegram's limits with 429 (they are counted either way)
     */
    public record Options(int port, String token, String botUsername, boolean enforceLimits) {
        public static Options defaults() {
            java.security.SecureRandom random = new java.security.SecureRandom();
            // a bot id of its own (the part before the colon is the bot's user id), so that two simulated bots are
            // two bots
            long botId = 1_000_000_000L + (random.nextLong() & Long.MAX_VALUE) % 8_000_000_000L;
            return new Options(0, botId + ":SIMULATOR-" + Long.toHexString(random.nextLong()), "reside_sim_bot",
                    true);
        }

        public Options withPort(int p) {
            return new Options(p, token, botUsername, enforceLimits);
        }

        public Options withToken(String t) {
            return new Options(port, t, botUsername, enforceLimits);
        }

        public Options withEnforceLimits(boolean e) {
            return new Options(port, token, botUsername, e);
        }
    }

    /** What happened, for tests and the benchmark. */
    public record Stats(long sent, long violations, long conflicts, long injectedFaults, Map<String, Long> calls) {
    }

    /**
     * A fault to inject into the next {@code count} calls of the given methods.
     *
     * @param status the HTTP status to answer (429, 500, 502...), or 0 to answer normally after {@code delayMillis}
     * @param retryAfter for 429: {@code parameters.retry_after} in seconds
     * @param methods the Bot API methods it applies to; empty: the sending methods
     */
    public record Fault(int status, int retryAfter, long delayMillis, int count, Set<String> methods) {
    }

    /** One message of a chat as a person sees it: its current state, and whether the bot sent it. */
    public record ChatMessage(int messageId, boolean fromBot, boolean deleted, Message message) {
        public String text() {
            return message.getText() != null ? message.getText() : message.getCaption();
        }
    }

    /** The answer the bot gave to a button press. */
    public record CallbackAnswer(String text, boolean showAlert) {
    }

    private final Options options;
    private final Vertx vertx;
    private final HttpServer server;
    private final RateLimits limits = new RateLimits(RateLimits.Settings.TELEGRAM);
    private final User bot;
    private final Path uploads;

    // ---- state, guarded by 'this'
    private final Map<Long, User> users = new LinkedHashMap<>();
    private final Map<Long, ChatLog> chats = new LinkedHashMap<>();
    private final List<Update> updates = new ArrayList<>();
    private final Map<String, CallbackQuery> callbacks = new LinkedHashMap<>();
    private final Map<String, Optional<CallbackAnswer>> callbackAnswers = new ConcurrentHashMap<>();
    private final Map<String, StoredFile> files = new LinkedHashMap<>();
    private final Map<String, List<BotCommand>> commands = new LinkedHashMap<>();
    private final List<Fault> faults = new ArrayList<>();
    private final Map<String, Long> calls = new LinkedHashMap<>();
    private Poll pendingPoll;
    private Set<String> allowedUpdates = Set.of();
    private Webhook webhook;
    private long nextUserId = 100_001;
    private long nextGroupId = -1_000_001;
    private int nextUpdateId = 500_001;
    private long sent;
    private long violations;
    private long conflicts;
    private long injected;
    private long version;
    private boolean enforce;
    private final AtomicLong callbackIds = new AtomicLong(9_000_000_000_000_000L);
    private Thread webhookThread;
    private volatile boolean closed;

    private record StoredFile(String id, String uniqueId, String path, byte[] bytes, String contentType) {
    }

    private static final class ChatLog {
        final Chat chat;
        final Set<Long> members = new HashSet<>();
        final LinkedHashMap<Integer, ChatMessage> messages = new LinkedHashMap<>();
        int nextMessageId = 1;

        ChatLog(Chat chat) {
            this.chat = chat;
        }
    }

    private record Poll(RoutingContext ctx, int offset, int limit, Set<String> allowed, long timer) {
    }

    private record Webhook(String url, String secret, Set<String> allowed, String lastError, Integer lastErrorDate) {
    }

    private TelegramSimulator(Options options) throws IOException {
        this.options = options;
        this.enforce = options.enforceLimits();
        this.uploads = Files.createTempDirectory("telegram-simulator-uploads");
        long botId;
        try {
            botId = Long.parseLong(options.token().substring(0, options.token().indexOf(':')));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("a bot token is <bot id>:<secret>");
        }
        this.bot = new User(botId, "ReSide (simulator)", true);
        bot.setUserName(options.botUsername());
        bot.setCanJoinGroups(true);
        this.vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        router.route().handler(BodyHandler.create(uploads.toString()).setBodyLimit(60L << 20)
                .setDeleteUploadedFilesOnEnd(true));
        router.routeWithRegex("/bot[^/]+/[A-Za-z]+").handler(this::botApi);
        router.getWithRegex("/file/bot[^/]+/.+").handler(this::download);
        ControlApi.mount(router, this);
        this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(options.port()))
                .requestHandler(router);
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IOException("the Telegram simulator cannot listen on 127.0.0.1:" + options.port() + ": "
                    + e.getMessage(), e);
        }
    }

    /** Starts a simulator on loopback. */
    public static TelegramSimulator start(Options options) {
        try {
            return new TelegramSimulator(options);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    public static TelegramSimulator start() {
        return start(Options.defaults());
    }

    /** The Bot API base URL, to configure instead of {@code https://api.telegram.org}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    public int port() {
        return server.actualPort();
    }

    public String token() {
        return options.token();
    }

    public User bot() {
        return bot;
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = webhookThread;
            notifyAll();
        }
        if (t != null) {
            t.interrupt();
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debugf("closing the simulator: %s", e.getMessage());
        }
        try (var walk = Files.walk(uploads)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debugf("cannot delete %s: %s", uploads, e.getMessage());
        }
    }

    // ================================================================== control, for tests (also over HTTP)

    /** A new person who has opened a private chat with the bot (its chat id is the user id). */
    public synchronized User createUser(String firstName, String username, String languageCode) {
        if (firstName == null || firstName.isBlank()) {
            throw new IllegalArgumentException("a user needs a first name");
        }
        if (username != null && users.values().stream().anyMatch(u -> username.equalsIgnoreCase(u.getUserName()))) {
            throw new IllegalArgumentException("username @" + username + " is taken");
        }
        User u = new User(nextUserId++, firstName, false);
        u.setUserName(username);
        u.setLanguageCode(languageCode);
        users.put(u.getId(), u);
        Chat chat = new Chat(u.getId(), "private");
        chat.setFirstName(firstName);
        chat.setUserName(username);
        ChatLog log = new ChatLog(chat);
        log.members.add(u.getId());
        chats.put(u.getId(), log);
        changed();
        return u;
    }

    /** Changes a person's username (Telegram users may), seen by the bot in their next update. */
    public synchronized User renameUser(long userId, String username) {
        User u = user(userId);
        u.setUserName(username);
        chats.get(userId).chat.setUserName(username);
        changed();
        return u;
    }

    /** A group chat with the bot and these members. */
    public synchronized Chat createGroup(String title, List<Long> memberIds) {
        Chat chat = new Chat(nextGroupId--, "group");
        chat.setTitle(title);
        ChatLog log = new ChatLog(chat);
        memberIds.forEach(id -> log.members.add(user(id).getId()));
        chats.put(chat.getId(), log);
        changed();
        return chat;
    }

    public synchronized List<User> users() {
        return List.copyOf(users.values());
    }

    public synchronized List<Chat> chats() {
        return chats.values().stream().map(c -> c.chat).toList();
    }

    /** A person writes in a chat; {@code /commands} get their {@code bot_command} entities. Returns the update id. */
    public synchronized int sendText(long chatId, long fromUserId, String text) {
        return sendText(chatId, fromUserId, text, 0);
    }

    /**
     * A person writes in reply to a message of the chat ({@code replyTo} its id, 0 for none). Returns the update id.
     */
    public synchronized int sendText(long chatId, long fromUserId, String text, int replyTo) {
        if (text == null || text.isEmpty() || text.length() > 4096) {
            throw new IllegalArgumentException("a message needs 1 to 4096 characters");
        }
        ChatLog log = chat(chatId);
        User from = user(fromUserId);
        if (!log.members.contains(fromUserId)) {
            throw new IllegalArgumentException("user " + fromUserId + " is not in chat " + chatId);
        }
        Message m = newMessage(log, from);
        m.setText(text);
        if (replyTo != 0) {
            ChatMessage original = log.messages.get(replyTo);
            if (original == null) {
                throw new IllegalArgumentException("chat " + chatId + " has no message " + replyTo);
            }
            m.setReplyToMessage(original.message());
        }
        List<MessageEntity> entities = new ArrayList<>();
        Matcher matcher = COMMAND.matcher(text);
        while (matcher.find()) {
            MessageEntity e = new MessageEntity("bot_command", matcher.start(), matcher.end() - matcher.start());
            entities.add(e);
        }
        if (!entities.isEmpty()) {
            m.setEntities(entities);
        }
        store(log, m, false);
        Update u = new Update();
        u.setMessage(m);
        return enqueue(u);
    }

    /**
     * A person forwards a message of another chat into this one: a copy of its text with {@code forward_origin} naming
     * who wrote it (type {@code user}). Returns the forwarded message's id in this chat.
     */
    public synchronized int forward(long chatId, long fromUserId, long fromChatId, int messageId) {
        ChatLog log = chat(chatId);
        User from = user(fromUserId);
        ChatMessage original = chat(fromChatId).messages.get(messageId);
        if (original == null) {
            throw new IllegalArgumentException("chat " + fromChatId + " has no message " + messageId);
        }
        Message m = newMessage(log, from);
        m.setText(original.message().getText());
        m.setCaption(original.message().getCaption());
        m.setPhoto(original.message().getPhoto());
        m.setForwardOrigin(new org.telegram.telegrambots.meta.api.objects.messageorigin.MessageOriginUser("user",
                original.message().getDate(), original.message().getFrom()));
        store(log, m, false);
        Update u = new Update();
        u.setMessage(m);
        enqueue(u);
        return m.getMessageId();
    }

    /** A person sends a photo (PNG or JPEG bytes) with a caption (or none). Returns the update id. */
    public synchronized int sendPhoto(long chatId, long fromUserId, byte[] image, String caption) {
        ChatLog log = chat(chatId);
        User from = user(fromUserId);
        if (!log.members.contains(fromUserId)) {
            throw new IllegalArgumentException("user " + fromUserId + " is not in chat " + chatId);
        }
        Message m = newMessage(log, from);
        m.setPhoto(photoSizes(newFile(image, pngSize(image)[0] > 0 ? "image/png" : "image/jpeg")));
        m.setCaption(caption);
        store(log, m, false);
        Update u = new Update();
        u.setMessage(m);
        return enqueue(u);
    }

    /**
     * A file the bot holds without any update about it (sent to it before the handlers of a test came, say). Returns
     * its file id.
     */
    public synchronized String storeFile(byte[] image) {
        return newFile(image, pngSize(image)[0] > 0 ? "image/png" : "image/jpeg").id();
    }

    private StoredFile newFile(byte[] bytes, String type) {
        String id = "AgAC" + Long.toHexString(System.nanoTime()) + files.size();
        StoredFile f = new StoredFile(id, "AQAD" + files.size(), "photos/file_" + files.size() + (type.contains("jpeg")
                ? ".jpg"
                : ".png"), bytes, type);
        files.put(id, f);
        return f;
    }

    /**
     * A person presses an inline button of a bot message. Returns the callback query id.
     *
     * @throws IllegalArgumentException when the message has no button with this data
     */
    public synchronized String press(long chatId, long fromUserId, int messageId, String data) {
        ChatLog log = chat(chatId);
        User from = user(fromUserId);
        ChatMessage target = log.messages.get(messageId);
        if (target == null || target.deleted() || !target.fromBot()) {
            throw new IllegalArgumentException("chat " + chatId + " has no bot message " + messageId);
        }
        InlineKeyboardMarkup markup = target.message().getReplyMarkup();
        boolean found = markup != null && markup.getKeyboard().stream().flatMap(List::stream)
                .anyMatch(b -> data.equals(b.getCallbackData()));
        if (!found) {
            throw new IllegalArgumentException("message " + messageId + " has no button with callback data '" + data
                    + "'");
        }
        CallbackQuery q = new CallbackQuery();
        q.setId(Long.toString(callbackIds.incrementAndGet()));
        q.setFrom(from);
        q.setMessage(target.message());
        q.setChatInstance(Long.toString(chatId * 31));
        q.setData(data);
        callbacks.put(q.getId(), q);
        Update u = new Update();
        u.setCallbackQuery(q);
        enqueue(u);
        return q.getId();
    }

    /** The chat as its members see it, oldest first. */
    public synchronized List<ChatMessage> messages(long chatId) {
        return List.copyOf(chat(chatId).messages.values());
    }

    /** What the bot sent to a chat and still shows, oldest first. */
    public synchronized List<ChatMessage> botMessages(long chatId) {
        return chat(chatId).messages.values().stream().filter(m -> m.fromBot() && !m.deleted()).toList();
    }

    /** Waits (bounded) until the bot shows at least {@code n} messages in the chat matching {@code filter}. */
    public List<ChatMessage> awaitBotMessages(long chatId, int n, Predicate<ChatMessage> filter, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                List<ChatMessage> got = botMessages(chatId).stream().filter(filter).toList();
                long left = deadline - System.nanoTime();
                if (got.size() >= n || left <= 0) {
                    return got;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return got;
                }
            }
        }
    }

    /** The bot's answer to a button press, if it answered. */
    public Optional<CallbackAnswer> callbackAnswer(String callbackQueryId) {
        return callbackAnswers.getOrDefault(callbackQueryId, Optional.empty());
    }

    /** The command menu a person with this language sees (the language's list, else the default one). */
    public synchronized List<BotCommand> commandMenu(String languageCode) {
        List<BotCommand> forLanguage = languageCode == null ? null
                : commands.get(commandsKey("default",
                        languageCode));
        return forLanguage != null ? forLanguage : commands.getOrDefault(commandsKey("default", ""), List.of());
    }

    public synchronized Stats stats() {
        return new Stats(sent, violations, conflicts, injected, Map.copyOf(calls));
    }

    /** Updates the bot has not confirmed yet (with {@code offset}). */
    public synchronized int pendingUpdates() {
        return updates.size();
    }

    public synchronized void inject(Fault fault) {
        faults.add(fault);
    }

    public synchronized void clearFaults() {
        faults.clear();
    }

    public synchronized void enforceLimits(boolean on) {
        this.enforce = on;
    }

    /** The limits enforced: chat burst, chat interval (ms), group per minute, global per second. */
    public RateLimits.Settings limits() {
        return limits.settings();
    }

    /** A monotonic counter of changes (messages, edits, users): the web page polls it. */
    /**
     * Numbers the next updates from {@code first} on (never lowers the counter): a bot keeps its confirmed offset
     * across restarts of a simulator, as Telegram's update ids only grow, so a simulator that stands in for the same
     * bot again ({@code reside dev} resumed) must continue above the ids it gave before.
     */
    public synchronized void startUpdateIdsAt(int first) {
        nextUpdateId = Math.max(nextUpdateId, first);
    }

    /** The id the next update will get. */
    public synchronized int nextUpdateId() {
        return nextUpdateId;
    }

    public synchronized long version() {
        return version;
    }

    /** Waits (bounded) for a change after {@code seen}; returns the current version. */
    synchronized long awaitChange(long seen, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (version <= seen && !closed) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return version;
    }

    /** The bytes of a file the bot holds (sent by the bot or by a person). */
    public synchronized Optional<byte[]> fileBytes(String fileId) {
        return Optional.ofNullable(files.get(fileId)).map(StoredFile::bytes);
    }

    synchronized Optional<String> fileType(String fileId) {
        return Optional.ofNullable(files.get(fileId)).map(StoredFile::contentType);
    }

    // ================================================================== the Bot API

    private void botApi(RoutingContext ctx) {
        Matcher m = BOT_PATH.matcher(ctx.request().path());
        if (!m.matches()) {
            answerError(ctx, new BotApiError(404, "Not Found"));
            return;
        }
        if (!options.token().equals(m.group(1))) {
            answerError(ctx, new BotApiError(401, "Unauthorized"));
            return;
        }
        String method = m.group(2);
        ObjectNode params;
        try {
            params = params(ctx);
        } catch (BotApiError e) {
            answerError(ctx, e);
            return;
        }
        Fault fault = takeFault(method);
        Runnable run = () -> {
            if (fault != null && fault.status() != 0) {
                answerError(ctx, new BotApiError(fault.status(), fault.status() == 429
                        ? "Too Many Requests: retry after " + fault.retryAfter()
                        : fault.status() >= 500 ? "Internal Server Error" : "Bad Request: injected",
                        fault.status() == 429 ? fault.retryAfter() : null));
                return;
            }
            try {
                JsonNode result = call(method, params, ctx);
                if (result != null) {
                    answer(ctx, result);
                }
            } catch (BotApiError e) {
                answerError(ctx, e);
            } catch (IllegalArgumentException e) {
                answerError(ctx, BotApiError.badRequest(e.getMessage()));
            } catch (RuntimeException e) {
                LOG.warnf(e, "simulator: %s failed", method);
                answerError(ctx, new BotApiError(500, "Internal Server Error"));
            }
        };
        if (fault != null && fault.delayMillis() > 0) {
            vertx.setTimer(fault.delayMillis(), t -> run.run());
        } else {
            run.run();
        }
    }

    private synchronized Fault takeFault(String method) {
        calls.merge(method, 1L, Long::sum);
        for (Iterator<Fault> it = faults.iterator(); it.hasNext();) {
            Fault f = it.next();
            Set<String> applies = f.methods() == null || f.methods().isEmpty() ? SENDING : f.methods();
            if (applies.contains(method)) {
                if (f.count() <= 1) {
                    it.remove();
                } else {
                    faults.set(faults.indexOf(f), new Fault(f.status(), f.retryAfter(), f.delayMillis(), f.count() - 1,
                            f.methods()));
                }
                injected++;
                return f;
            }
        }
        return null;
    }

    /** The result, or null when the answer comes later (a long poll). */
    private JsonNode call(String method, ObjectNode p, RoutingContext ctx) {
        return switch (method) {
            case "getMe" -> JSON.valueToTree(bot);
            case "getUpdates" -> getUpdates(p, ctx);
            case "sendMessage" -> sendMessage(p);
            case "sendPhoto" -> sendPhoto(p, ctx);
            case "editMessageText" -> editMessageText(p);
            case "editMessageCaption" -> editMessageCaption(p);
            case "editMessageMedia" -> editMessageMedia(p, ctx);
            case "editMessageReplyMarkup" -> editMessageReplyMarkup(p);
            case "deleteMessage" -> deleteMessage(p);
            case "answerCallbackQuery" -> answerCallbackQuery(p);
            case "setMyCommands" -> setMyCommands(p);
            case "getMyCommands" -> getMyCommands(p);
            case "deleteMyCommands" -> deleteMyCommands(p);
            case "getFile" -> getFile(p);
            case "setWebhook" -> setWebhook(p);
            case "deleteWebhook" -> deleteWebhook(p);
            case "getWebhookInfo" -> getWebhookInfo();
            default -> throw new BotApiError(404, "Not Found: method not found");
        };
    }

    private JsonNode getUpdates(ObjectNode p, RoutingContext ctx) {
        int offset = p.path("offset").asInt(0);
        int limit = Math.max(1, Math.min(100, p.path("limit").asInt(100)));
        int timeout = Math.max(0, Math.min(50, p.path("timeout").asInt(0)));
        synchronized (this) {
            if (webhook != null) {
                throw new BotApiError(409, "Conflict: can't use getUpdates method while webhook is active; use "
                        + "deleteWebhook to delete the webhook first");
            }
            if (p.has("allowed_updates")) {
                allowedUpdates = strings(p.get("allowed_updates"));
            }
            if (pendingPoll != null) {
                Poll old = pendingPoll;
                pendingPoll = null;
                vertx.cancelTimer(old.timer());
                conflicts++;
                answerError(old.ctx(), new BotApiError(409, "Conflict: terminated by other getUpdates request; make "
                        + "sure that only one bot instance is running"));
            }
            confirm(offset);
            ArrayNode ready = deliverable(offset, limit, allowedUpdates);
            if (!ready.isEmpty() || timeout == 0) {
                return ready;
            }
            Set<String> allowed = allowedUpdates;
            long timer = vertx.setTimer(timeout * 1000L, t -> {
                synchronized (TelegramSimulator.this) {
                    if (pendingPoll != null && pendingPoll.ctx() == ctx) {
                        pendingPoll = null;
                        answer(ctx, NODES.arrayNode());
                    }
                }
            });
            pendingPoll = new Poll(ctx, offset, limit, allowed, timer);
            ctx.request().connection().closeHandler(v -> {
                synchronized (TelegramSimulator.this) {
                    if (pendingPoll != null && pendingPoll.ctx() == ctx) {
                        vertx.cancelTimer(pendingPoll.timer());
                        pendingPoll = null;
                    }
                }
            });
            return null;
        }
    }

    /** Updates before {@code offset} are confirmed: Telegram forgets them. */
    private synchronized void confirm(int offset) {
        if (offset > 0) {
            updates.removeIf(u -> u.getUpdateId() < offset);
        }
    }

    private synchronized ArrayNode deliverable(int offset, int limit, Set<String> allowed) {
        ArrayNode out = NODES.arrayNode();
        for (Update u : updates) {
            if (u.getUpdateId() >= offset && (allowed.isEmpty() || allowed.contains(type(u)))) {
                out.add(JSON.valueToTree(u));
                if (out.size() >= limit) {
                    break;
                }
            }
        }
        return out;
    }

    static String type(Update u) {
        if (u.getMessage() != null) {
            return "message";
        }
        if (u.getEditedMessage() != null) {
            return "edited_message";
        }
        if (u.getCallbackQuery() != null) {
            return "callback_query";
        }
        return "other";
    }

    private synchronized int enqueue(Update u) {
        u.setUpdateId(nextUpdateId++);
        // Telegram stores only what the bot asked for; an update of another type is never delivered
        Set<String> allowed = webhook != null ? webhook.allowed() : allowedUpdates;
        if (allowed.isEmpty() || allowed.contains(type(u))) {
            updates.add(u);
        }
        if (pendingPoll != null) {
            Poll poll = pendingPoll;
            ArrayNode ready = deliverable(poll.offset(), poll.limit(), poll.allowed());
            if (!ready.isEmpty()) {
                pendingPoll = null;
                vertx.cancelTimer(poll.timer());
                answer(poll.ctx(), ready);
            }
        }
        changed();
        return u.getUpdateId();
    }

    private JsonNode sendMessage(ObjectNode p) {
        String text = required(p, "text");
        checkText(text, p, 4096, "message is too long");
        synchronized (this) {
            ChatLog log = chat(chatId(p));
            InlineKeyboardMarkup markup = markup(p);
            countSend(log.chat.getId());
            Message m = newMessage(log, bot);
            m.setText(text);
            m.setReplyMarkup(markup);
            replyTo(log, p, m);
            store(log, m, true);
            return JSON.valueToTree(m);
        }
    }

    private JsonNode sendPhoto(ObjectNode p, RoutingContext ctx) {
        String caption = p.path("caption").asText(null);
        if (caption != null) {
            checkText(caption, p, 1024, "message caption is too long");
        }
        synchronized (this) {
            ChatLog log = chat(chatId(p));
            InlineKeyboardMarkup markup = markup(p);
            StoredFile photo = photo(p.path("photo").asText(""), ctx);
            countSend(log.chat.getId());
            Message m = newMessage(log, bot);
            m.setPhoto(photoSizes(photo));
            m.setCaption(caption);
            m.setReplyMarkup(markup);
            replyTo(log, p, m);
            store(log, m, true);
            return JSON.valueToTree(m);
        }
    }

    private JsonNode editMessageText(ObjectNode p) {
        String text = required(p, "text");
        checkText(text, p, 4096, "message is too long");
        synchronized (this) {
            ChatMessage cm = editable(p);
            Message m = cm.message();
            InlineKeyboardMarkup markup = markup(p);
            if (m.getText() == null) {
                throw BotApiError.badRequest("there is no text in the message to edit");
            }
            if (text.equals(m.getText()) && java.util.Objects.equals(json(markup), json(m.getReplyMarkup()))) {
                throw BotApiError.badRequest("message is not modified: specified new message content and reply "
                        + "markup are exactly the same as a current content and reply markup of the message");
            }
            m.setText(text);
            m.setReplyMarkup(markup);
            m.setEditDate(now());
            changed();
            return JSON.valueToTree(m);
        }
    }

    private JsonNode editMessageCaption(ObjectNode p) {
        String caption = p.path("caption").asText("");
        checkText(caption, p, 1024, "message caption is too long");
        synchronized (this) {
            ChatMessage cm = editable(p);
            Message m = cm.message();
            if (m.getPhoto() == null) {
                throw BotApiError.badRequest("there is no caption in the message to edit");
            }
            m.setCaption(caption.isEmpty() ? null : caption);
            m.setReplyMarkup(markup(p));
            m.setEditDate(now());
            changed();
            return JSON.valueToTree(m);
        }
    }

    private JsonNode editMessageMedia(ObjectNode p, RoutingContext ctx) {
        JsonNode media = p.path("media");
        if (!media.isObject() || !"photo".equals(media.path("type").asText())) {
            throw BotApiError.badRequest("the simulator edits media of type photo only");
        }
        String caption = media.path("caption").asText(null);
        if (caption != null) {
            ObjectNode captionParams = NODES.objectNode();
            captionParams.set("parse_mode", media.path("parse_mode"));
            checkText(caption, captionParams, 1024, "message caption is too long");
        }
        synchronized (this) {
            ChatMessage cm = editable(p);
            Message m = cm.message();
            if (m.getPhoto() == null) {
                throw BotApiError.badRequest("the simulator replaces photos with photos only");
            }
            StoredFile photo = photo(media.path("media").asText(""), ctx);
            m.setPhoto(photoSizes(photo));
            m.setCaption(caption);
            m.setReplyMarkup(markup(p));
            m.setEditDate(now());
            changed();
            return JSON.valueToTree(m);
        }
    }

    private JsonNode editMessageReplyMarkup(ObjectNode p) {
        synchronized (this) {
            ChatMessage cm = editable(p);
            cm.message().setReplyMarkup(markup(p));
            cm.message().setEditDate(now());
            changed();
            return JSON.valueToTree(cm.message());
        }
    }

    private JsonNode deleteMessage(ObjectNode p) {
        synchronized (this) {
            ChatLog log = chat(chatId(p));
            int id = p.path("message_id").asInt(0);
            ChatMessage cm = log.messages.get(id);
            if (cm == null || cm.deleted()) {
                throw BotApiError.badRequest("message to delete not found");
            }
            log.messages.put(id, new ChatMessage(id, cm.fromBot(), true, cm.message()));
            changed();
            return NODES.booleanNode(true);
        }
    }

    private JsonNode answerCallbackQuery(ObjectNode p) {
        String id = required(p, "callback_query_id");
        synchronized (this) {
            if (!callbacks.containsKey(id) || callbackAnswers.containsKey(id)) {
                throw BotApiError.badRequest("query is too old and response timeout expired or query ID is invalid");
            }
            String text = p.path("text").asText(null);
            if (text != null && text.length() > 200) {
                throw BotApiError.badRequest("MESSAGE_TOO_LONG");
            }
            callbackAnswers.put(id, Optional.of(new CallbackAnswer(text, p.path("show_alert").asBoolean(false))));
            changed();
            return NODES.booleanNode(true);
        }
    }

    private JsonNode setMyCommands(ObjectNode p) {
        JsonNode list = p.path("commands");
        if (!list.isArray() || list.size() > 100) {
            throw BotApiError.badRequest("commands must be a list of at most 100 BotCommand");
        }
        List<BotCommand> parsed = new ArrayList<>();
        for (JsonNode c : list) {
            String command = c.path("command").asText("");
            String description = c.path("description").asText("");
            if (!command.matches("[a-z0-9_]{1,32}") || description.isEmpty() || description.length() > 256) {
                throw BotApiError.badRequest("BOT_COMMAND_INVALID: '" + command + "'");
            }
            parsed.add(new BotCommand(command, description));
        }
        synchronized (this) {
            commands.put(commandsKey(scope(p), p.path("language_code").asText("")), parsed);
            changed();
        }
        return NODES.booleanNode(true);
    }

    private JsonNode getMyCommands(ObjectNode p) {
        synchronized (this) {
            return JSON.valueToTree(commands.getOrDefault(commandsKey(scope(p), p.path("language_code").asText("")),
                    List.of()));
        }
    }

    private JsonNode deleteMyCommands(ObjectNode p) {
        synchronized (this) {
            commands.remove(commandsKey(scope(p), p.path("language_code").asText("")));
            changed();
        }
        return NODES.booleanNode(true);
    }

    private static String scope(ObjectNode p) {
        String s = p.path("scope").path("type").asText("default");
        if (!s.equals("default")) {
            throw BotApiError.badRequest("the simulator keeps commands of the default scope only");
        }
        return s;
    }

    private static String commandsKey(String scope, String language) {
        return scope + "/" + language;
    }

    private JsonNode getFile(ObjectNode p) {
        String id = required(p, "file_id");
        synchronized (this) {
            StoredFile f = files.get(id);
            if (f == null) {
                throw BotApiError.badRequest("invalid file_id");
            }
            var file = new org.telegram.telegrambots.meta.api.objects.File();
            file.setFileId(f.id());
            file.setFileUniqueId(f.uniqueId());
            file.setFileSize((long) f.bytes().length);
            file.setFilePath(f.path());
            return JSON.valueToTree(file);
        }
    }

    private void download(RoutingContext ctx) {
        String path = ctx.request().path();
        String prefix = "/file/bot" + options.token() + "/";
        if (!path.startsWith(prefix)) {
            answerError(ctx, new BotApiError(401, "Unauthorized"));
            return;
        }
        String filePath = path.substring(prefix.length());
        StoredFile f;
        synchronized (this) {
            f = files.values().stream().filter(s -> s.path().equals(filePath)).findFirst().orElse(null);
        }
        if (f == null) {
            answerError(ctx, new BotApiError(404, "Not Found"));
            return;
        }
        ctx.response().putHeader("Content-Type", f.contentType()).end(Buffer.buffer(f.bytes()));
    }

    private JsonNode setWebhook(ObjectNode p) {
        String url = p.path("url").asText("");
        if (url.isEmpty()) {
            return deleteWebhook(p);
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw BotApiError.badRequest("bad webhook: invalid URL");
        }
        if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw BotApiError.badRequest("bad webhook: an HTTP(S) URL is required");
        }
        String secret = p.path("secret_token").asText(null);
        if (secret != null && !secret.matches("[A-Za-z0-9_-]{1,256}")) {
            throw BotApiError.badRequest("bad webhook: secret token contains unallowed characters");
        }
        synchronized (this) {
            Set<String> allowed = p.has("allowed_updates") ? strings(p.get("allowed_updates")) : allowedUpdates;
            if (p.path("drop_pending_updates").asBoolean(false)) {
                updates.clear();
            }
            webhook = new Webhook(url, secret, allowed, null, null);
            if (pendingPoll != null) {
                Poll old = pendingPoll;
                pendingPoll = null;
                vertx.cancelTimer(old.timer());
                answerError(old.ctx(), new BotApiError(409, "Conflict: terminated by setWebhook request"));
            }
            if (webhookThread == null) {
                webhookThread = new Thread(this::deliverToWebhook, "telegram-simulator-webhook");
                webhookThread.setDaemon(true);
                webhookThread.start();
            }
            notifyAll();
        }
        return NODES.booleanNode(true);
    }

    private JsonNode deleteWebhook(ObjectNode p) {
        synchronized (this) {
            webhook = null;
            if (p.path("drop_pending_updates").asBoolean(false)) {
                updates.clear();
            }
            notifyAll();
        }
        return NODES.booleanNode(true);
    }

    private synchronized JsonNode getWebhookInfo() {
        ObjectNode info = NODES.objectNode();
        info.put("url", webhook == null ? "" : webhook.url());
        info.put("has_custom_certificate", false);
        info.put("pending_update_count", updates.size());
        if (webhook != null) {
            if (webhook.lastError() != null) {
                info.put("last_error_date", webhook.lastErrorDate());
                info.put("last_error_message", webhook.lastError());
            }
            info.put("max_connections", 40);
            info.set("allowed_updates", JSON.valueToTree(webhook.allowed()));
        }
        return info;
    }

    /** Delivers updates to the webhook one at a time, in order, as Telegram does; retried with backoff until 2xx. */
    private void deliverToWebhook() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        int failures = 0;
        while (!closed) {
            Update next;
            Webhook hook;
            synchronized (this) {
                hook = webhook;
                next = hook == null ? null
                        : updates.stream().filter(u -> hook.allowed().isEmpty() || hook.allowed().contains(type(u)))
                                .findFirst().orElse(null);
                if (next == null) {
                    try {
                        wait(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
            }
            String error;
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(hook.url()))
                        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(next)));
                if (hook.secret() != null) {
                    request.header("X-Telegram-Bot-Api-Secret-Token", hook.secret());
                }
                int status = http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                error = status / 100 == 2 ? null : "Wrong response from the webhook: " + status;
            } catch (IOException e) {
                error = "Connection refused";
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (error == null) {
                    Update delivered = next;
                    updates.removeIf(u -> u == delivered);
                    failures = 0;
                    continue;
                }
                if (webhook != null) {
                    webhook = new Webhook(webhook.url(), webhook.secret(), webhook.allowed(), error, now());
                }
                failures++;
                try {
                    wait(Math.min(5000, 100L << Math.min(failures, 6)));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    // ================================================================== helpers

    private void countSend(long chatId) {
        int wait = limits.take(chatId, System.currentTimeMillis());
        if (wait > 0) {
            violations++;
            LOG.debugf("simulator: a send to chat %d exceeded Telegram's limits (retry after %d s)", chatId, wait);
            if (enforce) {
                throw new BotApiError(429, "Too Many Requests: retry after " + wait, wait);
            }
        }
        sent++;
    }

    private void checkText(String text, ObjectNode p, int max, String tooLong) {
        if (text.isEmpty()) {
            throw BotApiError.badRequest("message text is empty");
        }
        String mode = p.path("parse_mode").asText("");
        if (mode.equalsIgnoreCase("HTML")) {
            TelegramHtml.check(text);
            if (TelegramHtml.plain(text).length() > max) {
                throw BotApiError.badRequest(tooLong);
            }
        } else if (!mode.isEmpty()) {
            throw BotApiError.badRequest("unsupported parse_mode " + mode + " (the simulator knows HTML)");
        } else if (text.length() > max) {
            throw BotApiError.badRequest(tooLong);
        }
    }

    private InlineKeyboardMarkup markup(ObjectNode p) {
        JsonNode node = p.get("reply_markup");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.has("inline_keyboard")) {
            throw BotApiError.badRequest("the simulator supports inline keyboards only");
        }
        InlineKeyboardMarkup markup;
        try {
            markup = JSON.treeToValue(node, InlineKeyboardMarkup.class);
        } catch (IOException | IllegalArgumentException e) {
            throw BotApiError.badRequest("can't parse reply keyboard markup JSON object");
        }
        markup.getKeyboard().stream().flatMap(List::stream).forEach(b -> {
            if (b.getText() == null || b.getText().isEmpty()) {
                throw BotApiError.badRequest("button text must be non-empty");
            }
            if (b.getCallbackData() != null && b.getCallbackData().getBytes(StandardCharsets.UTF_8).length > 64) {
                throw BotApiError.badRequest("BUTTON_DATA_INVALID");
            }
            if (b.getCallbackData() == null && b.getUrl() == null) {
                throw BotApiError.badRequest("the simulator supports callback_data and url buttons only");
            }
        });
        return markup;
    }

    private synchronized ChatMessage editable(ObjectNode p) {
        ChatLog log = chat(chatId(p));
        ChatMessage cm = log.messages.get(p.path("message_id").asInt(0));
        if (cm == null || cm.deleted()) {
            throw BotApiError.badRequest("message to edit not found");
        }
        if (!cm.fromBot()) {
            throw BotApiError.badRequest("message can't be edited");
        }
        return cm;
    }

    private void replyTo(ChatLog log, ObjectNode p, Message m) {
        int replyTo = p.path("reply_parameters").path("message_id").asInt(p.path("reply_to_message_id").asInt(0));
        if (replyTo != 0) {
            ChatMessage original = log.messages.get(replyTo);
            if (original == null) {
                throw BotApiError.badRequest("message to be replied not found");
            }
            m.setReplyToMessage(original.message());
        }
    }

    private StoredFile photo(String ref, RoutingContext ctx) {
        if (ref.startsWith("attach://")) {
            ref = ref.substring("attach://".length());
        }
        String name = ref.isEmpty() ? "photo" : ref; // uploaded as the field itself, or attach://<name>
        FileUpload upload = ctx.fileUploads().stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
        if (upload != null) {
            try {
                byte[] bytes = Files.readAllBytes(Path.of(upload.uploadedFileName()));
                return newFile(bytes, upload.contentType() == null ? "image/png" : upload.contentType());
            } catch (IOException e) {
                throw new BotApiError(500, "Internal Server Error");
            }
        }
        StoredFile f = files.get(ref);
        if (f == null) {
            throw BotApiError.badRequest(ref.isEmpty() ? "there is no photo in the request"
                    : "wrong file identifier/HTTP URL specified");
        }
        return f;
    }

    private static List<PhotoSize> photoSizes(StoredFile f) {
        PhotoSize size = new PhotoSize();
        size.setFileId(f.id());
        size.setFileUniqueId(f.uniqueId());
        size.setFileSize(f.bytes().length);
        size.setWidth(0);
        size.setHeight(0);
        int[] wh = pngSize(f.bytes());
        size.setWidth(wh[0]);
        size.setHeight(wh[1]);
        return List.of(size);
    }

    private static int[] pngSize(byte[] b) {
        if (b.length > 24 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return new int[] { ((b[16] & 0xff) << 24) | ((b[17] & 0xff) << 16) | ((b[18] & 0xff) << 8) | (b[19] & 0xff),
                    ((b[20] & 0xff) << 24) | ((b[21] & 0xff) << 16) | ((b[22] & 0xff) << 8) | (b[23] & 0xff) };
        }
        return new int[] { 0, 0 };
    }

    private Message newMessage(ChatLog log, User from) {
        Message m = new Message();
        m.setMessageId(log.nextMessageId++);
        m.setFrom(from);
        m.setChat(log.chat);
        m.setDate(now());
        return m;
    }

    private void store(ChatLog log, Message m, boolean fromBot) {
        log.messages.put(m.getMessageId(), new ChatMessage(m.getMessageId(), fromBot, false, m));
        changed();
    }

    private synchronized void changed() {
        version++;
        notifyAll();
    }

    private ChatLog chat(long chatId) {
        ChatLog log = chats.get(chatId);
        if (log == null) {
            throw BotApiError.badRequest("chat not found");
        }
        return log;
    }

    private User user(long userId) {
        User u = users.get(userId);
        if (u == null) {
            throw new IllegalArgumentException("no user " + userId);
        }
        return u;
    }

    private static long chatId(ObjectNode p) {
        JsonNode id = p.get("chat_id");
        if (id == null || id.asText().isEmpty()) {
            throw BotApiError.badRequest("chat_id is empty");
        }
        try {
            return Long.parseLong(id.asText());
        } catch (NumberFormatException e) {
            throw BotApiError.badRequest("chat not found");
        }
    }

    private static String required(ObjectNode p, String name) {
        JsonNode v = p.get(name);
        if (v == null || v.isNull() || v.asText().isEmpty()) {
            throw BotApiError.badRequest(name.replace('_', ' ') + " is empty");
        }
        return v.asText();
    }

    private static Set<String> strings(JsonNode array) {
        Set<String> out = new java.util.LinkedHashSet<>();
        if (array != null && array.isArray()) {
            array.forEach(n -> out.add(n.asText()));
        }
        return Set.copyOf(out);
    }

    private static String json(Object o) {
        try {
            return o == null ? null : JSON.writeValueAsString(o);
        } catch (IOException e) {
            return String.valueOf(o);
        }
    }

    private static int now() {
        return (int) (System.currentTimeMillis() / 1000);
    }

    /** JSON bodies as they are; query, form and multipart fields as strings, JSON-valued ones parsed. */
    private static ObjectNode params(RoutingContext ctx) {
        ObjectNode p = NODES.objectNode();
        ctx.queryParams().forEach(e -> p.set(e.getKey(), formValue(e.getValue())));
        String type = ctx.request().getHeader("Content-Type");
        if (type != null && type.startsWith("application/json")) {
            try {
                JsonNode body = JSON.readTree(ctx.body().asString());
                if (body != null && body.isObject()) {
                    p.setAll((ObjectNode) body);
                } else if (body != null) {
                    throw BotApiError.badRequest("the body must be a JSON object");
                }
            } catch (IOException e) {
                throw BotApiError.badRequest("can't parse JSON body");
            }
        } else {
            ctx.request().formAttributes().forEach(e -> p.set(e.getKey(), formValue(e.getValue())));
        }
        return p;
    }

    private static JsonNode formValue(String v) {
        String t = v.trim();
        if (t.startsWith("{") || t.startsWith("[")) {
            try {
                return JSON.readTree(t);
            } catch (IOException e) {
                return NODES.textNode(v);
            }
        }
        return NODES.textNode(v);
    }

    private static void answer(RoutingContext ctx, JsonNode result) {
        ObjectNode body = NODES.objectNode();
        body.put("ok", true);
        body.set("result", result);
        if (!ctx.response().ended() && !ctx.response().closed()) {
            ctx.response().putHeader("Content-Type", "application/json").end(body.toString());
        }
    }

    static void answerError(RoutingContext ctx, BotApiError e) {
        ObjectNode body = NODES.objectNode();
        body.put("ok", false);
        body.put("error_code", e.code);
        body.put("description", e.getMessage());
        if (e.retryAfter != null) {
            body.putObject("parameters").put("retry_after", e.retryAfter);
        }
        if (!ctx.response().ended() && !ctx.response().closed()) {
            ctx.response().setStatusCode(e.code).putHeader("Content-Type", "application/json").end(body.toString());
        }
    }
}
