package io.reside.secretary.alpha;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.etcd.Versioned;
import io.reside.model.error.ResideException;
import io.reside.runtime.ReplicaStarted;
import io.reside.telegram.sdk.Conversation;
import io.reside.telegram.sdk.Html;
import io.reside.telegram.sdk.Keyboard;
import io.reside.telegram.sdk.TelegramSdk;
import io.reside.telegram.sdk.Texts;

/**
 * {@code /load <image>}: the load request is made as the person, and its message then follows the request by itself
 * (validating → the plan with Approve and Reject for people who may approve → running, invalid or rejected). What a
 * message follows is a watch in etcd, so a restarted secretary picks up where it was; a background task polls the
 * watched requests as the person who asked (or who approved, once the version is starting) and edits the message
 * when something changed. A watch ends when its request does, or after an hour.
 */
@ApplicationScoped
public class LoadWatcher {

    private static final Logger LOG = Logger.getLogger(LoadWatcher.class);
    static final Duration WATCH_LIFETIME = Duration.ofHours(1);
    static final String APPROVE = "load-request:approve";

    /**
     * One message following one load request.
     *
     * @param viewer whose rights the watcher reads with: the requester, then the approver
     * @param shown what the message shows now (so it is edited only on a change)
     */
    @io.quarkus.runtime.annotations.RegisterForReflection // an etcd document
    record Watch(String requestId, long chatId, int messageId, String viewer, String language, String shown,
            String replicaId, int versionId, Instant expiresAt) {

        Watch showing(String text) {
            return new Watch(requestId, chatId, messageId, viewer, language, text, replicaId, versionId, expiresAt);
        }

        Watch following(String replica, int version) {
            return new Watch(requestId, chatId, messageId, viewer, language, shown, replica, version, expiresAt);
        }
    }

    static final DocType<Watch> WATCH = DocType.of("secretary-load-watch", Watch.class);

    @Inject
    Store store;

    @Inject
    TelegramSdk sdk;

    private volatile String prefix;
    private ScheduledExecutorService timer;

    void start(@Observes ReplicaStarted started) {
        prefix = "secretary/" + started.replicaId() + "/load-watches/";
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "load-request-watcher");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::pass, 500, 400, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ commands and buttons

    void load(Conversation c) {
        String image = c.args();
        if (image.isEmpty()) {
            c.reply(c.t("load.usage"));
            return;
        }
        if (!AlphaBot.may(c, "load-request:create")) {
            return;
        }
        AlphaApi.LoadRequest request;
        try {
            request = AlphaBot.alpha(c).createLoadRequest(new AlphaApi.CreateLoadRequest(image, null, null, null));
        } catch (ResideException.InvalidInputException e) {
            c.reply(c.t("load.bad", Html.escape(e.getMessage())));
            return;
        }
        String text = c.t("load.validating", Html.escape(image));
        var message = c.reply(text);
        save(new Watch(request.id(), c.chatId(), message.getMessageId(), c.user().userId(), c.language(), text, null,
                0, Instant.now().plus(WATCH_LIFETIME)));
    }

    void approve(Conversation c) {
        String id = c.data().substring(3);
        if (!AlphaBot.may(c, APPROVE)) {
            return;
        }
        // the watch steps aside while this press approves (replicaId ""), so it cannot report the approval first
        var watch = store.find(WATCH, prefix + id).map(Versioned::value);
        watch.ifPresent(w -> save(w.following("", 0)));
        try {
            AlphaApi.Approval a = AlphaBot.alpha(c).approveLoadRequest(new AlphaApi.ApproveLoadRequest(id, null));
            c.answerCallback(c.t("load.approved.short"), false);
            String text = c.t("load.starting", Html.escape(a.loadRequest().plan().name()), a.version().id(),
                    Html.escape(name(c.user())));
            c.edit(text, null);
            watch.ifPresent(w -> save(new Watch(id, w.chatId(), w.messageId(), c.user().userId(), w.language(), text,
                    a.version().replicaId(), a.version().id(), w.expiresAt())));
        } catch (ResideException.NotAllowedInStateException | ResideException.NotFoundException e) {
            watch.ifPresent(this::save);
            c.answerCallback(c.t("load.decided"), true);
        } catch (RuntimeException e) {
            watch.ifPresent(this::save);
            throw e;
        }
    }

    void reject(Conversation c) {
        String id = c.data().substring(3);
        if (!AlphaBot.may(c, APPROVE)) {
            return;
        }
        try {
            AlphaBot.alpha(c).rejectLoadRequest(new AlphaApi.RejectLoadRequest(id, "rejected in Telegram by "
                    + name(c.user())));
            c.answerCallback(null, false);
            c.edit(c.t("load.rejected", Html.escape(name(c.user()))), null);
            forget(id);
        } catch (ResideException.NotAllowedInStateException | ResideException.NotFoundException e) {
            c.answerCallback(c.t("load.decided"), true);
        }
    }

    private static String name(io.reside.contracts.telegram.v1.TelegramApi.TelegramUser u) {
        return u.username() != null ? "@" + u.username() : u.firstName();
    }

    // ------------------------------------------------------------------ the watcher

    private void save(Watch w) {
        store.run(tx -> {
            tx.put(WATCH, prefix + w.requestId(), w);
            return null;
        });
    }

