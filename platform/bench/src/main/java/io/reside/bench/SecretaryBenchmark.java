package io.reside.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.telegram.telegrambots.meta.api.objects.User;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.buttons.InlineKeyboardButton;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.harness.LocalCluster;
import io.reside.telegram.simulator.TelegramSimulator;

/**
 * {@code platform/bench/run secretary}: the alpha-secretary end to end, with the Bot API simulator. Alpha loads the
 * User Manager, the telegram replica and both secretaries from their images; everyone may read the replicas (a
 * default permission set). Measured from the moment the simulator receives a person's update to the moment the
 * bot's answer is in the chat: {@code /replicas} with the 5 replicas of a fresh cluster, the same with 30 (25 more
 * test replicas loaded), and a card opened by a button (the press to the edited caption). Every answer crosses three
 * RPC hops (telegram → secretary → User Manager for the delegation, when not cached, → Alpha) and includes the
 * layout, the drawing and the PNG encoding. Ten people take turns so that Telegram's one message a second per chat,
 * which the simulator enforces, is never what is measured.
 */
final class SecretaryBenchmark {

    private static final String ALPHA = "localhost:5000/reside/contracts/alpha.v1";
    private final Bench.Options options;

    SecretaryBenchmark(Bench.Options options) {
        this.options = options;
    }

    void run() throws Exception {
        int samples = options.getInt("samples", 40);
        int extra = options.getInt("extra", 25);
        // --access-log keeps every replica's RPC access log (slower; for finding out where time goes)
        Map<String, String> quiet = Map.of("RESIDE_RPC_ACCESS_LOG", String.valueOf(options.has("access-log")));
        try (TelegramSimulator sim = TelegramSimulator.start();
                LocalCluster cluster = LocalCluster.start(Path.of(System.getProperty("reside.bench.alpha")),
                        quiet)) {
            try {
                runIn(sim, cluster, samples, extra, quiet);
            } catch (RuntimeException e) { // what the replicas said, for whoever has to find out why
                cluster.printLogs(40, "telegram-1.log", "alpha-secretary-1.log", "user-manager-secretary-1.log");
                throw e;
            }
        }
    }

    private void runIn(TelegramSimulator sim, LocalCluster cluster, int samples, int extra,
            Map<String, String> quiet) throws Exception {
        System.out.println("loading the User Manager, the telegram replica and both secretaries through Alpha...");
        cluster.secret("telegram", Map.of("TELEGRAM_BOT_TOKEN", sim.token(), "TELEGRAM_API_URL", sim.baseUrl(),
                "RESIDE_RPC_ACCESS_LOG", quiet.get("RESIDE_RPC_ACCESS_LOG")));
        for (String name : List.of("user-manager", "alpha-secretary", "user-manager-secretary")) {
            cluster.secret(name, quiet);
        }
        AlphaApi.Replica um = cluster.load(cluster.push(Path.of(System.getProperty("reside.bench.user-manager")),
                "1"));
        UserManagerApi users = cluster.client(UserManagerApi.class, um, cluster.operator());
        users.register();
        cluster.load(cluster.push(Path.of(System.getProperty("reside.bench.telegram")), "1"));
        cluster.load(cluster.push(Path.of(System.getProperty("reside.bench.user-manager-secretary")), "1"));
        cluster.load(cluster.push(Path.of(System.getProperty("reside.bench.alpha-secretary")), "1"));
        Path log = cluster.alphaState().resolve("logs/telegram-1.log");
        LocalCluster.awaitCondition("both secretaries registered", Duration.ofSeconds(60), () -> {
            try {
                String l = Files.exists(log) ? Files.readString(log) : "";
                return l.contains("handler alpha-secretary registered") && l.contains(
                        "handler user-manager-secretary registered");
            } catch (java.io.IOException e) {
                return false;
            }
        }, ok -> ok);
        users.setDefaultPermissions(new UserManagerApi.SetDefaultPermissions(List.of(
                new UserManagerApi.PermissionSet("bench-readers", List.of(new UserManagerApi.GrantSpec(ALPHA,
                        "replica:read:all", null))))));

        List<User> people = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            people.add(sim.createUser("Reader" + i, "reader" + i, i % 2 == 0 ? "en" : "ru"));
        }
        // warm-up: first contacts, the default set reaching Alpha, delegations, the JIT
        for (int i = 0; i < 30; i++) {
            User u = people.get(i % people.size());
            LocalCluster.awaitCondition(u.getFirstName() + " sees the graph", Duration.ofSeconds(60),
                    () -> replicas(sim, u), m -> m.message().getPhoto() != null);
            Thread.sleep(150);
        }

        Latencies small = measure(sim, people, samples, ": 5, ");
        System.out.printf("/replicas with 5 replicas: p50 %.1f ms, p99 %.1f ms over %d%n",
                small.percentileMicros(50)
                        / 1000,
                small.percentileMicros(99) / 1000, samples);

