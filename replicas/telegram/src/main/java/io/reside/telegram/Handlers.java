package io.reside.telegram;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.etcd.KeyValue;
import io.reside.etcd.Store;
import io.reside.etcd.Subscription;
import io.reside.etcd.Versioned;
import io.reside.etcd.WatchEvent;
import io.reside.etcd.WatchListener;
import io.reside.etcd.WatchOptions;
import io.reside.model.error.ResideException;
import io.reside.runtime.PermissionChecks;

/** The registered handlers, kept in etcd and watched (so every instance of the replica sees the same list). */
@ApplicationScoped
public class Handlers {

    private static final Logger LOG = Logger.getLogger(Handlers.class);
    private static final int DEFAULT_ORDER = 100;
    private static final int DEFAULT_TIMEOUT = 5000;

    @Inject
    Store store;

    @Inject
    PermissionChecks checks;

    private volatile Records.Keys keys;
    private volatile List<TelegramApi.Handler> all = List.of();
    private Subscription watch;

    void start(Records.Keys k) {
        this.keys = k;
        refresh();
        watch = store.watch(k.handlers(), WatchOptions.forPrefix(), new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                refresh();
            }

            @Override
            public void onReset(long revision, List<KeyValue> state) {
                refresh();
            }
        });
    }

    void stop() {
        if (watch != null) {
            watch.close();
        }
    }

    private void refresh() {
        try {
            all = store.list(Records.HANDLER, keys.handlers()).stream().map(Versioned::value)
                    .sorted(Comparator.comparingInt(TelegramApi.Handler::order)
                            .thenComparing(TelegramApi.Handler::name))
                    .toList();
        } catch (RuntimeException e) {
            LOG.warnf("cannot read the handlers (%s); keeping the last list", e.getMessage());
        }
    }

    List<TelegramApi.Handler> all() {
        return all;
    }

    /**
     * The enabled handlers that asked for this update type, in the order they are offered it. A handler whose owner no
     * longer holds {@code handler:setup} for it (its replica was unloaded: Alpha purged its grants) gets nothing.
     */
    List<TelegramApi.Handler> offeredTo(String updateType) {
        return all.stream().filter(h -> h.enabled() && h.allowedUpdates().contains(updateType) && inForce(h))
                .toList();
    }

    /** The enabled handlers the account owns (and may still run). */
    List<TelegramApi.Handler> ownedBy(String accountId) {
        return all.stream().filter(h -> h.enabled() && h.ownerAccountId().equals(accountId) && inForce(h)).toList();
    }

    private boolean inForce(TelegramApi.Handler h) {
        return checks.isGranted(h.ownerAccountId(), TelegramApi.class, "handler:setup", h.name());
    }

    /** The update types some enabled handler asked for: what getUpdates asks Telegram for. */
    List<String> allowedUpdates() {
        return all.stream().filter(TelegramApi.Handler::enabled).flatMap(h -> h.allowedUpdates().stream()).distinct()
                .sorted().toList();
    }

    TelegramApi.Handler register(String caller, TelegramApi.RegisterHandler r) {
        TelegramApi.Handler saved = store.run(tx -> {
            TelegramApi.Handler h = new TelegramApi.Handler(r.name(), caller, true, List.copyOf(r.allowedUpdates()),
                    r.displayInfo() == null ? Map.of() : Map.copyOf(r.displayInfo()),
                    r.order() == null ? DEFAULT_ORDER : r.order(),
                    r.timeoutMillis() == null ? DEFAULT_TIMEOUT : r.timeoutMillis(), Map.copyOf(r.endpoints()),
                    r.instance(), Instant.now());
            tx.put(Records.HANDLER, keys.handler(r.name()), h);
            return h;
        });
        LOG.infof("handler %s registered by %s for %s (order %d, timeout %d ms)", saved.name(), caller,
                saved.allowedUpdates(), saved.order(), saved.timeoutMillis());
        refresh();
        return saved;
    }

    TelegramApi.Handler setEnabled(TelegramApi.SetHandlerEnabled r) {
        TelegramApi.Handler saved = store.run(tx -> {
            TelegramApi.Handler h = tx.find(Records.HANDLER, keys.handler(r.name()))
                    .orElseThrow(() -> new ResideException.NotFoundException("no handler '" + r.name()
                            + "': register it first"));
            if (!r.enabled() && r.instance() != null && !r.instance().equals(h.instance())) {
                return h; // a newer process of the owner registered since: it stays enabled
            }
            TelegramApi.Handler changed = new TelegramApi.Handler(h.name(), h.ownerAccountId(), r.enabled(),
                    h.allowedUpdates(), h.displayInfo(), h.order(), h.timeoutMillis(), h.endpoints(), h.instance(),
                    h.registeredAt());
            tx.put(Records.HANDLER, keys.handler(r.name()), changed);
            return changed;
        });
        refresh();
        return saved;
    }
}
