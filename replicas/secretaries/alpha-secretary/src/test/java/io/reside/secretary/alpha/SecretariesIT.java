package io.reside.secretary.alpha;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
import io.reside.telegram.simulator.TelegramSimulator;

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
        cluster = LocalCluster.start(app("alpha"));
        cluster.secret("telegram", java.util.Map.of("TELEGRAM_BOT_TOKEN", sim.token(), "TELEGRAM_API_URL", sim
                .baseUrl(), "TELEGRAM_POLL_TIMEOUT", "5s"));
        AlphaApi.Replica um = cluster.load(cluster.push(app("user-manager"), "1"));
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
        for (String p : List.of("replica:read:all", "load-request:create", "load-request:approve")) {
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
}
