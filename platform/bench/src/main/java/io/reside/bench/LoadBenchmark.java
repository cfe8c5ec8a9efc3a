package io.reside.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.LocalCluster;
import io.reside.testing.ReplicaProcess;

/**
 * Loading replicas through Alpha with the local runtime (SPEC 11: validation p50 under 200 ms, approval to running
 * under 3 s, replica start under 2 s, an idle replica under 200 MB RSS). A {@link LocalCluster} (real etcd, real
 * registry, Alpha from its packaged application) loads the provider test replica's image N times one after
 * another, each as a new instance. Per load: {@code createLoadRequest} → {@code requires-approval} (validation:
 * digest, manifest and contracts read from the registry, the plan written), and approval → the version
 * {@code running} (the reconciler's pass, the layers unpacked the first time, the JVM's start, readiness). Replica
 * start is process spawn (the time Alpha recorded in its process record) to the first 200 of
 * {@code /q/health/ready}, polled here every 5 ms. The RSS is read from {@code /proc} once all are idle. SPEC 11's
 * targets are absolute (a JVM's start and footprint), so are these figures; what Alpha adds is also given as a ratio
 * to a baseline of the same run: approval to running over the JVM's own start.
 */
final class LoadBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final Bench.Options options;

    LoadBenchmark(Bench.Options options) {
        this.options = options;
    }

    /** The medians of one series of loads. */
    record Result(double validateMs, double runningS, double startS, double rssMb) {
    }

    void run() throws Exception {
        int loads = options.getInt("loads", 8);
        String cds = options.get("cds", "on");
        if (!List.of("on", "off", "compare").contains(cds)) {
            throw new IllegalArgumentException("--cds takes on, off or compare, not '" + cds + "'");
        }
        Result baseline = null;
        if (cds.equals("compare")) {
            System.out.println("baseline: the same loads with class-data sharing off, in a cluster of their own");
            baseline = measure(loads, false);
        }
        Result r = measure(loads, !cds.equals("off"));
        System.out.printf("targets (SPEC 11): validation p50 < 200 ms, running p50 < 3 s, start p50 < 2 s, "
                + "RSS < 200 MB%n");
        String ratio = "";
        if (baseline != null) {
            System.out.printf("class-data sharing: replica start p50 %.2f s against %.2f s without (%.2fx), approval "
                    + "to running %.2f s against %.2f s%n", r.startS(), baseline.startS(),
                    r.startS() / baseline
                            .startS(),
                    r.runningS(), baseline.runningS());
            ratio = String.format(" cds-start-ratio=%.2f", r.startS() / baseline.startS());
        }
        // the JVM's start is the baseline of Alpha's part: approval to running over spawn to ready, same loads
        System.out.printf("RESULT load validate-p50-ms=%.1f running-p50-s=%.2f replica-start-p50-s=%.2f "
                + "replica-rss-mb=%.0f running-to-start-ratio=%.2f%s%n", r.validateMs(), r.runningS(), r.startS(),
                r.rssMb(), r.runningS() / r.startS(), ratio);
    }

    private Result measure(int loads, boolean cds) throws Exception {
        Path alphaApp = Path.of(System.getProperty("reside.bench.alpha"));
        Path provider = Path.of(System.getProperty("reside.bench.provider"));
        System.out.println("starting etcd, a registry and Alpha (local runtime, class-data sharing " + (cds ? "on"
                : "off") + ")...");
        // no access log: the benchmark polls Alpha, and its output is the progress to read
        try (LocalCluster cluster = LocalCluster.start(alphaApp, java.util.Map.of("RESIDE_RPC_ACCESS_LOG", "false",
                "ALPHA_LOCAL_CLASS_DATA_SHARING", String.valueOf(cds)))) {
            String image = cluster.push(provider, "1");
            AlphaApi alpha = cluster.alpha();
            List<Double> validate = new ArrayList<>();
            List<Double> running = new ArrayList<>();
            List<Double> start = new ArrayList<>();
            List<Long> pids = new ArrayList<>();
            for (int i = 0; i < loads; i++) {
                long t0 = System.nanoTime();
                AlphaApi.LoadRequest created = alpha.createLoadRequest(new AlphaApi.CreateLoadRequest(image,
                        "bench-" + i, null, null));
                AlphaApi.LoadRequest validated = poll(5, () -> alpha.getLoadRequest(created.id()),
                        r -> !r.status().equals("validating"));
                double validateMs = (System.nanoTime() - t0) / 1e6;
                if (!validated.status().equals("requires-approval")) {
                    throw new IllegalStateException("load " + i + " is " + validated.status() + ": "
                            + validated.error());
                }
                long t1 = System.nanoTime();
                AlphaApi.Approval approval = alpha.approveLoadRequest(new AlphaApi.ApproveLoadRequest(created.id(),
                        null));
                String replicaId = approval.version().replicaId();
                Path record = cluster.alphaState().resolve("run").resolve(replicaId + "-1.json");
                JsonNode process = poll(2, () -> read(record), r -> r != null);
                Instant spawned = Instant.parse(process.path("startedAt").asText());
                int port = process.path("port").asInt();
                poll(5, () -> ready(port), r -> r);
                Instant readyAt = Instant.now();
                poll(20, () -> alpha.getReplica(replicaId), r -> "running".equals(r.currentVersion().status()));
                double runningS = (System.nanoTime() - t1) / 1e9;
                double startS = Duration.between(spawned, readyAt).toNanos() / 1e9;
                validate.add(validateMs);
                running.add(runningS);
                start.add(startS);
                pids.add(process.path("pid").asLong());
                System.out.printf("load %d: validation %.1f ms, approval to running %.2f s, replica start %.2f s%n",
                        i + 1, validateMs, runningS, startS);
            }
            System.out.println("idle for 5 s, then reading the replicas' RSS...");
            Thread.sleep(5000);
            List<Double> rss = new ArrayList<>();
            for (long pid : pids) {
                rss.add(rssMb(pid));
            }
            System.out.printf("RSS of the %d idle replicas: %s MB%n", rss.size(), rss.stream()
                    .map(v -> String.format("%.0f", v)).toList());
            return new Result(median(validate), median(running), median(start), median(rss));
        }
    }

    private static JsonNode read(Path record) {
        try {
            return Files.exists(record) ? JSON.readTree(record.toFile()) : null;
        } catch (IOException e) {
            return null; // being written
        }
    }

    private static boolean ready(int port) {
        return ReplicaProcess.readiness(HTTP, "http://127.0.0.1:" + port, Duration.ofSeconds(1)) == 200;
    }

    /** Resident set size from {@code /proc/<pid>/status}, in MB. */
    static double rssMb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        throw new IllegalStateException("no VmRSS for process " + pid);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Polls every {@code everyMs} until {@code done}, for at most 60 s. */
    private static <T> T poll(long everyMs, java.util.function.Supplier<T> probe,
            java.util.function.Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            T value = probe.get();
            if (done.test(value)) {
                return value;
            }
            Thread.sleep(everyMs);
        }
        throw new IllegalStateException("not within 60 s: see the Alpha output above");
    }
}
