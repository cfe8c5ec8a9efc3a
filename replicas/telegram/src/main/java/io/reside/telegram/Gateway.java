package io.reside.telegram;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.quarkus.runtime.ShutdownEvent;
import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.contracts.telegramhandler.v1.TelegramHandlerApi;
import io.reside.etcd.DocType;
import io.reside.etcd.HeldLock;
import io.reside.etcd.KeyValue;
import io.reside.etcd.LockTimeoutException;
import io.reside.etcd.Store;
import io.reside.etcd.Subscription;
import io.reside.etcd.Versioned;
import io.reside.etcd.WatchEvent;
import io.reside.etcd.WatchListener;
import io.reside.etcd.WatchOptions;
import io.reside.runtime.ReplicaStarted;
import io.reside.runtime.ResideConfig;
import io.reside.runtime.client.RequirementClients;

/**
 * Updates from Telegram to the handlers, effectively once. One instance per bot leads (the etcd lock
 * {@code telegram-poller-<bot id>}; a second version running side by side waits), and only the leader polls and
 * dispatches:
 * <ol>
 * <li>{@code getUpdates} from the stored offset; the batch is written as {@code pending/<id>} records in the same
 * (fenced) transaction that moves the offset past it. From then on the updates are ours: Telegram forgets them at the
 * next poll, and a crash cannot lose them.</li>
 * <li>Each pending update is processed, a chat's in order, different chats concurrently: its sender's
 * {@code TelegramUser} is got or created, then it is offered to each enabled handler that asked for its type, in
 * order, each with its timeout, until one handles it.</li>
 * <li>Its outcome is recorded ({@code processed/<id>}) in the same transaction that deletes {@code pending/<id>}.</li>
 * </ol>
 * Step 2 is at-least-once: a crash (or a lost lock) between offering and recording offers the update again, with the
 * same idempotency key; the handler SDK passes that key on every {@code callBotApi}, which remembers each keyed call's
 * result, so the reply is still sent once (see docs/telegram.md).
 */
@ApplicationScoped
public class Gateway {

    private static final Logger LOG = Logger.getLogger(Gateway.class);
    /**
     * Updates asked for per poll: the batch is stored in one transaction that reads two keys per update (is it pending,
     * was it processed), and etcd limits a transaction to 128 compares ({@code --max-txn-ops}).
     */
    static final int BATCH = 50;
    /** Attempts at one update (about ten minutes with the backoff) before it is recorded as failed. */
    static final int MAX_ATTEMPTS = 25;

    @Inject
    Store store;

    @Inject
    BotApi api;

    @Inject
    Outbox outbox;

    @Inject
    Handlers handlers;

    @Inject
    TelegramUsers users;

    @Inject
    RequirementClients clients;

    @Inject
    OpenTelemetry otel;

    private Tracer tracer;

    @Inject
    TelegramConfig config;

    @Inject
    ResideConfig reside;

    private volatile Records.Keys keys;
    private volatile String replicaId;
    private volatile boolean stopping;
    private volatile boolean leading;
    private volatile Instant lastConflict;
    private volatile String lastError;
    private final AtomicLong conflicts = new AtomicLong();
    private final AtomicLong processed = new AtomicLong();
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<Long, CompletableFuture<Void>> chatTails = new ConcurrentHashMap<>();
    private final Set<String> routes = ConcurrentHashMap.newKeySet();
    private final Map<String, HandlerClient> handlerClients = new ConcurrentHashMap<>();

    /** The client of a handler at the endpoint it registered last. */
    private record HandlerClient(String owner, String url, TelegramHandlerApi api) {
    }

    private ExecutorService dispatch;
    private ExecutorService offers;
    private final ExecutorService storing = Executors.newSingleThreadExecutor(r -> daemon(r, "telegram-store"));
    private Thread leader;
    private long lastCleanup = System.currentTimeMillis();

