package io.reside.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.telegram.telegrambots.meta.api.objects.User;

import io.reside.harness.LocalCluster;
import io.reside.telegram.simulator.TelegramSimulator;

/**
 * Telegram end to end (issue 12: p50 under 50 ms from an update to its reply; a burst drains within 1.2× the floor
 * Telegram's limits impose, with no limit exceeded). Alpha, the User Manager, the telegram replica and the ping test
 * handler are loaded from their images; the Bot API is the simulator with its enforcement of Telegram's limits on.
 * <ol>
 * <li>latency: one {@code /ping} at a time, from the person writing it (the simulator stores the update) to the
 * reply arriving at the simulator: the long poll, the stored batch, the signed offer to the handler, its signed
 * {@code callBotApi}, the keyed claim and the send;</li>
 * <li>burst: 300 {@code /ping}s from 100 people at once; the time until the last reply arrived, against the floor: the
 * time the last of 300 sends could leave with Telegram's limits (computed by laying them out one by one at the
 * earliest instant every limit allows, as the simulator counts them); violations are the sends the simulator found
 * beyond a limit.</li>
 * </ol>
 */
final class TelegramBenchmark {

    private final Bench.Options options;

    TelegramBenchmark(Bench.Options options) {
        this.options = options;
    }

    void run() throws Exception {
        int samples = options.getInt("updates", 100);
        int chats = options.getInt("chats", 100);
        int perChat = options.getInt("per-chat", 3);
        try (TelegramSimulator sim = TelegramSimulator.start();
                LocalCluster cluster = LocalCluster.start(Path.of(System.getProperty("reside.bench.alpha")),
                        Map.of("RESIDE_RPC_ACCESS_LOG", "false"))) {
            System.out.println("loading the User Manager, the telegram replica and the ping handler through Alpha...");
            cluster.secret("telegram", Map.of("TELEGRAM_BOT_TOKEN", sim.token(), "TELEGRAM_API_URL", sim.baseUrl(),
                    "RESIDE_RPC_ACCESS_LOG", "false"));
            cluster.secret("ping", Map.of("RESIDE_RPC_ACCESS_LOG", "false"));
            cluster.secret("user-manager", Map.of("RESIDE_RPC_ACCESS_LOG", "false"));
            cluster.load(cluster.push(Path.of(System.getProperty("reside.bench.user-manager")), "1"));
            cluster.load(cluster.push(Path.of(System.getProperty("reside.bench.telegram")), "1"));
            cluster.load(cluster.push(Path.of(System.getProperty("reside.bench.telegram-handler")), "1"));
            Path log = cluster.alphaState().resolve("logs/telegram-1.log");
            telegramLog = log;
            LocalCluster.awaitCondition("the ping handler registered", Duration.ofSeconds(60), () -> {
                try {
                    return Files.exists(log) && Files.readString(log).contains("handler ping registered");
                } catch (java.io.IOException e) {
                    return false;
                }
            }, ok -> ok);

            // 1. latency
            // ten people in turn, so that no chat needs more than Telegram's one message a second
            List<User> writers = new ArrayList<>();
            int[] seen = new int[10];
            for (int i = 0; i < 10; i++) {
                writers.add(sim.createUser("Latency" + i, null, "en"));
            }
            for (int i = 0; i < 20; i++) { // warm-up: first contacts, JIT, sessions
                seen[i % 10] = ping(sim, writers.get(i % 10), seen[i % 10]);
                Thread.sleep(150);
            }
            Latencies latency = new Latencies();
            for (int i = 0; i < samples; i++) {
                long t0 = System.nanoTime();
                seen[i % 10] = ping(sim, writers.get(i % 10), seen[i % 10]);
                latency.add(System.nanoTime() - t0);
                Thread.sleep(150);
            }
            System.out.printf("latency: %d updates one at a time, update to reply p50 %.1f ms, p99 %.1f ms%n",
                    samples, latency.percentileMicros(50) / 1000, latency.percentileMicros(99) / 1000);

            // 2. burst
            List<User> people = new ArrayList<>();
            for (int i = 0; i < chats; i++) {
                User u = sim.createUser("Burst" + i, null, i % 2 == 0 ? "en" : "ru");
                people.add(u);
                sim.sendText(u.getId(), u.getId(), "/ping"); // first contact before the measurement
            }
            for (User u : people) {
                await(sim, u, 1);
            }
            Thread.sleep(3000); // Telegram's windows forget the warm-up
            long violationsBefore = sim.stats().violations();
            long t0 = System.nanoTime();
            for (int round = 0; round < perChat; round++) {
                for (User u : people) {
                    sim.sendText(u.getId(), u.getId(), "/ping");
                }
            }
            for (User u : people) {
                await(sim, u, 1 + perChat);
            }
            double burst = (System.nanoTime() - t0) / 1e9;
            double floor = floorMillis(sim, chats, perChat) / 1000.0;
            long violations = sim.stats().violations() - violationsBefore;
            System.out.printf("burst: %d updates from %d chats drained in %.2f s; Telegram's limits allow it in %.2f s "
                    + "at the fastest (%.2fx); %d sends beyond a limit%n", chats * perChat, chats, burst, floor,
                    burst / floor, violations);
            System.out.printf("RESULT telegram p50-ms=%.1f p99-ms=%.1f burst-s=%.2f burst-floor-s=%.2f violations=%d%n",
                    latency.percentileMicros(50) / 1000, latency.percentileMicros(99) / 1000, burst, floor, violations);
        }
    }

    private static int ping(TelegramSimulator sim, User u, int seen) {
        sim.sendText(u.getId(), u.getId(), "/ping");
        await(sim, u, seen + 1);
        return seen + 1;
    }

    private static volatile Path telegramLog;

    private static void await(TelegramSimulator sim, User u, int n) {
        if (sim.awaitBotMessages(u.getId(), n, m -> true, Duration.ofSeconds(60)).size() < n) {
            try {
                List<String> lines = Files.readAllLines(telegramLog).stream()
                        .filter(l -> !l.contains("[io.res.access]"))
                        .toList();
                System.out.println("---- " + telegramLog + " (last 40 lines)");
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.out::println);
            } catch (java.io.IOException | RuntimeException e) {
                System.out.println("(no telegram log: " + e.getMessage() + ")");
            }
            throw new IllegalStateException("no reply to " + u.getFirstName() + " within 60 s (" + sim.stats() + ")");
        }
    }

    /**
     * The earliest instant (ms after the start) the last of the sends can leave: each laid out in turn (round-robin
     * over the chats, as they arrive) at the first instant the chat's bucket, the group window and the global window
     * allow, as the simulator counts them.
     */
    static long floorMillis(TelegramSimulator sim, int chats, int perChat) {
        var l = sim.limits();
        Map<Integer, double[]> buckets = new HashMap<>();
        ArrayDeque<Long> global = new ArrayDeque<>();
        long last = 0;
        for (int round = 0; round < perChat; round++) {
            for (int c = 0; c < chats; c++) {
                double[] b = buckets.computeIfAbsent(c, k -> new double[] { l.chatBurst(), 0 });
                long t = 0;
                while (true) {
                    double tokens = Math.min(l.chatBurst(), b[0] + (t - b[1]) / (double) l.chatIntervalMillis());
                    while (!global.isEmpty() && global.peekFirst() <= t - 1000) {
                        global.pollFirst();
                    }
                    if (tokens >= 1 && global.size() < l.globalPerSecond()) {
                        b[0] = tokens - 1;
                        b[1] = t;
                        global.addLast(t);
                        last = Math.max(last, t);
                        break;
                    }
                    t++;
                }
            }
        }
        return last;
    }
}
