package io.reside.bench;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** Entry point of {@code platform/bench/run}: {@code run <benchmark> [--option value]...}. */
public final class Bench {

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].startsWith("-")) {
            usage("name a benchmark");
        }
        Map<String, String> options = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                usage("unexpected argument '" + args[i] + "'");
            }
            boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
            options.put(args[i].substring(2), flag ? "true" : args[++i]);
        }
        switch (args[0]) {
            case "tx" -> new TxBenchmark(new Options(options)).run();
            case "reconcile" -> new ReconcileBenchmark(new Options(options)).run();
            case "rpc" -> new RpcBenchmark(new Options(options)).run();
            case "load" -> new LoadBenchmark(new Options(options)).run();
            case "users" -> new UsersBenchmark(new Options(options)).run();
            case "telegram" -> new TelegramBenchmark(new Options(options)).run();
            case "secretary" -> new SecretaryBenchmark(new Options(options)).run();
            case "dev" -> new DevBenchmark(new Options(options)).run();
            default -> usage("unknown benchmark '" + args[0] + "'");
        }
        System.exit(0);
    }

    private static void usage(String problem) {
        System.err.println(problem + "\nusage: platform/bench/run <benchmark> [--endpoints http://host:port] "
                + "[--seconds N] [--rounds N] [--calibrate] [--loads N] [--users N]\nbenchmarks: tx, reconcile, rpc "
                + "(--calibrate: rpc with the same path on both sides; --tls: over TLS, against TLS and plain "
                + "HTTP), load (--loads: how many replicas, default 8; "
                + "--cds on|off|compare: class-data sharing, compare runs the loads once without it first), "
                + "users (--users: how many managed users, default 10000), telegram (--updates N one at a time, "
                + "default 100; --chats N --per-chat M for the burst, default 100 and 3), secretary (--samples N "
                + "per figure, default 40; --extra N replicas loaded for the large graph, default 25), dev (reside dev "
                + "cold and warm to ready, and idle RSS; --rounds N, default 2; --idle S seconds before RSS, "
                + "default 10)");
        System.exit(2);
    }

    /** Command-line options with defaults. */
    record Options(Map<String, String> values) {
        String get(String name, String defaultValue) {
            return values.getOrDefault(name, defaultValue);
        }

        boolean has(String name) {
            return values.containsKey(name);
        }

        int getInt(String name, int defaultValue) {
            String v = values.get(name);
            try {
                return v == null ? defaultValue : Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + name + " expects a whole number, got '" + v + "'");
            }
        }

        @Override
        public String toString() {
            return Arrays.toString(values.entrySet().toArray());
        }
    }
}
