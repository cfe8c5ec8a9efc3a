package io.reside.secretary.alpha;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.etcd.Versioned;
import io.reside.model.error.ResideException;
import io.reside.runtime.ReplicaStarted;
import io.reside.runtime.client.RequirementClients;
import io.reside.telegram.sdk.Conversation;
import io.reside.telegram.sdk.Html;
import io.reside.telegram.sdk.Keyboard;
import io.reside.telegram.sdk.TelegramSdk;
import io.reside.telegram.sdk.Texts;

/**
 * Dynamic permission requests brought to the people who may decide them. Every few seconds the secretary finds who
 * of realm {@code telegram} holds {@code permission-request:decide} on Alpha (asking Alpha as each of them), reads the
 * pending requests as one of them, and sends each new request to each decider's chat with Approve and Reject. The
 * decision, made as the person who pressed, is then shown in every message the request was sent in, also when it was
 * made elsewhere (the CLI). What was sent where is kept in etcd, so a restart forgets no message and sends none again
 * (except one cut between its send and that record: these sends are not keyed, there being no update to key them by).
 * A decider is reached in their private chat once they have talked to this secretary (the telegram replica lets a
 * handler write only to chats it was offered updates from).
 */
@ApplicationScoped
public class PermissionRequests {

    private static final Logger LOG = Logger.getLogger(PermissionRequests.class);
    static final String DECIDE = "permission-request:decide";
    static final Duration DECIDERS_REFRESH = Duration.ofSeconds(10);

    /** One message a request was sent in. */
    @io.quarkus.runtime.annotations.RegisterForReflection // an etcd document
    record Sent(long chatId, int messageId, String language) {
    }

    /**
     * What was sent for one request.
     *
     * @param decided the decision once shown in every message, else null
     */
    @io.quarkus.runtime.annotations.RegisterForReflection // an etcd document
    record Notice(String requestId, String replicaName, List<Sent> sent, String decided) {
    }

    static final DocType<Notice> NOTICE = DocType.of("secretary-permission-notice", Notice.class);

    /** A person who may decide, and where to reach them. */
    record Decider(String userId, long telegramId) {
    }

    @Inject
    Store store;

    @Inject
    TelegramSdk sdk;

    @Inject
    RequirementClients clients;

    private volatile String prefix;
    private volatile List<Decider> deciders = List.of();
    private volatile Instant decidersAt = Instant.EPOCH;
    private final Map<String, String> languages = new ConcurrentHashMap<>();
    private ScheduledExecutorService timer;

    void start(@Observes ReplicaStarted started) {
        prefix = "secretary/" + started.replicaId() + "/permission-requests/";
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "permission-request-notices");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::pass, 2, 1, TimeUnit.SECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** Remembers the language of people who talk to the secretary, for the messages it sends them unasked. */
    void seen(Conversation c) {
        if (c.user() != null && c.user().userId() != null) {
            languages.put(c.user().userId(), c.language());
        }
    }

    private void pass() {
        if (prefix == null) {
            return;
        }
        try {
            if (decidersAt.plus(DECIDERS_REFRESH).isBefore(Instant.now())) {
                deciders = findDeciders();
                decidersAt = Instant.now();
            }
            if (deciders.isEmpty()) {
                return;
            }
            List<AlphaApi.PermissionRequest> all = sdk.as(deciders.get(0).userId(), "alpha", AlphaApi.class)
                    .listPermissionRequests();
            for (AlphaApi.PermissionRequest r : all) {
                Optional<Notice> notice = store.find(NOTICE, prefix + r.id()).map(Versioned::value);
                if ("pending".equals(r.status()) && notice.isEmpty()) {
                    announce(r);
                } else if (!"pending".equals(r.status()) && notice.isPresent() && notice.get().decided() == null) {
                    showDecision(notice.get(), r, null);
                }
            }
        } catch (RuntimeException e) {
            LOG.debugf("permission requests: %s (tried again shortly)", e.getMessage());
        }
    }