    private void forget(String requestId) {
        store.run(tx -> {
            tx.delete(prefix + requestId);
            return null;
        });
    }

    private void pass() {
        if (prefix == null) {
            return;
        }
        try {
            for (Versioned<Watch> v : store.list(WATCH, prefix)) {
                try {
                    follow(v.value());
                } catch (RuntimeException e) {
                    LOG.debugf("load request %s: %s (tried again shortly)", v.value().requestId(), e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            LOG.debugf("load-request watches unreadable for now: %s", e.getMessage());
        }
    }

    private void follow(Watch w) {
        if (w.expiresAt().isBefore(Instant.now())) {
            forget(w.requestId());
            return;
        }
        AlphaApi alpha = sdk.as(w.viewer(), "alpha", AlphaApi.class);
        String text;
        Keyboard keyboard = null;
        boolean done;
        if ("".equals(w.replicaId())) {
            return; // being approved by a press right now
        }
        if (w.replicaId() != null) {
            // approved: the version on its way to running
            AlphaApi.Version version;
            try {
                version = alpha.listVersions(w.replicaId()).stream().filter(x -> x.id() == w.versionId()).findFirst()
                        .orElse(null);
            } catch (ResideException.PermissionDeniedException e) {
                forget(w.requestId()); // the approver may not see replicas: the message stays at "starting"
                return;
            }
            if (version == null || !List.of("running", "error", "completed").contains(version.status())) {
                return;
            }
            text = w.shown() + "\n" + Texts.text(w.language(), "load.version." + version.status(), w.versionId(),
                    Html.escape(version.statusMessage() == null ? "" : version.statusMessage()));
            done = true;
        } else {
            AlphaApi.LoadRequest r = alpha.getLoadRequest(w.requestId());
            switch (r.status()) {
                case "validating" -> {
                    return;
                }
                case "invalid" -> {
                    text = Texts.text(w.language(), "load.invalid", Html.escape(r.image()), Html.escape(r.error()));
                    done = true;
                }
                case "rejected" -> {
                    text = Texts.text(w.language(), "load.rejected.by", Html.escape(r.image()), Html.escape(
                            r.rejectionReason() == null ? "" : r.rejectionReason()));
                    done = true;
                }
                case "approved" -> {
                    // approved elsewhere (the CLI, another chat): follow the version as the requester
                    text = Texts.text(w.language(), "load.approved.elsewhere", Html.escape(r.image()));
                    done = true;
                }
                default -> {
                    text = plan(w.language(), r);
                    boolean approver = alpha.getMyGrants().stream().anyMatch(g -> g.permission().equals(APPROVE)
                            && AlphaBot.IN_FORCE.contains(g.state()));
                    if (approver) {
                        keyboard = Keyboard.of(Keyboard.Button.callback(Texts.text(w.language(), "load.approve"), "la:"
                                + r.id()), Keyboard.Button.callback(Texts.text(w.language(), "load.reject"),
                                        "lr:"
                                                + r.id()));
                    } else {
                        text = text + "\n\n" + Texts.text(w.language(), "load.needs.approver");
                    }
                    done = false;
                }
            }
        }
        if (!text.equals(w.shown())) {
            sdk.edit(w.chatId(), w.messageId(), text, keyboard);
        }
        if (done) {
            forget(w.requestId());
        } else if (!text.equals(w.shown())) {
            save(w.showing(text));
        }
    }

    /** What approval would do, as the person reads it. */
    static String plan(String language, AlphaApi.LoadRequest r) {
        AlphaApi.Plan p = r.plan();
        StringBuilder html = new StringBuilder(Texts.text(language, "load.plan.head", Html.escape(r.image()),
                Html.escape(p.name()), Texts.text(language, p.update() ? "load.plan.update" : "load.plan.new"),
                Html.escape(p.replicaClass()), p.exclusive() ? "exclusive" : "not exclusive", p.scalable()
                        ? "scalable"
                        : "not scalable"));
        if (!p.requirements().isEmpty()) {
            html.append("\n\n").append(Texts.text(language, "load.plan.requirements"));
            for (Map.Entry<String, AlphaApi.PlannedRequirement> e : p.requirements().entrySet()) {
                AlphaApi.PlannedRequirement q = e.getValue();
                List<String> chosen = q.chosen().stream().map(id -> q.candidates().stream().filter(x -> x.replicaId()
                        .equals(id)).map(AlphaApi.Candidate::name).findFirst().orElse(id)).toList();
                html.append("\n• <b>").append(Html.escape(e.getKey())).append("</b> → ").append(chosen.isEmpty()
                        ? "—"
                        : Html.escape(String.join(", ", chosen))).append(" <code>").append(Html.escape(q.contract()))
                        .append("</code>");
            }
        }
        if (!p.permissions().isEmpty()) {
            html.append("\n\n").append(Texts.text(language, "load.plan.permissions"));
            for (AlphaApi.PlannedPermission g : p.permissions()) {
                html.append("\n• <code>").append(Html.escape(g.permission())).append("</code>").append(g
                        .params() == null || g.params().isEmpty() ? ""
                                : " <code>" + Html.escape(g.params().toString())
                                        + "</code>")
                        .append(" · ").append(Html.escape(g.requirement()));
            }
        }
        return AlphaBot.clipLines(html.toString(), 4000);
    }
}
