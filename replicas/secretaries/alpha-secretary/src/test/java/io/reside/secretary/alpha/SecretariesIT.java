package io.reside.secretary.alpha;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.telegram.telegrambots.meta.api.objects.User;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.buttons.InlineKeyboardButton;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.harness.LocalCluster;
import io.reside.runtime.Contracts;
import io.reside.telegram.simulator.HeadlessChromium;
import io.reside.telegram.simulator.TelegramSimulator;
import io.reside.testing.OtlpReceiver;

/**
 * The secretaries end to end, across processes: Alpha, the User Manager, the telegram replica and both secretaries,
 * each loaded by Alpha from its image; people talk to the bot through the Bot API simulator. The story of SPEC 7: a
 * newcomer sees their profile and is told what they lack, an administrator grants it step by step in another chat,
 * the newcomer sees the cluster, the administrator loads a replica from Telegram, and a revocation takes effect.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretariesIT {

    static final String ALPHA = Contracts.of(AlphaApi.class).identity();
    static final String UM = Contracts.of(UserManagerApi.class).identity();
    static final Duration WAIT = Duration.ofSeconds(30);

    static TelegramSimulator sim;
    static AlphaApi.Replica um;
    static OtlpReceiver traces;
    static LocalCluster cluster;
    static UserManagerApi users;
    static User admin;
    static User nina;
    static volatile boolean failed;
    static volatile boolean started;

    @RegisterExtension
    static final TestWatcher WATCHER = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            failed = true;
        }
    };

    static Path app(String name) {
        return Path.of(System.getProperty("reside." + name + ".app"));
    }

    @BeforeAll
    static void start() {
        sim = TelegramSimulator.start();
        traces = OtlpReceiver.start();
        // tracing on: Alpha exports its own spans and gives every replica the collector's address
        // and JSON logs, as in a cluster
        cluster = LocalCluster.start(app("alpha"), java.util.Map.of("ALPHA_TELEMETRY_OTLP_ENDPOINT", traces.endpoint(),
                "QUARKUS_OTEL_SDK_DISABLED", "false", "QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces
                        .endpoint(),
                "ALPHA_LOCAL_JSON_LOGS", "true"));
        cluster.secret("telegram", java.util.Map.of("TELEGRAM_BOT_TOKEN", sim.token(), "TELEGRAM_API_URL", sim
                .baseUrl(), "TELEGRAM_POLL_TIMEOUT", "5s"));
        um = cluster.load(cluster.push(app("user-manager"), "1"));
        users = cluster.client(UserManagerApi.class, um, cluster.operator());
        users.register(); // the operator, super-admin since the claim
        cluster.load(cluster.push(app("telegram"), "1"));
        cluster.load(cluster.push(app("user-manager-secretary"), "1"));
        cluster.load(cluster.push(app("alpha-secretary"), "1"));
        cluster.load(cluster.push(Path.of(System.getProperty("reside.it.provider")), "1"));
        awaitLog("telegram-1.log", "handler user-manager-secretary registered");
        awaitLog("telegram-1.log", "handler alpha-secretary registered");

        // the administrator in Telegram: the operator gives their Telegram user what running the cluster takes (what
        // `reside dev` does for the operator's own chat)
        admin = sim.createUser("Root", "root", "en");
        say(admin, "/profile");
        reply(admin, "Your profile");
        String adminId = resideUser(admin).id();
        for (String p : List.of("replica:read:all", "load-request:create", "load-request:approve",
                "permission-request:decide")) {
            users.grantPermission(new UserManagerApi.GrantPermission(adminId, ALPHA, p, null));
        }
        users.grantPermission(new UserManagerApi.GrantPermission(adminId, UM, "user:permission:manage:all", null));
        started = true;
    }

    @AfterAll
    static void stop() throws Exception {
        if ((failed || !started) && cluster != null) {
            cluster.printLogs(60, "telegram-1.log", "user-manager-secretary-1.log", "alpha-secretary-1.log");
        }
        if (cluster != null) {
            cluster.close();
        }
        if (sim != null) {
            sim.close();
        }
        if (traces != null) {
            traces.close();
        }
    }

    static void awaitLog(String name, String text) {
        LocalCluster.awaitCondition(name + " says '" + text + "'", WAIT, () -> {
            try {
                Path p = cluster.alphaState().resolve("logs/" + name);
                return Files.exists(p) ? Files.readString(p) : "";
            } catch (IOException e) {
                return "";
            }
        }, l -> l.contains(text));
    }

    static void say(User u, String text) {
        sim.sendText(u.getId(), u.getId(), text);
    }

    /** The bot's n-th message in the person's chat that matches, waited for. */
    static TelegramSimulator.ChatMessage reply(User u, Predicate<TelegramSimulator.ChatMessage> match, int nth) {
        List<TelegramSimulator.ChatMessage> got = sim.awaitBotMessages(u.getId(), nth, match, WAIT);
        assertThat(got).as("message " + nth + " to " + u.getFirstName() + " matching").hasSizeGreaterThanOrEqualTo(
                nth);
        return got.get(nth - 1);
    }

    /** The next bot message (after those already there) containing {@code text}. */
    static TelegramSimulator.ChatMessage reply(User u, String text) {
        Predicate<TelegramSimulator.ChatMessage> match = m -> m.text() != null && m.text().contains(text);
        int before = (int) sim.botMessages(u.getId()).stream().filter(match).count();
        return reply(u, match, before + 1);
    }

    static TelegramSimulator.ChatMessage now(User u, int messageId) {
        return sim.messages(u.getId()).stream().filter(m -> m.messageId() == messageId).findFirst().orElseThrow();
    }

    /** Waits until the message shows {@code text} (it is edited in place). */
    static TelegramSimulator.ChatMessage awaitEdit(User u, int messageId, String text) {
        return LocalCluster.awaitCondition("message " + messageId + " shows '" + text + "'", WAIT, () -> now(u,
                messageId), m -> m.text() != null && m.text().contains(text));
    }

    static List<InlineKeyboardButton> buttons(TelegramSimulator.ChatMessage m) {
        return m.message().getReplyMarkup() == null ? List.of()
                : m.message().getReplyMarkup().getKeyboard().stream().flatMap(List::stream).toList();
    }

    /** Presses the button whose label contains {@code label}, and returns the bot's answer to the press. */
    static TelegramSimulator.CallbackAnswer press(User u, TelegramSimulator.ChatMessage m, String label) {
        InlineKeyboardButton b = buttons(m).stream().filter(x -> x.getText().contains(label)).findFirst().orElseThrow(
                () -> new AssertionError("no button '" + label + "' in " + buttons(m).stream().map(
                        InlineKeyboardButton::getText).toList()));
        String id = sim.press(u.getId(), u.getId(), m.messageId(), b.getCallbackData());
        return LocalCluster.awaitCondition("the press of '" + label + "' is answered", WAIT, () -> sim.callbackAnswer(
                id), Optional::isPresent).get();
    }

    static UserManagerApi.User resideUser(User u) {
        return LocalCluster.awaitCondition("the ReSide user of " + u.getFirstName(), WAIT, () -> users.listUsers(
                "telegram", null, 500).items().stream().filter(x -> x.name().equals("tg-" + u.getId())).findFirst(),
                Optional::isPresent).get();
    }

    /** Asks for /replicas until the answer is the picture (a grant takes a moment to reach Alpha). */
    static TelegramSimulator.ChatMessage awaitGraph(User u, String caption) {
        return LocalCluster.awaitCondition(u.getFirstName() + "'s /replicas shows '" + caption + "'", WAIT, () -> {
            say(u, "/replicas");
            TelegramSimulator.ChatMessage m = reply(u, m2 -> true, sim.botMessages(u.getId()).size() + 1);
            return m;
        }, m -> m.message().getPhoto() != null && m.text().contains(caption));
    }

    @Test
    @Order(1)
    void theStory() {
        nina = sim.createUser("Nina <&>", "nina", "en");
        // a newcomer: their ids, and nothing beyond the defaults
        say(nina, "/profile");
        TelegramSimulator.ChatMessage profile = reply(nina, "Your profile");
        UserManagerApi.User ninaUser = resideUser(nina);
        assertThat(profile.text()).contains("<code>" + nina.getId() + "</code> @nina", "<code>" + ninaUser.id()
                + "</code>", "<code>" + ninaUser.accountId() + "</code>", "Realm: <b>telegram</b>",
                "no permissions beyond the defaults");
        // not allowed to see the replicas: told what is missing and how to get it
        say(nina, "/replicas");
        assertThat(reply(nina, "You need").text()).isEqualTo("You need <code>replica:read:all</code> on Alpha. Ask an "
                + "administrator to grant it with /grant.");

        // the administrator grants it, step by step
        say(admin, "/grant");
        TelegramSimulator.ChatMessage dialogue = reply(admin, "whom?");
        press(admin, dialogue, "Nina <&> @nina");
        dialogue = awaitEdit(admin, dialogue.messageId(), "which contract?");
        press(admin, dialogue, "Alpha");
        dialogue = awaitEdit(admin, dialogue.messageId(), "which permission of <b>Alpha</b>?");
        press(admin, dialogue, "replica:read:all");
        dialogue = awaitEdit(admin, dialogue.messageId(), "Grant <b>See replicas</b>");
        assertThat(dialogue.text()).as("names are escaped").contains("to <b>Nina &lt;&amp;&gt; @nina</b>?");
        press(admin, dialogue, "Grant");
        awaitEdit(admin, dialogue.messageId(), "Granted: <b>See replicas</b> (<code>replica:read:all</code>)");

        // now the picture, with a button per replica; a card opens in its place and goes back
        TelegramSimulator.ChatMessage graph = awaitGraph(nina, "6 running");
        assertThat(graph.text()).contains("<b>Replicas</b>: 6, 6 running");
        assertThat(buttons(graph)).extracting(InlineKeyboardButton::getText).containsExactlyInAnyOrder("Alpha",
                "User Manager", "Telegram", "User Manager secretary", "Alpha secretary", "Provider");
        press(nina, graph, "User Manager secretary");
        TelegramSimulator.ChatMessage card = awaitEdit(nina, graph.messageId(), "name <code>user-manager-secretary"
                + "</code>");
        assertThat(card.text()).contains("<b>User Manager secretary</b>", "Version 1: <b>running</b>",
                "exclusive: yes", "• Act as users of telegram <code>user:impersonate:realm</code> → user-manager",
                "• Handler user-manager-secretary <code>handler:setup</code> → telegram");
        assertThat(card.message().getPhoto()).as("the picture stays").isNotNull();
        press(nina, card, "Back");
        graph = awaitEdit(nina, graph.messageId(), "<b>Replicas</b>: 6");
        press(nina, graph, "Alpha");
        assertThat(awaitEdit(nina, graph.messageId(), "name <code>alpha</code>").text()).contains(
                "No permissions granted.");
        press(nina, now(nina, graph.messageId()), "Back");
        awaitEdit(nina, graph.messageId(), "<b>Replicas</b>: 6");

        // the administrator loads a replica from Telegram: the plan, Approve, running
        String consumer = cluster.push(Path.of(System.getProperty("reside.it.consumer")), "1");
        say(admin, "/load " + consumer);
        TelegramSimulator.ChatMessage load = reply(admin, "Checking");
        load = awaitEdit(admin, load.messageId(), "Name: <b>consumer</b> (a new replica)");
        assertThat(load.text()).contains("<b>echo</b> → provider", "<code>echo:call</code>");
        press(admin, load, "Approve");
        awaitEdit(admin, load.messageId(), "Version 1 is <b>running</b>.");
        awaitGraph(nina, "<b>Replicas</b>: 7");

        // the administrator takes the permission back: refused again
        say(admin, "/revoke");
        dialogue = reply(admin, "from whom?");
        press(admin, dialogue, "Nina");
        dialogue = awaitEdit(admin, dialogue.messageId(), "which permission of");
        press(admin, dialogue, "See replicas");
        dialogue = awaitEdit(admin, dialogue.messageId(), "Revoke <b>See replicas</b>");
        press(admin, dialogue, "Revoke");
        awaitEdit(admin, dialogue.messageId(), "Revoked:");
        long revoked = System.nanoTime();
        String refused = LocalCluster.awaitCondition("Nina is refused again", WAIT, () -> {
            say(nina, "/replicas");
            return reply(nina, m -> true, sim.botMessages(nina.getId()).size() + 1).text();
        }, t -> t.contains("You need"));
        System.out.printf("refused again %d ms after the revocation was confirmed%n", (System.nanoTime() - revoked)
                / 1_000_000);
        assertThat(refused).contains("<code>replica:read:all</code>");
    }

    /** The next bot message in the person's chat, after sending {@code text}. */
    static TelegramSimulator.ChatMessage ask(User u, String text) {
        int before = sim.botMessages(u.getId()).size();
        say(u, text);
        return reply(u, m -> true, before + 1);
    }

    @Test
    @Order(2)
    void inRussianAParametrisedGrantGoesThroughTheParamsFormAndOpensTheUserList() {
        User ivan = sim.createUser("Иван", "ivan", "ru");
        assertThat(ask(ivan, "/profile").text()).contains("<b>Ваш профиль</b>", "Область: <b>telegram</b>",
                "нет прав сверх тех, что по умолчанию");
        assertThat(ask(ivan, "/users").text())
                .isEqualTo("Нужно право <code>user:read:all</code> в «Менеджер пользователей». "
                        + "Попросите администратора выдать его командой /grant.");
        assertThat(sim.commandMenu("ru")).extracting(c -> c.getCommand() + ": " + c.getDescription())
                .contains("profile: Кто вы здесь и что вам можно", "replicas: Реплики кластера картинкой");

        // user:read:realm takes a realm: typed, checked against the schema, asked again when wrong
        say(admin, "/grant @ivan");
        TelegramSimulator.ChatMessage dialogue = reply(admin, "which contract?");
        press(admin, dialogue, "User Manager");
        dialogue = awaitEdit(admin, dialogue.messageId(), "which permission of <b>User Manager</b>?");
        press(admin, dialogue, "user:read:realm");
        awaitEdit(admin, dialogue.messageId(), "<b>realm</b> (1 of 1): send the value as a message.");
        assertThat(ask(admin, "Bad Realm!").text()).startsWith("Not accepted: params.realm");
        reply(admin, "send the value as a message"); // asked again
        say(admin, "telegram");
        TelegramSimulator.ChatMessage confirm = reply(admin, "Grant <b>See users of telegram</b>");
        assertThat(confirm.text()).contains("(<code>user:read:realm</code>) · User Manager to <b>Иван @ivan</b>?");
        press(admin, confirm, "Grant");
        awaitEdit(admin, confirm.messageId(), "Granted: <b>See users of telegram</b>");

        // Ivan now lists the users of realm telegram, in Russian
        String list = LocalCluster.awaitCondition("Ivan lists realm telegram", WAIT, () -> ask(ivan, "/users").text(),
                t -> t.startsWith("<b>Пользователи области telegram</b>"));
        assertThat(list).contains("<b>tg-" + ivan.getId() + "</b> · telegram", "<b>tg-" + nina.getId() + "</b>");

        // a long list comes a page at a time
        for (int i = 0; i < 7; i++) {
            User extra = sim.createUser("Extra" + i, null, "en");
            assertThat(ask(extra, "/profile").text()).contains("Your profile");
        }
        TelegramSimulator.ChatMessage page = ask(ivan, "/users");
        assertThat(page.text().split("\n• ")).as("a head and 8 users").hasSize(9);
        press(ivan, page, "Дальше");
        int listId = page.messageId();
        page = LocalCluster.awaitCondition("the second page", WAIT, () -> now(ivan, listId), m -> buttons(m).stream()
                .anyMatch(b -> b.getText().contains("В начало")));
        assertThat(page.text().split("\n• ")).as("the other 2 of 10").hasSize(3);

        // granting it again changes nothing, and says so; this time Ivan is named by forwarding what he wrote
        say(ivan, "hello");
        int hello = LocalCluster.awaitCondition("Ivan's hello", WAIT, () -> sim.messages(ivan.getId()).stream()
                .filter(m -> !m.fromBot() && "hello".equals(m.message().getText())).findFirst(), Optional::isPresent)
                .get().messageId();
        int forwarded = sim.forward(admin.getId(), admin.getId(), ivan.getId(), hello);
        int before = (int) sim.botMessages(admin.getId()).stream().filter(m -> m.text().contains("which contract?"))
                .count();
        sim.sendText(admin.getId(), admin.getId(), "/grant", forwarded);
        dialogue = reply(admin, m -> m.text().contains("which contract?"), before + 1);
        assertThat(dialogue.text()).contains("Иван @ivan");
        press(admin, dialogue, "User Manager");
        dialogue = awaitEdit(admin, dialogue.messageId(), "which permission of");
        press(admin, dialogue, "user:read:realm");
        awaitEdit(admin, dialogue.messageId(), "send the value as a message");
        say(admin, "telegram");
        confirm = reply(admin, "Grant <b>See users of telegram</b>");
        press(admin, confirm, "Grant");
        awaitEdit(admin, confirm.messageId(), "Иван @ivan already had <b>See users of telegram</b>");
        assertThat(users.listUserGrants(resideUser(ivan).id())).filteredOn(g -> g.via().equals("own")).hasSize(1);
    }

    @Test
    @Order(3)
    void aStaleButtonGetsAnAlertAndLoadsEndInvalidOrRejected() {
        // a newer dialogue replaces the older one: the older one's buttons change nothing
        say(admin, "/grant @nina");
        TelegramSimulator.ChatMessage first = reply(admin, "which contract?");
        say(admin, "/grant @nina");
        TelegramSimulator.ChatMessage second = reply(admin, "which contract?");
        assertThat(press(admin, first, "Alpha")).isEqualTo(new TelegramSimulator.CallbackAnswer(
                "This dialogue is over or has expired: start again.", true));
        assertThat(now(admin, first.messageId()).text()).as("unchanged").isEqualTo(first.text());
        press(admin, second, "Cancel");
        awaitEdit(admin, second.messageId(), "Cancelled: nothing changed.");

        // an image that is not in the registry: invalid, with the reason
        TelegramSimulator.ChatMessage nope = ask(admin, "/load localhost:5000/reside/replicas/nope:1");
        assertThat(nope.text()).contains("Checking");
        awaitEdit(admin, nope.messageId(), "❌ <code>localhost:5000/reside/replicas/nope:1</code> cannot be loaded:");

        // someone who may ask for loads but not approve them sees the plan without the buttons, until it is rejected
        String ninaId = resideUser(nina).id();
        users.grantPermission(new UserManagerApi.GrantPermission(ninaId, ALPHA, "load-request:create", null));
        String consumer = cluster.push(Path.of(System.getProperty("reside.it.consumer")), "2");
        TelegramSimulator.ChatMessage asked = LocalCluster.awaitCondition("Nina may request loads", WAIT,
                () -> ask(nina, "/load " + consumer), m -> m.text().contains("Checking"));
        TelegramSimulator.ChatMessage plan = awaitEdit(nina, asked.messageId(), "Waiting for someone with <code>"
                + "load-request:approve</code>");
        assertThat(plan.text()).contains("Name: <b>consumer</b> (an update of it)");
        assertThat(buttons(plan)).isEmpty();
        AlphaApi.LoadRequest pending = cluster.alpha().listLoadRequests().stream().filter(r -> r.image().equals(
                consumer) && r.status().equals("requires-approval")).findFirst().orElseThrow();
        cluster.alpha().rejectLoadRequest(new AlphaApi.RejectLoadRequest(pending.id(), "not today"));
        awaitEdit(nina, asked.messageId(), "was rejected: not today");
    }

    static final String LAST_BOT = "[...document.querySelectorAll('.msg.bot')].pop()";
    static final String BOTTOM = "(() => { const box = document.getElementById('messages'); "
            + "box.scrollTop = box.scrollHeight; return true; })()";

    @Test
    @Order(4)
    void theChatPageShowsTheGraphAndACard() throws Exception {
        try (HeadlessChromium browser = new HeadlessChromium(1100, 1300)) {
            browser.navigate(sim.baseUrl() + "/");
            browser.await(() -> browser.evaluate("document.querySelectorAll('#users li').length").asInt() >= 3,
                    WAIT, "the people are listed");
            browser.evaluate("[...document.querySelectorAll('#users li')].find(li => li.textContent.startsWith("
                    + "'Root')).click(); true");
            browser.await(() -> !browser.evaluate("document.getElementById('composer').hidden").asBoolean(), WAIT,
                    "Root's chat opens");
            int before = browser.evaluate("document.querySelectorAll('.msg.bot img').length").asInt();
            browser.evaluate("document.getElementById('text').value = '/replicas';"
                    + "document.getElementById('send').click(); true");
            browser.await(() -> browser.evaluate("document.querySelectorAll('.msg.bot img').length").asInt() > before
                    && browser.evaluate(LAST_BOT + ".querySelector('img').complete").asBoolean(),
                    WAIT, "the picture of the graph");
            browser.evaluate(BOTTOM);
            Path graphShot = Path.of("target", "secretary-replicas.png");
            browser.screenshot(graphShot);
            assertThat(Files.size(graphShot)).isGreaterThan(20_000);
            browser.evaluate("[..." + LAST_BOT + ".querySelectorAll('.keyboard button')].find(b => b.textContent === "
                    + "'Telegram').click(); true");
            browser.await(() -> browser.evaluate(LAST_BOT + ".innerText").asText().contains("Granted:"), WAIT,
                    "the card of the telegram replica");
            browser.evaluate(BOTTOM);
            Path cardShot = Path.of("target", "secretary-card.png");
            browser.screenshot(cardShot);
            assertThat(Files.size(cardShot)).isGreaterThan(20_000);
        }
    }

    @Test
    @Order(5)
    void aReplicasPermissionRequestReachesTheDeciderWhoApprovesItInTheChat() {
        AlphaApi.Replica consumer = cluster.alpha().getReplica("consumer");
        AlphaApi asConsumer = cluster.alphaAs(cluster.keyOf(consumer));
        AlphaApi.PermissionRequest asked = asConsumer.requestPermission(new AlphaApi.RequestPermission(
                "localhost:5000/reside/contracts/echo.v1", "echo:call", null, "to keep calling <if> the grant goes"));
        TelegramSimulator.ChatMessage notice = reply(admin, "asks for <code>echo:call</code>");
        assertThat(notice.text()).contains("Replica <code>consumer</code>",
                "Why: to keep calling &lt;if&gt; the grant goes");
        press(admin, notice, "Approve");
        awaitEdit(admin, notice.messageId(), "✅ Approved by @root.");
        assertThat(cluster.alpha().listPermissionRequests()).filteredOn(r -> r.id().equals(asked.id()))
                .extracting(AlphaApi.PermissionRequest::status).containsExactly("approved");
        assertThat(buttons(now(admin, notice.messageId()))).as("decided: no more buttons").isEmpty();
    }

    @Test
    @Order(6)
    void contractsAndPermissionsAreListedWithTheirCards() {
        TelegramSimulator.ChatMessage list = ask(admin, "/contracts");
        assertThat(list.text()).contains("<b>Contracts</b> (5):", "<b>Alpha</b> <code>" + ALPHA + "</code>");
        press(admin, list, "User Manager");
        TelegramSimulator.ChatMessage card = awaitEdit(admin, list.messageId(), "<b>Methods:</b>");
        assertThat(card.text()).contains("<code>grantPermission</code>", "<code>user:permission:manage:all</code>",
                "<b>Permissions:</b>");
        press(admin, card, "Back");
        awaitEdit(admin, list.messageId(), "<b>Contracts</b> (5):");
        String all = ask(admin, "/permissions").text();
        assertThat(all).contains("<b>Permissions</b>", "<b>Alpha</b>", "<code>replica:read:all</code> See replicas",
                "<code>user:read:realm {realm}</code>");
        // refused without replica:read:all, in a pressed button too
        assertThat(ask(nina, "/contracts").text()).contains("You need <code>replica:read:all</code> on Alpha.");
    }

    /**
     * One /replicas message is one trace: the telegram replica's span for the update, the User Manager making the
     * newcomer a user, the secretary handling the message, and Alpha answering as the person (SPEC 5.9). A newcomer,
     * so that nothing is answered from a cache.
     */
    @Test
    @Order(7)
    void oneMessageIsOneTraceThroughTelegramTheSecretaryTheUserManagerAndAlpha() {
        User tracy = sim.createUser("Tracy", "tracy", "en");
        say(tracy, "/replicas");
        reply(tracy, m -> true, 1);
        String chat = Long.toString(tracy.getId());
        List<OtlpReceiver.Span> trace = LocalCluster.awaitCondition("one trace of Tracy's /replicas with spans of "
                + "telegram, alpha-secretary, user-manager and alpha", Duration.ofSeconds(40), () -> traceOf(chat),
                t -> t.stream().map(SecretariesIT::who).collect(java.util.stream.Collectors.toSet()).containsAll(
                        List.of("telegram", "alpha-secretary", "user-manager", "alpha")));
        OtlpReceiver.Span update = trace.stream().filter(x -> x.name().startsWith("telegram update")).findFirst()
                .orElseThrow();
        assertThat(update.parentSpanId()).as("the update starts the trace").isEmpty();
        assertThat(update.attributes()).containsKey("telegram.update_id");
        // every other span descends from it: its parent is a span of the same trace
        java.util.Set<String> ids = trace.stream().map(OtlpReceiver.Span::spanId).collect(java.util.stream.Collectors
                .toSet());
        assertThat(trace).filteredOn(x -> x != update).allSatisfy(x -> assertThat(ids).as(x.name() + " of "
                + who(x)).contains(x.parentSpanId()));
        // a call between replicas is a client span of the caller and a server span of the callee (kind 3 and 2)
        assertThat(trace).anySatisfy(x -> {
            assertThat(who(x)).isEqualTo("alpha-secretary");
            assertThat(x.kind()).isEqualTo(3);
            assertThat(x.name()).contains("/rpc/alpha.v1/");
        });
        assertThat(trace).anySatisfy(x -> {
            assertThat(who(x)).isEqualTo("alpha");
            assertThat(x.kind()).isEqualTo(2);
            assertThat(x.name()).contains("/rpc/alpha.v1/");
        });
    }

    /** The spans of the trace that the update of this chat started (empty until it arrived). */
    static List<OtlpReceiver.Span> traceOf(String chat) {
        List<OtlpReceiver.Span> all = traces.spans();
        return all.stream().filter(x -> x.name().startsWith("telegram update") && chat.equals(x.attributes().get(
                "telegram.chat_id"))).findFirst().map(u -> all.stream().filter(x -> x.traceId().equals(u.traceId()))
                        .toList())
                .orElse(List.of());
    }

    /** The replica a span comes from: its resource's reside.replica (given by Alpha), Alpha by its service name. */
    static String who(OtlpReceiver.Span span) {
        String replica = span.resource().get("reside.replica");
        return replica != null ? replica : span.service().equals("reside-alpha") ? "alpha" : span.service();
    }

    /** Every metric the Grafana dashboard (k8s/grafana/reside.json) charts is one the running replicas serve. */
    @Test
    @Order(8)
    void theDashboardChartsMetricsTheReplicasServe() throws Exception {
        java.nio.file.Path dir = java.nio.file.Path.of("").toAbsolutePath();
        while (!java.nio.file.Files.isRegularFile(dir.resolve("k8s/grafana/reside.json"))) {
            dir = dir.getParent();
        }
        String dashboard = java.nio.file.Files.readString(dir.resolve("k8s/grafana/reside.json"));
        java.util.Set<String> charted = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([a-z_][a-z0-9_]*)\\{").matcher(
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(dashboard).findValuesAsText("expr")
                        .toString());
        while (m.find()) {
            charted.add(m.group(1));
        }
        assertThat(charted).as("metrics in the dashboard").hasSizeGreaterThan(8);
        java.util.Set<String> served = new java.util.TreeSet<>();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        List<String> urls = new java.util.ArrayList<>(cluster.alpha().listReplicas().stream().map(r -> r.endpoints()
                .get("local")).filter(java.util.Objects::nonNull).toList());
        urls.add(cluster.alphaProcess().baseUrl());
        for (String url : urls) {
            String text = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/q/metrics"))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).forEach(l -> served.add(l.split("[{ ]",
                    2)[0]));
        }
        assertThat(served).as("metrics the replicas serve").containsAll(charted);
    }

    /**
     * The JSON logs of a replica name it, and every record of a served call carries the trace id, the caller and, for
     * an impersonated call, the actor: here the User Manager serving the secretary acting for a person.
     */
    @Test
    @Order(9)
    void jsonLogLinesNameTheReplicaTheTraceTheCallerAndTheActor() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.nio.file.Path log = cluster.alphaState().resolve("logs/user-manager-1.log");
        List<com.fasterxml.jackson.databind.JsonNode> records = new java.util.ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(log)) {
            if (line.startsWith("{")) {
                records.add(json.readTree(line));
            }
        }
        assertThat(records).as("JSON records in " + log).isNotEmpty();
        assertThat(records).allSatisfy(r -> assertThat(r.path("replica").asText()).isEqualTo("user-manager"));
        com.fasterxml.jackson.databind.JsonNode impersonated = records.stream().filter(r -> r.path("loggerName")
                .asText().equals("io.reside.access") && r.path("mdc").has("reside.actor")).findFirst().orElseThrow(
                        () -> new AssertionError("no access-log record of an impersonated call in " + log));
        com.fasterxml.jackson.databind.JsonNode mdc = impersonated.path("mdc");
        assertThat(mdc.path("reside.caller").asText()).startsWith("acc_").isNotEqualTo(mdc.path("reside.actor")
                .asText());
        assertThat(mdc.path("reside.actor").asText()).startsWith("acc_");
        assertThat(mdc.path("traceId").asText()).hasSize(32);
        assertThat(impersonated.path("message").asText()).contains("actor=" + mdc.path("reside.actor").asText());
    }

    /**
     * The User Manager's audit trail: a grant made in the chat is there as the administrator's, with the
     * user-manager-secretary as the actor, and it is also a log line.
     */
    @Test
    @Order(10)
    void theUserManagersAuditTrailHasTheGrantMadeInTheChatWithItsActor() throws Exception {
        io.reside.model.audit.AuditApi audit = cluster.client(io.reside.model.audit.AuditApi.class, um, cluster
                .operator());
        List<io.reside.model.audit.AuditApi.Entry> entries = audit.entries(500, null).entries();
        String adminAccount = resideUser(admin).accountId();
        io.reside.model.audit.AuditApi.Entry grant = entries.stream().filter(e -> e.method().equals(
                "user-manager.v1.grantPermission") && adminAccount.equals(e.madeBy())).findFirst().orElseThrow(
                        () -> new AssertionError("no grantPermission by the administrator in " + entries));
        assertThat(grant.actor()).as("made through the user-manager-secretary, acting for the administrator")
                .isNotNull().isNotEqualTo(adminAccount);
        assertThat(grant.object()).containsKeys("userId", "permission");
        assertThat(grant.outcome()).isEqualTo("ok");
        assertThat(java.nio.file.Files.readString(cluster.alphaState().resolve("logs/user-manager-1.log")))
                .contains("\"loggerName\":\"io.reside.audit\"",
                        "user-manager.v1.grantPermission ok by " + adminAccount);
    }
}
