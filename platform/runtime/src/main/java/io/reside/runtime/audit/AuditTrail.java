package io.reside.runtime.audit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.runtime.ShutdownEvent;
import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.etcd.Versioned;
import io.reside.model.audit.AuditApi;
import io.reside.runtime.ReplicaStarted;
import io.reside.runtime.ResideConfig;
import io.reside.runtime.rpc.LogContext;

/**
 * Keeps the audit trail: each entry written to etcd under {@code audit/<replicaId>/} (kept for
 * {@code reside.audit.retention}) and logged on {@code io.reside.audit}, so a log collector has it too. Entries are
 * written by one background thread, after the call was answered: the call does not wait for its audit, and a crash
 * between the answer and the write loses that entry (its access-log line remains).
 */
@ApplicationScoped
public class AuditTrail {

    private static final Logger LOG = Logger.getLogger("io.reside.audit");
    static final DocType<AuditApi.Entry> ENTRY = DocType.of("audit-entry", AuditApi.Entry.class);
    /** Request fields kept as the call's object: identifiers and names. */
    private static final Pattern OBJECT_FIELD = Pattern.compile(
            "(?i)(.*id|id|.*name|image|realm|permission|contract|grantee|status|enabled|reason)");
    /** Never kept, whatever their name says otherwise. */
    private static final Pattern SECRET_FIELD = Pattern.compile("(?i).*(key|token|secret|password|code|delegation|"
            + "credential|proof).*");
    private static final int MAX_VALUE = 200;

    @Inject
    Store store;

    @Inject
    ResideConfig config;

    /**
     * Who may read the trail: a contract's identity and one of its permissions ({@code reside.audit.read-permission}).
     */
    public record ReadPermission(String contract, String permission) {
    }

    private volatile String prefix;
    private volatile ReadPermission readPermission;
    private ExecutorService writer;
    private ScheduledExecutorService pruner;

    void start(@Observes ReplicaStarted started) {
        if (!config.audit().enabled()) {
            return;
        }
        readPermission = config.audit().readPermission().map(AuditTrail::readPermission).orElse(null);
        prefix = "audit/" + started.replicaId() + "/";
        writer = Executors.newSingleThreadExecutor(r -> daemon(r, "reside-audit"));
        pruner = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "reside-audit-pruner"));
        pruner.scheduleWithFixedDelay(this::prune, 1, 10, TimeUnit.MINUTES);
    }

    void stop(@Observes ShutdownEvent event) {
        if (writer != null) {
            writer.shutdown();
            try {
                writer.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            pruner.shutdownNow();
        }
    }

    public boolean enabled() {
        return prefix != null;
    }

    /** The permission reading the trail takes; empty when {@code reside.audit.read-permission} is not set. */
    public java.util.Optional<ReadPermission> readPermission() {
        return java.util.Optional.ofNullable(readPermission);
    }

    /** {@code <contract key>:<permission>}, checked against the contract: refused at start-up when it is not one. */
    static ReadPermission readPermission(String p) {
        int colon = p.indexOf(':');
        if (colon < 1 || colon == p.length() - 1) {
            throw new IllegalStateException("reside.audit.read-permission is <contract key>:<permission> (e.g. "
                    + "alpha.v1:replica:read:all), not '" + p + "'");
        }
        io.reside.model.manifest.ContractManifest contract = io.reside.runtime.Contracts.byKey(p.substring(0, colon));
        if (!contract.permissions().containsKey(p.substring(colon + 1))) {
            throw new IllegalStateException("reside.audit.read-permission: contract " + p.substring(0, colon)
                    + " has no permission '" + p.substring(colon + 1) + "'");
        }
        return new ReadPermission(contract.identity(), p.substring(colon + 1));
    }

    /** Records a served call; {@code request} is its JSON body (or null), of which only identifying fields stay. */
    public void record(String method, String madeBy, String actor, JsonNode request, String outcome, int status,
            String traceId) {
        if (prefix == null) {
            return;
        }
        Instant at = Instant.now();
        long micros = at.getEpochSecond() * 1_000_000L + at.getNano() / 1_000;
        String id = String.format("%019d-%06x", micros, ThreadLocalRandom.current().nextInt(1 << 24));
        AuditApi.Entry entry = new AuditApi.Entry(id, at, method, madeBy, actor, objectOf(request), outcome, status,
                traceId);
        LogContext.logFor(madeBy, actor, traceId, () -> LOG.infof("%s %s by %s%s on %s", method, outcome, madeBy,
                actor == null ? "" : " (actor " + actor + ")", entry.object()));
        try {
            writer.submit(() -> {
                try {
                    store.run(tx -> {
                        tx.put(ENTRY, prefix + id, entry);
                        return null;
                    });
                } catch (RuntimeException e) {
                    LOG.warnf("could not store the audit entry of %s by %s (%s); its log line stays", method, madeBy,
                            e.getMessage());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.warnf("stopping: the audit entry of %s by %s is in the log only", method, madeBy);
        }
    }

    /** The newest entries first, at most {@code limit}, older than {@code before} when given. */
    public AuditApi.Page page(int limit, String before) {
        if (prefix == null) {
            return new AuditApi.Page(List.of(), null);
        }
        List<AuditApi.Entry> all = new ArrayList<>(store.list(ENTRY, prefix).stream().map(Versioned::value)
                .filter(e -> before == null || e.id().compareTo(before) < 0)
                .sorted(Comparator.comparing(AuditApi.Entry::id).reversed()).toList());
        List<AuditApi.Entry> page = all.subList(0, Math.min(limit, all.size()));
        String next = all.size() > limit ? page.get(page.size() - 1).id() : null;
        return new AuditApi.Page(List.copyOf(page), next);
    }

    /** Deletes the entries older than the retention, a hundred per transaction. */
    void prune() {
        try {
            Instant cutoff = Instant.now().minus(config.audit().retention());
            List<String> old = store.list(ENTRY, prefix).stream().filter(v -> v.value().at().isBefore(cutoff))
                    .map(Versioned::key).toList();
            for (int i = 0; i < old.size(); i += 100) {
                List<String> batch = old.subList(i, Math.min(old.size(), i + 100));
                store.run(tx -> {
                    batch.forEach(tx::delete);
                    return null;
                });
            }
            if (!old.isEmpty()) {
                LOG.debugf("pruned %d audit entries older than %s", old.size(), cutoff);
            }
        } catch (RuntimeException e) {
            LOG.warnf("could not prune the audit trail (%s); the next round tries again", e.getMessage());
        }
    }

    /** The request's identifying fields, secrets left out, long values cut. */
    static Map<String, String> objectOf(JsonNode request) {
        Map<String, String> out = new LinkedHashMap<>();
        if (request == null || !request.isObject()) {
            return out;
        }
        request.fields().forEachRemaining(f -> {
            if (!OBJECT_FIELD.matcher(f.getKey()).matches() || SECRET_FIELD.matcher(f.getKey()).matches()
                    || !f.getValue().isValueNode() || f.getValue().isNull()) {
                return;
            }
            String v = f.getValue().asText();
            out.put(f.getKey(), v.length() > MAX_VALUE ? v.substring(0, MAX_VALUE) + "…" : v);
        });
        return out;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

}
