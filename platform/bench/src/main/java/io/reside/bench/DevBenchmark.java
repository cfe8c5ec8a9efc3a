package io.reside.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import io.reside.harness.CliProcess;

/**
 * {@code platform/bench/run dev}: {@code reside dev} on a built tree, as a person runs it (the CLI's packaged
 * application with the launcher's JVM options), from its start to "ready": its summary, which it prints once all five
 * replicas run and the operator's simulated person got the secretary's answer to /profile. <b>Cold</b>: an empty
 * state directory (etcd, the registry, Alpha, four images built with Jib, pushed, loaded through load requests and
 * approved, super-admin claimed, the operator's chat person given the operator's permissions). <b>Warm</b>: the same
 * directory again after Ctrl-C (everything restarts; nothing is built or loaded). <b>RSS</b>: the summed resident
 * memory of every process of the cluster (the CLI with the simulator, etcd, the registry, Alpha, the four replicas)
 * after {@code --idle} seconds of idling. Each figure is the median of {@code --rounds} rounds (default 2).
 */
final class DevBenchmark {

    private final Bench.Options options;

    DevBenchmark(Bench.Options options) {
        this.options = options;
    }

    void run() throws Exception {
        int rounds = options.getInt("rounds", 2);
        int idle = options.getInt("idle", 10);
        Path cli = Path.of(System.getProperty("reside.bench.cli"));
        Path home = Path.of(System.getProperty("reside.bench.home"));
        List<Double> cold = new ArrayList<>();
        List<Double> warm = new ArrayList<>();
        List<Double> rss = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            Path state = Files.createTempDirectory("reside-bench-dev-");
            try {
                cold.add(start(cli, home, state, "cold", round, idle, rss));
                warm.add(start(cli, home, state, "warm", round, idle, rss));
            } finally {
                for (ProcessHandle p : CliProcess.processesNaming(state)) {
                    p.destroyForcibly(); // only after a failure: each round stops its cluster with Ctrl-C
                }
                delete(state);
            }
        }
        System.out.printf(Locale.ROOT, "cold: median %.1f s of %s; warm: median %.1f s of %s; idle RSS: median "
                + "%.0f MB of %s%n", median(cold), fmt(cold), median(warm), fmt(warm), median(rss), fmt(rss));
        System.out.printf(Locale.ROOT, "targets: cold < 60 s, warm < 20 s, idle RSS < 1536 MB%n");
        System.out.printf(Locale.ROOT, "RESULT dev cold-s=%.1f warm-s=%.1f rss-mb=%.0f%n", median(cold),
                median(warm), median(rss));
    }

    /** One {@code reside dev} until ready, its idle memory, then Ctrl-C; the seconds to ready. */
    private static double start(Path cli, Path home, Path state, String kind, int round, int idle,
            List<Double> rss) {
        long t0 = System.nanoTime();
        try (CliProcess dev = CliProcess.start(cli, home, Map.of(), "dev", "--state-dir", state.toString())) {
            dev.awaitOutput("Stop: Ctrl-C", Duration.ofMinutes(5));
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "round %d %s: ready in %.1f s%n", round, kind, seconds);
            // where the time went: the step lines (they end with the step's own time)
            dev.err().lines().filter(l -> l.startsWith("  ok  ")).forEach(l -> System.out.println("    " + l
                    .strip()));
            sleep(idle * 1000L);
            // the CLI names the state directory too (--state-dir): each process once
            java.util.Set<Long> all = new java.util.TreeSet<>(CliProcess.processesNaming(state).stream().map(
                    ProcessHandle::pid).toList());
            all.add(dev.pid());
            long kib = all.stream().mapToLong(CliProcess::rssKib).sum();
            rss.add(kib / 1024.0);
            System.out.printf(Locale.ROOT, "    idle for %d s: %d processes, %.0f MB resident%n", idle, all.size(),
                    kib / 1024.0);
            dev.interrupt();
            int code = dev.awaitExit(Duration.ofMinutes(2));
            if (code != 0 || !CliProcess.processesNaming(state).isEmpty()) {
                throw new IllegalStateException("reside dev did not stop cleanly (exit " + code + ", left "
                        + CliProcess.processesNaming(state).size() + " processes):\n" + dev.err());
            }
            return seconds;
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String fmt(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toList().toString();
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