        Latencies card = new Latencies();
        for (int i = 0; i < samples; i++) {
            User u = people.get(i % people.size());
            TelegramSimulator.ChatMessage graph = lastPhoto(sim, u);
            InlineKeyboardButton b = graph.message().getReplyMarkup().getKeyboard().get(0).get(0);
            long t0 = System.nanoTime();
            String press = sim.press(u.getId(), u.getId(), graph.messageId(), b.getCallbackData());
            try {
                awaitCaption(sim, u, graph.messageId(), c -> c.contains("id <code>")); // the card, in ru or en
            } catch (IllegalStateException e) {
                throw new IllegalStateException(e.getMessage() + "; the press of '" + b.getText() + "' ("
                        + b.getCallbackData() + ") was answered " + sim.callbackAnswer(press) + ", the caption is: "
                        + lastPhoto(sim, u).text(), e);
            }
            card.add(System.nanoTime() - t0);
            InlineKeyboardButton back = lastPhoto(sim, u).message().getReplyMarkup().getKeyboard().get(0).get(0);
            sim.press(u.getId(), u.getId(), graph.messageId(), back.getCallbackData());
            awaitCaption(sim, u, graph.messageId(), c -> !c.contains("id <code>"));
            Thread.sleep(150);
        }
        System.out.printf("a card opened: p50 %.1f ms, p99 %.1f ms over %d%n", card.percentileMicros(50) / 1000,
                card.percentileMicros(99) / 1000, samples);

        System.out.printf("loading %d more replicas (the provider test replica under other names)...%n", extra);
        String provider = cluster.push(Path.of(System.getProperty("reside.bench.provider")), "1");
        for (int i = 1; i <= extra; i++) {
            cluster.load(new AlphaApi.CreateLoadRequest(provider, "extra-" + i, null, null));
            if (i % 5 == 0) {
                System.out.printf("  %d of %d running%n", i, extra);
            }
        }
        int total = 5 + extra;
        for (User u : people) { // the first answer after the change: the new picture size, warm again
            replicas(sim, u);
            Thread.sleep(150);
        }
        Latencies large = measure(sim, people, samples, ": " + total + ", ");
        System.out.printf("/replicas with %d replicas: p50 %.1f ms, p99 %.1f ms over %d; picture %s%n", total,
                large.percentileMicros(50) / 1000, large.percentileMicros(99) / 1000, samples, size(lastPhoto(sim,
                        people.get(0))));
        System.out.printf("RESULT secretary replicas-p50-ms=%.1f replicas30-p50-ms=%.1f card-p50-ms=%.1f%n",
                small.percentileMicros(50) / 1000, large.percentileMicros(50) / 1000, card.percentileMicros(50)
                        / 1000);
    }

    private static Latencies measure(TelegramSimulator sim, List<User> people, int samples, String caption)
            throws InterruptedException {
        Latencies l = new Latencies();
        for (int i = 0; i < samples; i++) {
            User u = people.get(i % people.size());
            long t0 = System.nanoTime();
            TelegramSimulator.ChatMessage m = replicas(sim, u);
            l.add(System.nanoTime() - t0);
            if (m.message().getPhoto() == null || !m.text().contains(caption)) {
                throw new IllegalStateException("expected the graph of '" + caption + "', got: " + m.text());
            }
            Thread.sleep(150);
        }
        return l;
    }

    /** Sends /replicas and waits for the bot's next message in that chat. */
    private static TelegramSimulator.ChatMessage replicas(TelegramSimulator sim, User u) {
        int before = sim.botMessages(u.getId()).size();
        sim.sendText(u.getId(), u.getId(), "/replicas");
        List<TelegramSimulator.ChatMessage> got = sim.awaitBotMessages(u.getId(), before + 1, m -> true,
                Duration.ofSeconds(60));
        if (got.size() <= before) {
            throw new IllegalStateException("no answer to /replicas for " + u.getFirstName() + " within 60 s");
        }
        return got.get(before);
    }

    private static TelegramSimulator.ChatMessage lastPhoto(TelegramSimulator sim, User u) {
        List<TelegramSimulator.ChatMessage> photos = sim.botMessages(u.getId()).stream().filter(m -> m.message()
                .getPhoto() != null).toList();
        return photos.get(photos.size() - 1);
    }

    /** Waits for the edit (the simulator wakes its waiters on every change: no polling interval in the figure). */
    private static void awaitCaption(TelegramSimulator sim, User u, int messageId, Predicate<String> done) {
        if (sim.awaitBotMessages(u.getId(), 1, m -> m.messageId() == messageId && m.text() != null && done.test(m
                .text()), Duration.ofSeconds(60)).isEmpty()) {
            throw new IllegalStateException("message " + messageId + " was not edited as expected within 60 s");
        }
    }

    private static String size(TelegramSimulator.ChatMessage m) {
        var p = m.message().getPhoto().get(m.message().getPhoto().size() - 1);
        return p.getWidth() + "x" + p.getHeight();
    }
}
