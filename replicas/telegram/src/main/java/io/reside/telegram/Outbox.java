package io.reside.telegram;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.reside.contracts.telegram.v1.TelegramApi;

/**
 * Every outgoing Bot API call goes through this one queue, so that together they keep Telegram's limits (about one
 * message per second in a chat with short bursts, 20 per minute in a group, 30 per second overall): a chat's calls
 * leave in order, one at a time; a send leaves when all three limits allow it (each interval with a small margin for
 * the network's jitter); a {@code 429} pauses the whole bot for its {@code retry_after} (Telegram does not say which
 * limit was hit, so only a bot-wide pause is sure not to hit it again) and the call waits at the head of its chat; 5xx
 * and network errors are retried with backoff only for calls that are safe to repeat (reads, and calls with an
 * idempotency key). Queue depth and waits are metrics ({@code telegram.outbox.depth}, {@code telegram.outbox.wait}).
 */
@ApplicationScoped
public class Outbox {

    private static final Logger LOG = Logger.getLogger(Outbox.class);
    private static final int MAX_RETRIES = 5;

    @Inject
    BotApi api;

    @Inject
    TelegramConfig config;

    @Inject
    MeterRegistry meters;

    private final Map<Long, ArrayDeque<Job>> chats = new LinkedHashMap<>();
    private final java.util.Set<Long> busy = new java.util.HashSet<>();
    private final ArrayDeque<Job> other = new ArrayDeque<>();
    private final Map<Long, double[]> buckets = new java.util.HashMap<>();
    private final Map<Long, java.util.List<long[]>> groups = new java.util.HashMap<>();
    private final java.util.List<long[]> global = new java.util.ArrayList<>();
    private long pausedUntil;
    private int depth;
    private Thread scheduler;
    private volatile boolean closed;
    private Timer waits;
    /** Bot API calls Telegram answered 429 Too Many Requests. */
    private io.micrometer.core.instrument.Counter rateLimited;
    private final java.util.concurrent.ExecutorService hooks = java.util.concurrent.Executors.newFixedThreadPool(4,
            r -> {
                Thread t = new Thread(r, "telegram-outbox-hook");
                t.setDaemon(true);
                return t;
            });

    private static final class Job {
        final String method;
        final ObjectNode payload;
        final Map<String, TelegramApi.FilePart> files;
        final Long chatId;
        final boolean limited;
        final boolean retrySafe;
        final java.util.function.BooleanSupplier beforeSend;
        final CompletableFuture<JsonNode> result = new CompletableFuture<>();
        final long enqueued = System.nanoTime();
        long notBefore;
        int attempts;
        boolean prepared;
        /** The entries this send holds in the windows: the send time, moved to the answer's time when it comes. */
        final java.util.List<long[]> slots = new java.util.ArrayList<>(2);
        double[] bucket;

        Job(String method, ObjectNode payload, Map<String, TelegramApi.FilePart> files, Long chatId, boolean limited,
                boolean retrySafe, java.util.function.BooleanSupplier beforeSend) {
            this.beforeSend = beforeSend;
            this.method = method;
            this.payload = payload;
            this.files = files;
            this.chatId = chatId;
            this.limited = limited;
            this.retrySafe = retrySafe;
        }
    }

    /** The methods Telegram's message limits apply to. */
    static boolean limited(String method) {
        return (method.startsWith("send") && !method.equals("sendChatAction")) || method.equals("copyMessage")
                || method.equals("copyMessages") || method.equals("forwardMessage")
                || method.equals("forwardMessages");
    }

    @PostConstruct
    void start() {
        waits = Timer.builder("telegram.outbox.wait").description("time a Bot API call waited in the queue")
                .publishPercentileHistogram().minimumExpectedValue(java.time.Duration.ofMillis(1))
                .maximumExpectedValue(java.time.Duration.ofMinutes(2)).register(meters);
        rateLimited = meters.counter("telegram.bot_api.rate_limited");
        meters.gauge("telegram.outbox.depth", this, o -> o.depth());
        scheduler = new Thread(this::schedule, "telegram-outbox");
        scheduler.setDaemon(true);
        scheduler.start();
    }

    @PreDestroy
    void stop() {
        closed = true;
        hooks.shutdownNow();
        synchronized (this) {
            notifyAll();
        }
    }

    synchronized int depth() {
        return depth;
    }

    /**
     * Queues a call.
     *
     * @param keyed whether the caller gave an idempotency key (then a 5xx or a lost answer is retried)
     */
    public CompletableFuture<JsonNode> submit(String method, ObjectNode payload,
            Map<String, TelegramApi.FilePart> files, boolean keyed) {
        return submit(method, payload, files, keyed, null);
    }

