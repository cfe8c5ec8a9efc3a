package io.reside.etcd.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import com.google.protobuf.ByteString;

import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.reside.etcd.KeyValue;
import io.reside.etcd.StoreConfig;
import io.reside.etcd.Subscription;
import io.reside.etcd.WatchEvent;
import io.reside.etcd.WatchListener;
import io.reside.etcd.WatchOptions;

/**
 * A watch that never misses nor repeats a change. Every state change runs on the watch's own thread (an actor): gRPC
 * callbacks, the liveness check and re-subscriptions are posted to it, and a callback from a replaced stream is
 * recognised by its generation and ignored.
 * <p>
 * {@code next} is the first revision not yet delivered. A stream that ends or errors is re-created from {@code next}
 * after a short pause; a stream that stays silent longer than {@link StoreConfig#watchSilenceTimeout()} despite
 * progress requests is cancelled and re-created (jetcd's own watch can stay silent forever after an etcd restart);
 * a stream cancelled because {@code next} was compacted triggers a reload of the whole key range, delivered as
 * {@link WatchListener#onReset}. Events below {@code next} are dropped, so a replayed event is never delivered twice.
 */
final class WatchSession implements Subscription {

    private static final Logger LOG = Logger.getLogger(WatchSession.class);
    private static final long MAX_RETRY_DELAY_MS = 1_000;

    private final EtcdStore store;
    private final Connection connection;
    private final Keyspace keys;
    private final StoreConfig config;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService actor;
    private final String description;
    private final ByteString start;
    private final ByteString end;
    private final WatchListener listener;
    private final ScheduledFuture<?> livenessCheck;

    // actor state
    private long next;
    private int generation;
    private ClientCallStreamObserver<WatchRequest> stream;
    private boolean created;
    private long lastMessageNanos;
    private int failures;
    private boolean toldDenied;

    private volatile boolean closed;
    private volatile long delivered;
    private volatile long confirmedNanos;

