package io.reside.telegram.simulator;

import java.util.concurrent.CountDownLatch;

/**
 * Runs the simulator on its own: {@code java -cp ... io.reside.telegram.simulator.Main [--port N] [--token T]}. Prints
 * the Bot API base URL and the chat page, and runs until SIGINT or SIGTERM. The token may also come from
 * {@code RESIDE_SIMULATOR_TOKEN} (it is never printed).
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        TelegramSimulator.Options options = TelegramSimulator.Options.defaults();
        String envToken = System.getenv("RESIDE_SIMULATOR_TOKEN");
        if (envToken != null && !envToken.isBlank()) {
            options = options.withToken(envToken.trim());
        }
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> options = options.withPort(Integer.parseInt(require(args[i], value)));
                case "--token" -> options = options.withToken(require(args[i], value));
                case "--no-limits" -> {
                    options = options.withEnforceLimits(false);
                    continue;
                }
                default -> {
                    System.err.println("unknown option " + args[i] + " (use --port N, --token T, --no-limits)");
                    System.exit(2);
                }
            }
            i++;
        }
        TelegramSimulator sim = TelegramSimulator.start(options);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sim.close();
            stop.countDown();
        }));
        System.out.println("Telegram simulator: Bot API at " + sim.baseUrl() + ", chat page at " + sim.baseUrl() + "/");
        stop.await();
    }

    private static String require(String option, String value) {
        if (value == null) {
            System.err.println(option + " needs a value");
            System.exit(2);
        }
        return value;
    }
}