    /**
     * @param beforeSend runs (off the scheduler thread) when the call's turn comes, right before it is sent; false
     *        cancels it (the future fails with {@link Cancelled})
     */
    public CompletableFuture<JsonNode> submit(String method, ObjectNode payload,
            Map<String, TelegramApi.FilePart> files, boolean keyed, java.util.function.BooleanSupplier beforeSend) {
        Long chatId = payload != null && payload.hasNonNull("chat_id") ? chatId(payload.get("chat_id")) : null;
        Job job = new Job(method, payload, files, chatId, limited(method), keyed || method.startsWith("get"),
                beforeSend);
        synchronized (this) {
            if (chatId == null) {
                other.addLast(job);
            } else {
                chats.computeIfAbsent(chatId, c -> new ArrayDeque<>()).addLast(job);
            }
            depth++;
            notifyAll();
        }
        return job.result;
    }

    private static Long chatId(JsonNode id) {
        try {
            return Long.parseLong(id.asText());
        } catch (NumberFormatException e) {
            return null; // a @channelusername: not a chat the limits can key on; sent as another call
        }
    }

    private void schedule() {
        while (!closed) {
            synchronized (this) {
                long now = System.currentTimeMillis();
                long wake = now + 1000;
                if (now >= pausedUntil) {
                    for (Iterator<Job> it = other.iterator(); it.hasNext();) {
                        Job j = it.next();
                        if (j.notBefore <= now) {
                            it.remove();
                            if (j.beforeSend != null && !j.prepared) {
                                prepare(j);
                                continue;
                            }
                            send(j);
                        } else {
                            wake = Math.min(wake, j.notBefore);
                        }
                    }
                    for (Iterator<Map.Entry<Long, ArrayDeque<Job>>> it = chats.entrySet().iterator(); it.hasNext();) {
                        Map.Entry<Long, ArrayDeque<Job>> e = it.next();
                        if (e.getValue().isEmpty()) {
                            if (!busy.contains(e.getKey())) {
                                it.remove();
                            }
                            continue;
                        }
                        if (busy.contains(e.getKey())) {
                            continue;
                        }
                        Job head = e.getValue().peekFirst();
                        if (head.beforeSend != null && !head.prepared && head.notBefore <= now) {
                            // its hook first (an etcd write of varying length); its slot is taken after, when it
                            // can leave at once, so that the hook's delay cannot bunch sends up at Telegram
                            e.getValue().pollFirst();
                            busy.add(e.getKey());
                            prepare(head);
                            continue;
                        }
                        long at = Math.max(head.notBefore, head.limited ? earliest(e.getKey(), now) : now);
                        if (at <= now) {
                            e.getValue().pollFirst();
                            if (head.limited) {
                                take(head, e.getKey(), now);
                            }
                            busy.add(e.getKey());
                            send(head);
                        } else {
                            wake = Math.min(wake, at);
                        }
                    }
                } else {
                    wake = pausedUntil;
                }
                try {
                    long sleep = Math.max(1, wake - System.currentTimeMillis());
                    wait(sleep);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /**
     * The first instant a send to this chat keeps every limit. A send's place in the windows is its answer's time once
     * the answer came (until then, its send time): Telegram counts it on arrival, which lies between the two, so
     * spacing the next send from the answer keeps the limit whatever the network's jitter.
     */
    private long earliest(long chatId, long now) {
        var l = config.limits();
        long margin = l.margin().toMillis();
        long interval = l.chatInterval().toMillis() + margin;
        long at = now;
        double[] b = buckets.get(chatId);
        if (b != null) {
            double tokens = Math.min(l.chatBurst(), b[0] + (now - b[1]) / (double) interval);
            if (tokens < 1) {
                at = Math.max(at, now + (long) Math.ceil((1 - tokens) * interval));
            }
        }
        prune(global, now - 1000 - margin);
        if (global.size() >= l.globalPerSecond()) {
            at = Math.max(at, oldest(global) + 1000 + margin + 1);
        }
        if (chatId < 0) {
            java.util.List<long[]> g = groups.computeIfAbsent(chatId, c -> new java.util.ArrayList<>());
            prune(g, now - 60_000 - margin);
            if (g.size() >= l.groupPerMinute()) {
                at = Math.max(at, oldest(g) + 60_000 + margin + 1);
            }
        }
        return at;
    }

    private void take(Job job, long chatId, long now) {
        var l = config.limits();
        long interval = l.chatInterval().toMillis() + l.margin().toMillis();
        double[] b = buckets.computeIfAbsent(chatId, c -> new double[] { l.chatBurst(), now });
        b[0] = Math.min(l.chatBurst(), b[0] + (now - b[1]) / (double) interval) - 1;
        b[1] = now;
        job.bucket = b;
        long[] slot = { now };
        global.add(slot);
        job.slots.add(slot);
        if (chatId < 0) {
            long[] g = { now };
            groups.computeIfAbsent(chatId, c -> new java.util.ArrayList<>()).add(g);
            job.slots.add(g);
        }
    }

    /** The answer came (or the call failed): its window entries move to now. */
    private void answered(Job job) {
        long now = System.currentTimeMillis();
        job.slots.forEach(s -> s[0] = Math.max(s[0], now));
        if (job.bucket != null && job.bucket[1] < now) {
            // refill from the answer: slower, never faster, than Telegram's own count
            job.bucket[1] = now;
        }
        job.slots.clear();
        job.bucket = null;
    }

    private static void prune(java.util.List<long[]> window, long before) {
        window.removeIf(s -> s[0] <= before);
    }

    private static long oldest(java.util.List<long[]> window) {
        long min = Long.MAX_VALUE;
        for (long[] s : window) {
            min = Math.min(min, s[0]);
        }
        return min;
    }

    /** Whether a call to this chat submitted now would leave at once (nothing queued before it, every limit open). */
    public synchronized boolean wouldSendNow(String method, ObjectNode payload) {
        long now = System.currentTimeMillis();
        if (now < pausedUntil) {
            return false;
        }
        Long chatId = payload != null && payload.hasNonNull("chat_id") ? chatId(payload.get("chat_id")) : null;
        if (chatId == null) {
            return other.isEmpty();
        }
        ArrayDeque<Job> q = chats.get(chatId);
        return (q == null || q.isEmpty()) && !busy.contains(chatId) && (!limited(method)
                || earliest(chatId, now) <= now);
    }

    /** A call whose {@code beforeSend} said no: it was not sent. */
    public static final class Cancelled extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Cancelled(String message) {
            super(message, null, false, false);
        }
    }

    private void prepare(Job job) {
        CompletableFuture.supplyAsync(job.beforeSend::getAsBoolean, hooks).whenCompleteAsync((go, error) -> {
            synchronized (this) {
                if (job.chatId != null) {
                    busy.remove(job.chatId);
                }
                if (error == null && Boolean.TRUE.equals(go)) {
                    job.prepared = true;
                    if (job.chatId == null) {
                        other.addFirst(job);
                    } else {
                        chats.computeIfAbsent(job.chatId, c -> new ArrayDeque<>()).addFirst(job);
                    }
                    notifyAll();
                    return;
                }
                depth--;
                notifyAll();
            }
            job.result.completeExceptionally(new Cancelled(error != null ? "not sent: " + api.redact(
                    error.getMessage()) : "not sent: another process took the call over"));
        }, hooks);
    }

    private void send(Job job) {
        job.attempts++;
        waits.record(System.nanoTime() - job.enqueued, TimeUnit.NANOSECONDS);
        api.call(job.method, job.payload, job.files, config.callTimeout()).whenComplete((result, error) -> done(job,
                result, error));
    }

    private void done(Job job, JsonNode result, Throwable error) {
        synchronized (this) {
            answered(job);
            if (job.chatId != null) {
                busy.remove(job.chatId);
            }
            BotApi.BotApiException e = error instanceof BotApi.BotApiException b ? b : null;
            boolean again = false;
            if (e != null && e.status == 429) {
                rateLimited.increment();
                long pause = 1000L * (e.retryAfter == null ? 1 : Math.max(1, e.retryAfter));
                pausedUntil = Math.max(pausedUntil, System.currentTimeMillis() + pause);
                LOG.warnf("Telegram says too many requests (%s): the bot waits %d s", job.method, pause / 1000);
                again = true; // a 429 was not carried out
            } else if (e != null && (e.status == 0 || e.status >= 500) && job.retrySafe
                    && job.attempts <= MAX_RETRIES) {
                job.notBefore = System.currentTimeMillis() + Math.min(5000, 200L << (job.attempts - 1));
                LOG.infof("%s failed (%s); retrying it (attempt %d)", job.method, e.getMessage(), job.attempts + 1);
                again = true;
            }
            if (again) {
                if (job.chatId == null) {
                    other.addFirst(job);
                } else {
                    chats.computeIfAbsent(job.chatId, c -> new ArrayDeque<>()).addFirst(job);
                }
            } else {
                depth--;
            }
            notifyAll();
            if (again) {
                return;
            }
        }
        if (error != null) {
            job.result.completeExceptionally(error);
        } else {
            job.result.complete(result);
        }
    }
}