    /** The people of realm telegram who hold permission-request:decide on Alpha, asked as each of them. */
    private List<Decider> findDeciders() {
        List<Decider> found = new ArrayList<>();
        UserManagerApi users = clients.client("users", UserManagerApi.class);
        String after = null;
        do {
            UserManagerApi.Page<UserManagerApi.User> page = users.listUsers("telegram", after, 200);
            for (UserManagerApi.User u : page.items()) {
                // the telegram replica names the people it creates tg-<telegram id>
                if (!u.name().startsWith("tg-")) {
                    continue;
                }
                try {
                    boolean decides = sdk.as(u.id(), "alpha", AlphaApi.class).getMyGrants().stream().anyMatch(
                            g -> g.permission().equals(DECIDE) && AlphaBot.IN_FORCE.contains(g.state()));
                    if (decides) {
                        found.add(new Decider(u.id(), Long.parseLong(u.name().substring(3))));
                    }
                } catch (RuntimeException e) {
                    LOG.debugf("cannot ask Alpha as %s: %s", u.id(), e.getMessage());
                }
            }
            after = page.next();
        } while (after != null && !after.isEmpty());
        return found;
    }

    private void announce(AlphaApi.PermissionRequest r) {
        String name;
        try {
            name = sdk.as(deciders.get(0).userId(), "alpha", AlphaApi.class).getReplica(r.replicaId()).name();
        } catch (ResideException e) {
            name = r.replicaId(); // the decider may not read replicas: its id, then
        }
        String replicaName = name;
        List<Sent> sent = new ArrayList<>();
        for (Decider d : deciders) {
            String language = languages.getOrDefault(d.userId(), "en");
            try {
                int id = sdk.send(d.telegramId(), text(language, r, name),
                        Keyboard.of(Keyboard.Button.callback(Texts.text(
                                language, "request.approve"), "pa:" + r.id()),
                                Keyboard.Button.callback(Texts.text(language,
                                        "request.reject"), "pr:" + r.id())));
                sent.add(new Sent(d.telegramId(), id, language));
            } catch (ResideException e) {
                LOG.debugf("cannot bring permission request %s to %s yet (%s)", r.id(), d.userId(), e.getMessage());
            }
        }
        if (sent.isEmpty()) {
            return; // no decider reachable yet (none has talked to this secretary): tried again on the next pass
        }
        store.run(tx -> {
            tx.put(NOTICE, prefix + r.id(), new Notice(r.id(), replicaName, sent, null));
            return null;
        });
    }

    static String text(String language, AlphaApi.PermissionRequest r, String replicaName) {
        return Texts.text(language, "request.text", Html.escape(replicaName), Html.escape(r.permission()),
                Html.escape(r.contract()), r.params() == null || r.params().isEmpty() ? ""
                        : " <code>" + Html.escape(r.params().toString()) + "</code>",
                Html.escape(r.reason() == null || r.reason().isBlank() ? "—" : r.reason()));
    }

    /** Approve ({@code pa:}) or reject ({@code pr:}), as the person who pressed. */
    void decide(Conversation c) {
        boolean approve = c.data().startsWith("pa:");
        String id = c.data().substring(3);
        seen(c);
        if (!AlphaBot.may(c, DECIDE)) {
            return;
        }
        AlphaApi.PermissionRequest r;
        try {
            r = AlphaBot.alpha(c).decidePermissionRequest(new AlphaApi.DecidePermissionRequest(id, approve));
            c.answerCallback(null, false);
        } catch (ResideException.NotAllowedInStateException e) {
            c.answerCallback(Texts.text(c.language(), "request.decided"), true);
            return;
        } catch (ResideException.NotFoundException e) {
            c.answerCallback(Texts.text(c.language(), "request.gone"), true);
            return;
        }
        String by = c.user().username() != null ? "@" + c.user().username() : c.user().firstName();
        store.find(NOTICE, prefix + id).map(Versioned::value).ifPresent(n -> showDecision(n, r, by));
    }

    private void showDecision(Notice n, AlphaApi.PermissionRequest r, String by) {
        for (Sent s : n.sent()) {
            String decision = Texts.text(s.language(), "approved".equals(r.status()) ? "request.approved"
                    : "request.rejected", Html.escape(by != null ? by : r.decidedBy() == null ? "" : r.decidedBy()));
            try {
                sdk.edit(s.chatId(), s.messageId(), text(s.language(), r, n.replicaName()) + "\n\n" + decision,
                        null);
            } catch (ResideException e) {
                LOG.debugf("cannot show the decision in chat %d: %s", s.chatId(), e.getMessage());
            }
        }
        store.run(tx -> {
            tx.put(NOTICE, prefix + n.requestId(), new Notice(n.requestId(), n.replicaName(), n.sent(), r.status()));
            return null;
        });
    }
}
