package io.reside.telegram.simulator;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Telegram's limits on sent messages, as the simulator enforces them (Bot API FAQ, "My bot is hitting limits"):
 * about one message per second in a chat with short bursts, at most 20 per minute in a group, about 30 per second
 * overall. Modelled as: per chat a token bucket of {@code chatBurst} messages refilled one per {@code chatInterval};
 * per group chat (negative id) a sliding window of {@code groupPerMinute} per 60 s; overall a sliding window of
 * {@code globalPerSecond} per second. A send beyond any of them is a violation: answered 429 with the seconds to wait,
 * and counted.
 * <p>
 * Arrival times are compared with {@code toleranceMillis} of slack, because a client that spaces its sends exactly
 * cannot control the network's jitter between its clock and the server's.
 */
public final class RateLimits {

    public record Settings(int chatBurst, long chatIntervalMillis, int groupPerMinute, int globalPerSecond,
            long toleranceMillis) {
        static final Settings TELEGRAM = new Settings(3, 1000, 20, 30, 25);
    }

    private final Settings settings;
    private final Map<Long, double[]> buckets = new HashMap<>(); // chat → {tokens, last refill millis}
    private final Map<Long, ArrayDeque<Long>> groups = new HashMap<>();
    private final ArrayDeque<Long> global = new ArrayDeque<>();

    RateLimits(Settings settings) {
        this.settings = settings;
    }

    Settings settings() {
        return settings;
    }

    /**
     * Takes one send for the chat at {@code nowMillis}.
     *
     * @return 0 when within the limits (the send is counted), otherwise the whole seconds to wait (nothing counted)
     */
    synchronized int take(long chatId, long nowMillis) {
        long t = nowMillis + settings.toleranceMillis();
        double[] bucket = buckets.computeIfAbsent(chatId, c -> new double[] { settings.chatBurst(), nowMillis });
        double tokens = Math.min(settings.chatBurst(),
                bucket[0] + (t - bucket[1]) / (double) settings.chatIntervalMillis());
        if (tokens < 1) {
            return seconds((1 - tokens) * settings.chatIntervalMillis());
        }
        while (!global.isEmpty() && global.peekFirst() <= t - 1000) {
            global.pollFirst();
        }
        if (global.size() >= settings.globalPerSecond()) {
            return seconds(global.peekFirst() + 1000 - t);
        }
        ArrayDeque<Long> group = null;
        if (chatId < 0) {
            group = groups.computeIfAbsent(chatId, c -> new ArrayDeque<>());
            while (!group.isEmpty() && group.peekFirst() <= t - 60_000) {
                group.pollFirst();
            }
            if (group.size() >= settings.groupPerMinute()) {
                return seconds(group.peekFirst() + 60_000 - t);
            }
        }
        // counted at the real arrival time, so that tolerance never accumulates
        bucket[0] = Math.min(settings.chatBurst(),
                bucket[0] + (nowMillis - bucket[1]) / (double) settings.chatIntervalMillis()) - 1;
        bucket[1] = nowMillis;
        global.addLast(nowMillis);
        if (group != null) {
            group.addLast(nowMillis);
        }
        return 0;
    }

    private static int seconds(double millis) {
        return (int) Math.max(1, Math.ceil(millis / 1000.0));
    }

    synchronized void reset() {
        buckets.clear();
        groups.clear();
        global.clear();
    }
}