    void start(@Observes ReplicaStarted started) {
        replicaId = started.replicaId();
        keys = Records.Keys.of(started.replicaId());
        handlers.start(keys);
        users.start(keys);
        tracer = otel.getTracer("io.reside.telegram");
        dispatch = Executors.newFixedThreadPool(config.concurrency(), r -> daemon(r, "telegram-dispatch"));
        offers = Executors.newCachedThreadPool(r -> daemon(r, "telegram-offer"));
        leader = daemon(this::lead, "telegram-leader");
        leader.start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        if (leader != null) {
            leader.interrupt();
            try {
                leader.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (dispatch != null) {
            dispatch.shutdownNow();
            offers.shutdownNow();
        }
        handlers.stop();
    }

    Records.Keys keys() {
        return keys;
    }

    boolean leading() {
        return leading;
    }

    long conflicts() {
        return conflicts.get();
    }

    Instant lastConflict() {
        return lastConflict;
    }

    String lastError() {
        return lastError;
    }

    long processedCount() {
        return processed.get();
    }

    private String lockName() {
        return "telegram-poller-" + api.botId();
    }

    private void lead() {
        boolean toldWaiting = false;
        while (!stopping) {
            try {
                store.withLock(lockName(), held -> {
                    LOG.infof("this instance polls the bot (lock %s, fencing token %d)", lockName(),
                            held.fencingToken());
                    leading = true;
                    try {
                        runAsLeader(held);
                    } finally {
                        leading = false;
                    }
                    return null;
                });
                toldWaiting = false;
            } catch (LockTimeoutException e) {
                if (!toldWaiting) {
                    LOG.infof("another instance polls the bot (it holds %s): waiting for it", lockName());
                    toldWaiting = true;
                }
            } catch (RuntimeException e) {
                if (stopping) {
                    return;
                }
                lastError = api.redact(e.getMessage());
                LOG.warnf("the poller stopped (%s); starting again in 1 s", lastError);
                sleep(1000);
            }
        }
    }

    private void runAsLeader(HeldLock held) {
        if (config.mode() == TelegramConfig.Mode.WEBHOOK) {
            setWebhook();
        } else {
            call("deleteWebhook", json().put("drop_pending_updates", false), Duration.ofSeconds(15));
        }
        // what an earlier leader fetched and did not finish: offered again, with the same idempotency keys
        for (Versioned<Records.Pending> p : store.list(Records.PENDING, keys.pending())) {
            schedule(updateId(p.key()), p.value(), held);
        }
        Subscription deliveries = config.mode() != TelegramConfig.Mode.WEBHOOK ? null
                : store.watch(keys.pending(), WatchOptions.forPrefix().withInitialSnapshot(), new WatchListener() {
                    @Override
                    public void onEvents(List<WatchEvent> events) {
                        for (WatchEvent e : events) {
                            if (e.type() == WatchEvent.Type.PUT) {
                                schedule(updateId(e.kv().key()), e.kv().decode(Records.PENDING), held);
                            }
                        }
                    }

                    @Override
                    public void onReset(long revision, List<KeyValue> state) {
                        state.forEach(kv -> schedule(updateId(kv.key()), kv.decode(Records.PENDING), held));
                    }
                });
        try {
            loop(held);
        } finally {
            if (deliveries != null) {
                deliveries.close();
            }
        }
    }

    private void loop(HeldLock held) {
        int failures = 0;
        while (!stopping && held.isHeld()) {
            try {
                if (config.mode() == TelegramConfig.Mode.WEBHOOK) {
                    // deliveries are stored by whichever instance Telegram reached; the watch brings them here
                    sleep(1000);
                } else {
                    poll(held);
                }
                failures = 0;
                cleanupNowAndThen(held);
            } catch (BotApi.BotApiException e) {
                failures++;
                long backoff = Math.min(30_000, 500L << Math.min(failures, 6));
                if (e.status == 409) {
                    conflicts.incrementAndGet();
                    lastConflict = Instant.now();
                    LOG.warnf("Telegram says another poller uses this bot (409: %s): is the token used elsewhere? "
                            + "retrying in %d ms", e.getMessage(), backoff);
                } else {
                    LOG.warnf("getUpdates failed (%s); retrying in %d ms", e.getMessage(), backoff);
                }
                lastError = e.getMessage();
                sleep(backoff);
            } catch (RuntimeException e) {
                if (stopping) {
                    return;
                }
                failures++;
                lastError = api.redact(e.getMessage());
                LOG.warnf("polling failed (%s); retrying in 1 s", lastError);
                sleep(1000);
            }
        }
    }

    private void setWebhook() {
        String url = config.webhook().url().map(Object::toString).orElseGet(this::defaultWebhookUrl);
        if (config.webhook().secret().isEmpty()) {
            throw new IllegalStateException(
                    "telegram.mode=webhook needs telegram.webhook.secret (TELEGRAM_WEBHOOK_SECRET): "
                            + "without it anyone could post updates");
        }
        ObjectNode p = json().put("url", url);
        config.webhook().secret().ifPresent(s -> p.put("secret_token", s));
        p.set("allowed_updates", DocType.mapper().valueToTree(handlers.allowedUpdates()));
        call("setWebhook", p, Duration.ofSeconds(15));
        LOG.infof("webhook set to %s", url);
    }

    /**
     * Without {@code telegram.webhook.url}: this replica's external endpoint; or, when the Bot API is on this machine
     * (the simulator), this process's loopback port.
     */
    private String defaultWebhookUrl() {
        if (reside.endpoint().external().isPresent()) {
            String base = reside.endpoint().external().get().toString();
            return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/telegram/webhook";
        }
        String host = config.apiUrl().getHost();
        if ("127.0.0.1".equals(host) || "localhost".equals(host)) {
            return "http://127.0.0.1:" + org.eclipse.microprofile.config.ConfigProvider.getConfig()
                    .getOptionalValue("quarkus.http.port", Integer.class).orElse(8080) + "/telegram/webhook";
        }
        throw new IllegalStateException("telegram.mode=webhook needs telegram.webhook.url (the public URL of POST "
                + "/telegram/webhook) or RESIDE_ENDPOINT_EXTERNAL");
    }

    private void poll(HeldLock held) {
        long offset = store.find(Records.OFFSET, keys.offset()).map(v -> v.value().next()).orElse(0L);
        ObjectNode p = json().put("offset", offset).put("timeout", config.pollTimeout().toSeconds())
                .put("limit", BATCH);
        List<String> allowed = handlers.allowedUpdates();
        if (!allowed.isEmpty()) {
            p.set("allowed_updates", DocType.mapper().valueToTree(allowed));
        }
        JsonNode batch = call("getUpdates", p, config.pollTimeout().plusSeconds(10));
        if (batch == null || !batch.isArray() || batch.isEmpty()) {
            return;
        }
        // stored (with the offset moved past the batch) while the updates are already being offered: if the store
        // fails, the offset has not moved, Telegram sends them again, and they are offered again with the same keys
        java.util.Map<Long, Records.Pending> batchUpdates = new java.util.LinkedHashMap<>();
        for (JsonNode u : batch) {
            batchUpdates.put(u.path("update_id").asLong(), new Records.Pending((ObjectNode) u, chatOf(u), typeOf(u),
                    Instant.now()));
        }
        CompletableFuture<java.util.Set<Long>> stored = CompletableFuture.supplyAsync(() -> held.run(tx -> {
            java.util.Set<Long> fresh = new java.util.HashSet<>();
            long next = offset;
            for (var e : batchUpdates.entrySet()) {
                long id = e.getKey();
                next = Math.max(next, id + 1);
                if (tx.exists(keys.processed(id)) || tx.exists(keys.pending(id))) {
                    continue; // seen before (Telegram may send an update again until the offset confirms it)
                }
                tx.put(Records.PENDING, keys.pending(id), e.getValue());
                fresh.add(id);
            }
            tx.put(Records.OFFSET, keys.offset(), new Records.Offset(next));
            return fresh;
        }), storing);
        for (var e : batchUpdates.entrySet()) {
            long id = e.getKey();
            schedule(id, e.getValue(), held, stored.thenApply(fresh -> fresh.contains(id)));
        }
        stored.join(); // the next poll asks from the new offset
    }

    void schedule(long updateId, Records.Pending p, HeldLock held) {
        schedule(updateId, p, held, CompletableFuture.completedFuture(true));
    }

    /**
     * Runs the update after the previous ones of its chat; different chats run concurrently.
     *
     * @param stored completes with whether the update was stored as pending by this poll (false: it had been stored or
     *        processed before); its outcome is recorded only after that
     */
    void schedule(long updateId, Records.Pending p, HeldLock held, CompletableFuture<Boolean> stored) {
        if (!inFlight.add(updateId)) {
            return;
        }
        chatTails.compute(p.chatId(), (chat, tail) -> {
            CompletableFuture<Void> prev = tail == null ? CompletableFuture.completedFuture(null) : tail;
            CompletableFuture<Void> next = prev.handle((v, e) -> null).thenRunAsync(
                    () -> process(updateId, p, held, stored),
                    dispatch);
            next.whenComplete((v, e) -> chatTails.remove(chat, next));
            return next;
        });
    }

    /**
     * Processes an update to its recorded outcome. A failure before the outcome is recorded (the User Manager or etcd
     * unreachable) is retried here with backoff, the chat's later updates waiting behind it, so that its order holds;
     * after a lost lock the next leader offers it again.
     */
    private void process(long updateId, Records.Pending p, HeldLock held, CompletableFuture<Boolean> stored) {
        try {
            for (int attempt = 1; !stopping && held.isHeld(); attempt++) {
                // one trace per update: the handlers it reaches and every call they make are its children
                Span span = tracer.spanBuilder("telegram update " + p.type()).setSpanKind(SpanKind.CONSUMER)
                        .setAttribute("telegram.update_id", updateId).setAttribute("telegram.chat_id", p.chatId())
                        .setAttribute("telegram.attempt", attempt).startSpan();
                try (Scope scope = span.makeCurrent()) {
                    processOnce(updateId, p, held, stored);
                    return;
                } catch (RuntimeException e) {
                    span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
                    if (attempt >= MAX_ATTEMPTS) {
                        // a poison update must not hold its chat back for ever: recorded as failed, and the next goes
                        LOG.errorf("update %d failed %d times (last: %s); recorded as failed, the chat's next updates "
                                + "go on", updateId, attempt, api.redact(e.getMessage()));
                        recordFailed(updateId, held, stored);
                        return;
                    }
                    long backoff = Math.min(30_000, 500L << Math.min(attempt, 6));
                    LOG.warnf("update %d could not be processed (%s); offering it again in %d ms", updateId,
                            api.redact(e.getMessage()), backoff);
                    span.end(); // the attempt, not the wait before the next one
                    sleep(backoff);
                } finally {
                    span.end(); // ending an ended span does nothing
                }
            }
        } finally {
            inFlight.remove(updateId);
        }
    }

    private void recordFailed(long updateId, HeldLock held, CompletableFuture<Boolean> stored) {
        try {
            if (!stored.join()) {
                return;
            }
            held.run(tx -> {
                tx.delete(keys.pending(updateId));
                tx.put(Records.PROCESSED, keys.processed(updateId), new Records.Processed("failed", null,
                        Instant.now()));
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warnf("update %d: cannot record it as failed either (%s); the next leader will offer it again",
                    updateId, api.redact(e.getMessage()));
        }
    }

    private void processOnce(long updateId, Records.Pending p, HeldLock held, CompletableFuture<Boolean> stored) {
        if (stored.isDone() && !stored.isCompletedExceptionally() && !stored.join()) {
            return; // a repeat of an update stored (and being processed, or processed) before
        }
        JsonNode from = fromOf(p.update());
        TelegramApi.TelegramUser user = from == null ? null : users.getOrCreate(from);
        String key = replicaId + ":" + updateId;
        String outcome = "unhandled";
        String by = null;
        for (TelegramApi.Handler h : handlers.offeredTo(p.type())) {
            if (!held.isHeld()) {
                return;
            }
            if (offer(h, p, user, key)) {
                outcome = "handled";
                by = h.name();
                break;
            }
        }
        if (by == null) {
            LOG.debugf("update %s (%s in chat %s) was handled by no handler: dropped", (Object) updateId, p.type(),
                    p.chatId());
        }
        String finalOutcome = outcome;
        String handler = by;
        boolean fresh;
        try {
            fresh = stored.join();
        } catch (java.util.concurrent.CompletionException e) {
            return; // not stored: the offset did not move, Telegram sends it again
        }
        if (!fresh) {
            return; // stored before this poll: its first processing records it
        }
        held.run(tx -> {
            tx.delete(keys.pending(updateId));
            tx.put(Records.PROCESSED, keys.processed(updateId), new Records.Processed(finalOutcome, handler,
                    Instant.now()));
            return null;
        });
        processed.incrementAndGet();
    }

    /** One offer, bounded by the handler's timeout; a failing or slow handler is logged and skipped. */
    private boolean offer(TelegramApi.Handler h, Records.Pending p, TelegramApi.TelegramUser user, String key) {
        ensureRoute(keys.route(h.name(), p.chatId()));
        showFiles(h.name(), p.update()); // getFile and sends by file_id: only files the handler was shown
        String callbackId = p.update().path("callback_query").path("id").asText("");
        if (!callbackId.isEmpty()) {
            ensureRoute(keys.callbackRoute(h.name(), callbackId)); // not cached: one per press
        }
        TelegramHandlerApi client = client(h);
        if (client == null) {
            return false;
        }
        // the update's trace goes with the call to the handler (another thread)
        Future<TelegramHandlerApi.Handled> answer = offers.submit(Context.current().wrap(() -> client.handleUpdate(
                new TelegramHandlerApi.HandleUpdate(p.update(), user, key))));
        try {
            return answer.get(h.timeoutMillis(), TimeUnit.MILLISECONDS).handled();
        } catch (TimeoutException e) {
            answer.cancel(true);
            LOG.warnf("handler %s did not answer update %s within %d ms: offering it to the next one", h.name(), key,
                    h.timeoutMillis());
        } catch (ExecutionException e) {
            LOG.warnf("handler %s failed on update %s (%s): offering it to the next one", h.name(), key,
                    api.redact(e.getCause().getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private TelegramHandlerApi client(TelegramApi.Handler h) {
        String context = reside.accessContext().key();
        String url = h.endpoints().getOrDefault(context, null);
        if (url == null) {
            LOG.warnf("handler %s has no '%s' endpoint (it gave %s): skipped", h.name(), context,
                    h.endpoints().keySet());
            return null;
        }
        HandlerClient current = handlerClients.get(h.name());
        if (current != null && current.owner().equals(h.ownerAccountId()) && current.url().equals(url)) {
            return current.api();
        }
        HandlerClient fresh = new HandlerClient(h.ownerAccountId(), url, clients.direct("handler " + h.name(),
                TelegramHandlerApi.class, h.ownerAccountId(), url));
        handlerClients.put(h.name(), fresh);
        if (current != null && handlerClients.values().stream().noneMatch(c -> c.url().equals(current.url()))) {
            clients.forgetDirect(current.url()); // it moved (a new version): close the old connections
        }
        return fresh.api();
    }

    /** Records that the handler got an update of this chat, before it gets it: callBotApi allows that chat then. */
    private void ensureRoute(String key) {
        if (routes.contains(key)) {
            return;
        }
        store.run(tx -> {
            if (!tx.exists(key)) {
                tx.put(Records.ROUTE, key, new Records.Route(Instant.now()));
            }
            return null;
        });
        if (!key.contains("/cq-") && !key.contains("/f-")) {
            routes.add(key); // chats are few and stay; button presses and files are many and expire
        }
    }

    /** The kinds of file a message can carry, and where their ids are. */
    private static final List<String> FILE_FIELDS = List.of("document", "audio", "video", "voice", "video_note",
            "sticker", "animation");

    /** Records every file id in an update (or in a message a handler sent) as shown to the handler. */
    void showFiles(String handler, JsonNode updateOrMessage) {
        List<String> ids = new ArrayList<>();
        collectFiles(updateOrMessage, ids, 0);
        ids.stream().distinct().forEach(id -> ensureRoute(keys.fileRoute(handler, id)));
    }

    private static void collectFiles(JsonNode node, List<String> ids, int depth) {
        if (node == null || depth > 4 || !node.isContainerNode()) {
            return;
        }
        node.path("photo").forEach(size -> addId(size, ids));
        for (String f : FILE_FIELDS) {
            addId(node.path(f), ids);
        }
        for (String nested : List.of("message", "edited_message", "channel_post", "reply_to_message")) {
            collectFiles(node.get(nested), ids, depth + 1);
        }
        collectFiles(node.path("callback_query").get("message"), ids, depth + 1);
    }

    private static void addId(JsonNode file, List<String> ids) {
        String id = file.path("file_id").asText("");
        if (!id.isEmpty()) {
            ids.add(id);
        }
    }

    boolean fileShown(String handler, String fileId) {
        return store.find(Records.ROUTE, keys.fileRoute(handler, fileId)).isPresent();
    }

    boolean routed(String handler, long chatId) {
        return routed(keys.route(handler, chatId));
    }

    boolean callbackRouted(String handler, String callbackQueryId) {
        return store.find(Records.ROUTE, keys.callbackRoute(handler, callbackQueryId)).isPresent();
    }

    private boolean routed(String key) {
        if (routes.contains(key)) {
            return true;
        }
        boolean exists = store.find(Records.ROUTE, key).isPresent();
        if (exists) {
            routes.add(key);
        }
        return exists;
    }

    /** Forgets processed ids and keyed results older than the retention, a bounded batch at a time. */
    private void cleanupNowAndThen(HeldLock held) {
        if (System.currentTimeMillis() - lastCleanup < 600_000) {
            return;
        }
        lastCleanup = System.currentTimeMillis();
        Instant before = Instant.now().minus(config.retention());
        List<String> old = new ArrayList<>();
        store.list(Records.PROCESSED, keys.processed()).stream().filter(v -> v.value().at().isBefore(before))
                .forEach(v -> old.add(v.key()));
        store.list(Records.CALL, keys.calls()).stream().filter(v -> v.value().at().isBefore(before))
                .forEach(v -> old.add(v.key()));
        store.list(Records.ROUTE, keys.root() + "routes/").stream().filter(v -> (v.key().contains("/cq-") || v.key()
                .contains("/f-")) && v.value().at().isBefore(before)).forEach(v -> old.add(v.key()));
        for (int i = 0; i < old.size(); i += 100) {
            List<String> part = old.subList(i, Math.min(old.size(), i + 100));
            held.run(tx -> {
                part.forEach(tx::delete);
                return null;
            });
        }
        if (!old.isEmpty()) {
            LOG.infof("forgot %d update ids and keyed results older than %s", old.size(), config.retention());
        }
    }

    private JsonNode call(String method, ObjectNode payload, Duration timeout) {
        try {
            if (method.equals("getUpdates")) {
                return api.call(method, payload, null, timeout).get(timeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
            }
            return outbox.submit(method, payload, null, true).get(timeout.toMillis() * 3, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BotApi.BotApiException b) {
                throw b;
            }
            throw new IllegalStateException(api.redact(e.getCause().getMessage()));
        } catch (TimeoutException e) {
            throw new BotApi.BotApiException(0, "no answer to " + method + " within " + timeout, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    static long updateId(String key) {
        return Long.parseLong(key.substring(key.lastIndexOf('/') + 1));
    }

    static String typeOf(JsonNode u) {
        var names = u.fieldNames();
        while (names.hasNext()) {
            String n = names.next();
            if (!n.equals("update_id")) {
                return n;
            }
        }
        return "other";
    }

    /** The chat an update belongs to (its sender's for updates without a chat): the unit of ordering. */
    static long chatOf(JsonNode u) {
        JsonNode body = u.path(typeOf(u));
        if (body.has("chat")) {
            return body.path("chat").path("id").asLong();
        }
        if (body.path("message").has("chat")) {
            return body.path("message").path("chat").path("id").asLong();
        }
        return body.path("from").path("id").asLong();
    }

    static JsonNode fromOf(JsonNode u) {
        JsonNode from = u.path(typeOf(u)).path("from");
        return from.isObject() && from.has("id") ? from : null;
    }

    private static ObjectNode json() {
        return DocType.mapper().createObjectNode();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
