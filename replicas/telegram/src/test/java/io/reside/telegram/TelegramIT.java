package io.reside.telegram;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

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

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.harness.LocalCluster;
import io.reside.model.error.ResideException;
import io.reside.runtime.Contracts;
import io.reside.telegram.simulator.TelegramSimulator;

/**
 * The telegram replica across processes, against the Bot API simulator: Alpha, the User Manager, the telegram replica
 * and test handlers (the ping replica), all loaded from their images by real load requests.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TelegramIT {

    static final String TG = Contracts.of(TelegramApi.class).identity();
    static TelegramSimulator sim;
    static LocalCluster cluster;
    static AlphaApi.Replica telegram;
    static AlphaApi.Replica slow;
    static AlphaApi.Replica failing;
    static UserManagerApi users;
    static UserManagerApi.User operatorUser;
    static TelegramSimulator webhookSim;
    static final List<String> responses = new ArrayList<>();
    static volatile boolean failed;

    @RegisterExtension
    static final TestWatcher WATCHER = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            failed = true;
        }
    };

    @BeforeAll
    static void start() throws IOException {
        sim = TelegramSimulator.start();
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")));
        // the token reaches the telegram replica alone, as a Secret would (alpha.local.secrets-dir)
        cluster.secret("telegram", java.util.Map.of("TELEGRAM_BOT_TOKEN", sim.token(), "TELEGRAM_API_URL", sim
                .baseUrl(), "TELEGRAM_POLL_TIMEOUT", "5s"));
        AlphaApi.Replica um = cluster.load(cluster.push(Path.of(System.getProperty("reside.user-manager.app")), "1"));
        users = cluster.client(UserManagerApi.class, um, cluster.operator());
        operatorUser = users.register(); // the operator, super-admin: may list the users of realm telegram
        telegram = cluster.load(cluster.push(Path.of(System.getProperty("reside.telegram.app")), "1"));
        cluster.load(cluster.push(Path.of(System.getProperty("reside.it.telegram-handler")), "1"));
        awaitLog("telegram-1.log", "handler ping registered", Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() throws Exception {
        if (failed && cluster != null) {
            cluster.printLogs(60, "telegram-1.log", "ping-1.log");
        }
        if (cluster != null) {
            cluster.close();
        }
        if (sim != null) {
            sim.close();
        }
        if (webhookSim != null) {
            webhookSim.close();
        }
    }

    static String log(String name) {
        try {
            Path p = cluster.alphaState().resolve("logs/" + name);
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    static void awaitLog(String name, String text, Duration timeout) {
        LocalCluster.awaitCondition(name + " says '" + text + "'", timeout, () -> log(name), l -> l.contains(text));
    }

    static List<TelegramSimulator.ChatMessage> awaitReplies(User u, int n, String containing) {
        List<TelegramSimulator.ChatMessage> got = sim.awaitBotMessages(u.getId(), n, m -> m.text() != null
                && m.text().contains(containing), Duration.ofSeconds(30));
        got.forEach(m -> responses.add(m.text()));
        assertThat(got).as("replies to " + u.getFirstName() + " containing '" + containing + "'").hasSize(n);
        return got;
    }

    @Test
    @Order(1)
    void pingIsAnsweredInEachPersonsLanguageAndFirstContactCreatesOneManagedUser() {
        User ann = sim.createUser("Ann <&>", "ann", "en");
        User ivan = sim.createUser("Иван", "ivan", "ru");
        sim.sendText(ann.getId(), ann.getId(), "/ping");
        sim.sendText(ivan.getId(), ivan.getId(), "/ping@reside_sim_bot");
        assertThat(awaitReplies(ann, 1, "pong").get(0).text()).isEqualTo("pong, <b>Ann &lt;&amp;&gt;</b> (from ping)");
        assertThat(awaitReplies(ivan, 1, "понг").get(0).text()).isEqualTo("понг, <b>Иван</b> (от ping)");
        sim.sendText(ann.getId(), ann.getId(), "/ping");
        awaitReplies(ann, 2, "pong");
        List<UserManagerApi.User> people = users.listUsers("telegram", null, null).items();
        assertThat(people).extracting(UserManagerApi.User::name).containsExactlyInAnyOrder("tg-" + ann.getId(),
                "tg-" + ivan.getId());
        assertThat(people).allMatch(UserManagerApi.User::managed);
        // the commands were published per language
        assertThat(sim.commandMenu("ru")).extracting(c -> c.getCommand() + ": " + c.getDescription())
                .contains("ping: Бот на месте?");
        assertThat(sim.commandMenu("en")).extracting(c -> c.getCommand() + ": " + c.getDescription())
                .contains("ping: Is the bot there?");
    }

    @Test
    @Order(2)
    void buttonsAreAnsweredAndLongCallbackDataLivesServerSide() {
        User bob = sim.createUser("Bob", null, "en");
        sim.sendText(bob.getId(), bob.getId(), "/ping");
        TelegramSimulator.ChatMessage pong = awaitReplies(bob, 1, "pong").get(0);
        var buttons = pong.message().getReplyMarkup().getKeyboard().get(0);
        assertThat(buttons.get(0).getCallbackData()).isEqualTo("again:1");
        assertThat(buttons.get(1).getCallbackData()).as("85 bytes do not fit Telegram's 64").startsWith("~")
                .hasSizeLessThanOrEqualTo(64);
        String longPress = sim.press(bob.getId(), bob.getId(), pong.messageId(), buttons.get(1).getCallbackData());
        LocalCluster.awaitCondition("the long button is answered", Duration.ofSeconds(20),
                () -> sim.callbackAnswer(longPress), a -> a.isPresent());
        assertThat(sim.callbackAnswer(longPress).get()).isEqualTo(new TelegramSimulator.CallbackAnswer(
                "A long button", true));
        String press = sim.press(bob.getId(), bob.getId(), pong.messageId(), "again:1");
        LocalCluster.awaitCondition("the press is answered", Duration.ofSeconds(20), () -> sim.callbackAnswer(press),
                a -> a.isPresent());
        assertThat(sim.callbackAnswer(press).get().text()).isEqualTo("Pressed");
        awaitReplies(bob, 1, "✓"); // the press edited the message: its buttons are gone
    }

    @Test
    @Order(3)
    void aHandlerActsAsThePersonThroughADelegation() {
        User dana = sim.createUser("Dana", null, "en");
        sim.sendText(dana.getId(), dana.getId(), "/whoami");
        String text = awaitReplies(dana, 1, "You are").get(0).text();
        UserManagerApi.User reside = users.listUsers("telegram", null, null).items().stream()
                .filter(u -> u.name().equals("tg-" + dana.getId())).findFirst().orElseThrow();
        assertThat(text).isEqualTo("You are " + reside.id() + " of realm telegram");
    }

    @Test
    @Order(4)
    void aPhotoGoesUpAsMultipartThroughCallBotApi() {
        User ida = sim.createUser("Ida", null, "ru");
        sim.sendText(ida.getId(), ida.getId(), "/photo");
        TelegramSimulator.ChatMessage photo = awaitReplies(ida, 1, "Картинка").get(0);
        assertThat(photo.message().getCaption()).isEqualTo("Картинка для <i>Ida</i>");
        assertThat(photo.message().getPhoto()).singleElement().satisfies(p -> {
            assertThat(p.getWidth()).isEqualTo(64);
            assertThat(p.getHeight()).isEqualTo(32);
        });
        // files: a handler may fetch what it sent and what people sent it, nothing else
        String own = photo.message().getPhoto().get(0).getFileId();
        sim.sendText(ida.getId(), ida.getId(), "/file " + own);
        assertThat(awaitReplies(ida, 1, "file ").get(0).text()).startsWith("file photos/");
        sim.sendPhoto(ida.getId(), ida.getId(), sim.fileBytes(own).orElseThrow(), "a photo from Ida");
        String hers = LocalCluster.awaitCondition("Ida's photo in the chat", Duration.ofSeconds(10), () -> sim
                .messages(ida.getId()).stream().filter(m -> !m.fromBot() && m.message().getPhoto() != null)
                .findFirst(), Optional::isPresent).get().message().getPhoto().get(0).getFileId();
        sim.sendText(ida.getId(), ida.getId(), "/file " + hers);
        awaitReplies(ida, 2, "file photos/");
        String elsewhere = sim.storeFile(sim.fileBytes(own).orElseThrow());
        sim.sendText(ida.getId(), ida.getId(), "/file " + elsewhere);
        assertThat(awaitReplies(ida, 1, "permission").get(0).text()).contains("permission-denied", "file "
                + elsewhere + " was in no update routed to your handler and in nothing it sent; other files need "
                + "api:call:any");
    }

    @Test
    @Order(5)
    void telegramUsersAreReadWithUserReadAllAndUsernameChangesAreFollowed() {
        TelegramApi tg = cluster.client(TelegramApi.class, telegram, cluster.operator());
        User ann = sim.users().stream().filter(u -> "ann".equals(u.getUserName())).findFirst().orElseThrow();
        assertThatThrownBy(() -> tg.getTelegramUser(ann.getId(), null))
                .isInstanceOf(ResideException.PermissionDeniedException.class).hasMessageContaining("user:read:all");
        users.grantPermission(new UserManagerApi.GrantPermission(operatorUser.id(), TG, "user:read:all", null));
        TelegramApi.TelegramUser first = LocalCluster.awaitCondition("the grant is in force", Duration.ofSeconds(20),
                () -> {
                    try {
                        return tg.getTelegramUser(ann.getId(), null);
                    } catch (ResideException.PermissionDeniedException e) {
                        return null;
                    }
                }, u -> u != null);
        assertThat(first.username()).isEqualTo("ann");
        assertThat(first.userId()).startsWith("u-");
        sim.renameUser(ann.getId(), "ann_renamed");
        sim.sendText(ann.getId(), ann.getId(), "/ping");
        awaitReplies(ann, 3, "pong");
        TelegramApi.TelegramUser renamed = tg.getTelegramUser(null, "@ann_renamed");
        assertThat(renamed.telegramId()).isEqualTo(ann.getId());
        assertThat(renamed.userId()).as("the same ReSide user").isEqualTo(first.userId());
        assertThatThrownBy(() -> tg.getTelegramUser(null, "ann")).isInstanceOf(ResideException.NotFoundException.class);
        assertThatThrownBy(() -> tg.getTelegramUser(null, null))
                .isInstanceOf(ResideException.InvalidInputException.class).hasMessageContaining("one of them");
        assertThatThrownBy(() -> tg.listTelegramUsers(null, 0))
                .isInstanceOf(ResideException.InvalidInputException.class);
        assertThat(tg.listTelegramUsers(null, 500).items()).extracting(TelegramApi.TelegramUser::telegramId)
                .contains(ann.getId());
        // callBotApi is for handler owners only
        assertThatThrownBy(() -> tg.callBotApi(new TelegramApi.BotApiCall("sendMessage", null, null, null)))
                .isInstanceOf(ResideException.PermissionDeniedException.class)
                .hasMessageContaining("no enabled handler");
        assertThatThrownBy(() -> tg.callBotApi(new TelegramApi.BotApiCall("getUpdates", null, null, null)))
                .isInstanceOf(ResideException.PermissionDeniedException.class).hasMessageContaining("does not offer");
        assertThatThrownBy(() -> tg.callBotApi(new TelegramApi.BotApiCall("not a method!", null, null, null)))
                .isInstanceOf(ResideException.InvalidInputException.class);
    }

    @Test
    @Order(6)
    void aHandlerCannotWriteToAChatItWasNeverRouted() {
        User eve = sim.createUser("Eve", null, "en");
        User stranger = sim.createUser("Stranger", null, "en"); // never wrote to the bot
        sim.sendText(eve.getId(), eve.getId(), "/elsewhere " + stranger.getId());
        String text = awaitReplies(eve, 1, "permission").get(0).text();
        assertThat(text).contains("permission-denied").contains("was never routed to your handler ping")
                .contains("api:call:any");
        assertThat(sim.botMessages(stranger.getId())).isEmpty();
        // nor answer a button press that was not routed to it
        sim.sendText(eve.getId(), eve.getId(), "/answer 4242");
        assertThat(awaitReplies(eve, 2, "permission").get(1).text()).contains("button press 4242 was not routed");
    }

    @Test
    @Order(7)
    void aSlowHandlerIsSkippedAfterItsTimeoutAndAFailingOneIsSkipped() {
        String image = cluster.push(Path.of(System.getProperty("reside.it.telegram-handler")), "1");
        slow = cluster.load(new AlphaApi.CreateLoadRequest(image, "slow-ping", null, null));
        failing = cluster.load(new AlphaApi.CreateLoadRequest(image, "failing-ping", null, null));
        awaitLog("telegram-1.log", "handler slow-ping registered", Duration.ofSeconds(30));
        awaitLog("telegram-1.log", "handler failing-ping registered", Duration.ofSeconds(30));
        User fay = sim.createUser("Fay", null, "en");
        sim.sendText(fay.getId(), fay.getId(), "/ping");
        assertThat(awaitReplies(fay, 1, "pong").get(0).text()).endsWith("(from ping)");
        awaitLog("telegram-1.log", "handler slow-ping did not answer update", Duration.ofSeconds(10));
        awaitLog("telegram-1.log", "handler failing-ping failed on update", Duration.ofSeconds(10));
    }

    @Test
    @Order(8)
    void anUnloadedHandlerGetsNoMoreUpdates() {
        cluster.alpha().unloadReplica(new AlphaApi.UnloadReplica(slow.id()));
        cluster.alpha().unloadReplica(new AlphaApi.UnloadReplica(failing.id()));
        LocalCluster.awaitCondition("both processes are gone", Duration.ofSeconds(30), () -> runRecords(slow.id())
                + runRecords(failing.id()), n -> n == 0);
        long offersBefore = offersTo("slow-ping") + offersTo("failing-ping");
        User gus = sim.createUser("Gus", null, "en");
        sim.sendText(gus.getId(), gus.getId(), "/ping");
        assertThat(awaitReplies(gus, 1, "pong").get(0).text()).endsWith("(from ping)");
        assertThat(offersTo("slow-ping") + offersTo("failing-ping")).as("offers to the unloaded handlers")
                .isEqualTo(offersBefore);
    }

    static long offersTo(String handler) {
        return log("telegram-1.log").lines().filter(l -> l.contains("handler " + handler + " did not answer")
                || l.contains("handler " + handler + " failed on")).count();
    }

    static int runRecords(String replicaId) {
        return cluster.processRecords(replicaId).size();
    }

    @Test
    @Order(9)
    void a429StormIsWaitedOutWithNoMessageLostAndNoLimitExceeded() {
        long violationsBefore = sim.stats().violations();
        sim.inject(new TelegramSimulator.Fault(429, 2, 0, 4, java.util.Set.of("sendMessage")));
        List<User> people = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            User u = sim.createUser("Storm" + i, null, "en");
            people.add(u);
            sim.sendText(u.getId(), u.getId(), "/ping");
        }
        for (User u : people) {
            awaitReplies(u, 1, "pong");
        }
        assertThat(sim.stats().injectedFaults()).isGreaterThanOrEqualTo(4);
        assertThat(sim.stats().violations()).isEqualTo(violationsBefore);
        awaitLog("telegram-1.log", "Telegram says too many requests", Duration.ofSeconds(5));
    }

    @Test
    @Order(10)
    void killedInTheMiddleOfABatchTheReplicaProcessesEveryUpdateOnceAndRepliesOnce() throws Exception {
        List<User> people = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            people.add(sim.createUser("Crash" + i, null, i % 2 == 0 ? "en" : "ru"));
        }
        for (int round = 0; round < 3; round++) {
            for (User u : people) {
                sim.sendText(u.getId(), u.getId(), "/ping");
            }
        }
        LocalCluster.awaitCondition("some replies", Duration.ofSeconds(30), () -> people.stream()
                .mapToInt(u -> sim.botMessages(u.getId()).size()).sum(), n -> n >= 3);
        long pid = telegramPid();
        int before = people.stream().mapToInt(u -> sim.botMessages(u.getId()).size()).sum();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        System.out.printf("telegram crash: killed pid %d with %d of 30 replies sent%n", pid, before);
        LocalCluster.awaitCondition("the telegram replica runs again", Duration.ofSeconds(60), TelegramIT::telegramPid,
                p -> p != pid && p > 0);
        // every update is processed to its outcome...
        LocalCluster.awaitCondition("all 30 updates taken from Telegram and processed", Duration.ofSeconds(60),
                () -> sim.pendingUpdates() + cluster.dataOf(telegram.id())
                        .list(Records.PENDING, Records.Keys.of(telegram.id())
                                .pending())
                        .size() + (replied(people) + unknownCalls() >= 30 ? 0 : 1),
                // (replies sent, plus calls whose outcome is unknown, cover the 30 once all is processed)
                n -> n == 0);
        Thread.sleep(1500); // anything sent twice would show now
        // ...no reply is sent twice, and a reply is missing only where the crash hit the instant between handing it
        // to Telegram and recording Telegram's answer (its outcome is unknown, so it is not sent again)
        long unknown = unknownCalls();
        int sent = 0;
        for (User u : people) {
            int n = sim.botMessages(u.getId()).size();
            assertThat(n).as("replies to " + u.getFirstName() + ", each at most once").isLessThanOrEqualTo(3);
            sent += n;
        }
        System.out.printf("telegram crash: %d of 30 replies sent after the restart, %d with an unknown outcome%n",
                sent, unknown);
        // a call cut there may or may not have reached Telegram: each such one is a reply sent or missing, never two
        assertThat(sent).isBetween((int) (30 - unknown), 30);
        // a chat has one call in flight at a time, so a crash can cut at most one per chat
        assertThat(unknown).as("calls cut between sending and recording").isLessThanOrEqualTo(people.size());
        assertThat(users.listUsers("telegram", null, 500).items().stream()
                .filter(x -> x.name().startsWith("tg-")).map(UserManagerApi.User::name).distinct().count())
                .isEqualTo(users.listUsers("telegram", null, 500).items().size());
    }

    static long unknownCalls() {
        return cluster.dataOf(telegram.id()).list(Records.CALL, Records.Keys.of(telegram.id()).calls()).stream()
                .filter(v -> "sending".equals(v.value().state())).count();
    }

    static int replied(List<User> people) {
        return people.stream().mapToInt(u -> sim.botMessages(u.getId()).size()).sum();
    }

    static long telegramPid() {
        return cluster.processRecords(telegram.id()).stream().map(r -> r.path("pid").asLong())
                .filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).findFirst()
                .orElse(-1L);
    }

    @Test
    @Order(11)
    void anUpdateRunsTwoVersionsSideBySideWithOnePollerOnly() {
        long conflictsBefore = sim.stats().conflicts();
        String v2 = cluster.push(Path.of(System.getProperty("reside.telegram.app")), "2");
        cluster.load(new AlphaApi.CreateLoadRequest(v2, null, telegram.id(), null));
        awaitLog("telegram-2.log", "this instance polls the bot", Duration.ofSeconds(60));
        User hal = sim.createUser("Hal", null, "en");
        sim.sendText(hal.getId(), hal.getId(), "/ping");
        awaitReplies(hal, 1, "pong");
        assertThat(sim.stats().conflicts()).as("409s: two pollers at once").isEqualTo(conflictsBefore);
    }

    @Test
    @Order(12)
    void withoutATokenOrWithAMalformedOneTheReplicaDoesNotStartAndItsLogSaysWhy() {
        String image = cluster.push(Path.of(System.getProperty("reside.telegram.app")), "1");
        cluster.secret("telegram-bad", java.util.Map.of("TELEGRAM_BOT_TOKEN", "not-a-token-but-a-secret-all-the"
                + "-same", "TELEGRAM_API_URL", sim.baseUrl()));
        for (String name : List.of("telegram-none", "telegram-bad")) {
            AlphaApi.LoadRequest r = cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest(image, name,
                    null, null));
            cluster.awaitValidated(r.id());
            AlphaApi.Approval a = cluster.alpha().approveLoadRequest(new AlphaApi.ApproveLoadRequest(r.id(), null));
            try {
                awaitLog(name + "-1.log", name.equals("telegram-none") ? "no bot token: set TELEGRAM_BOT_TOKEN"
                        : "the bot token is not of Telegram's form <bot id>:<secret> (it is not shown here)",
                        Duration.ofSeconds(60));
                assertThat(log(name + "-1.log")).as("the malformed token is not printed")
                        .doesNotContain("not-a-token-but-a-secret");
                assertThat(cluster.alpha().getReplica(a.version().replicaId()).currentVersion().status())
                        .as("never running").isNotEqualTo("running");
            } finally {
                cluster.alpha().unloadReplica(new AlphaApi.UnloadReplica(a.version().replicaId()));
            }
        }
    }

    @Test
    @Order(13)
    void inWebhookModeTelegramPostsUpdatesWithTheSecretAndOthersAreRefused() throws Exception {
        webhookSim = TelegramSimulator.start();
        cluster.secret("telegram-webhook", java.util.Map.of("TELEGRAM_BOT_TOKEN", webhookSim.token(),
                "TELEGRAM_API_URL", webhookSim.baseUrl(), "TELEGRAM_MODE", "webhook", "TELEGRAM_WEBHOOK_SECRET",
                WEBHOOK_SECRET));
        String image = cluster.push(Path.of(System.getProperty("reside.telegram.app")), "1");
        AlphaApi.Replica hook = cluster.load(new AlphaApi.CreateLoadRequest(image, "telegram-webhook", null, null));
        awaitLog("telegram-webhook-1.log", "webhook set to http://127.0.0.1:", Duration.ofSeconds(30));
        User kim = webhookSim.createUser("Kim", null, "en");
        int id = webhookSim.sendText(kim.getId(), kim.getId(), "hello");
        Records.Keys keys = Records.Keys.of(hook.id());
        LocalCluster.awaitCondition("the update delivered and processed", Duration.ofSeconds(20),
                () -> cluster.dataOf(hook.id()).find(Records.PROCESSED, keys.processed(id)), Optional::isPresent);
        assertThat(webhookSim.pendingUpdates()).as("Telegram got a 2xx").isZero();
        assertThat(cluster.dataOf(hook.id()).find(Records.PROCESSED, keys.processed(id)).get().value().outcome())
                .as("this bot has no handlers").isEqualTo("unhandled");
        // the endpoint is public: only the secret header makes a delivery
        int port = cluster.processRecords(hook.id()).get(0).path("port").asInt();
        HttpClient http = HttpClient.newHttpClient();
        for (String secret : new String[] { "wrong", "" }) {
            HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/telegram/webhook"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"update_id\":999999,\"message\":{}}"));
            if (!secret.isEmpty()) {
                r.header("X-Telegram-Bot-Api-Secret-Token", secret);
            }
            assertThat(http.send(r.build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);
        }
        assertThat(cluster.dataOf(hook.id()).find(Records.PENDING, keys.pending(999999))).isEmpty();
        assertThat(cluster.dataOf(hook.id()).find(Records.PROCESSED, keys.processed(999999))).isEmpty();
    }

    static final String WEBHOOK_SECRET = "hook-secret-" + Long.toHexString(System.nanoTime());

    @Test
    @Order(14)
    void theTokenAppearsInNoLogAndNoResponse() throws IOException {
        String token = sim.token();
        String secret = token.substring(token.indexOf(':') + 1);
        String token2 = webhookSim.token();
        String secret2 = token2.substring(token2.indexOf(':') + 1);
        List<String> offending = new ArrayList<>();
        List<Path> all = new ArrayList<>();
        try (Stream<Path> a = Files.walk(cluster.alphaState()); Stream<Path> e = Files.walk(cluster.etcd().dataDir())) {
            all.addAll(a.toList());
            all.addAll(e.toList()); // etcd's own files: the token is never stored
        }
        {
            for (Path f : all.stream().filter(Files::isRegularFile).toList()) {
                if (f.getFileName().toString().endsWith(".env") || f.toString().contains("/images/")) {
                    continue; // the Secret itself; unpacked applications
                }
                String content = Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1);
                if (content.contains(secret) || content.contains(secret2) || content.contains(WEBHOOK_SECRET)) {
                    offending.add(f.toString());
                }
            }
        }
        assertThat(offending).as("files holding the token").isEmpty();
        assertThat(log("telegram-1.log")).as("the telegram log is there to grep").contains("this instance polls");
        assertThat(responses).isNotEmpty().noneMatch(r -> r.contains(secret));
    }
}