    WatchSession(EtcdStore store, Connection connection, Keyspace keys, StoreConfig config,
            ScheduledExecutorService scheduler, String keyOrPrefix, WatchOptions options, WatchListener listener) {
        this.store = store;
        this.connection = connection;
        this.keys = keys;
        this.config = config;
        this.scheduler = scheduler;
        this.listener = listener;
        this.description = (options.prefix() ? "prefix '" : "key '") + keyOrPrefix + "'";
        if (options.prefix()) {
            this.start = keys.prefix(keyOrPrefix);
            this.end = Keyspace.rangeEnd(start);
        } else {
            this.start = keys.key(keyOrPrefix);
            this.end = ByteString.EMPTY;
        }
        this.actor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "reside-watch " + description);
            t.setDaemon(true);
            return t;
        });
        long interval = config.watchProgressInterval().toMillis();
        this.livenessCheck = scheduler.scheduleWithFixedDelay(() -> post(this::checkAlive), interval, interval,
                TimeUnit.MILLISECONDS);
        post(() -> {
            if (options.initialSnapshot()) {
                reload();
            } else {
                next = options.startRevision(); // 0: from now on
                subscribe();
            }
        });
    }

    @Override
    public long revision() {
        return delivered;
    }

    @Override
    public long confirmedAtNanos() {
        return confirmedNanos;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        livenessCheck.cancel(false);
        try {
            actor.execute(this::cancelStream);
        } catch (RejectedExecutionException e) {
            // already stopped
        }
        actor.shutdown();
        store.forget(this);
    }

    private void post(Runnable action) {
        if (closed) {
            return;
        }
        try {
            actor.execute(() -> {
                if (!closed) {
                    action.run();
                }
            });
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void subscribe() {
        cancelStream();
        try {
            connection.authenticate();
        } catch (RuntimeException e) {
            retryLater("cannot authenticate: " + e.getMessage());
            return;
        }
        int gen = generation;
        created = false;
        lastMessageNanos = System.nanoTime();
        connection.watchStub().watch(new ClientResponseObserver<WatchRequest, WatchResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
                stream = requestStream;
            }

            @Override
            public void onNext(WatchResponse response) {
                post(() -> onResponse(gen, response));
            }

            @Override
            public void onError(Throwable t) {
                connection.failed(t);
                post(() -> onStreamEnd(gen, t.getMessage()));
            }

            @Override
            public void onCompleted() {
                post(() -> onStreamEnd(gen, "stream closed by etcd"));
            }
        });
        WatchCreateRequest.Builder create = WatchCreateRequest.newBuilder().setKey(start).setStartRevision(next);
        if (!end.isEmpty()) {
            create.setRangeEnd(end);
        }
        stream.onNext(WatchRequest.newBuilder().setCreateRequest(create).build());
    }

    private void onResponse(int gen, WatchResponse response) {
        if (gen != generation) {
            return;
        }
        lastMessageNanos = System.nanoTime();
        if (created || response.getCreated()) {
            confirmedNanos = lastMessageNanos;
        }
        if (response.getCompactRevision() != 0) {
            LOG.infof("watch on %s: revision %d was compacted (compaction at %d); reloading the current state",
                    description, next, response.getCompactRevision());
            cancelStream();
            reload();
            return;
        }
        if (response.getCanceled()) {
            if (response.getCancelReason().contains("permission denied") && !toldDenied) {
                toldDenied = true;
                LOG.errorf("etcd refuses to let user %s watch %s (a replica reads only its own data prefix, its RCB "
                        + "and the shared records it needs: docs/adr/0008); retrying every %d ms in case a role "
                        + "changes", connection.user(), description, MAX_RETRY_DELAY_MS);
            }
            retryLater("etcd cancelled the watch: " + response.getCancelReason());
            return;
        }
        if (response.getCreated()) {
            created = true;
            failures = 0;
            if (next == 0) {
                next = response.getHeader().getRevision() + 1;
                delivered = next - 1;
            }
            return;
        }
        if (response.getEventsCount() == 0) {
            return; // a progress report: only proves the stream is alive
        }
        List<WatchEvent> events = new ArrayList<>(response.getEventsCount());
        long last = next - 1;
        for (Event e : response.getEventsList()) {
            io.etcd.jetcd.api.KeyValue kv = e.getKv();
            if (kv.getModRevision() < next) {
                continue; // already delivered before a re-subscription
            }
            events.add(new WatchEvent(
                    e.getType() == Event.EventType.DELETE ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT,
                    new KeyValue(keys.relative(kv.getKey()), kv.getValue().toByteArray(), kv.getCreateRevision(),
                            kv.getModRevision())));
            last = Math.max(last, kv.getModRevision());
        }
        if (events.isEmpty()) {
            return;
        }
        try {
            listener.onEvents(List.copyOf(events));
        } catch (RuntimeException e) {
            LOG.errorf(e, "the listener of the watch on %s failed on events up to revision %d", description, last);
        }
        next = last + 1;
        delivered = last;
    }

    private void onStreamEnd(int gen, String why) {
        if (gen != generation) {
            return;
        }
        retryLater(why);
    }

    private void checkAlive() {
        if (stream == null) {
            return; // a re-subscription is scheduled
        }
        long silentNanos = System.nanoTime() - lastMessageNanos;
        if (silentNanos > config.watchSilenceTimeout().toNanos()) {
            LOG.infof("watch on %s got no answer for %d ms; re-subscribing from revision %d", description,
                    TimeUnit.NANOSECONDS.toMillis(silentNanos), next);
            retryLater("silent stream");
            return;
        }
        if (created) {
            stream.onNext(WatchRequest.newBuilder()
                    .setProgressRequest(WatchProgressRequest.getDefaultInstance()).build());
        }
    }

    private void retryLater(String why) {
        cancelStream();
        failures++;
        long delay = Math.min(MAX_RETRY_DELAY_MS, 50L << Math.min(failures, 5));
        if (failures == 1) {
            LOG.debugf("watch on %s interrupted (%s); resuming from revision %d in %d ms", description, why, next,
                    delay);
        } else {
            LOG.infof("watch on %s still interrupted (%s, attempt %d); resuming from revision %d in %d ms",
                    description, why, failures, next, delay);
        }
        int gen = generation;
        scheduler.schedule(() -> post(() -> {
            if (gen == generation) {
                subscribe();
            }
        }), delay, TimeUnit.MILLISECONDS);
    }

    private void reload() {
        EtcdStore.Snapshot snapshot;
        try {
            snapshot = store.snapshot(start, end);
        } catch (io.reside.etcd.StoreException e) {
            failures++;
            if (e instanceof io.reside.etcd.EtcdPermissionDeniedException && !toldDenied) {
                toldDenied = true;
                LOG.errorf("watch on %s cannot read its state: %s", description, e.getMessage());
            } else {
                LOG.infof("watch on %s cannot reload yet: %s", description, e.getMessage());
            }
            scheduler.schedule(() -> post(this::reload), Math.min(MAX_RETRY_DELAY_MS, 50L << Math.min(failures, 5)),
                    TimeUnit.MILLISECONDS);
            return;
        }
        try {
            listener.onReset(snapshot.revision(), snapshot.kvs());
        } catch (RuntimeException e) {
            LOG.errorf(e, "the listener of the watch on %s failed on the state at revision %d", description,
                    snapshot.revision());
        }
        next = snapshot.revision() + 1;
        delivered = snapshot.revision();
        confirmedNanos = System.nanoTime();
        subscribe();
    }

    /** Ends the current stream, if any; its late callbacks are ignored from now on. */
    private void cancelStream() {
        generation++;
        if (stream != null) {
            stream.cancel("re-subscribing", null);
            stream = null;
        }
    }
}
